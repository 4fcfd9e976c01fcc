"""The returns page API for a cash-on-delivery order: no email, the phone identifies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import count_cases, import_orders
from policies.loader import orders_from_data, store_from_data

NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
SUPPLIERS = [
    {
        "id": "snug",
        "name": "Snuggle Toys",
        "country": "AU",
        "return_address": "Snuggle Toys Returns, 5 Wharf St, Brisbane QLD 4000, AU",
    }
]
ORDERS = [
    {
        "number": "1004",
        "phone": "+61 412 345 678",
        "customer_name": "Mia Nguyen",
        "country": "AU",
        "channel": "web",
        "placed_at": "2026-03-01T00:00:00Z",
        "delivered_at": "2026-03-02T00:00:00Z",
        "items": [{"sku": "TEDDY-1", "name": "Teddy bear", "price": "39.00", "supplier": "snug"}],
    }
]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    store = store_from_data({"currency": "AUD"}, SUPPLIERS)
    returns_desk = ReturnsDesk(f"sqlite:///{tmp_path}/t.db", store, FrozenClock(NOW))
    with returns_desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "orders", store), "AUD")
    yield returns_desk
    returns_desk.close()


@pytest.fixture
def client(desk: ReturnsDesk) -> TestClient:
    return TestClient(create_app(desk, "secret"))


def test_lookup_takes_the_phone_in_the_email_field_or_its_own(client: TestClient) -> None:
    for body in (
        {"order": "#1004", "email": "0412 345 678"},
        {"order": "1004", "phone": "+61412345678"},
    ):
        response = client.post("/api/returns/lookup", json=body)
        assert response.status_code == 200, response.text
        assert [item["sku"] for item in response.json()["items"]] == ["TEDDY-1"]
    wrong = client.post("/api/returns/lookup", json={"order": "1004", "email": "0412 345 670"})
    assert wrong.status_code == 404
    assert "Teddy" not in wrong.text and "Mia" not in wrong.text
    no_email = client.post("/api/returns/lookup", json={"order": "1004", "email": "a@b.co"})
    assert no_email.status_code == 404


def test_a_return_form_with_the_phone_opens_the_case(client: TestClient, desk: ReturnsDesk) -> None:
    form = {"order": "1004", "sku": "TEDDY-1", "reason": "changed_mind"}
    refused = client.post("/api/returns", json={**form, "phone": "0499 999 999"})
    assert refused.status_code == 404
    missing = client.post("/api/returns", json=form)
    assert missing.status_code == 422 and "phone" in missing.text
    with desk.session() as session:
        assert count_cases(session) == 0
    opened = client.post("/api/returns", json={**form, "phone": "0412 345 678"})
    assert opened.status_code == 201, opened.text
    token = opened.json()["token"]
    code = opened.json()["case"]["code"]
    assert client.get(f"/api/cases/{code}", params={"token": token}).status_code == 200
