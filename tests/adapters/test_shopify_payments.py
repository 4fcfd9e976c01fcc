"""ShopifyPayments against a local Shopify Admin REST API speaking its wire format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.shopify_payments import ShopifyPayments
from tests.adapters.fake_shopify import TOKEN, VERSION, FakeShopify
from tools.service_errors import (
    PaymentsAuthFailed,
    PaymentsRejected,
    PaymentsUnavailable,
)

REFUNDS = r"/admin/api/.*/orders/\d+/refunds\.json"


def payments(server: FakeShopify, token: str = TOKEN) -> ShopifyPayments:
    return ShopifyPayments("demo-store", token, api_version=VERSION, base_url=server.url)


def mug_order(server: FakeShopify, **options: object) -> int:
    return server.add_order(
        "#1001",
        email="ana@example.com",
        created_at="2026-03-01T10:00:00-05:00",
        line_items=[
            {
                "name": "Ceramic mug",
                "sku": "MUG-1",
                "price": "24.00",
                "quantity": 1,
                "vendor": "Acme",
            },
            {
                "name": "Desk lamp",
                "sku": "LAMP-1",
                "price": "60.00",
                "quantity": 2,
                "vendor": "Acme",
            },
        ],
        **options,  # type: ignore[arg-type]
    )


def test_refunds_the_original_sale(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    sale = shopify.transactions[oid][0]
    reference = payments(shopify).refund(
        "1001", 2400, "USD", "RB-000001:refund:settle", external_id=str(oid)
    )

    posted = shopify.calls("POST", REFUNDS)
    assert len(posted) == 1
    assert posted[0].path == f"/admin/api/{VERSION}/orders/{oid}/refunds.json"
    assert posted[0].headers["x-shopify-access-token"] == TOKEN
    assert posted[0].headers["idempotency-key"] == "RB-000001:refund:settle"
    refund = posted[0].json()["refund"]
    assert refund["currency"] == "USD"
    assert refund["notify"] is False
    assert "[RB-000001:refund:settle]" in refund["note"]
    assert refund["transactions"] == [
        {
            "parent_id": sale["id"],
            "amount": "24.00",
            "kind": "refund",
            "gateway": "shopify_payments",
        }
    ]
    assert reference == f"shopify-refund-{shopify.refunds[oid][0]['id']}"
    assert shopify.refunded(oid) == Decimal("24.00")


def test_the_order_is_found_by_name_without_its_id(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    payments(shopify).refund("#1001", 1000, "USD", "k-name")
    lookup = shopify.calls("GET", r"/admin/api/.*/orders\.json")[0]
    assert lookup.query["name"] == "1001" and lookup.query["status"] == "any"
    assert shopify.refunded(oid) == Decimal("10.00")


def test_an_order_shopify_does_not_know_is_refused(shopify: FakeShopify) -> None:
    mug_order(shopify)
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("2002", 1000, "USD", "k-missing")
    assert "no order named #2002" in caught.value.message
    assert shopify.calls("POST", REFUNDS) == []


def test_the_same_key_refunds_once(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    first = payments(shopify).refund(
        "1001", 2400, "USD", "RB-000002:refund:settle", external_id=str(oid)
    )
    again = payments(shopify).refund(
        "1001", 2400, "USD", "RB-000002:refund:settle", external_id=str(oid)
    )
    assert again == first
    assert len(shopify.calls("POST", REFUNDS)) == 1
    assert shopify.refunded(oid) == Decimal("24.00")


def test_a_refund_spreads_over_captures_and_respects_earlier_refunds(shopify: FakeShopify) -> None:
    oid = mug_order(
        shopify,
        payments=[
            ("capture", "50.00", "shopify_payments"),
            ("capture", "94.00", "shopify_payments"),
        ],
    )
    client = payments(shopify)
    client.refund("1001", 4000, "USD", "first", external_id=str(oid))
    client.refund("1001", 3000, "USD", "second", external_id=str(oid))
    second = shopify.calls("POST", REFUNDS)[-1].json()["refund"]["transactions"]
    captures = [t["id"] for t in shopify.transactions[oid] if t["kind"] == "capture"]
    assert [(t["parent_id"], t["amount"]) for t in second] == [
        (captures[0], "10.00"),
        (captures[1], "20.00"),
    ]
    with pytest.raises(PaymentsRejected) as caught:
        client.refund("1001", 8000, "USD", "third", external_id=str(oid))
    assert "only 74.00 USD left" in caught.value.message
    assert len(shopify.calls("POST", REFUNDS)) == 2


def test_an_order_without_a_payment_is_refused(shopify: FakeShopify) -> None:
    oid = mug_order(shopify, payments=[("authorization", "144.00", "shopify_payments")])
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("1001", 100, "USD", "k", external_id=str(oid))
    assert "no completed payment" in caught.value.message


def test_a_payment_in_another_currency_is_refused(shopify: FakeShopify) -> None:
    oid = mug_order(shopify, currency="EUR")
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("1001", 100, "USD", "k", external_id=str(oid))
    assert "paid in EUR" in caught.value.message


def test_shopify_refusing_the_refund_carries_its_reason(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.fail(
        "POST",
        REFUNDS,
        422,
        {"errors": {"base": ["Refund amount $24.00 is greater than net payment received"]}},
    )
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("1001", 2400, "USD", "k", external_id=str(oid))
    assert "greater than net payment received" in caught.value.message
    assert caught.value.status == 422


def test_a_gateway_failure_is_refused(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.gateway_failure = "Card was declined"
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("1001", 2400, "USD", "k", external_id=str(oid))
    assert "Card was declined" in caught.value.message


def test_a_wrong_token_is_an_auth_error(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    with pytest.raises(PaymentsAuthFailed) as caught:
        payments(shopify, token="shpat_wrong").refund("1001", 100, "USD", "k", external_id=str(oid))
    assert "Invalid API key or access token" in caught.value.message


def test_too_many_requests_is_waited_out(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.fail(
        "POST",
        REFUNDS,
        429,
        {"errors": "Exceeded 2 calls per second for api client."},
        headers={"Retry-After": "0.05"},
    )
    payments(shopify).refund("1001", 500, "USD", "k429", external_id=str(oid))
    assert len(shopify.calls("POST", REFUNDS)) == 2
    assert shopify.refunded(oid) == Decimal("5.00")


def test_a_server_error_is_unavailable_and_a_retry_pays_once(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.fail("POST", REFUNDS, 503, b"<html>Service Unavailable</html>")
    with pytest.raises(PaymentsUnavailable) as caught:
        payments(shopify).refund("1001", 2400, "USD", "k503", external_id=str(oid))
    assert caught.value.retryable and caught.value.status == 503
    assert shopify.refunded(oid) == 0
    payments(shopify).refund("1001", 2400, "USD", "k503", external_id=str(oid))
    assert shopify.refunded(oid) == Decimal("24.00")
