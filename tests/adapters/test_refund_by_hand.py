"""A refund no payments service can make (cash on delivery, a manual gateway) is owed by hand:
nothing is posted, the owner gets an inbox item with the amount, the customer is not told
"refunded", and the case completes when the owner marks it paid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from adapters.shopify_payments import ShopifyPayments
from bot.cli.main import _desk, app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import journal
from ledger.audit import verify_money
from ledger.models import OutboxRow
from ledger.owner_models import REFUND_BY_HAND, InboxItemRow
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests.adapters.fake_shopify import TOKEN, VERSION, FakeShopify
from tests.conftest import NOW, make_store
from tools.open_case import ReturnRequest

SHOPIFY_ORDER_ID = 5123456789


def _order(**changes: Any) -> dict[str, Any]:
    return {
        "number": "1001",
        "email": "ana@example.com",
        "customer_name": "Ana Silva",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "external_id": str(SHOPIFY_ORDER_ID),
        "items": [{"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"}],
        **changes,
    }


@pytest.fixture
def cod_shop() -> Iterator[FakeShopify]:
    with FakeShopify() as shopify:
        shopify.add_order(
            "#1001",
            order_id=SHOPIFY_ORDER_ID,
            email="ana@example.com",
            created_at="2026-03-01T10:00:00-05:00",
            line_items=[{"name": "Ceramic mug", "sku": "MUG-1", "price": "24.00", "quantity": 1,
                         "vendor": "Acme Home Goods"}],
            payments=[("sale", "24.00", "Cash on Delivery (COD)")],
        )  # fmt: skip
        yield shopify


def _told(desk: ReturnsDesk) -> str:
    with desk.session() as session:
        rows = session.execute(select(OutboxRow).where(OutboxRow.channel != "owner")).scalars()
        return " ".join(row.text for row in rows).lower()


def test_shopify_saying_cash_on_delivery_makes_the_owner_pay_by_hand(
    cod_shop: FakeShopify, tmp_path: Path
) -> None:
    # The order came in without its gateway (a YAML file): Shopify's transactions tell.
    desk = ReturnsDesk(
        f"sqlite:///{tmp_path / 'rb.db'}",
        make_store({"keep_it_under": "30.00"}),
        FrozenClock(NOW),
        payments=ShopifyPayments("demo-store", TOKEN, api_version=VERSION, base_url=cod_shop.url),
    )
    try:
        with desk.session() as session:
            import_orders(session, orders_from_data([_order()], "test", desk.store), "USD")
        view = desk.submit_return(
            ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
        )
        assert view.status == "awaiting_refund_by_hand" and view.refunded == "0.00"
        assert cod_shop.operations("RefundCreate") == []
        with desk.session() as session:
            (item,) = session.execute(
                select(InboxItemRow).where(InboxItemRow.kind == REFUND_BY_HAND)
            ).scalars()
            assert item.status == "open" and "24.00" in item.summary
            assert "Cash on Delivery (COD)" in item.summary
            owed = journal.balance(session, journal.REFUNDS_OWED_BY_HAND, case_code=view.code)
            assert owed == -2400
            assert journal.balance(session, journal.REFUNDS_PAID, case_code=view.code) == 2400
            assert verify_money(session).ok
        told = _told(desk)
        assert "pay it back to you directly" in told and "has been issued" not in told

        done = desk.refund_paid_by_hand("1001", "bank transfer 11 March")
        assert done.status == "resolved" and done.refunded == "24.00"
        assert "has been paid back to you" in _told(desk)
        with desk.session() as session:
            assert journal.balance(session, journal.REFUNDS_OWED_BY_HAND) == 0
            item = session.execute(select(InboxItemRow)).scalars().one()
            assert item.status == "closed"
            assert verify_money(session).ok
        assert cod_shop.operations("RefundCreate") == []
    finally:
        desk.close()


def test_the_owner_marks_a_cash_on_delivery_refund_paid_on_the_command_line(
    store_env: Path,
) -> None:
    today = dt.datetime.now(dt.UTC)  # the command line runs on the system clock
    orders = store_env.parent / "orders.yaml"
    orders.write_text(
        yaml.safe_dump(
            {
                "orders": [
                    _order(
                        payment_gateway="cash_on_delivery",
                        external_id=None,
                        placed_at=(today - dt.timedelta(days=9)).isoformat(),
                        delivered_at=(today - dt.timedelta(days=5)).isoformat(),
                    )
                ]
            }
        )
    )
    (store_env / "policy.yaml").write_text(
        yaml.safe_dump({"currency": "USD", "keep_it_under": "30.00"})
    )
    runner = CliRunner()
    assert runner.invoke(app, ["orders", "import", str(orders)]).exit_code == 0
    desk = _desk()
    try:
        view = desk.submit_return(
            ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
        )
    finally:
        desk.close()
    assert view.status == "awaiting_refund_by_hand", view
    early = runner.invoke(app, ["cases", "refund-paid", "1002"])
    assert early.exit_code == 1
    result = runner.invoke(app, ["cases", "refund-paid", "1001", "--reference", "cash"])
    assert result.exit_code == 0, result.output
    assert f"Return {view.code}: refund of 24.00 paid by hand; resolved." in result.output
    again = runner.invoke(app, ["cases", "refund-paid", view.code])
    assert again.exit_code == 1 and "cannot take a refund paid by hand" in again.output
