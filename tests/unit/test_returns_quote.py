"""The returns form's preview: photo marking per reason, the amounts, and the refusal of a
form sent without a photo its reason needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.scenarios.runner import activate_rules
from bot.web.app import create_app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import count_cases, import_orders
from policies.loader import orders_from_data, store_from_data
from tools.accept_photo import sample_jpeg

NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
SUPPLIERS = [
    {"id": "acme", "name": "Acme Home Goods", "country": "US", "return_address": "Acme, Fresno"},
    {"id": "farco", "name": "Far Co", "country": "CN", "return_address": "Far Co, Shenzhen"},
]
ORDERS = [
    {
        "number": "1001",
        "email": "ana@example.com",
        "customer_name": "Ana Silva",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [
            {"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"},
            {"sku": "FAR-1", "name": "Far lamp", "price": "30.00", "supplier": "farco"},
        ],
    }
]
WHO = {"order": "1001", "email": "ana@example.com"}


def make_desk(tmp_path: Path, rules: list[str] | None = None) -> ReturnsDesk:
    store = store_from_data(
        {"return_label_cost": "7.50", "store_credit_bonus_percent": 10}, SUPPLIERS
    )
    desk = ReturnsDesk(f"sqlite:///{tmp_path}/q.db", store, FrozenClock(NOW))
    with desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "orders", store), store.policy.currency)
    if rules:
        activate_rules(desk, rules)
    return desk


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    returns_desk = make_desk(tmp_path)
    yield returns_desk
    returns_desk.close()


@pytest.fixture
def client(desk: ReturnsDesk) -> TestClient:
    return TestClient(create_app(desk, "secret"))


def quote(client: TestClient, **fields: Any) -> Any:
    return client.post("/api/returns/quote", json={**WHO, "sku": "MUG-1", **fields})


def test_lookup_marks_the_reasons_that_need_a_photo_and_the_bonus(client: TestClient) -> None:
    body = client.post("/api/returns/lookup", json=WHO).json()
    items = {item["sku"]: item for item in body["items"]}
    assert set(items["MUG-1"]["photo_reasons"]) == {
        "damaged",
        "defective",
        "wrong_item",
        "not_as_described",
    }
    assert body["store_credit_bonus_percent"] == 10


def test_an_owner_rule_for_one_supplier_marks_a_photo_on_its_items_only(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, ["Require a photo for wrong-size returns from supplier farco"])
    try:
        client = TestClient(create_app(desk, "secret"))
        items = {
            item["sku"]: item
            for item in client.post("/api/returns/lookup", json=WHO).json()["items"]
        }
        assert "wrong_size" in items["FAR-1"]["photo_reasons"]
        assert "wrong_size" not in items["MUG-1"]["photo_reasons"]
        assert quote(client, sku="FAR-1", reason="wrong_size").json()["photo_required"] is True
    finally:
        desk.close()


def test_the_quote_takes_the_label_off_a_customer_reason_refund(client: TestClient) -> None:
    response = quote(client, reason="wrong_size", resolution="refund")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["photo_required"] is False
    assert (body["value"], body["label_deduction"], body["refund"]) == ("24.00", "7.50", "16.50")
    assert "16.50" in body["you_get"] and "7.50" in body["you_get"]
    assert body["return_required"] is True


def test_the_quote_shows_store_credit_with_its_bonus(client: TestClient) -> None:
    body = quote(client, reason="damaged", resolution="store_credit").json()
    assert body["photo_required"] is True
    assert body["label_deduction"] == "0.00"  # a fault: the store pays the label
    assert (body["store_credit"], body["store_credit_bonus"]) == ("26.40", "2.40")
    assert "26.40" in body["you_get"] and "$2.40 bonus" in body["you_get"]


def test_the_quote_says_an_overseas_item_is_kept(client: TestClient) -> None:
    body = quote(client, sku="FAR-1", reason="wrong_size").json()
    assert body["outcome"] == "keep_it" and body["return_required"] is False
    assert body["label_deduction"] == "0.00" and body["refund"] == "30.00"
    assert "keep the item" in body["you_get"]


def test_the_quote_needs_the_orders_email_and_counts_wrong_pairs(
    client: TestClient, desk: ReturnsDesk
) -> None:
    wrong = quote(client, email="someone@example.com", reason="damaged")
    assert wrong.status_code == 404
    assert "24.00" not in wrong.text and "mug" not in wrong.text.lower()
    for _ in range(9):
        quote(client, email="someone@example.com", reason="damaged")
    throttled = quote(client, reason="damaged")  # even the right pair waits now
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"]


def test_the_form_refuses_a_missing_required_photo_clearly(
    client: TestClient, desk: ReturnsDesk
) -> None:
    form = {**WHO, "sku": "MUG-1", "reason": "damaged"}
    response = client.post("/api/returns", json=form)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "photo_required"
    assert "photo is needed" in response.json()["error"]["message"]
    with desk.session() as session:
        assert count_cases(session) == 0
    with_photo = client.post(
        "/api/returns", data=form, files={"photo": ("mug.jpg", sample_jpeg("m"), "image/jpeg")}
    )
    assert with_photo.status_code == 201
    assert with_photo.json()["case"]["status"] != "awaiting_photo"
