"""Carrier events move a case only when signed and only for labels bought through EasyPost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot import settings
from bot.web import carrier
from bot.web.app import create_app
from bot.web.carrier import easypost_signature
from bot.web.deps import webhook_settings
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tests.adapters.fake_easypost import tracker_event
from tests.unit.test_web_api import NOW, ORDERS, SUPPLIERS
from tools.accept_photo import sample_jpeg
from tools.open_case import ReturnRequest


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    store = store_from_data({"return_label_cost": "7.50"}, SUPPLIERS)
    returns_desk = ReturnsDesk(f"sqlite:///{tmp_path}/t.db", store, FrozenClock(NOW))
    with returns_desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "orders", store), "USD")
    yield returns_desk
    returns_desk.close()


def _shipped_locally(desk: ReturnsDesk) -> tuple[str, str]:
    request = ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged")  # type: ignore[arg-type]
    code = desk.submit_return(request, photo=sample_jpeg("crack")).code
    view = desk.supplier_action("acme", code, "approve", rma="RMA-1")
    assert view.status == "awaiting_shipment" and view.tracking_number
    return code, view.tracking_number


def test_with_the_default_settings_an_unsigned_delivered_event_is_refused(
    desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RETURNBRIDGE_EASYPOST_WEBHOOK_SECRET", raising=False)
    settings.get_settings.cache_clear()
    try:
        client = TestClient(create_app(desk, "app-secret"))
    finally:
        settings.get_settings.cache_clear()
    code, tracking = _shipped_locally(desk)  # the customer sees this tracking number
    refused = client.post("/webhooks/easypost", json=tracker_event(tracking, "delivered"))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "webhook_not_configured"
    assert "RETURNBRIDGE_EASYPOST_WEBHOOK_SECRET" in refused.json()["error"]["message"]
    assert desk.case_view(code).status == "awaiting_shipment"


def test_an_empty_secret_refuses_events_too(desk: ReturnsDesk) -> None:
    app = FastAPI()
    app.state.desk, app.state.webhooks = desk, webhook_settings(easypost_secret="")
    app.include_router(carrier.router)
    code, tracking = _shipped_locally(desk)
    body = json.dumps(tracker_event(tracking, "delivered")).encode()
    answer = TestClient(app).post(
        "/webhooks/easypost",
        content=body,
        headers={"X-Hmac-Signature": easypost_signature("", body)},
    )
    assert answer.status_code == 403
    assert desk.case_view(code).status == "awaiting_shipment"


def test_a_signed_event_cannot_move_a_label_rendered_here(desk: ReturnsDesk) -> None:
    app = FastAPI()
    app.state.desk, app.state.webhooks = desk, webhook_settings(easypost_secret="hook-secret")
    app.include_router(carrier.router)
    code, tracking = _shipped_locally(desk)
    body = json.dumps(tracker_event(tracking, "delivered")).encode()
    answer = TestClient(app).post(
        "/webhooks/easypost",
        content=body,
        headers={"X-Hmac-Signature": easypost_signature("hook-secret", body)},
    )
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "no return has this tracking number"
    assert desk.case_view(code).status == "awaiting_shipment"


def test_each_app_checks_events_with_its_own_secret(desk: ReturnsDesk) -> None:
    # One module-level route serves both apps; the secret is each app's (app.state).
    first = TestClient(
        create_app(desk, "app-secret", webhooks=webhook_settings(easypost_secret="a"))
    )
    second = TestClient(
        create_app(desk, "app-secret", webhooks=webhook_settings(easypost_secret="b"))
    )
    _code, tracking = _shipped_locally(desk)
    body = json.dumps(tracker_event(tracking, "delivered")).encode()
    signed_a = {"X-Hmac-Signature": easypost_signature("a", body)}
    assert second.post("/webhooks/easypost", content=body, headers=signed_a).status_code == 401
    assert first.post("/webhooks/easypost", content=body, headers=signed_a).status_code == 200
