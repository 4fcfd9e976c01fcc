"""Refunds through Shopify (Admin REST API), behind the ``Payments`` protocol.

A refund goes back to the order's original payment: the order's successful ``sale`` or
``capture`` transactions (``GET /orders/{id}/transactions.json``) are refunded, oldest
first, each up to what is still unrefunded on it, with one
``POST /orders/{id}/refunds.json`` whose transactions are ``kind: "refund"`` with the
parent's ``parent_id`` and ``gateway``. Nothing is restocked and Shopify sends no e-mail of
its own (ReturnBridge tells the customer).

The Shopify order is the order's ``external_id`` (its numeric id, kept when the order came
from a Shopify export or the Admin API); without one it is looked up by name (``#1001``).

Each refund's note carries the idempotency key in brackets. Before posting, the order's
refunds are read (``GET /orders/{id}/refunds.json``) and a refund whose note holds the key
is returned instead of refunding again: an attempt whose answer was lost (a timeout, a crash
before the case committed) is not paid twice. The key also goes out as the
``Idempotency-Key`` header.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.http_service import ErrorFamily
from adapters.shopify_client import ShopifyService
from policies.models import normalize_order_number
from policies.money import Money, exponent
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
REFUNDABLE_KINDS = ("sale", "capture")


def _minor(amount: Any, currency: str) -> int | None:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return None
    return int(value.scaleb(exponent(currency)).to_integral_value())


def _text(minor: int, currency: str) -> str:
    return Money(minor=minor, currency=currency).amount_str()


class ShopifyPayments(ShopifyService):
    """Refunds the original payment of a Shopify order; see the module docstring."""

    FAMILY = FAMILY

    # -- the Payments protocol --------------------------------------------------------------

    def refund(
        self,
        order_number: str,
        amount_minor: int,
        currency: str,
        key: str,
        *,
        external_id: str | None = None,
    ) -> str:
        if amount_minor <= 0:
            raise PaymentsRejected(SERVICE, "A refund must be more than zero.")
        order_id = (external_id or "").strip() or self.order_id(order_number)
        earlier = self._refund_with_key(order_id, key)
        if earlier is not None:
            return earlier
        transactions = self._refund_plan(order_id, order_number, amount_minor, currency)
        body, _ = self.admin.request(
            "POST",
            f"orders/{order_id}/refunds.json",
            what=f"refunding order {order_number}",
            headers={"Idempotency-Key": key},
            json_body={
                "refund": {
                    "currency": currency,
                    "notify": False,
                    "note": f"ReturnBridge refund [{key}]",
                    "transactions": transactions,
                }
            },
        )
        refund = body.get("refund")
        if not isinstance(refund, dict) or refund.get("id") is None:
            raise PaymentsUnavailable(
                SERVICE,
                f"Shopify answered the refund of order {order_number} without a refund id; "
                "check the order in Shopify before trying again.",
            )
        failed = [
            txn
            for txn in refund.get("transactions") or []
            if isinstance(txn, dict) and txn.get("status") in ("failure", "error")
        ]
        if failed:
            why = "; ".join(str(t.get("message") or t.get("error_code") or "") for t in failed)
            raise PaymentsRejected(
                SERVICE,
                f"The payment gateway refused the refund of order {order_number}"
                + (f": {why}" if why.strip("; ") else "."),
            )
        return f"shopify-refund-{refund['id']}"

    # -- steps ------------------------------------------------------------------------------

    def order_id(self, order_number: str) -> str:
        """The Shopify id of the order named ``#1001`` (any status)."""
        wanted = normalize_order_number(order_number)
        body, _ = self.admin.request(
            "GET",
            "orders.json",
            what=f"looking up order {order_number}",
            params={"name": wanted, "status": "any", "fields": "id,name"},
        )
        for order in body.get("orders") or []:
            if isinstance(order, dict) and normalize_order_number(order.get("name", "")) == wanted:
                return str(order["id"])
        raise PaymentsRejected(
            SERVICE,
            f"Shopify has no order named #{wanted}; nothing was refunded. Import the order from "
            "Shopify (its export or `returnbridge orders sync-shopify`) so it carries its id.",
        )

    def _refund_with_key(self, order_id: str, key: str) -> str | None:
        body, _ = self.admin.request(
            "GET", f"orders/{order_id}/refunds.json", what="reading the order's refunds"
        )
        for refund in body.get("refunds") or []:
            if isinstance(refund, dict) and f"[{key}]" in str(refund.get("note") or ""):
                return f"shopify-refund-{refund.get('id')}"
        return None

    def _refund_plan(
        self, order_id: str, order_number: str, amount_minor: int, currency: str
    ) -> list[dict[str, Any]]:
        body, _ = self.admin.request(
            "GET",
            f"orders/{order_id}/transactions.json",
            what=f"reading the payments of order {order_number}",
        )
        rows = [t for t in body.get("transactions") or [] if isinstance(t, dict)]
        refunded: dict[str, int] = {}
        for txn in rows:
            if txn.get("kind") == "refund" and txn.get("status") in ("success", "pending"):
                parent = str(txn.get("parent_id"))
                refunded[parent] = refunded.get(parent, 0) + (
                    _minor(txn.get("amount"), currency) or 0
                )
        payments = [
            txn
            for txn in rows
            if txn.get("kind") in REFUNDABLE_KINDS and txn.get("status") == "success"
        ]
        if not payments:
            raise PaymentsRejected(
                SERVICE,
                f"Order {order_number} has no completed payment in Shopify to refund to; "
                "nothing was refunded.",
            )
        other = sorted({str(t.get("currency")) for t in payments if t.get("currency")} - {currency})
        if other:
            raise PaymentsRejected(
                SERVICE,
                f"Order {order_number} was paid in {', '.join(other)}, not {currency}; "
                "nothing was refunded.",
            )
        plan: list[dict[str, Any]] = []
        left = amount_minor
        for txn in sorted(payments, key=lambda t: (str(t.get("created_at") or ""), t.get("id"))):
            paid = _minor(txn.get("amount"), currency) or 0
            room = paid - refunded.get(str(txn.get("id")), 0)
            if room <= 0 or left <= 0:
                continue
            take = min(room, left)
            plan.append(
                {
                    "parent_id": txn.get("id"),
                    "amount": _text(take, currency),
                    "kind": "refund",
                    "gateway": txn.get("gateway"),
                }
            )
            left -= take
        if left > 0:
            can = amount_minor - left
            raise PaymentsRejected(
                SERVICE,
                f"Order {order_number} has only {_text(can, currency)} {currency} left to refund "
                f"in Shopify, less than {_text(amount_minor, currency)} {currency}; "
                "nothing was refunded.",
            )
        return plan
