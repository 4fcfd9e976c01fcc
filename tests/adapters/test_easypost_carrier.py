"""EasyPostCarrier against a local EasyPost API speaking its wire format."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from pypdf import PdfReader

from adapters.easypost_carrier import EasyPostCarrier, key_mode
from tests.adapters.fake_easypost import API_KEY, FakeEasyPost
from tools.label_pdf import LabelContent
from tools.service_errors import (
    AddressUnreadable,
    CarrierAuthFailed,
    CarrierRejected,
    CarrierUnavailable,
    ServiceError,
)

SHIPMENTS = r"/v2/shipments"
BUY = r"/v2/shipments/shp_\w+/buy"


def content(**changes: object) -> LabelContent:
    base = LabelContent(
        case_id="RB-000007",
        order_number="1001",
        carrier="EasyPost",
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
    )
    return base.model_copy(update=changes)


def carrier_for(server: FakeEasyPost, **options: object) -> EasyPostCarrier:
    return EasyPostCarrier(API_KEY, base_url=server.api_url, **options)  # type: ignore[arg-type]


def test_buys_the_cheapest_rate_and_returns_the_pdf(easypost: FakeEasyPost) -> None:
    label = carrier_for(easypost).buy_label(content(), "RB-000007:label")

    created = easypost.calls("POST", SHIPMENTS)
    assert len(created) == 1
    request = created[0]
    assert (
        request.headers["authorization"]
        == "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    )
    assert request.headers["idempotency-key"] == "RB-000007:label"
    shipment = request.json()["shipment"]
    assert shipment["reference"] == "RB-000007:label"
    # A return label: the addresses go in as the outbound parcel had them (supplier to
    # customer) and EasyPost swaps them, so the label runs from the customer to the supplier.
    assert shipment["is_return"] is True
    assert shipment["to_address"] == {
        "name": "Ana Silva",
        "street1": "412 Maple Ave",
        "street2": "Apt 2B",
        "city": "Columbus",
        "state": "OH",
        "zip": "43215",
        "country": "US",
        "email": "ana@example.com",
    }
    assert shipment["from_address"]["company"] == "Acme Returns"
    assert shipment["from_address"]["street1"] == "10 Main St"
    assert shipment["from_address"]["zip"] == "93650"
    assert "customs_info" not in shipment  # a parcel within one country declares nothing
    assert shipment["parcel"]["weight"] == 16.0
    assert shipment["options"]["print_custom_2"] == "RMA RMA-55"

    bought = easypost.calls("POST", BUY)
    assert len(bought) == 1
    shipment_id = bought[0].path.split("/")[3]
    cheapest = next(
        r for r in easypost.shipments[shipment_id]["rates"] if r["service"] == "GroundAdvantage"
    )
    assert bought[0].json() == {"rate": {"id": cheapest["id"]}}
    assert "authorization" not in easypost.calls("GET", r"/files/.*")[0].headers

    assert label.tracking_number == easypost.shipments[shipment_id]["tracking_code"]
    assert label.carrier == "USPS GroundAdvantage"
    pdf_path = easypost.shipments[shipment_id]["postage_label"]["label_pdf_url"]
    assert label.pdf == easypost.files[pdf_path.removeprefix(easypost.url)]
    stored = easypost.shipments[shipment_id]
    assert stored["is_return"] is True
    assert stored["to_address"]["zip"] == "93650"  # the parcel goes to the supplier
    assert stored["from_address"]["zip"] == "43215"


def test_both_addresses_carry_their_phone(easypost: FakeEasyPost) -> None:
    carrier_for(easypost).buy_label(
        content(sender_phone=" +1 614 555 0101 ", recipient_phone="+1 559 555 0199"),
        "RB-000007:label",
    )

    shipment = easypost.calls("POST", SHIPMENTS)[0].json()["shipment"]
    assert shipment["to_address"]["phone"] == "+1 614 555 0101"  # the customer's
    assert shipment["from_address"]["phone"] == "+1 559 555 0199"  # the supplier's


def international(**changes: object) -> LabelContent:
    base: dict[str, object] = dict(
        recipient_address="Acme Returns, 10 Main St, Fresno, CA 93650, US",
        sender_name="Jean Tremblay",
        sender_address="1200 Rue Sainte-Catherine O, Montreal, QC H3G 1P1, CA",
        sender_country="CA",
        sender_phone="+1 514 555 0123",
        recipient_phone="+1 559 555 0199",
        goods_description="Ceramic mug",
        goods_quantity=2,
        goods_value_minor=4800,
        currency="USD",
        origin_country="US",
    )
    return content(**{**base, **changes})


def test_a_parcel_across_a_border_declares_returned_goods(easypost: FakeEasyPost) -> None:
    label = carrier_for(easypost).buy_label(
        international(hs_tariff_number="6912.00"), "RB-000008:label"
    )

    shipment = easypost.calls("POST", SHIPMENTS)[0].json()["shipment"]
    customs = shipment["customs_info"]
    assert customs["contents_type"] == "returned_goods"
    assert customs["customs_certify"] is True
    assert customs["customs_signer"] == "Acme Home Goods"
    assert customs["eel_pfc"] == "NOEEI 30.37(a)"
    assert customs["customs_items"] == [
        {
            "description": "Ceramic mug",
            "quantity": 2,
            "value": 48.0,
            "currency": "USD",
            "weight": 16.0,
            "origin_country": "US",
            "hs_tariff_number": "6912.00",
        }
    ]
    assert label.tracking_number


def test_without_a_tariff_number_the_item_leaves_it_out(easypost: FakeEasyPost) -> None:
    carrier_for(easypost).buy_label(international(), "RB-000008:label")

    item = easypost.calls("POST", SHIPMENTS)[0].json()["shipment"]["customs_info"]["customs_items"][
        0
    ]
    assert "hs_tariff_number" not in item


def test_a_border_crossing_of_unknown_value_is_refused_before_buying(
    easypost: FakeEasyPost,
) -> None:
    with pytest.raises(CarrierRejected, match="customs declaration"):
        carrier_for(easypost).buy_label(international(goods_value_minor=0), "RB-000008:label")
    assert easypost.calls("POST", SHIPMENTS) == []


def test_goods_worth_an_export_filing_are_left_to_the_owner(easypost: FakeEasyPost) -> None:
    with pytest.raises(CarrierRejected, match="ITN"):
        carrier_for(easypost).buy_label(international(goods_value_minor=250_000), "RB-000008:label")
    assert easypost.calls("POST", SHIPMENTS) == []


def test_the_fake_refuses_a_border_crossing_without_customs(easypost: FakeEasyPost) -> None:
    """The double behaves as the carriers do, so the declaration above is what passes."""
    import httpx

    response = httpx.post(
        f"{easypost.api_url}/shipments",
        auth=(API_KEY, ""),
        json={
            "shipment": {
                "is_return": True,
                "to_address": {"street1": "1 Rue", "city": "Montreal", "country": "CA"},
                "from_address": {"street1": "10 Main St", "city": "Fresno", "country": "US"},
                "parcel": {"weight": 16},
            }
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "SHIPMENT.CUSTOMS.MISSING"


@pytest.mark.parametrize(
    ("key", "mode"),
    [("EZTK1234abcd", "test"), ("EZAK1234abcd", "production"), ("other", None), (None, None)],
)
def test_the_mode_of_an_api_key(key: str | None, mode: str | None) -> None:
    assert key_mode(key) == mode


def test_a_configured_service_is_bought_even_when_dearer(easypost: FakeEasyPost) -> None:
    label = carrier_for(easypost, service="priority").buy_label(content(), "k1")
    assert label.carrier == "USPS Priority"


def test_a_service_the_carrier_does_not_offer_is_a_clear_error(easypost: FakeEasyPost) -> None:
    with pytest.raises(CarrierRejected) as caught:
        carrier_for(easypost, service="Overnight").buy_label(content(), "k2")
    assert "no Overnight rate" in caught.value.message
    assert "USPS GroundAdvantage" in caught.value.message
    assert easypost.calls("POST", BUY) == []


def test_a_png_label_is_wrapped_into_a_pdf() -> None:
    with FakeEasyPost(label_format="png") as server:
        label = carrier_for(server).buy_label(content(), "k3")
    assert label.pdf.startswith(b"%PDF")
    page = PdfReader(io.BytesIO(label.pdf)).pages[0]
    assert len(page.images) == 1
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (288.0, 432.0)


def test_no_rates_names_easypost_messages() -> None:
    with FakeEasyPost(rates=[]) as server, pytest.raises(CarrierRejected) as caught:
        carrier_for(server).buy_label(content(), "k4")
    assert "no rate" in caught.value.message


def test_a_wrong_key_is_an_auth_error(easypost: FakeEasyPost) -> None:
    carrier = EasyPostCarrier("EZTK_wrong", base_url=easypost.api_url)
    with pytest.raises(CarrierAuthFailed) as caught:
        carrier.buy_label(content(), "k5")
    assert caught.value.status == 401
    assert "no longer active" in caught.value.message
    assert "API key" in caught.value.message


def test_an_address_easypost_refuses_carries_its_reason(easypost: FakeEasyPost) -> None:
    with pytest.raises(CarrierRejected) as caught:
        carrier_for(easypost).buy_label(
            content(recipient_address="10 Main St, Fresno, CA 00000, US"), "k6"
        )
    assert "Address not found" in caught.value.message
    assert "zip: Invalid ZIP code" in caught.value.message
    assert "ADDRESS.VERIFY.FAILURE" in caught.value.message


def test_an_unreadable_address_sends_nothing(easypost: FakeEasyPost) -> None:
    with pytest.raises(AddressUnreadable) as caught:
        carrier_for(easypost).buy_label(content(sender_address=""), "k7")
    assert "order 1001" in caught.value.message
    assert easypost.calls("POST", SHIPMENTS) == []


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_unavailable_and_retryable(easypost: FakeEasyPost, status: int) -> None:
    easypost.fail(
        "POST", BUY, status, {"error": {"code": "INTERNAL_SERVER_ERROR", "message": "boom"}}
    )
    with pytest.raises(CarrierUnavailable) as caught:
        carrier_for(easypost).buy_label(content(), "k8")
    assert caught.value.retryable and caught.value.status == status
    assert "try again" in caught.value.message
    assert easypost.bought == []
    label = carrier_for(easypost).buy_label(content(), "k8")  # the retry succeeds
    assert len(easypost.bought) == 1
    assert label.tracking_number == easypost.bought[0]["tracking_code"]


def test_a_carrier_that_cannot_be_reached_is_unavailable() -> None:
    with FakeEasyPost() as server:
        url = server.api_url
    with pytest.raises(CarrierUnavailable) as caught:
        EasyPostCarrier(API_KEY, base_url=url, timeout=2).buy_label(content(), "k9")
    assert isinstance(caught.value, ServiceError)
    assert "could not be reached" in caught.value.message


def test_a_label_bought_by_an_attempt_that_never_committed_is_not_bought_again(
    easypost: FakeEasyPost,
) -> None:
    first = carrier_for(easypost).buy_label(content(), "RB-000009:label")
    # A new process (the first attempt crashed before its commit) asks for the same key.
    again = carrier_for(easypost).buy_label(content(), "RB-000009:label")
    assert len(easypost.calls("POST", SHIPMENTS)) == 1
    assert len(easypost.bought) == 1
    assert again.tracking_number == first.tracking_number
    assert again.pdf == first.pdf
    listing = easypost.calls("GET", SHIPMENTS)[-1]
    assert listing.query["purchased"] == "true"


def test_a_failed_label_download_is_retried_without_buying_again(
    easypost: FakeEasyPost,
) -> None:
    carrier = carrier_for(easypost)
    easypost.fail("GET", r"/files/.*", 503, b"Slow Down", times=3)
    with pytest.raises(CarrierUnavailable) as caught:
        carrier.buy_label(content(), "k10")
    assert "will not be bought twice" in caught.value.message
    label = carrier.buy_label(content(), "k10")
    assert len(easypost.bought) == 1
    assert label.pdf.startswith(b"%PDF")


def test_the_earlier_purchase_search_pages_through_the_list() -> None:
    with FakeEasyPost() as server:
        carrier = carrier_for(server)
        first = carrier.buy_label(content(), "old-key")
        for number in range(3):
            carrier.buy_label(content(), f"newer-{number}")
        server.max_page_size = 2  # newest first, two a page: the old label is on page 2
        again = carrier.buy_label(content(), "old-key")
    assert len(server.bought) == 4
    assert again.tracking_number == first.tracking_number
    listings = server.calls("GET", SHIPMENTS)[-2:]
    assert "before_id" not in listings[0].query
    assert listings[1].query["before_id"].startswith("shp_")
