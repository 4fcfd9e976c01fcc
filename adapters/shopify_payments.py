"""Refunds through Shopify's GraphQL Admin API (``refundCreate``), behind the ``Payments``
protocol.

**One refund.** The order is read first (its currencies, line items, refunds and
transactions). The refund goes back to the order's original payment: its successful ``SALE``
or ``CAPTURE`` transactions, oldest first, each up to what is still unrefunded on it, as
``REFUND`` transactions naming the parent and its gateway. The returned units go in
``refundLineItems`` (the Shopify line item, the units, ``restockType: RETURN`` when the store
restocks returns and the parcel came back, else ``NO_RESTOCK``) so Shopify's order shows what
came back. Shopify sends no e-mail of its own (``notify: false``): the desk tells the customer.

**Currencies.** The desk counts in the shop's currency. A multi-currency order (its
``presentmentCurrencyCode`` is not its ``currencyCode``) is refunded in the presentment
currency, as Shopify requires (``RefundInput.currency`` and the transactions' amounts): the
amount is converted at the rate the order was paid at, the line's own presentment total over
its shop total (the order's total when the line is not known), rounded half up.

**Manual and cash-on-delivery gateways** (``manual``, ``cash_on_delivery``, ``Cash on Delivery
(COD)``, bank deposit, money order): no service can give that money back. Nothing is posted;
:class:`RefundByHand` tells the desk, which asks the owner to pay the customer by hand.

**Idempotency.** Each refund's note carries the key in brackets. Before posting, the order's
refunds are read and one whose note holds the key is returned instead of refunding again: an
attempt whose answer was lost (a timeout, a crash before the case committed) is not paid
twice. The mutation also carries the key in Shopify's ``@idempotent`` directive (mandatory for
``refundCreate`` from API version 2026-04), so a retry inside Shopify's window is one refund.

The Shopify order is the order's ``external_id`` (its numeric id, kept when the order came
from a Shopify export, the API or a webhook); without one it is looked up by name (``#1001``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from adapters.http_service import ErrorFamily
from adapters.shopify_client import ShopifyService, gid, legacy_id
from policies.models import normalize_order_number
from policies.money import Money, exponent, round_half_up
from tools.adapters import RefundByHand, RefundedItems
from tools.gateways import is_manual_gateway
from tools.service_errors import (
    PaymentsAuthFailed,
    PaymentsRejected,
    PaymentsUnavailable,
)

SERVICE = "Shopify"
FAMILY = ErrorFamily(
    service=SERVICE,
    unavailable=PaymentsUnavailable,
    auth=PaymentsAuthFailed,
    rejected=PaymentsRejected,
)
REFUNDABLE_KINDS = ("SALE", "CAPTURE")
# Shopify refuses a query whose estimated cost is over 1,000 points (each connection counts
# its ``first`` objects, nested ones multiplied): the sizes below keep it near 300.
MONEY = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
ORDER_FOR_REFUND = f"""
query OrderForRefund($id: ID!) {{
  order(id: $id) {{
    id
    name
    currencyCode
    presentmentCurrencyCode
    paymentGatewayNames
    totalPriceSet {MONEY}
    lineItems(first: 100) {{
      nodes {{ id sku quantity refundableQuantity discountedTotalSet {MONEY} }}
    }}
    refunds(first: 20) {{
      id legacyResourceId note createdAt
      transactions(first: 5) {{ nodes {{ status }} }}
    }}
    transactions(first: 50) {{
      id kind status gateway createdAt
      parentTransaction {{ id }}
      amountSet {MONEY}
    }}
  }}
}}
"""
ORDER_BY_NAME = """
query OrderByName($query: String!) {
  orders(first: 5, query: $query) { nodes { id legacyResourceId name } }
}
"""
REFUND_CREATE = f"""
mutation RefundCreate($input: RefundInput!, $idempotencyKey: String!) {{
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {{
    refund {{
      id
      legacyResourceId
      note
      totalRefundedSet {MONEY}
      transactions(first: 20) {{ nodes {{ id kind status gateway errorCode }} }}
    }}
    userErrors {{ field message }}
  }}
}}
"""


def _minor(amount: Any, currency: str) -> int:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return 0
    return int(value.scaleb(exponent(currency)).to_integral_value())


def _text(minor: int, currency: str) -> str:
    return Money(minor=minor, currency=currency).amount_str()


def _went_through(refund: dict[str, Any]) -> bool:
    """A refund some of whose money went (or is going) back: not one the gateway refused."""
    nodes = (refund.get("transactions") or {}).get("nodes") or []
    return any(str(t.get("status")) in ("SUCCESS", "PENDING") for t in nodes if isinstance(t, dict))


def _bag(node: Any, side: str, currency: str) -> int:
    """Minor units of one side (``shopMoney``/``presentmentMoney``) of a MoneyBag."""
    money = (node or {}).get(side) or {}
    return _minor(money.get("amount") or "0", currency)


class ShopifyPayments(ShopifyService):
    """Refunds the original payment of a Shopify order; see the module docstring."""

    FAMILY = FAMILY

    def __init__(self, *args: Any, restock_location: str | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.restock_location = (restock_location or "").strip() or None

    # -- the Payments protocol --------------------------------------------------------------

    def refund(
        self,
        order_number: str,
        amount_minor: int,
        currency: str,
        key: str,
        *,
        external_id: str | None = None,
        items: RefundedItems | None = None,
    ) -> str | RefundByHand:
        if amount_minor <= 0:
            raise PaymentsRejected(SERVICE, "A refund must be more than zero.")
        order_id = gid("Order", (external_id or "").strip() or self.order_id(order_number))
        order = self._order(order_id, order_number)
        mine = [
            refund
            for refund in order.get("refunds") or []
            if isinstance(refund, dict) and f"[{key}]" in str(refund.get("note") or "")
        ]
        paid = [refund for refund in mine if _went_through(refund)]
        if paid:
            return f"shopify-refund-{paid[0].get('legacyResourceId') or legacy_id(paid[0]['id'])}"
        # An attempt the gateway refused is kept under its key (a retry with it would get
        # the same refusal back): the next attempt goes under a key of its own.
        shopify_key = f"{key}:retry-{len(mine)}" if mine else key
        shop_currency = str(order.get("currencyCode") or currency).upper()
        if shop_currency != currency.upper():
            raise PaymentsRejected(
                SERVICE,
                f"Order {order_number} is kept in {shop_currency} in Shopify, not {currency}; "
                "nothing was refunded.",
            )
        paid_in = str(order.get("presentmentCurrencyCode") or shop_currency).upper()
        line = self._line(order, items)
        amount = self._in_presentment(order, line, amount_minor, currency, paid_in)
        transactions = self._refund_plan(order, order_number, amount, paid_in)
        if isinstance(transactions, RefundByHand):
            return transactions
        refund_input: dict[str, Any] = {
            "orderId": order_id,
            "currency": paid_in,
            "notify": False,
            "note": f"ReturnBridge refund [{key}]",
            "transactions": transactions,
        }
        returned = self._refund_line_items(line, items)
        if returned:
            refund_input["refundLineItems"] = returned
        what = f"refunding order {order_number}"
        try:
            data = self.admin.graphql(
                REFUND_CREATE, {"input": refund_input, "idempotencyKey": shopify_key}, what=what
            )
        except PaymentsRejected as error:
            if "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" not in getattr(error, "codes", ()):
                raise
            # Shopify keeps a failed attempt under its key and wants a new one. The order's
            # refunds were read above: nothing was refunded under this key, so a fresh key
            # (the note keeps the desk's own) cannot pay twice.
            data = self.admin.graphql(
                REFUND_CREATE,
                {"input": refund_input, "idempotencyKey": f"{shopify_key}:{uuid.uuid4().hex[:12]}"},
                what=what,
            )
        payload = data.get("refundCreate") or {}
        self.admin.user_errors(payload, f"the refund of order {order_number}")
        refund = payload.get("refund")
        if not isinstance(refund, dict) or not refund.get("id"):
            raise PaymentsUnavailable(
                SERVICE,
                f"Shopify answered the refund of order {order_number} without a refund; "
                "check the order in Shopify before trying again.",
            )
        failed = [
            txn
            for txn in (refund.get("transactions") or {}).get("nodes") or []
            if isinstance(txn, dict) and str(txn.get("status")) in ("FAILURE", "ERROR")
        ]
        if failed:
            why = "; ".join(str(t.get("errorCode") or "") for t in failed).strip("; ")
            raise PaymentsRejected(
                SERVICE,
                f"The payment gateway refused the refund of order {order_number}"
                + (f": {why}" if why else "."),
            )
        return f"shopify-refund-{refund.get('legacyResourceId') or legacy_id(refund['id'])}"

    # -- steps ------------------------------------------------------------------------------

    def order_id(self, order_number: str) -> str:
        """The Shopify id of the order named ``#1001`` (any status)."""
        wanted = normalize_order_number(order_number)
        data = self.admin.graphql(
            ORDER_BY_NAME,
            {"query": f"name:#{wanted} status:any"},
            what=f"looking up order {order_number}",
        )
        for order in (data.get("orders") or {}).get("nodes") or []:
            if isinstance(order, dict) and normalize_order_number(order.get("name", "")) == wanted:
                return str(order["id"])
        raise PaymentsRejected(
            SERVICE,
            f"Shopify has no order named #{wanted}; nothing was refunded. Import the order from "
            "Shopify (its export or `returnbridge orders sync-shopify`) so it carries its id.",
        )

    def _order(self, order_id: str, order_number: str) -> dict[str, Any]:
        data = self.admin.graphql(
            ORDER_FOR_REFUND, {"id": order_id}, what=f"reading order {order_number}"
        )
        order = data.get("order")
        if not isinstance(order, dict):
            raise PaymentsRejected(
                SERVICE, f"Shopify has no order {legacy_id(order_id)}; nothing was refunded."
            )
        return order

    @staticmethod
    def _line(order: dict[str, Any], items: RefundedItems | None) -> dict[str, Any] | None:
        """The Shopify line item: by its id, else (an order imported from an export, which
        has no line ids) the one line with the SKU."""
        if items is None:
            return None
        nodes = [
            n for n in (order.get("lineItems") or {}).get("nodes") or [] if isinstance(n, dict)
        ]
        if items.line_item_id:
            wanted = gid("LineItem", items.line_item_id)
            return next((node for node in nodes if node.get("id") == wanted), None)
        same = [n for n in nodes if items.sku and str(n.get("sku") or "") == items.sku]
        return same[0] if len(same) == 1 else None

    @staticmethod
    def _in_presentment(
        order: dict[str, Any],
        line: dict[str, Any] | None,
        amount_minor: int,
        currency: str,
        paid_in: str,
    ) -> int:
        """The shop-currency amount in the order's presentment currency, at the rate the line
        (else the order) was paid at."""
        if paid_in == currency.upper():
            return amount_minor
        for bag in ((line or {}).get("discountedTotalSet"), order.get("totalPriceSet")):
            shop = _bag(bag, "shopMoney", currency)
            shown = _bag(bag, "presentmentMoney", paid_in)
            if shop > 0 and shown > 0:
                return round_half_up(Fraction(amount_minor * shown, shop))
        raise PaymentsRejected(
            SERVICE,
            f"Order {order.get('name')} was paid in {paid_in} and Shopify gave no amounts to "
            f"convert {currency} with; nothing was refunded.",
        )

    def _refund_line_items(
        self, line: dict[str, Any] | None, items: RefundedItems | None
    ) -> list[dict[str, Any]]:
        if line is None or items is None or items.quantity <= 0:
            return []
        # Never more units than Shopify still counts as refundable (some may have been
        # refunded in Shopify's admin): the money is the desk's to cap, the units Shopify's.
        units = min(items.quantity, int(line.get("refundableQuantity") or 0))
        if units <= 0:
            return []
        entry: dict[str, Any] = {
            "lineItemId": line["id"],
            "quantity": units,
            "restockType": "RETURN" if items.restock else "NO_RESTOCK",
        }
        if items.restock and self.restock_location:
            entry["locationId"] = gid("Location", self.restock_location)
        return [entry]

    def _refund_plan(
        self, order: dict[str, Any], order_number: str, amount: int, currency: str
    ) -> list[dict[str, Any]] | RefundByHand:
        rows = [t for t in order.get("transactions") or [] if isinstance(t, dict)]
        refunded: dict[str, int] = {}
        for txn in rows:
            if txn.get("kind") == "REFUND" and txn.get("status") in ("SUCCESS", "PENDING"):
                parent = str((txn.get("parentTransaction") or {}).get("id"))
                refunded[parent] = refunded.get(parent, 0) + _bag(
                    txn.get("amountSet"), "presentmentMoney", currency
                )
        payments = [
            txn
            for txn in rows
            if txn.get("kind") in REFUNDABLE_KINDS and txn.get("status") == "SUCCESS"
        ]
        gateways = [str(t.get("gateway") or "") for t in payments] or [
            str(g) for g in order.get("paymentGatewayNames") or []
        ]
        if gateways and all(is_manual_gateway(g) for g in gateways):
            return RefundByHand(
                gateway=gateways[0],
                why=f"order {order_number} was paid through {gateways[0]}, which Shopify "
                "cannot pay back",
            )
        payments = [t for t in payments if not is_manual_gateway(str(t.get("gateway") or ""))]
        if not payments:
            raise PaymentsRejected(
                SERVICE,
                f"Order {order_number} has no completed payment in Shopify to refund to; "
                "nothing was refunded.",
            )
        plan: list[dict[str, Any]] = []
        left = amount
        for txn in sorted(payments, key=lambda t: (str(t.get("createdAt") or ""), t.get("id"))):
            paid = _bag(txn.get("amountSet"), "presentmentMoney", currency)
            room = paid - refunded.get(str(txn.get("id")), 0)
            if room <= 0 or left <= 0:
                continue
            take = min(room, left)
            plan.append(
                {
                    "orderId": order["id"],
                    "parentId": txn["id"],
                    "amount": _text(take, currency),
                    "kind": "REFUND",
                    "gateway": txn.get("gateway"),
                }
            )
            left -= take
        if left > 0:
            raise PaymentsRejected(
                SERVICE,
                f"Order {order_number} has only {_text(amount - left, currency)} {currency} "
                f"left to refund in Shopify, less than {_text(amount, currency)} {currency}; "
                "nothing was refunded.",
            )
        return plan
