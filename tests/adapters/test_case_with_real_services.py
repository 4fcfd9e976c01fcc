"""A whole return case through ReturnsDesk with EasyPostCarrier and ShopifyPayments, each
against its local service double: labels bought once, refunds posted once, a service that
fails leaves the case where it was, and EasyPost's tracking webhook moves the case."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from adapters.easypost_carrier import EasyPostCarrier
from adapters.shopify_orders import read_orders_csv, store_orders
from adapters.shopify_payments import ShopifyPayments
from bot.settings import get_settings
from bot.web import carrier
from bot.web.app import create_app
from bot.web.carrier import easypost_signature
from bot.web.deps import webhook_settings
from bot.worker import run_once
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import decisions
from ledger.models import DecisionRow, EffectRow, LabelRow
from tests.adapters.fake_easypost import API_KEY, FakeEasyPost, tracker_event
from tests.adapters.fake_shopify import TOKEN, VERSION, FakeShopify
from tests.adapters.shopify_export import export_csv, order_rows
from tests.conftest import NOW, make_store
from tools.accept_photo import sample_jpeg
from tools.generate_label import generate_label
from tools.issue_refund import issue_refund
from tools.open_case import ReturnRequest
from tools.service_errors import CarrierUnavailable, PaymentsUnavailable

SHOPIFY_ORDER_ID = 5123456789
BUY = r"/v2/shipments/shp_\w+/buy"
REFUND_CREATE = "RefundCreate"
SECRET = "whsec-ünïcode-test"


@contextlib.contextmanager
def real_services(
    database_url: str, policy: dict[str, str]
) -> Iterator[tuple[ReturnsDesk, FakeEasyPost, FakeShopify]]:
    store = make_store(policy)
    with FakeEasyPost() as easypost, FakeShopify() as shopify:
        shopify.add_order(
            "#1001",
            order_id=SHOPIFY_ORDER_ID,
            email="ana@example.com",
            created_at="2026-03-01T10:00:00-05:00",
            line_items=[
                {"name": "Ceramic mug", "sku": "MUG-1", "price": "24.00", "quantity": 1,
                 "vendor": "Acme Home Goods"},
                {"name": "Desk lamp", "sku": "LAMP-1", "price": "60.00", "quantity": 2,
                 "vendor": "Credit Co"},
            ],
            payments=[("authorization", "144.00", "shopify_payments"),
                      ("capture", "144.00", "shopify_payments")],
        )  # fmt: skip
        desk = ReturnsDesk(
            database_url,
            store,
            FrozenClock(NOW),
            carrier=EasyPostCarrier(API_KEY, base_url=easypost.api_url),
            payments=ShopifyPayments(
                "demo-store", TOKEN, api_version=VERSION, base_url=shopify.url
            ),
        )
        export = export_csv(
            order_rows(
                "#1001",
                email="ana@example.com",
                created="2026-03-01 10:00:00 -0500",
                fulfilled="2026-03-02 09:15:00 -0500",
                order_id=str(SHOPIFY_ORDER_ID),
                address={"name": "Ana Silva", "address1": "412 Maple Ave", "city": "Boston",
                         "zip": "'02134", "province": "MA", "country": "US"},
                items=[
                    {"name": "Ceramic mug", "price": "24.00", "sku": "MUG-1",
                     "vendor": "Acme Home Goods"},
                    {"name": "Desk lamp", "price": "60.00", "quantity": "2", "sku": "LAMP-1",
                     "vendor": "Credit Co"},
                ],
            )
        )  # fmt: skip
        with desk.session() as session:
            store_orders(session, read_orders_csv(export, store, transit_days=3).orders, "USD")
        try:
            yield desk, easypost, shopify
        finally:
            desk.close()


@pytest.fixture
def services(database_url: str) -> Iterator[tuple[ReturnsDesk, FakeEasyPost, FakeShopify]]:
    with real_services(database_url, {"return_label_cost": "7.50"}) as running:
        yield running


def _open(desk: ReturnsDesk) -> str:
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged"),
        photo=sample_jpeg("crack"),
    )
    assert view.status == "awaiting_supplier"
    return view.code


def _app(desk: ReturnsDesk, secret: str | None = SECRET) -> TestClient:
    app = FastAPI()
    app.state.desk, app.state.webhooks = desk, webhook_settings(easypost_secret=secret or "")
    app.include_router(carrier.router)
    return TestClient(app)


def _post(client: TestClient, event: dict[str, object], secret: str = SECRET) -> dict[str, object]:
    body = json.dumps(event).encode()
    response = client.post(
        "/webhooks/easypost",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hmac-Signature": easypost_signature(secret, body),
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _count(desk: ReturnsDesk, model: type, **where: str) -> int:
    with desk.session() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(session.execute(query).scalar_one())


def test_a_whole_return_with_easypost_and_shopify(
    services: tuple[ReturnsDesk, FakeEasyPost, FakeShopify],
) -> None:
    desk, easypost, shopify = services
    code = _open(desk)
    view = desk.supplier_action("acme", code, "approve", rma="RMA-77")
    assert view.status == "awaiting_shipment"
    assert len(easypost.bought) == 1
    shipment = easypost.bought[0]
    assert view.tracking_number == shipment["tracking_code"]
    assert shipment["reference"] == f"{code}:label"
    assert shipment["from_address"]["city"] == "Boston"
    assert shipment["from_address"]["zip"] == "02134"
    assert shipment["to_address"]["street1"] == "10 Main St"
    pdf = desk.label_pdf(code)
    assert pdf is not None and pdf.startswith(b"%PDF")
    label_path = shipment["postage_label"]["label_pdf_url"].removeprefix(easypost.url)
    assert pdf == easypost.files[label_path]

    client = _app(desk)
    _post(client, tracker_event(view.tracking_number or "", "in_transit"))
    assert desk.case_view(code).status == "in_transit"
    _post(client, tracker_event(view.tracking_number or "", "delivered"))
    assert desk.case_view(code).status == "awaiting_inspection"

    view = desk.supplier_action("acme", code, "inspected_ok")
    assert view.status == "resolved"
    assert view.refunded == "24.00"
    posted = shopify.operations(REFUND_CREATE)
    assert len(posted) == 1
    given = posted[0].json()["variables"]["input"]
    assert given["orderId"] == f"gid://shopify/Order/{SHOPIFY_ORDER_ID}"
    capture = next(t for t in shopify.transactions[SHOPIFY_ORDER_ID] if t["kind"] == "CAPTURE")
    assert given["transactions"] == [
        {
            "orderId": f"gid://shopify/Order/{SHOPIFY_ORDER_ID}",
            "parentId": capture["id"],
            "amount": "24.00",
            "kind": "REFUND",
            "gateway": "shopify_payments",
        }
    ]
    assert shopify.refunded(SHOPIFY_ORDER_ID) == Decimal("24.00")
    with desk.session() as session:
        rows = decisions.case_history(session, code)
        refund = next(json.loads(r.data) for r in rows if r.action == "refund_issued")
        label = next(json.loads(r.data) for r in rows if r.action == "label_generated")
    assert refund["reference"] == f"shopify-refund-{shopify.refunds[SHOPIFY_ORDER_ID][0]['id']}"
    assert label["carrier"] == "USPS GroundAdvantage"


def test_effects_run_once_when_steps_run_again(
    services: tuple[ReturnsDesk, FakeEasyPost, FakeShopify],
) -> None:
    desk, easypost, shopify = services
    code = _open(desk)
    desk.supplier_action("acme", code, "approve", rma="RMA-78")
    with desk.session() as session:  # the label tool asked again for the same case
        again = generate_label(desk.context(session), desk._load(session, code))
    assert again.issued_now is False
    desk.carrier_event(code, "delivered")
    desk.supplier_action("acme", code, "inspected_ok")
    with desk.session() as session:  # the refund tool asked again for the same step
        repeat = issue_refund(
            desk.context(session), desk._load(session, code), 2400,
            step="settle", actor="system", reason="again",
        )  # fmt: skip
    assert repeat.issued_now is False

    before = (_count(desk, DecisionRow, case_code=code), _count(desk, EffectRow, case_code=code))
    config = {"configurable": {"thread_id": code}}
    history = [snap for snap in desk.graph.get_state_history(config) if snap.next]
    for snapshot in history:  # what a crash between a commit and a checkpoint replays
        if not any(task.interrupts for task in snapshot.tasks):
            desk.graph.invoke(None, snapshot.config)
    after = (_count(desk, DecisionRow, case_code=code), _count(desk, EffectRow, case_code=code))
    assert after == before
    assert len(easypost.calls("POST", BUY)) == 1
    assert len(shopify.operations(REFUND_CREATE)) == 1
    assert shopify.refunded(SHOPIFY_ORDER_ID) == Decimal("24.00")
    assert desk.case_view(code).status == "resolved"


def test_a_carrier_outage_leaves_the_case_and_a_retry_buys_one_label(
    services: tuple[ReturnsDesk, FakeEasyPost, FakeShopify],
) -> None:
    desk, easypost, _ = services
    code = _open(desk)
    easypost.fail("POST", BUY, 503, {"error": {"code": "SERVICE_UNAVAILABLE", "message": "down"}})
    with pytest.raises(CarrierUnavailable) as caught:
        desk.supplier_action("acme", code, "approve", rma="RMA-79")
    assert "EasyPost is not available" in caught.value.message
    view = desk.case_view(code)
    assert view.status == "awaiting_supplier" and not view.label and view.rma is None
    assert _count(desk, LabelRow, case_code=code) == 0
    assert _count(desk, DecisionRow, case_code=code, action="supplier_decision") == 0

    view = desk.supplier_action("acme", code, "approve", rma="RMA-79")  # the supplier retries
    assert view.status == "awaiting_shipment" and view.rma == "RMA-79"
    assert len(easypost.calls("POST", BUY)) == 2  # one refused, one sold
    assert len(easypost.bought) == 1
    assert _count(desk, DecisionRow, case_code=code, action="label_generated") == 1


def test_a_payments_outage_leaves_the_case_and_the_worker_refunds_once(
    services: tuple[ReturnsDesk, FakeEasyPost, FakeShopify],
) -> None:
    desk, _, shopify = services
    code = _open(desk)
    desk.supplier_action("acme", code, "approve", rma="RMA-80")
    desk.carrier_event(code, "delivered")
    shopify.fail_operation(
        REFUND_CREATE, 502, b"<html><body>502 Bad Gateway</body></html>", times=2
    )
    with pytest.raises(PaymentsUnavailable):
        desk.supplier_action("acme", code, "inspected_ok")
    view = desk.case_view(code)
    assert view.status == "awaiting_inspection" and view.refunded == "0.00"
    assert shopify.refunded(SHOPIFY_ORDER_ID) == 0

    assert run_once(desk)["orphans"] == 0  # still down: the case waits, the round goes on
    assert desk.case_view(code).status == "awaiting_inspection"
    assert run_once(desk)["orphans"] == 1  # back up: the worker finishes the settlement
    view = desk.case_view(code)
    assert view.status == "resolved" and view.refunded == "24.00"
    assert len(shopify.operations(REFUND_CREATE)) == 3
    assert shopify.refunded(SHOPIFY_ORDER_ID) == Decimal("24.00")
    assert _count(desk, DecisionRow, case_code=code, action="refund_issued") == 1


def test_the_webhook_checks_signatures_and_handles_each_event_once(
    services: tuple[ReturnsDesk, FakeEasyPost, FakeShopify],
) -> None:
    desk, _, _ = services
    code = _open(desk)
    tracking = desk.supplier_action("acme", code, "approve", rma="RMA-81").tracking_number or ""
    client = _app(desk)

    event = tracker_event(tracking, "in_transit", event_id="evt_one")
    body = json.dumps(event).encode()
    for headers in ({}, {"X-Hmac-Signature": easypost_signature("another-secret", body)}):
        refused = client.post("/webhooks/easypost", content=body, headers=headers)
        assert refused.status_code == 401
    assert desk.case_view(code).status == "awaiting_shipment"

    assert _post(client, event)["outcome"] == f"{code} is now in transit"
    assert _post(client, event)["outcome"] == "already handled"  # EasyPost redelivers
    later_scan = tracker_event(tracking, "out_for_delivery")
    assert "nothing to change" in str(_post(client, later_scan)["outcome"])
    assert _count(desk, DecisionRow, case_code=code, action="shipment_event") == 1

    unknown = _post(client, tracker_event("9400111111111111111111", "delivered"))
    assert unknown["outcome"] == "no return has this tracking number"
    assert "changes nothing" in str(
        _post(client, tracker_event(tracking, "pre_transit"))["outcome"]
    )

    _post(client, tracker_event(tracking, "failure"))
    assert desk.case_view(code).status == "in_transit"  # the owner is told; the case waits
    with desk.session() as session:
        actions = [row.action for row in decisions.case_history(session, code)]
    assert actions.count("shipment_event") == 2

    _post(client, tracker_event(tracking, "delivered"))
    assert desk.case_view(code).status == "awaiting_inspection"

    not_json = client.post(
        "/webhooks/easypost",
        content=b"{oops",
        headers={"X-Hmac-Signature": easypost_signature(SECRET, b"{oops")},
    )
    assert not_json.status_code == 400


def test_the_app_serves_the_webhook_with_the_configured_secret(
    services: tuple[ReturnsDesk, FakeEasyPost, FakeShopify], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, _, _ = services
    code = _open(desk)
    tracking = desk.supplier_action("acme", code, "approve", rma="RMA-82").tracking_number or ""
    monkeypatch.setenv("RETURNBRIDGE_EASYPOST_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    try:
        client = TestClient(create_app(desk, "app-secret"))
        body = json.dumps(tracker_event(tracking, "delivered")).encode()
        assert client.post("/webhooks/easypost", content=body).status_code == 401
        signed = client.post(
            "/webhooks/easypost",
            content=body,
            headers={"X-Hmac-Signature": easypost_signature(SECRET, body)},
        )
        assert signed.status_code == 200
    finally:
        get_settings.cache_clear()
    assert desk.case_view(code).status == "awaiting_inspection"


def test_an_event_that_meets_a_service_outage_is_left_for_its_redelivery(
    services: tuple[ReturnsDesk, FakeEasyPost, FakeShopify], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, _, _ = services
    code = _open(desk)
    tracking = desk.supplier_action("acme", code, "approve", rma="RMA-83").tracking_number or ""
    real = desk.carrier_event_by_tracking
    calls: list[str] = []

    def down_once(number: str, event: str) -> object:
        calls.append(event)
        if len(calls) == 1:
            raise PaymentsUnavailable("Shopify", "Shopify is not available right now.")
        return real(number, event)  # type: ignore[arg-type]

    monkeypatch.setattr(desk, "carrier_event_by_tracking", down_once)
    client = _app(desk)
    event = tracker_event(tracking, "delivered", event_id="evt_outage")
    body = json.dumps(event).encode()
    headers = {"X-Hmac-Signature": easypost_signature(SECRET, body)}
    first = client.post("/webhooks/easypost", content=body, headers=headers)
    assert first.status_code == 503
    assert desk.case_view(code).status == "awaiting_shipment"
    again = client.post("/webhooks/easypost", content=body, headers=headers)
    assert again.status_code == 200 and again.json()["outcome"].endswith("awaiting inspection")
    assert desk.case_view(code).status == "awaiting_inspection"


def test_a_refund_due_at_once_waits_for_shopify_and_the_worker_pays_it(database_url: str) -> None:
    with real_services(database_url, {"keep_it_under": "30.00"}) as (desk, easypost, shopify):
        shopify.fail_operation(REFUND_CREATE, 503, {"errors": "Service Unavailable"})
        view = desk.submit_return(
            ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
        )
        assert view.status == "open" and view.refunded == "0.00"  # opened; the refund waits
        assert shopify.refunded(SHOPIFY_ORDER_ID) == 0
        assert run_once(desk)["orphans"] == 1
        view = desk.case_view(view.code)
        assert view.status == "resolved" and view.refunded == "24.00"
        assert view.return_required is False and easypost.bought == []
        assert shopify.refunded(SHOPIFY_ORDER_ID) == Decimal("24.00")
