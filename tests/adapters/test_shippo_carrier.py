"""ShippoCarrier against a local Shippo API in its wire format, and the Shippo tracking
webhook moving a case through the desk: the same ``Carrier`` port as EasyPost."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters.shippo_carrier import ShippoCarrier, token_mode
from bot.web.deps import webhook_settings
from bot.web.shippo import router as shippo_webhook
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tests.adapters.fake_shippo import TOKEN, FakeShippo, track_updated
from tests.conftest import NOW, ORDERS, SUPPLIERS
from tools.accept_photo import sample_jpeg
from tools.label_pdf import LabelContent
from tools.open_case import ReturnRequest
from tools.service_errors import CarrierAuthFailed, CarrierRejected

HOOK_TOKEN = "hook-3f9a1c"


def content(**changes: object) -> LabelContent:
    base = LabelContent(
        case_id="RB-000007",
        order_number="1001",
        carrier="Shippo",
        service="Ground",
        tracking_number="PENDING",
        sender_name="Ana Silva",
        sender_address="412 Maple Ave, Apt 2B, Columbus, OH 43215, US",
        recipient_name="Acme Home Goods",
        recipient_address="Acme Returns, 10 Main St, Fresno, CA 93650, US",
        rma="RMA-55",
        item_description="1 x Ceramic mug (MUG-1)",
        created_at=dt.datetime(2026, 3, 10, tzinfo=dt.UTC),
        sender_country="US",
        sender_email="ana@example.com",
        recipient_country="US",
        sender_phone="+1 614 555 0101",
        recipient_phone="+1 559 555 0199",
    )
    return base.model_copy(update=changes)


@pytest.fixture
def shippo() -> Iterator[FakeShippo]:
    with FakeShippo() as server:
        yield server


def test_buys_the_cheapest_return_label_as_a_pdf(shippo: FakeShippo) -> None:
    label = ShippoCarrier(TOKEN, base_url=shippo.url).buy_label(content(), "RB-000007:label")

    [created] = shippo.calls("POST", r"/shipments/")
    assert created.headers["authorization"] == f"ShippoToken {TOKEN}"
    shipment = created.json()
    assert shipment["extra"]["is_return"] is True
    assert shipment["address_to"]["name"] == "Ana Silva"  # outbound order: Shippo swaps
    assert shipment["address_to"]["phone"] == "+1 614 555 0101"
    assert shipment["address_from"]["street1"] == "10 Main St"
    assert shipment["address_from"]["phone"] == "+1 559 555 0199"
    assert "customs_declaration" not in shipment
    [bought] = shippo.calls("POST", r"/transactions/")
    cheapest = next(
        r
        for s in shippo.shipments.values()
        for r in s["rates"]
        if r["servicelevel"]["token"] == "usps_ground_advantage"
    )
    assert bought.json() == {
        "rate": cheapest["object_id"],
        "label_file_type": "PDF",
        "async": False,
        "metadata": "RB-000007:label",
    }
    [transaction] = shippo.bought
    assert label.tracking_number == transaction["tracking_number"]
    assert label.carrier == "USPS Ground Advantage"
    assert label.pdf.startswith(b"%PDF")


def test_a_configured_service_level_is_bought(shippo: FakeShippo) -> None:
    carrier = ShippoCarrier(TOKEN, base_url=shippo.url, service="ups_ground")
    assert carrier.buy_label(content(), "k").carrier == "UPS Ground"


def test_across_a_border_it_declares_returned_merchandise(shippo: FakeShippo) -> None:
    ShippoCarrier(TOKEN, base_url=shippo.url).buy_label(
        content(
            sender_address="1200 Rue Sainte-Catherine O, Montreal, QC H3G 1P1, CA",
            sender_country="CA",
            goods_description="Ceramic mug",
            goods_quantity=1,
            goods_value_minor=2400,
            currency="USD",
            origin_country="US",
        ),
        "RB-000008:label",
    )
    customs = shippo.calls("POST", r"/shipments/")[0].json()["customs_declaration"]
    assert customs["contents_type"] == "RETURN_MERCHANDISE"
    assert customs["certify"] is True and customs["certify_signer"] == "Acme Home Goods"
    assert customs["items"][0]["value_amount"] == "24.00"
    assert customs["items"][0]["origin_country"] == "US"


def test_a_purchase_shippo_refuses_carries_its_reason(shippo: FakeShippo) -> None:
    shippo.refuse_purchase = "The address is not deliverable."
    with pytest.raises(CarrierRejected, match="not deliverable"):
        ShippoCarrier(TOKEN, base_url=shippo.url).buy_label(content(), "k")


def test_a_wrong_token_is_an_auth_error(shippo: FakeShippo) -> None:
    with pytest.raises(CarrierAuthFailed):
        ShippoCarrier("shippo_test_wrong", base_url=shippo.url).buy_label(content(), "k")


def test_field_errors_are_read_into_the_message(shippo: FakeShippo) -> None:
    shippo.fail("POST", r"/shipments/", 400, {"address_to": ["zip is required"]})
    with pytest.raises(CarrierRejected, match="address_to: zip is required"):
        ShippoCarrier(TOKEN, base_url=shippo.url).buy_label(content(), "k")


@pytest.mark.parametrize(
    ("token", "mode"),
    [("shippo_test_abc", "test"), ("shippo_live_abc", "production"), ("x", None)],
)
def test_the_mode_of_a_token(token: str, mode: str | None) -> None:
    assert token_mode(token) == mode


@contextlib.contextmanager
def shippo_desk(folder: Path) -> Iterator[tuple[ReturnsDesk, FakeShippo]]:
    store = store_from_data({"return_label_cost": "7.50"}, SUPPLIERS, "test")
    order = {**ORDERS[0], "shipping_address": "Ana Silva, 412 Maple Ave, Boston, MA 02134, US"}
    with FakeShippo() as server:
        desk = ReturnsDesk(
            f"sqlite:///{folder / 'shippo.db'}",
            store,
            FrozenClock(NOW),
            carrier=ShippoCarrier(TOKEN, base_url=server.url),
        )
        with desk.session() as session:
            import_orders(session, orders_from_data([order], "test", store), "USD")
        try:
            yield desk, server
        finally:
            desk.close()


def _hook(client: TestClient, body: dict[str, Any], token: str = HOOK_TOKEN) -> Any:
    return client.post(
        f"/webhooks/shippo?token={token}",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )


def test_a_case_through_shippo_and_its_tracking_webhook(tmp_path: Path) -> None:
    with shippo_desk(tmp_path) as (desk, server):
        view = desk.submit_return(
            ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged"),
            photo=sample_jpeg("crack"),
        )
        view = desk.supplier_action("acme", view.code, "approve", rma="RMA-9")
        assert view.status == "awaiting_shipment"
        tracking = view.tracking_number or ""
        assert tracking == server.bought[0]["tracking_number"]
        app = FastAPI()
        app.state.desk = desk
        app.state.webhooks = webhook_settings(shippo_token=HOOK_TOKEN, shippo_mode="test")
        app.include_router(shippo_webhook)
        client = TestClient(app)

        # With no token set at all, the route refuses every event.
        unset = FastAPI()
        unset.state.desk = desk
        unset.state.webhooks = webhook_settings(shippo_token="", shippo_mode="test")
        unset.include_router(shippo_webhook)
        refused = _hook(TestClient(unset), track_updated(tracking, "DELIVERED"), token="")
        assert refused.status_code == 403
        assert desk.case_view(view.code).status == "awaiting_shipment"
        # Without the shared token (Shippo signs nothing we could check) nothing moves.
        assert _hook(client, track_updated(tracking, "TRANSIT"), token="").status_code == 401
        assert _hook(client, track_updated(tracking, "TRANSIT"), token="guess").status_code == 401
        assert desk.case_view(view.code).status == "awaiting_shipment"
        # A live event at a test installation changes nothing.
        live = _hook(client, track_updated(tracking, "DELIVERED", test=False)).json()
        assert live["handled"] is False
        assert desk.case_view(view.code).status == "awaiting_shipment"

        moved = _hook(client, track_updated(tracking, "TRANSIT")).json()
        assert moved["outcome"] == f"{view.code} is now in transit"
        assert _hook(client, track_updated(tracking, "TRANSIT")).json()["outcome"] == (
            "already handled"
        )
        returned = _hook(client, track_updated(tracking, "RETURNED")).json()
        assert returned["outcome"] == f"{view.code} is now pending review"
