"""ShopifyPayments against a local Shopify GraphQL Admin API speaking its wire format."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from adapters.shopify_payments import ShopifyPayments, is_manual_gateway
from tests.adapters.fake_shopify import TOKEN, VERSION, FakeShopify
from tools.adapters import RefundByHand, RefundedItems
from tools.service_errors import (
    PaymentsAuthFailed,
    PaymentsRejected,
    PaymentsUnavailable,
)


def payments(server: FakeShopify, token: str = TOKEN, **options: Any) -> ShopifyPayments:
    return ShopifyPayments("demo-store", token, api_version=VERSION, base_url=server.url, **options)


def mug_order(server: FakeShopify, **options: object) -> int:
    return server.add_order(
        "#1001",
        email="ana@example.com",
        created_at="2026-03-01T10:00:00-05:00",
        line_items=[
            {"name": "Ceramic mug", "sku": "MUG-1", "price": "24.00", "quantity": 1,
             "vendor": "Acme", "total_discount": "0.00", "discount_allocations": []},
            {"name": "Desk lamp", "sku": "LAMP-1", "price": "60.00", "quantity": 2,
             "vendor": "Acme", "total_discount": "0.00", "discount_allocations": []},
        ],
        **options,  # type: ignore[arg-type]
    )  # fmt: skip


def refund_input(server: FakeShopify, index: int = -1) -> dict[str, Any]:
    return dict(server.operations("RefundCreate")[index].json()["variables"]["input"])


def test_refunds_the_original_sale_with_refundcreate(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    sale = shopify.transactions[oid][0]
    reference = payments(shopify).refund(
        "1001", 2400, "USD", "RB-000001:refund:settle", external_id=str(oid)
    )

    posted = shopify.operations("RefundCreate")
    assert len(posted) == 1
    assert posted[0].path == f"/admin/api/{VERSION}/graphql.json"
    assert posted[0].headers["x-shopify-access-token"] == TOKEN
    body = posted[0].json()
    assert re.search(r"@idempotent\(key:\s*\$idempotencyKey\)", body["query"])
    assert body["variables"]["idempotencyKey"] == "RB-000001:refund:settle"
    given = body["variables"]["input"]
    assert given["orderId"] == f"gid://shopify/Order/{oid}"
    assert given["currency"] == "USD"
    assert given["notify"] is False
    assert "[RB-000001:refund:settle]" in given["note"]
    assert given["transactions"] == [
        {
            "orderId": f"gid://shopify/Order/{oid}",
            "parentId": sale["id"],
            "amount": "24.00",
            "kind": "REFUND",
            "gateway": "shopify_payments",
        }
    ]
    assert "refundLineItems" not in given  # no line item named: money only
    assert reference == f"shopify-refund-{shopify.refunds[oid][0]['id']}"
    assert shopify.refunded(oid) == Decimal("24.00")


def test_the_returned_units_go_back_as_refund_line_items(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    lamp = shopify.line_id(oid, "LAMP-1")
    client = payments(shopify)
    client.refund(
        "1001", 6000, "USD", "k-lamp", external_id=str(oid),
        items=RefundedItems(line_item_id=str(lamp), quantity=1, restock=False),
    )  # fmt: skip
    assert refund_input(shopify)["refundLineItems"] == [
        {"lineItemId": f"gid://shopify/LineItem/{lamp}", "quantity": 1, "restockType": "NO_RESTOCK"}
    ]
    restocking = payments(shopify, restock_location="61234567")
    restocking.refund(
        "1001", 6000, "USD", "k-lamp-2", external_id=str(oid),
        items=RefundedItems(line_item_id=str(lamp), quantity=1, restock=True),
    )  # fmt: skip
    assert refund_input(shopify)["refundLineItems"] == [
        {
            "lineItemId": f"gid://shopify/LineItem/{lamp}",
            "quantity": 1,
            "restockType": "RETURN",
            "locationId": "gid://shopify/Location/61234567",
        }
    ]
    # Both units are refunded in Shopify now: a third refund asks for none (money only).
    restocking.refund(
        "1001", 100, "USD", "k-lamp-3", external_id=str(oid),
        items=RefundedItems(line_item_id=str(lamp), quantity=1, restock=True),
    )  # fmt: skip
    assert "refundLineItems" not in refund_input(shopify)
    assert shopify.refunded(oid) == Decimal("121.00")


def test_a_multi_currency_order_is_refunded_in_its_presentment_currency(
    shopify: FakeShopify,
) -> None:
    # Shop in USD, customer paid in EUR at 0.92: 24.00 USD of the mug is 22.08 EUR.
    oid = mug_order(shopify, presentment_currency="EUR", rate="0.92")
    mug = shopify.line_id(oid, "MUG-1")
    payments(shopify).refund(
        "1001", 2400, "USD", "k-eur", external_id=str(oid),
        items=RefundedItems(line_item_id=str(mug), quantity=1),
    )  # fmt: skip
    given = refund_input(shopify)
    assert given["currency"] == "EUR"
    assert [t["amount"] for t in given["transactions"]] == ["22.08"]
    assert shopify.refunded(oid, presentment=True) == Decimal("22.08")
    assert shopify.refunded(oid) == Decimal("24.00")


def test_a_multi_currency_refund_converts_at_the_rate_paid_rounded_half_up(
    shopify: FakeShopify,
) -> None:
    oid = mug_order(shopify, presentment_currency="CAD", rate="1.3725")
    payments(shopify).refund("1001", 1001, "USD", "k-cad", external_id=str(oid))
    # 10.01 USD x (197.64 CAD / 144.00 USD) = 13.7387 -> 13.74 CAD (the order's rate).
    assert [t["amount"] for t in refund_input(shopify)["transactions"]] == ["13.74"]


def test_the_order_is_found_by_name_without_its_id(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    payments(shopify).refund("#1001", 1000, "USD", "k-name")
    lookup = shopify.operations("OrderByName")[0].json()["variables"]
    assert lookup["query"] == "name:#1001 status:any"
    assert shopify.refunded(oid) == Decimal("10.00")


def test_an_order_shopify_does_not_know_is_refused(shopify: FakeShopify) -> None:
    mug_order(shopify)
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("2002", 1000, "USD", "k-missing")
    assert "no order named #2002" in caught.value.message
    assert shopify.operations("RefundCreate") == []


def test_the_same_key_refunds_once_even_when_the_answer_was_lost(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    first = payments(shopify).refund(
        "1001", 2400, "USD", "RB-000002:refund:settle", external_id=str(oid)
    )
    # Shopify's own idempotency window over: the note is what stops a second payment.
    shopify.idempotency.clear()
    again = payments(shopify).refund(
        "1001", 2400, "USD", "RB-000002:refund:settle", external_id=str(oid)
    )
    assert again == first
    assert len(shopify.operations("RefundCreate")) == 1
    assert shopify.refunded(oid) == Decimal("24.00")


def test_a_refund_whose_answer_was_lost_is_found_by_its_note_and_not_posted_again(
    shopify: FakeShopify,
) -> None:
    oid = mug_order(shopify)
    shopify.lose_answers = 1  # Shopify refunds, the answer never arrives
    with pytest.raises(PaymentsUnavailable):
        payments(shopify).refund(
            "1001", 2400, "USD", "RB-000011:refund:settle", external_id=str(oid)
        )
    assert shopify.refunded(oid) == Decimal("24.00")
    shopify.idempotency.clear()  # past Shopify's own window: only the note can tell
    reference = payments(shopify).refund(
        "1001", 2400, "USD", "RB-000011:refund:settle", external_id=str(oid)
    )
    assert reference == f"shopify-refund-{shopify.refunds[oid][0]['id']}"
    assert len(shopify.operations("RefundCreate")) == 1
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
    second = refund_input(shopify)["transactions"]
    captures = [t["id"] for t in shopify.transactions[oid] if t["kind"] == "CAPTURE"]
    assert [(t["parentId"], t["amount"]) for t in second] == [
        (captures[0], "10.00"),
        (captures[1], "20.00"),
    ]
    with pytest.raises(PaymentsRejected) as caught:
        client.refund("1001", 8000, "USD", "third", external_id=str(oid))
    assert "only 74.00 USD left" in caught.value.message
    assert len(shopify.operations("RefundCreate")) == 2


def test_an_order_without_a_payment_is_refused(shopify: FakeShopify) -> None:
    oid = mug_order(shopify, payments=[("authorization", "144.00", "shopify_payments")])
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("1001", 100, "USD", "k", external_id=str(oid))
    assert "no completed payment" in caught.value.message


def test_an_order_kept_in_another_shop_currency_is_refused(shopify: FakeShopify) -> None:
    oid = mug_order(shopify, currency="EUR")
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("1001", 100, "USD", "k", external_id=str(oid))
    assert "kept in EUR" in caught.value.message


@pytest.mark.parametrize(
    "gateway", ["manual", "cash_on_delivery", "Cash on Delivery (COD)", "Bank Deposit"]
)
def test_a_manual_or_cash_on_delivery_order_is_not_refunded_by_shopify(
    shopify: FakeShopify, gateway: str
) -> None:
    oid = mug_order(shopify, payments=[("sale", "144.00", gateway)])
    answer = payments(shopify).refund("1001", 2400, "USD", "k-cod", external_id=str(oid))
    assert isinstance(answer, RefundByHand)
    assert answer.gateway == gateway
    assert shopify.operations("RefundCreate") == []
    assert shopify.refunded(oid) == 0


def test_card_gateways_are_not_manual() -> None:
    assert not is_manual_gateway("shopify_payments")
    assert not is_manual_gateway("paypal")
    assert is_manual_gateway("Cash on Delivery (COD)")


def test_shopify_user_errors_are_a_refusal_with_their_reason(shopify: FakeShopify) -> None:
    oid = mug_order(shopify, presentment_currency="EUR", rate="0.92")
    shopify.fail_operation(
        "RefundCreate",
        200,
        {
            "data": {
                "refundCreate": {
                    "refund": None,
                    "userErrors": [
                        {"field": ["transactions", "0", "amount"],
                         "message": "Refund amount 22.08 is greater than net payment received"}
                    ],
                }
            }
        },
    )  # fmt: skip
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("1001", 2400, "USD", "k", external_id=str(oid))
    assert "transactions.0.amount: Refund amount 22.08 is greater" in caught.value.message


def test_a_gateway_failure_is_refused(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.gateway_failure = "CARD_DECLINED"
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("1001", 2400, "USD", "k", external_id=str(oid))
    assert "CARD_DECLINED" in caught.value.message


def test_a_wrong_token_is_an_auth_error(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    with pytest.raises(PaymentsAuthFailed) as caught:
        payments(shopify, token="shpat_wrong").refund("1001", 100, "USD", "k", external_id=str(oid))
    assert "Invalid API key or access token" in caught.value.message


def test_a_throttled_answer_is_waited_out_by_the_cost_bucket(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.throttled = 2  # the order read and its retry: 5 points short at 100 a second
    payments(shopify).refund("1001", 500, "USD", "k-throttle", external_id=str(oid))
    assert len(shopify.operations("OrderForRefund")) == 3
    assert shopify.refunded(oid) == Decimal("5.00")


def test_a_query_that_keeps_being_throttled_is_unavailable(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.throttled = 99
    client = payments(shopify)
    client.admin.max_wait_seconds = 0.01
    with pytest.raises(PaymentsUnavailable) as caught:
        client.refund("1001", 500, "USD", "k-throttle", external_id=str(oid))
    assert "Throttled" in caught.value.message and caught.value.retryable


def test_too_many_requests_is_waited_out(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.fail(
        "POST",
        r"/admin/api/.*/graphql\.json",
        429,
        {"errors": "Exceeded 2 calls per second for api client."},
        headers={"Retry-After": "0.05"},
    )
    payments(shopify).refund("1001", 500, "USD", "k429", external_id=str(oid))
    assert shopify.refunded(oid) == Decimal("5.00")


def test_a_server_error_is_unavailable_and_a_retry_pays_once(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.fail_operation("RefundCreate", 503, b"<html>Service Unavailable</html>")
    with pytest.raises(PaymentsUnavailable) as caught:
        payments(shopify).refund("1001", 2400, "USD", "k503", external_id=str(oid))
    assert caught.value.retryable and caught.value.status == 503
    assert shopify.refunded(oid) == 0
    payments(shopify).refund("1001", 2400, "USD", "k503", external_id=str(oid))
    assert shopify.refunded(oid) == Decimal("24.00")


def test_a_graphql_error_in_the_query_is_a_refusal(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.fail_operation(
        "OrderForRefund",
        200,
        {"errors": [{"message": "Field 'nope' doesn't exist on type 'Order'",
                     "extensions": {"code": "undefinedField", "typeName": "Order"}}]},
    )  # fmt: skip
    with pytest.raises(PaymentsRejected) as caught:
        payments(shopify).refund("1001", 100, "USD", "k", external_id=str(oid))
    assert "doesn't exist on type 'Order'" in caught.value.message


def test_an_order_from_an_export_finds_its_line_by_sku(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    payments(shopify).refund(
        "1001", 2400, "USD", "k-sku", external_id=str(oid),
        items=RefundedItems(line_item_id=None, quantity=1, sku="MUG-1"),
    )  # fmt: skip
    mug = shopify.line_id(oid, "MUG-1")
    assert refund_input(shopify)["refundLineItems"] == [
        {"lineItemId": f"gid://shopify/LineItem/{mug}", "quantity": 1, "restockType": "NO_RESTOCK"}
    ]


def test_a_refund_the_gateway_refused_is_tried_again_under_a_key_of_its_own(
    shopify: FakeShopify,
) -> None:
    oid = mug_order(shopify)
    shopify.gateway_failure = "CARD_DECLINED"
    with pytest.raises(PaymentsRejected):
        payments(shopify).refund(
            "1001", 2400, "USD", "RB-000009:refund:settle", external_id=str(oid)
        )
    shopify.gateway_failure = None
    # The refused refund carries the key in its note, but paid nothing: not a match.
    reference = payments(shopify).refund(
        "1001", 2400, "USD", "RB-000009:refund:settle", external_id=str(oid)
    )
    keys = [r.json()["variables"]["idempotencyKey"] for r in shopify.operations("RefundCreate")]
    assert keys == ["RB-000009:refund:settle", "RB-000009:refund:settle:retry-1"]
    assert reference == f"shopify-refund-{shopify.refunds[oid][1]['id']}"
    assert shopify.refunded(oid) == Decimal("24.00")
    # And once paid, the same desk key finds it and posts nothing.
    again = payments(shopify).refund(
        "1001", 2400, "USD", "RB-000009:refund:settle", external_id=str(oid)
    )
    assert again == reference and len(shopify.operations("RefundCreate")) == 2


def test_a_key_shopify_refused_before_is_replaced_by_a_fresh_one(shopify: FakeShopify) -> None:
    oid = mug_order(shopify)
    shopify.failed_keys.add("RB-000010:refund:settle")  # an attempt Shopify answered with errors
    payments(shopify).refund("1001", 2400, "USD", "RB-000010:refund:settle", external_id=str(oid))
    keys = [r.json()["variables"]["idempotencyKey"] for r in shopify.operations("RefundCreate")]
    assert keys[0] == "RB-000010:refund:settle"
    assert keys[1].startswith("RB-000010:refund:settle:") and len(keys) == 2
    assert shopify.refunded(oid) == Decimal("24.00")


def test_the_queries_stay_under_shopifys_single_query_cost_limit() -> None:
    from adapters.shopify_orders import ORDERS_QUERY, ShopifyOrders
    from adapters.shopify_payments import ORDER_FOR_REFUND, REFUND_CREATE
    from tests.adapters.fake_shopify import MAX_QUERY_COST, estimated_cost

    orders = estimated_cost(ORDERS_QUERY, {"first": ShopifyOrders.PAGE_SIZE})
    assert orders <= MAX_QUERY_COST, orders
    assert estimated_cost(ORDER_FOR_REFUND, {}) <= MAX_QUERY_COST
    assert estimated_cost(REFUND_CREATE, {}) <= MAX_QUERY_COST
    assert (
        estimated_cost(
            "query { orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }", {}
        )
        > MAX_QUERY_COST
    )
