"""``POST /webhooks/shopify``: order webhooks in Shopify's REST JSON, signed as Shopify signs
them (base64 HMAC-SHA256 of the raw body with the app's client secret), keep orders current."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from adapters.shopify_payments import ShopifyPayments
from bot.web import shopify
from bot.web.deps import webhook_settings
from bot.web.shopify import shopify_signature
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import journal
from ledger.audit import verify_money
from ledger.owner_models import REFUND_BY_HAND
from ledger.repository import find_order, units_in_cases
from ledger.shopify_models import ShopifyWebhookRow
from tests.adapters.fake_shopify import TOKEN, VERSION, FakeShopify
from tests.conftest import NOW, make_store
from tools import owner_inbox
from tools.accept_photo import sample_jpeg
from tools.errors import NotReturnable
from tools.open_case import ReturnRequest

SECRET = "shpss_5f1c0ffee0ddba11"
SHOP = "demo-store.myshopify.com"
ORDER_ID = 5123456789012
MUG_LINE, LAMP_LINE = 13370001, 13370002


def _money(amount: str, presentment: str | None = None) -> dict[str, Any]:
    return {
        "shop_money": {"amount": amount, "currency_code": "USD"},
        "presentment_money": {"amount": presentment or amount, "currency_code": "USD"},
    }


def order_payload(**changes: Any) -> dict[str, Any]:
    """An ``orders/create`` payload in the shape Shopify's webhook documentation shows."""
    address = {
        "first_name": "Ana", "last_name": "Silva", "name": "Ana Silva",
        "address1": "412 Maple Ave", "address2": "Apt 2B", "city": "Boston",
        "province": "Massachusetts", "province_code": "MA", "zip": "02134",
        "country": "United States", "country_code": "US", "phone": "+1 617 555 0199",
        "company": None, "latitude": None, "longitude": None,
    }  # fmt: skip
    payload: dict[str, Any] = {
        "id": ORDER_ID,
        "admin_graphql_api_id": f"gid://shopify/Order/{ORDER_ID}",
        "name": "#1001",
        "order_number": 1001,
        "number": 1,
        "email": "ana@example.com",
        "contact_email": "ana@example.com",
        "phone": None,
        "created_at": "2026-03-01T10:00:00-05:00",
        "processed_at": "2026-03-01T10:00:00-05:00",
        "updated_at": "2026-03-01T10:00:05-05:00",
        "cancelled_at": None,
        "cancel_reason": None,
        "closed_at": None,
        "confirmed": True,
        "test": False,
        "currency": "USD",
        "presentment_currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": None,
        "source_name": "web",
        "payment_gateway_names": ["shopify_payments"],
        "subtotal_price": "132.00",
        "total_line_items_price": "144.00",
        "total_discounts": "12.00",
        "total_price": "132.00",
        "total_price_set": _money("132.00"),
        "discount_codes": [{"code": "SPRING12", "amount": "12.00", "type": "fixed_amount"}],
        "discount_applications": [
            {"target_type": "line_item", "type": "discount_code", "value": "12.0",
             "value_type": "fixed_amount", "allocation_method": "across",
             "target_selection": "all", "code": "SPRING12"}
        ],
        "customer": {"id": 207119551, "email": "ana@example.com", "first_name": "Ana",
                     "last_name": "Silva", "phone": None},
        "billing_address": address,
        "shipping_address": address,
        "line_items": [
            {"id": MUG_LINE, "admin_graphql_api_id": f"gid://shopify/LineItem/{MUG_LINE}",
             "name": "Ceramic mug", "title": "Ceramic mug", "variant_title": None,
             "sku": "MUG-1", "vendor": "Acme Home Goods", "quantity": 1,
             "current_quantity": 1, "fulfillable_quantity": 1, "fulfillment_status": None,
             "fulfillment_service": "manual", "gift_card": False, "grams": 400,
             "price": "24.00", "price_set": _money("24.00"), "product_id": 632910392,
             "variant_id": 808950810, "requires_shipping": True, "taxable": True,
             "total_discount": "0.00", "total_discount_set": _money("0.00"),
             "discount_allocations": [
                 {"amount": "2.00", "amount_set": _money("2.00"),
                  "discount_application_index": 0}],
             "tax_lines": [], "duties": [], "properties": []},
            {"id": LAMP_LINE, "admin_graphql_api_id": f"gid://shopify/LineItem/{LAMP_LINE}",
             "name": "Desk lamp", "title": "Desk lamp", "variant_title": None,
             "sku": "LAMP-1", "vendor": "Credit Co", "quantity": 2,
             "current_quantity": 2, "fulfillable_quantity": 2, "fulfillment_status": None,
             "fulfillment_service": "manual", "gift_card": False, "grams": 1200,
             "price": "60.00", "price_set": _money("60.00"), "product_id": 632910393,
             "variant_id": 808950811, "requires_shipping": True, "taxable": True,
             "total_discount": "0.00", "total_discount_set": _money("0.00"),
             "discount_allocations": [
                 {"amount": "10.00", "amount_set": _money("10.00"),
                  "discount_application_index": 0}],
             "tax_lines": [], "duties": [], "properties": []},
        ],
        "fulfillments": [],
        "refunds": [],
        "shipping_lines": [],
    }  # fmt: skip
    payload.update(changes)
    return payload


def fulfillment_payload(**changes: Any) -> dict[str, Any]:
    """A ``fulfillments/create`` payload (Shopify's REST fulfilment)."""
    payload: dict[str, Any] = {
        "id": 255858046,
        "admin_graphql_api_id": "gid://shopify/Fulfillment/255858046",
        "order_id": ORDER_ID,
        "name": "#1001.1",
        "status": "success",
        "service": "manual",
        "shipment_status": None,
        "created_at": "2026-03-02T09:15:00-05:00",
        "updated_at": "2026-03-02T09:15:00-05:00",
        "tracking_company": "USPS",
        "tracking_number": "9400111899223197428490",
        "tracking_numbers": ["9400111899223197428490"],
        "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490",
        "line_items": [{"id": MUG_LINE, "sku": "MUG-1", "quantity": 1, "name": "Ceramic mug"}],
    }
    payload.update(changes)
    return payload


class Webhooks:
    def __init__(self, desk: ReturnsDesk, secret: str | None = SECRET) -> None:
        app = FastAPI()
        app.state.desk = desk
        app.state.webhooks = webhook_settings(shopify_secret=secret or "")
        app.include_router(shopify.router)
        self.client = TestClient(app)
        self.sent = 0

    def post(
        self,
        topic: str,
        payload: dict[str, Any],
        *,
        webhook_id: str | None = None,
        triggered_at: dt.datetime = NOW - dt.timedelta(seconds=3),
        secret: str = SECRET,
        body: bytes | None = None,
    ) -> Any:
        self.sent += 1
        raw = body if body is not None else json.dumps(payload).encode()
        return self.client.post(
            "/webhooks/shopify",
            content=raw,
            headers={
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": shopify_signature(secret, raw),
                "X-Shopify-Shop-Domain": SHOP,
                "X-Shopify-API-Version": VERSION,
                "X-Shopify-Webhook-Id": webhook_id
                or f"b54557e4-bdd9-4b37-8a5f-bf7d70bc{self.sent:04d}",
                "X-Shopify-Triggered-At": triggered_at.strftime("%Y-%m-%dT%H:%M:%S.877041743Z"),
                "X-Shopify-Event-Id": f"98880550-7158-44d4-b7cd-2c97c8a0{self.sent:04d}",
            },
        )


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    returns_desk = ReturnsDesk(
        f"sqlite:///{tmp_path / 'rb.db'}",
        make_store({"return_label_cost": "7.50"}),
        FrozenClock(NOW),
    )
    yield returns_desk
    returns_desk.close()


def _items(desk: ReturnsDesk) -> dict[str, tuple[int, str, int, str | None]]:
    with desk.session() as session:
        order = find_order(session, "1001")
        assert order is not None
        return {
            i.sku: (i.quantity, i.external_id or "", i.paid_total_minor, i.supplier_id)
            for i in order.items
        }


def test_without_a_secret_every_webhook_is_refused(desk: ReturnsDesk) -> None:
    hooks = Webhooks(desk, secret=None)
    answer = hooks.post("orders/create", order_payload())
    assert answer.status_code == 403 and "SHOPIFY_API_SECRET" in answer.json()["detail"]
    with desk.session() as session:
        assert find_order(session, "1001") is None


def test_a_wrong_signature_or_a_changed_body_is_refused(desk: ReturnsDesk) -> None:
    hooks = Webhooks(desk)
    assert hooks.post("orders/create", order_payload(), secret="shpss_other").status_code == 401
    signed = json.dumps(order_payload()).encode()
    tampered = signed.replace(b'"quantity": 2', b'"quantity": 9')
    answer = hooks.client.post(
        "/webhooks/shopify",
        content=tampered,
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": shopify_signature(SECRET, signed),
            "X-Shopify-Webhook-Id": "tampered-1",
            "X-Shopify-Triggered-At": NOW.isoformat(),
        },
    )
    assert answer.status_code == 401
    with desk.session() as session:
        assert find_order(session, "1001") is None


def test_the_signature_is_shopifys_base64_hmac_of_the_raw_body() -> None:
    # Worked out with openssl:
    # printf %s '{"id":1}' | openssl dgst -sha256 -hmac hush -binary | base64
    assert shopify_signature("hush", b'{"id":1}') == "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="


def test_orders_create_adds_the_order_with_its_line_ids_and_discounts(desk: ReturnsDesk) -> None:
    answer = Webhooks(desk).post("orders/create", order_payload())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ok": True, "handled": True, "outcome": "order #1001 added"}
    assert _items(desk) == {
        "MUG-1": (1, str(MUG_LINE), 2200, "acme"),
        "LAMP-1": (2, str(LAMP_LINE), 11000, "credit-co"),
    }
    with desk.session() as session:
        order = find_order(session, "1001")
        assert order is not None
        assert order.external_id == str(ORDER_ID)
        assert order.payment_gateway == "shopify_payments"
        assert order.delivered_at is None  # not shipped yet


def test_a_delivery_is_handled_once_and_replays_are_refused(database_url: str) -> None:
    desk = ReturnsDesk(database_url, make_store(), FrozenClock(NOW))  # SQLite and PostgreSQL
    try:
        _handled_once(desk)
    finally:
        desk.close()


def _handled_once(desk: ReturnsDesk) -> None:
    hooks = Webhooks(desk)
    first = hooks.post("orders/create", order_payload(), webhook_id="wh-1")
    again = hooks.post("orders/create", order_payload(), webhook_id="wh-1")
    assert first.json()["handled"] is True
    assert again.status_code == 200 and again.json() == {
        "ok": True,
        "handled": False,
        "outcome": "already handled",
    }
    stale = hooks.post("orders/updated", order_payload(), triggered_at=NOW - dt.timedelta(hours=7))
    future = hooks.post("orders/updated", order_payload(), triggered_at=NOW + dt.timedelta(hours=1))
    assert stale.status_code == 400 and future.status_code == 400
    with desk.session() as session:
        rows = session.execute(select(func.count()).select_from(ShopifyWebhookRow)).scalar_one()
    assert rows == 1


def test_an_edit_to_fewer_units_lowers_what_is_left_and_keeps_returned_units(
    desk: ReturnsDesk,
) -> None:
    hooks = Webhooks(desk)
    payload = order_payload(fulfillments=[fulfillment_payload(shipment_status="delivered")])
    for line in payload["line_items"]:
        line["fulfillment_status"] = "fulfilled"
    hooks.post("orders/create", payload)
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="LAMP-1", reason="damaged"),
        photo=sample_jpeg("crack"),
    )
    assert view.status not in ("denied", "cancelled")
    # The store edits the order: one lamp off (Shopify's current quantity 1 of 2), and the
    # mug off entirely. The lamp's one unit in a case stays; nothing is left to return.
    edited = copy.deepcopy(payload)
    edited["line_items"][1]["current_quantity"] = 1
    edited["line_items"][0]["current_quantity"] = 0
    answer = hooks.post("orders/updated", edited)
    assert answer.status_code == 200, answer.text
    assert "updated in place" in answer.json()["outcome"]
    items = _items(desk)
    assert items["LAMP-1"][0] == 1 and items["LAMP-1"][2] == 5500  # 110.00 for 2 -> 55.00
    assert items["MUG-1"][0] == 0
    with desk.session() as session:
        order = find_order(session, "1001")
        assert order is not None
        lamp = next(i for i in order.items if i.sku == "LAMP-1")
        assert units_in_cases(session, lamp.id) == 1
    with pytest.raises(NotReturnable) as caught:
        desk.submit_return(
            ReturnRequest(order="1001", email="ana@example.com", sku="LAMP-1", reason="damaged"),
            photo=sample_jpeg("crack"),
        )
    assert "already in a return" in caught.value.message


def test_fulfillments_create_dates_the_delivery_and_ships_its_lines(desk: ReturnsDesk) -> None:
    hooks = Webhooks(desk)
    hooks.post("orders/create", order_payload(fulfillments=[{"id": 1, "status": "open"}]))
    with desk.session() as session:
        order = find_order(session, "1001")
        assert order is not None and order.delivered_at is None
        assert not any(i.delivered for i in order.items)
    answer = hooks.post("fulfillments/create", fulfillment_payload())
    assert answer.status_code == 200 and "fulfilled (1 line(s))" in answer.json()["outcome"]
    with desk.session() as session:
        order = find_order(session, "1001")
        assert order is not None
        assert order.delivered_at == dt.datetime(2026, 3, 2, 14, 15, tzinfo=dt.UTC)
        assert {i.sku: i.delivered for i in order.items} == {"MUG-1": True, "LAMP-1": False}


def test_an_unknown_topic_is_acknowledged_and_changes_nothing(desk: ReturnsDesk) -> None:
    answer = Webhooks(desk).post("products/update", {"id": 1})
    assert answer.status_code == 200 and answer.json()["handled"] is False


def test_a_webhook_imported_order_is_refunded_with_its_line_item(tmp_path: Path) -> None:
    """The line item id a webhook brought is the one refundCreate names."""
    with FakeShopify() as shopify:
        oid = shopify.add_order(
            "#1001", order_id=ORDER_ID, email="ana@example.com",
            created_at="2026-03-01T10:00:00-05:00",
            line_items=[{"name": "Ceramic mug", "sku": "MUG-1", "price": "24.00",
                         "quantity": 1, "vendor": "Acme Home Goods"}],
        )  # fmt: skip
        line = shopify.line_id(oid, "MUG-1")
        desk = ReturnsDesk(
            f"sqlite:///{tmp_path / 'rb.db'}",
            make_store({"keep_it_under": "30.00", "restock_returns": True}),
            FrozenClock(NOW),
            payments=ShopifyPayments(
                "demo-store", TOKEN, api_version=VERSION, base_url=shopify.url
            ),
        )
        try:
            payload = order_payload(
                fulfillments=[fulfillment_payload(shipment_status="delivered")],
                total_discounts="0.00",
            )
            mug = {**payload["line_items"][0], "id": line, "discount_allocations": []}
            mug["fulfillment_status"] = "fulfilled"
            payload["line_items"] = [mug]
            assert Webhooks(desk).post("orders/create", payload).status_code == 200
            view = desk.submit_return(
                ReturnRequest(
                    order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size"
                )
            )
            assert view.status == "resolved" and view.refunded == "24.00"
        finally:
            desk.close()
        (posted,) = shopify.operations("RefundCreate")
    given = posted.json()["variables"]["input"]
    # Kept without a return: the unit is refunded, not restocked.
    assert given["refundLineItems"] == [
        {"lineItemId": f"gid://shopify/LineItem/{line}", "quantity": 1, "restockType": "NO_RESTOCK"}
    ]


def test_a_cash_on_delivery_order_from_a_webhook_is_refunded_by_hand(desk: ReturnsDesk) -> None:
    payload = order_payload(
        email=None,
        contact_email=None,
        phone="+1 617 555 0199",
        payment_gateway_names=["Cash on Delivery (COD)"],
        financial_status="paid",
        fulfillments=[fulfillment_payload(shipment_status="delivered")],
    )
    payload["customer"]["email"] = None
    for line in payload["line_items"]:
        line["fulfillment_status"] = "fulfilled"
    assert Webhooks(desk).post("orders/create", payload).status_code == 200
    view = desk.submit_return(
        ReturnRequest(order="1001", email="617 555 0199", sku="MUG-1", reason="wrong_size"),
    )
    with desk.session() as session:
        order = find_order(session, "1001")
        assert order is not None and order.email == ""
        assert order.payment_gateway == "Cash on Delivery (COD)"
    assert view.status == "awaiting_supplier"  # the supplier is asked first (no keep-it rule)
    view = desk.supplier_action("acme", view.code, "approve", rma="RMA-1")
    desk.carrier_event(view.code, "delivered")
    view = desk.supplier_action("acme", view.code, "inspected_ok")
    assert (view.status, view.resolution) == ("resolved", "refund")
    assert view.refunded == "14.50" and view.owed_by_hand == "14.50"
    told = " ".join(desk.customer_messages(view.code))
    assert "pay it back to you directly" in told and "has been issued" not in told
    with desk.session() as session:
        (item,) = owner_inbox.open_items(session, case_code=view.code, kind=REFUND_BY_HAND)
        assert "14.50" in item.summary
        owed = journal.balance(session, journal.REFUNDS_OWED_BY_HAND, case_code=view.code)
        assert owed == -1450
    paid = desk.refund_paid_by_hand(view.code, "cash")
    assert (paid.status, paid.refunded, paid.owed_by_hand) == ("resolved", "14.50", "0.00")
    assert "has been paid back to you" in " ".join(desk.customer_messages(view.code))
    with desk.session() as session:
        assert owner_inbox.open_items(session, case_code=view.code, kind=REFUND_BY_HAND) == []
        assert journal.balance(session, journal.REFUNDS_OWED_BY_HAND, case_code=view.code) == 0
        assert journal.balance(session, journal.CUSTOMER_PAYMENTS, case_code=view.code) == -1450
        assert verify_money(session).ok


def test_an_order_cancelled_in_shopify_has_nothing_more_to_refund(desk: ReturnsDesk) -> None:
    hooks = Webhooks(desk)
    hooks.post("orders/create", order_payload())
    answer = hooks.post(
        "orders/updated",
        order_payload(cancelled_at="2026-03-09T08:00:00-05:00", financial_status="refunded"),
    )
    assert answer.status_code == 200
    assert answer.json()["outcome"] == (
        "order #1001 cancelled in Shopify: nothing more can be refunded on it"
    )
    with desk.session() as session:
        order = find_order(session, "1001")
        assert order is not None
        assert order.refunded_before_minor == 2200 + 11000
