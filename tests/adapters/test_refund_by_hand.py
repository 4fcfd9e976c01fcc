"""A refund no payments service can make (cash on delivery, a manual gateway) is owed by hand:
nothing is posted, the case resolves with the refund decided (its amount held against the
line's cap), the owner gets an inbox item with the amount, the customer is not told
"refunded", and the payment is recorded once when the owner marks it paid."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from adapters.shopify_payments import ShopifyPayments
from bot.cli.main import _desk, app
from bot.web.shopper_words import shopper_status
from graph import case_steps, chat_tools, exports
from graph.chat_tools import Verified
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import journal
from ledger.audit import verify_money
from ledger.models import DecisionRow, OutboxRow, TimerRow
from ledger.owner_models import REFUND_BY_HAND, InboxItemRow
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests.adapters.fake_shopify import TOKEN, VERSION, FakeShopify
from tests.conftest import NOW, make_store
from tools.errors import ActionRefused
from tools.issue_refund import NothingOwedByHand, RefundAlreadyPaidByHand
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
        # Resolved with the refund decided; owed by hand until the owner pays it.
        assert (view.status, view.resolution) == ("resolved", "refund")
        assert view.refunded == "24.00" and view.owed_by_hand == "24.00"
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
            assert journal.balance(session, journal.CUSTOMER_PAYMENTS, case_code=view.code) == 0
            assert verify_money(session).ok
        told = _told(desk)
        assert "pay it back to you directly" in told
        assert "has been issued" not in told and "has been refunded" not in told
        assert "paid back to you" not in told

        done = desk.refund_paid_by_hand("1001", "bank transfer 11 March")
        assert (done.status, done.resolution) == ("resolved", "refund")
        assert done.refunded == "24.00" and done.owed_by_hand == "0.00"
        assert "has been paid back to you" in _told(desk)
        with desk.session() as session:
            assert journal.balance(session, journal.REFUNDS_OWED_BY_HAND) == 0
            assert journal.balance(session, journal.CUSTOMER_PAYMENTS) == -2400
            assert journal.balance(session, journal.REFUNDS_PAID) == 2400
            item = session.execute(select(InboxItemRow)).scalars().one()
            assert item.status == "closed"
            (paid,) = _actions(session, view.code, "refund_issued")
            assert json.loads(paid.data)["reference"] == "bank transfer 11 March"
            assert verify_money(session).ok

        # Paying twice is refused and records nothing.
        with pytest.raises(RefundAlreadyPaidByHand, match="already marked paid"):
            desk.refund_paid_by_hand(view.code, "again")
        with pytest.raises(RefundAlreadyPaidByHand, match="already marked paid"):
            desk.refund_paid_by_hand("1001", "again")  # by its order: the same answer
        with desk.session() as session:
            assert len(_actions(session, view.code, "refund_issued")) == 1
            assert journal.balance(session, journal.CUSTOMER_PAYMENTS) == -2400
        assert cod_shop.operations("RefundCreate") == []
    finally:
        desk.close()


def _actions(session: Any, code: str, action: str) -> list[DecisionRow]:
    return list(
        session.execute(
            select(DecisionRow).where(DecisionRow.case_code == code, DecisionRow.action == action)
        ).scalars()
    )


def test_the_timers_of_a_case_owed_by_hand_never_pay_it_again(tmp_path: Path) -> None:
    """No inspection in time: the timer settles the case, owed by hand; the inspection that
    comes late, further timer rounds and a stale timer leave the one refund owed."""
    clock = FrozenClock(NOW)
    desk = ReturnsDesk(f"sqlite:///{tmp_path / 'rb.db'}", make_store(), clock)
    try:
        with desk.session() as session:
            orders = orders_from_data([_order(payment_gateway="manual")], "test", desk.store)
            import_orders(session, orders, "USD")
        view = desk.submit_return(
            ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
        )
        assert view.status == "awaiting_supplier"
        view = desk.supplier_action("acme", view.code, "approve", rma="RMA-1")
        desk.carrier_event(view.code, "delivered")
        clock.advance(dt.timedelta(days=8))  # no inspection: the refund after delivery is due
        assert desk.fire_due_timers() >= 1
        view = desk.case_view(view.code)
        assert (view.status, view.resolution) == ("resolved", "refund")
        assert view.refunded == "24.00" and view.owed_by_hand == "24.00"
        assert "has been issued" not in _told(desk)
        with desk.session() as session:
            pending = session.execute(
                select(TimerRow).where(
                    TimerRow.case_code == view.code,
                    TimerRow.fired_at.is_(None),
                    TimerRow.cancelled_at.is_(None),
                )
            ).scalars()
            assert list(pending) == []  # resolved: nothing of the case is left to fire

        with pytest.raises(ActionRefused):
            desk.supplier_action("acme", view.code, "inspected_ok")
        clock.advance(dt.timedelta(days=60))
        desk.fire_due_timers()
        desk._fire(view.code, "refund_after_delivery")  # a stale timer of the case
        with desk.session() as session:
            owed = journal.balance(session, journal.REFUNDS_OWED_BY_HAND, case_code=view.code)
            assert owed == -2400
            assert journal.balance(session, journal.REFUNDS_PAID, case_code=view.code) == 2400
            assert len(_actions(session, view.code, "refund_by_hand_requested")) == 1
            assert len(_actions(session, view.code, "refund_issued")) == 0
            assert verify_money(session).ok
        assert desk.refund_paid_by_hand(view.code).owed_by_hand == "0.00"
    finally:
        desk.close()


def test_a_case_owed_by_hand_is_never_shown_to_the_customer_as_refunded(tmp_path: Path) -> None:
    """The chat, the case page and the owner's export tell the refund is still to be paid
    by the store; once it is paid, they say so."""
    desk = ReturnsDesk(
        f"sqlite:///{tmp_path / 'rb.db'}", make_store({"keep_it_under": "30.00"}), FrozenClock(NOW)
    )
    verified = Verified(order="1001", email="ana@example.com", customer_name="", delivered=True,
                        items=[])  # fmt: skip
    try:
        with desk.session() as session:
            orders = orders_from_data([_order(payment_gateway="manual")], "test", desk.store)
            import_orders(session, orders, "USD")
        view = desk.submit_return(
            ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
        )
        assert view.status == "resolved" and view.owed_by_hand == "24.00"
        said = chat_tools.case_status(desk, verified).lower()
        assert "pays it back to you directly" in said and "was issued" not in said
        assert (
            shopper_status(view, desk.store.policy)
            == "Approved: the store pays your refund back directly"
        )
        (row,) = list(csv.DictReader(io.StringIO(exports.cases_csv(desk))))
        assert (row["status"], row["waiting_for"], row["refunded"]) == (
            "resolved",
            "the owner",
            "24.00",
        )

        paid = desk.refund_paid_by_hand(view.code, "cash")
        assert "a refund of 24.00 usd was issued" in chat_tools.case_status(desk, verified).lower()
        assert shopper_status(paid, desk.store.policy) == "Refunded"
        (row,) = list(csv.DictReader(io.StringIO(exports.cases_csv(desk))))
        assert (row["waiting_for"], row["refunded"]) == ("", "24.00")
    finally:
        desk.close()


def test_a_case_refunded_through_the_payment_service_cannot_be_marked_paid_by_hand(
    desk: ReturnsDesk,
) -> None:
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
    )
    view = desk.supplier_action("acme", view.code, "approve", rma="RMA-1")
    desk.carrier_event(view.code, "delivered")
    view = desk.supplier_action("acme", view.code, "inspected_ok")
    assert view.status == "resolved" and view.owed_by_hand == "0.00"
    with pytest.raises(NothingOwedByHand, match="no refund owed by hand"):
        desk.refund_paid_by_hand(view.code, "cash")
    with pytest.raises(NothingOwedByHand):
        desk.refund_paid_by_hand("1001", "cash")
    with desk.session() as session:
        assert journal.balance(session, journal.REFUNDS_OWED_BY_HAND) == 0
        assert len(_actions(session, view.code, "refund_issued")) == 1


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
    assert (view.status, view.owed_by_hand) == ("resolved", "24.00"), view
    early = runner.invoke(app, ["cases", "refund-paid", "1002"])
    assert early.exit_code == 1
    result = runner.invoke(app, ["cases", "refund-paid", "1001", "--reference", "cash"])
    assert result.exit_code == 0, result.output
    assert f"Return {view.code}: refund of 24.00 paid by hand; resolved." in result.output
    again = runner.invoke(app, ["cases", "refund-paid", view.code])
    assert again.exit_code == 1 and "already marked paid" in again.output


def test_the_case_steps_know_only_the_statuses_of_the_design() -> None:
    design = {"open", "awaiting_photo", "pending_review", "awaiting_supplier",
              "awaiting_shipment", "in_transit", "awaiting_inspection", "resolved", "denied",
              "cancelled"}  # fmt: skip
    assert set(case_steps.ACCEPTS) | case_steps.FINAL <= design
    assert set(chat_tools.STATUS_WORDS) == set(chat_tools.STATUS_NEXT) == design
