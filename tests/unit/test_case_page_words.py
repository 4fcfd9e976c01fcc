"""The case page for a shopper: statuses in their words, no label once the case is finished,
and the supplier named only when the store's policy says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from bot.web.shopper_words import RESOLVED_WORDS, STATUS_WORDS, SUPPLIER_WORDS
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from policies.models import StorePolicy

NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
STATUS_NAMES = (
    "open",
    "awaiting_photo",
    "pending_review",
    "awaiting_supplier",
    "awaiting_shipment",
    "in_transit",
    "awaiting_inspection",
    "resolved",
    "denied",
    "cancelled",
)
SUPPLIERS = [{"id": "acme", "name": "Acme Home Goods", "return_address": "Acme, Fresno"}]
ORDERS = [
    {
        "number": "1001",
        "email": "ana@example.com",
        "customer_name": "Ana Silva",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [{"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"}],
    }
]
FORM = {"order": "1001", "email": "ana@example.com", "sku": "MUG-1", "reason": "wrong_size"}


def site(tmp_path: Path, **policy: Any) -> tuple[ReturnsDesk, TestClient]:
    store = store_from_data(policy, SUPPLIERS)
    desk = ReturnsDesk(f"sqlite:///{tmp_path}/w.db", store, FrozenClock(NOW))
    with desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "orders", store), store.policy.currency)
    return desk, TestClient(create_app(desk, "secret"))


@pytest.fixture
def default_site(tmp_path: Path) -> Iterator[tuple[ReturnsDesk, TestClient]]:
    desk, client = site(tmp_path)
    yield desk, client
    desk.close()


def shown(client: TestClient, opened: dict[str, Any]) -> dict[str, Any]:
    code, token = opened["case"]["code"], opened["token"]
    body: dict[str, Any] = client.get(f"/api/cases/{code}", params={"token": token}).json()
    return body


def test_every_status_reads_as_a_shopper_would_say_it() -> None:
    for words in [*STATUS_WORDS.values(), *SUPPLIER_WORDS.values(), *RESOLVED_WORDS.values()]:
        assert "_" not in words
        assert not any(name in words.lower() for name in STATUS_NAMES if "_" in name)
    assert set(STATUS_WORDS) == set(STATUS_NAMES)


def test_a_finished_case_no_longer_offers_the_label(
    default_site: tuple[ReturnsDesk, TestClient],
) -> None:
    desk, client = default_site
    opened = client.post("/api/returns", json=FORM).json()
    code = opened["case"]["code"]
    desk.supplier_action("acme", code, "approve", rma="R-1")
    waiting = shown(client, opened)
    assert waiting["label_url"] is not None
    assert waiting["status_text"] == "Label ready: please send the item back"
    desk.carrier_event(code, "delivered")
    desk.supplier_action("acme", code, "inspected_ok")
    done = shown(client, opened)
    assert done["case"]["status"] == "resolved"
    assert done["label_url"] is None
    assert done["status_text"] == "Refunded"
    assert done["next_step"] == ""


def test_a_cancelled_case_no_longer_offers_the_label(
    default_site: tuple[ReturnsDesk, TestClient],
) -> None:
    desk, client = default_site
    opened = client.post("/api/returns", json=FORM).json()
    desk.supplier_action("acme", opened["case"]["code"], "approve", rma="R-2")
    desk.cancel(opened["case"]["code"], note="the customer kept it")
    body = shown(client, opened)
    assert (body["status_text"], body["label_url"]) == ("Cancelled", None)


def test_the_supplier_is_not_mentioned_unless_the_store_says_so(tmp_path: Path) -> None:
    assert StorePolicy().mention_supplier_to_customer is False
    quiet, quiet_client = site(tmp_path / "a")
    told, told_client = site(tmp_path / "b", mention_supplier_to_customer=True)
    try:
        quiet_body = shown(quiet_client, quiet_client.post("/api/returns", json=FORM).json())
        told_body = shown(told_client, told_client.post("/api/returns", json=FORM).json())
    finally:
        quiet.close()
        told.close()
    assert quiet_body["case"]["status"] == told_body["case"]["status"] == "awaiting_supplier"
    assert "supplier" not in (quiet_body["status_text"] + quiet_body["next_step"]).lower()
    assert told_body["status_text"] == "Waiting for the supplier's approval"
    assert "supplier" in told_body["next_step"]
    assert "supplier_id" not in quiet_body["case"]


def test_the_customers_messages_name_the_supplier_only_when_the_store_says_so(
    tmp_path: Path,
) -> None:
    said = {}
    for mention in (False, True):
        desk, client = site(tmp_path / str(mention), mention_supplier_to_customer=mention)
        try:
            code = client.post("/api/returns", json=FORM).json()["case"]["code"]
            desk.supplier_action("acme", code, "approve", rma="R-3")
            desk.carrier_event(code, "delivered")
            said[mention] = " ".join(desk.customer_messages(code))
        finally:
            desk.close()
    assert "arranging it" in said[False] and "has arrived" in said[False]
    assert "supplier" not in said[False].lower()
    assert "arranging it with the supplier" in said[True]
    assert "arrived at the supplier" in said[True]
