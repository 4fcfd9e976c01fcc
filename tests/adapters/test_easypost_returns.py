"""Return cases through the desk with EasyPostCarrier against its double: what the label
request carries (phones, customs across a border), the tracker's ``return_to_sender`` told
truthfully to the customer and the owner, events of the other mode ignored, and a carrier
that keeps refusing alerting the owner once."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from adapters.easypost_carrier import EasyPostCarrier
from bot.settings import get_settings
from bot.web import carrier
from bot.web.app import create_app
from bot.web.carrier import easypost_signature
from bot.web.deps import webhook_settings
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.owner_models import PENDING_REVIEW, SERVICE_FAILING, InboxItemRow
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tests.adapters.fake_easypost import API_KEY, FakeEasyPost, tracker_event
from tests.conftest import NOW, ORDERS, SUPPLIERS
from tools.accept_photo import sample_jpeg
from tools.open_case import ReturnRequest
from tools.service_errors import CarrierRejected

SHIPMENTS = r"/v2/shipments"
SECRET = "whsec-returns-test"
CUSTOMER_PHONE = "+1 617 555 0101"
SUPPLIER_PHONE = "+1 559 555 0199"


@contextlib.contextmanager
def easypost_desk(
    folder: Path, supplier: dict[str, Any] | None = None
) -> Iterator[tuple[ReturnsDesk, FakeEasyPost]]:
    acme = {**SUPPLIERS[0], "phone": SUPPLIER_PHONE, **(supplier or {})}
    # Parcels abroad come back too (by default the desk lets the customer keep them).
    policy = {"return_label_cost": "7.50", "keep_it_international": False}
    store = store_from_data(policy, [acme, SUPPLIERS[1]], "test")
    order = {
        **ORDERS[0],
        "phone": CUSTOMER_PHONE,
        "shipping_address": "Ana Silva, 412 Maple Ave, Boston, MA 02134, US",
    }
    with FakeEasyPost() as easypost:
        desk = ReturnsDesk(
            f"sqlite:///{folder / 'returns.db'}",
            store,
            FrozenClock(NOW),
            carrier=EasyPostCarrier(API_KEY, base_url=easypost.api_url),
        )
        with desk.session() as session:
            import_orders(session, orders_from_data([order], "test", store), "USD")
        try:
            yield desk, easypost
        finally:
            desk.close()


def _open(desk: ReturnsDesk) -> str:
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged"),
        photo=sample_jpeg("crack"),
    )
    assert view.status == "awaiting_supplier"
    return view.code


def _client(desk: ReturnsDesk, mode: str | None = None) -> TestClient:
    app = FastAPI()
    changes = {} if mode is None else {"easypost_mode": mode}
    app.state.desk = desk
    app.state.webhooks = webhook_settings(easypost_secret=SECRET, **changes)
    app.include_router(carrier.router)
    return TestClient(app)


def _post(client: TestClient, event: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(event).encode()
    response = client.post(
        "/webhooks/easypost",
        content=body,
        headers={"X-Hmac-Signature": easypost_signature(SECRET, body)},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _inbox(desk: ReturnsDesk, kind: str) -> list[InboxItemRow]:
    with desk.session() as session:
        rows = session.execute(select(InboxItemRow).where(InboxItemRow.kind == kind)).scalars()
        return list(rows)


def test_the_label_is_a_return_with_the_orders_and_the_suppliers_phone(tmp_path: Path) -> None:
    with easypost_desk(tmp_path) as (desk, easypost):
        desk.supplier_action("acme", _open(desk), "approve", rma="RMA-1")

        shipment = easypost.calls("POST", SHIPMENTS)[0].json()["shipment"]
        assert shipment["is_return"] is True
        assert shipment["to_address"]["phone"] == CUSTOMER_PHONE  # swapped by EasyPost
        assert shipment["from_address"]["phone"] == SUPPLIER_PHONE
        assert "customs_info" not in shipment
        bought = easypost.bought[0]
        assert bought["to_address"]["zip"] == "93650"  # the parcel goes to the supplier


def test_a_return_across_a_border_declares_what_the_customer_paid(tmp_path: Path) -> None:
    canadian = {
        "country": "CA",
        "return_address": "Acme Returns, 200 Bay St, Toronto, ON M5J 2J2, CA",
    }
    with easypost_desk(tmp_path, canadian) as (desk, easypost):
        view = desk.supplier_action("acme", _open(desk), "approve", rma="RMA-2")

        assert view.status == "awaiting_shipment"
        customs = easypost.calls("POST", SHIPMENTS)[0].json()["shipment"]["customs_info"]
        assert customs["contents_type"] == "returned_goods"
        assert customs["customs_signer"] == "Acme Home Goods"
        [item] = customs["customs_items"]
        assert item["description"] == "Ceramic mug"
        assert item["quantity"] == 1
        assert item["value"] == 24.0 and item["currency"] == "USD"
        assert item["origin_country"] == "CA"  # where the supplier sent it from
        assert item["weight"] > 0


def test_return_to_sender_tells_the_customer_and_the_owner(tmp_path: Path) -> None:
    with easypost_desk(tmp_path) as (desk, _):
        code = _open(desk)
        tracking = desk.supplier_action("acme", code, "approve", rma="RMA-3").tracking_number
        assert tracking
        client = _client(desk)
        _post(client, tracker_event(tracking, "in_transit"))

        answer = _post(client, tracker_event(tracking, "return_to_sender"))

        assert answer["outcome"] == f"{code} is now pending review"
        view = desk.case_view(code)
        assert view.status == "pending_review"  # no longer "label ready" / "on its way"
        assert any("sending it back to you" in text for text in desk.customer_messages(code))
        [item] = [i for i in _inbox(desk, PENDING_REVIEW) if i.case_code == code]
        assert item.status == "open"
        assert "back to the customer" in item.summary and tracking in item.summary

        # The owner settles it without the item: the customer is refunded, the item closed.
        view = desk.owner_decide(code, True, "refund anyway")
        assert view.status == "resolved" and view.refunded == "24.00"
        assert [i.status for i in _inbox(desk, PENDING_REVIEW) if i.case_code == code] == ["closed"]


def test_the_return_page_stops_offering_a_label_sent_back(tmp_path: Path) -> None:
    with easypost_desk(tmp_path) as (desk, _):
        code = _open(desk)
        tracking = desk.supplier_action("acme", code, "approve", rma="RMA-8").tracking_number
        page = TestClient(create_app(desk, "app-secret"))
        # the case's private link, signed as the returns page signs it (bot/web/returns.py)
        token = URLSafeTimedSerializer("app-secret", salt="case-link").dumps(code)
        before = page.get(f"/api/cases/{code}", params={"token": token}).json()
        assert before["label_url"] and before["status_text"].startswith("Label ready")

        _post(_client(desk), tracker_event(tracking or "", "return_to_sender"))

        after = page.get(f"/api/cases/{code}", params={"token": token}).json()
        assert after["label_url"] is None
        assert after["status_text"] == "Being reviewed by the store"


def test_a_later_return_to_sender_after_delivery_changes_nothing(tmp_path: Path) -> None:
    with easypost_desk(tmp_path) as (desk, _):
        code = _open(desk)
        tracking = desk.supplier_action("acme", code, "approve", rma="RMA-4").tracking_number
        client = _client(desk)
        _post(client, tracker_event(tracking or "", "delivered"))

        answer = _post(client, tracker_event(tracking or "", "return_to_sender"))

        assert "nothing to change" in answer["outcome"]
        assert desk.case_view(code).status == "awaiting_inspection"


def test_an_event_of_the_other_mode_moves_no_case(tmp_path: Path) -> None:
    with easypost_desk(tmp_path) as (desk, _):
        code = _open(desk)
        tracking = desk.supplier_action("acme", code, "approve", rma="RMA-5").tracking_number
        client = _client(desk, mode="production")

        test_event = _post(client, tracker_event(tracking or "", "delivered", mode="test"))

        assert test_event["handled"] is False and "test event" in test_event["outcome"]
        assert desk.case_view(code).status == "awaiting_shipment"
        real = _post(client, tracker_event(tracking or "", "delivered", mode="production"))
        assert real["handled"] is True
        assert desk.case_view(code).status == "awaiting_inspection"


def test_the_mode_comes_from_the_api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EASYPOST_API_KEY", "EZAKproductionkey")
    get_settings.cache_clear()
    try:
        with easypost_desk(tmp_path) as (desk, _):
            code = _open(desk)
            tracking = desk.supplier_action("acme", code, "approve", rma="RMA-6").tracking_number
            client = _client(desk)  # mode from the key: production
            answer = _post(client, tracker_event(tracking or "", "delivered", mode="test"))
            assert answer["handled"] is False
            assert desk.case_view(code).status == "awaiting_shipment"
    finally:
        get_settings.cache_clear()


def test_a_carrier_that_keeps_refusing_alerts_the_owner_once_with_its_reason(
    tmp_path: Path,
) -> None:
    with easypost_desk(tmp_path) as (desk, easypost):
        code = _open(desk)
        easypost.fail(
            "POST",
            SHIPMENTS + "$",
            422,
            {
                "error": {
                    "code": "ADDRESS.VERIFY.FAILURE",
                    "message": "Address not found",
                    "errors": [{"field": "zip", "message": "Invalid ZIP code"}],
                }
            },
            times=5,
        )
        for _ in range(5):
            with pytest.raises(CarrierRejected):
                desk.supplier_action("acme", code, "approve", rma="RMA-7")

        [item] = _inbox(desk, SERVICE_FAILING)
        assert item.status == "open" and item.party_id == "EasyPost"
        assert "Invalid ZIP code" in item.summary
        with desk.session() as session:
            from ledger import outbox

            alerts = [
                row
                for row in session.execute(select(outbox.OutboxRow)).scalars()
                if (row.payload or {}).get("inbox_kind") == SERVICE_FAILING
            ]
        assert len(alerts) == 1  # once, however many times it refused
        assert desk.case_view(code).status == "awaiting_supplier"
