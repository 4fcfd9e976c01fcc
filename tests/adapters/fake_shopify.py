"""A local Shopify GraphQL Admin API double: orders, transactions, refunds.

It speaks Shopify's wire format: ``POST /admin/api/{version}/graphql.json`` with the
``X-Shopify-Access-Token`` header and ``{"query", "variables"}``; answers ``{"data": ...,
"extensions": {"cost": {..., "throttleStatus": {...}}}}``; top-level ``errors`` with
``extensions.code`` (``THROTTLED`` answered with HTTP 200, as Shopify does); a mutation's
``userErrors``; 401 ``{"errors": "[API] Invalid API key or access token ..."}`` for a wrong
token. Objects have global ids (``gid://shopify/Order/…``) and ``legacyResourceId``, money is
a ``MoneyBag`` (``shopMoney``/``presentmentMoney``), connections have ``nodes`` and
``pageInfo``, enums are upper case (``SALE``, ``SUCCESS``, ``REFUND``, ``NO_RESTOCK``).

A fake does not parse GraphQL: it answers each operation by its name (``query Orders``,
``query OrderForRefund``, ``query OrderByName``, ``mutation RefundCreate``) with the fields the
adapters ask for, and checks what Shopify would refuse (``refundCreate`` without the
``@idempotent`` directive, a transaction over what its parent has left, units beyond the
refundable quantity, the wrong currency on a multi-currency order).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.adapters.fake_http import FakeService, Recorded, Reply

TOKEN = "shpat_0123456789abcdef"
VERSION = "2026-10"
UNAUTHORISED = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
MAX_COST = 2000.0
MAX_QUERY_COST = 1000
_OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)", re.MULTILINE)


def operation_of(request: Recorded) -> str:
    try:
        match = _OPERATION.search(str(request.json().get("query") or ""))
    except ValueError:
        return ""
    return match.group(2) if match else ""


_FIRST = re.compile(r"first:\s*(\$?\w+)")


def estimated_cost(document: str, variables: dict[str, Any]) -> int:
    """A rough upper bound of Shopify's requested query cost: every object a ``first:``
    asks for, multiplied by the ``first`` of the fields around it (Shopify's own estimate
    counts connections this way; its exact weights differ)."""
    cost, stack, pending = 0, [1], 1
    for token in re.findall(r"(?<![$\w])first:\s*\$?\w+|[{}]", document):
        if token == "{":
            stack.append(stack[-1] * pending)
            pending = 1
        elif token == "}":
            stack.pop()
        else:
            value = _FIRST.match(token)
            raw = value.group(1) if value else "1"
            number = variables.get(raw[1:]) if raw.startswith("$") else raw
            pending = int(number or 1)
            cost += stack[-1] * pending
    return cost


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _amount(value: Decimal) -> str:
    """Shopify's Decimal scalar: ``"24.0"``, ``"57.5"``, ``"12.35"``."""
    text = f"{_cents(value):f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


class FakeShopify(FakeService):
    def __init__(self, *, page_size: int = 250) -> None:
        super().__init__()
        self.orders: dict[int, dict[str, Any]] = {}
        self.transactions: dict[int, list[dict[str, Any]]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.page_size = page_size
        self.gateway_failure: str | None = None
        self.throttled = 0  # answer this many next requests THROTTLED
        self.available = MAX_COST
        self.op_failures: list[tuple[str, Reply, list[int]]] = []
        self.idempotency: dict[str, dict[str, Any]] = {}  # key -> the answer it got
        self.failed_keys: set[str] = set()  # keys whose attempt Shopify refused
        self.lose_answers = 0  # refund, then answer 502 (the answer lost on the way back)
        self._ids = itertools.count(5_100_000_001)

    def __enter__(self) -> FakeShopify:
        super().__enter__()
        return self

    @property
    def graphql_path(self) -> str:
        return f"/admin/api/{VERSION}/graphql.json"

    def operations(self, name: str) -> list[Recorded]:
        return [
            r for r in self.calls("POST", r"/admin/api/.*/graphql\.json") if operation_of(r) == name
        ]

    def fail_operation(
        self, name: str, status: int, body: bytes | dict[str, Any], *, times: int = 1
    ) -> None:
        with self.lock:
            self.op_failures.append((name, Reply(status, body), [times]))

    # -- building the shop ------------------------------------------------------------------

    def add_order(
        self,
        name: str,
        *,
        email: str,
        created_at: str,
        line_items: list[dict[str, Any]],
        financial_status: str = "paid",
        currency: str = "USD",
        presentment_currency: str | None = None,
        rate: str = "1",
        phone: str | None = None,
        shipping_address: dict[str, Any] | None = None,
        fulfillments: list[dict[str, Any]] | None = None,
        cancelled_at: str | None = None,
        payments: list[tuple[str, str, str]] | None = None,
        order_id: int | None = None,
        source_name: str = "web",
    ) -> int:
        """Add an order. ``line_items`` in Shopify's REST shape (``price``, ``quantity``,
        ``discount_allocations``); ``payments`` are (kind, amount in the shop's currency,
        gateway) of successful transactions (default one sale of the order's total through
        shopify_payments); ``rate`` turns shop amounts into the presentment currency."""
        oid = order_id or next(self._ids)
        lines = []
        for item in line_items:
            line = {"id": next(self._ids), "fulfillment_status": None, **item}
            price = Decimal(str(line["price"]))
            off = sum(
                (Decimal(str(a["amount"])) for a in line.get("discount_allocations") or []),
                Decimal(0),
            )
            line["paid"] = price * int(line["quantity"]) - off
            line["refundable"] = int(line["quantity"])
            lines.append(line)
        total = sum((line["paid"] for line in lines), Decimal(0))
        self.orders[oid] = {
            "id": oid,
            "name": name,
            "email": email,
            "phone": phone,
            "created_at": created_at,
            "cancelled_at": cancelled_at,
            "financial_status": financial_status,
            "currency": currency,
            "presentment_currency": presentment_currency or currency,
            "rate": Decimal(rate),
            "total": total,
            "line_items": lines,
            "shipping_address": shipping_address,
            "fulfillments": fulfillments or [],
            "source_name": source_name,
        }
        self.transactions[oid] = []
        for kind, amount, gateway in payments or [("sale", f"{total:.2f}", "shopify_payments")]:
            self.transactions[oid].append(
                self._transaction(
                    oid, kind=kind.upper(), amount=Decimal(amount), gateway=gateway, parent=None
                )
            )
        self.refunds[oid] = []
        return oid

    def _transaction(self, oid: int, **fields: Any) -> dict[str, Any]:
        order = self.orders[oid]
        amount = fields.pop("amount")
        return {
            "id": f"gid://shopify/OrderTransaction/{next(self._ids)}",
            "status": "SUCCESS",
            "createdAt": order["created_at"],
            "errorCode": None,
            "shop": amount,
            "presentment": _cents(amount * order["rate"]),
            **fields,
        }

    def _bag(self, oid: int, shop: Decimal, presentment: Decimal | None = None) -> dict[str, Any]:
        order = self.orders[oid]
        shown = presentment if presentment is not None else _cents(shop * order["rate"])
        return {
            "shopMoney": {"amount": _amount(shop), "currencyCode": order["currency"]},
            "presentmentMoney": {
                "amount": _amount(shown),
                "currencyCode": order["presentment_currency"],
            },
        }

    # -- routing ----------------------------------------------------------------------------

    def route(self, request: Recorded) -> Reply:
        if request.path != self.graphql_path or request.method != "POST":
            return Reply(404, {"errors": "Not Found"})
        if request.headers.get("x-shopify-access-token") != TOKEN:
            return Reply(401, UNAUTHORISED)
        name = operation_of(request)
        with self.lock:
            for op, reply, times in self.op_failures:
                if op == name and times[0] > 0:
                    times[0] -= 1
                    return reply
        cost = {"OrderForRefund": 12.0, "Orders": 40.0, "RefundCreate": 10.0}.get(name, 2.0)
        if self.throttled > 0:
            self.throttled -= 1
            return Reply(
                200,
                {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": self._cost(cost, None, available=cost - 5.0),
                },
            )
        body = request.json()
        variables = body.get("variables") or {}
        estimate = estimated_cost(str(body.get("query") or ""), variables)
        if estimate > MAX_QUERY_COST:
            return Reply(
                200,
                {
                    "errors": [
                        {
                            "message": f"Query cost is {estimate}, which exceeds the single "
                            f"query max cost limit ({MAX_QUERY_COST}).",
                            "extensions": {
                                "code": "MAX_COST_EXCEEDED",
                                "cost": estimate,
                                "maxCost": MAX_QUERY_COST,
                            },
                        }
                    ]
                },
            )
        handlers = {
            "Orders": self._orders,
            "OrderForRefund": self._order_for_refund,
            "OrderByName": self._order_by_name,
            "RefundCreate": self._refund_create,
        }
        handler = handlers.get(name)
        if handler is None:
            return Reply(
                200,
                {"errors": [{"message": f"Unknown operation {name!r}", "locations": []}]},
            )
        answer = handler(str(body.get("query") or ""), variables)
        if name == "RefundCreate" and self.lose_answers > 0:
            self.lose_answers -= 1
            return Reply(502, b"<html><body>502 Bad Gateway</body></html>")
        if "errors" not in answer:
            answer["extensions"] = self._cost(cost, cost)
        return Reply(200, answer)

    def _cost(self, requested: float, actual: float | None, **status: float) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": MAX_COST,
                    "currentlyAvailable": status.get("available", self.available),
                    "restoreRate": 100.0,
                },
            }
        }

    # -- rendering --------------------------------------------------------------------------

    def order_node(self, oid: int) -> dict[str, Any]:
        order = self.orders[oid]
        address = order["shipping_address"]
        return {
            "id": f"gid://shopify/Order/{oid}",
            "legacyResourceId": str(oid),
            "name": order["name"],
            "email": order["email"],
            "phone": order["phone"],
            "createdAt": order["created_at"],
            "processedAt": order["created_at"],
            "cancelledAt": order["cancelled_at"],
            "displayFinancialStatus": order["financial_status"].upper(),
            "currencyCode": order["currency"],
            "presentmentCurrencyCode": order["presentment_currency"],
            "sourceName": order["source_name"],
            "paymentGatewayNames": sorted({t["gateway"] for t in self.transactions[oid]}),
            "totalPriceSet": self._bag(oid, order["total"]),
            "customer": {"firstName": "", "lastName": "", "email": order["email"]},
            "shippingAddress": None
            if address is None
            else {
                "name": address.get("name"),
                "address1": address.get("address1"),
                "address2": address.get("address2"),
                "city": address.get("city"),
                "provinceCode": address.get("province_code"),
                "zip": address.get("zip"),
                "countryCodeV2": address.get("country_code"),
                "phone": address.get("phone"),
            },
            "billingAddress": None,
            "lineItems": {
                "nodes": [self._line_node(oid, line) for line in order["line_items"]],
                "pageInfo": {"hasNextPage": False, "endCursor": None},
            },
            "refunds": [self._refund_node(oid, r) for r in self.refunds[oid]],
            "transactions": [self._transaction_node(oid, t) for t in self.transactions[oid]],
            "fulfillments": [
                {
                    "id": f"gid://shopify/Fulfillment/{f['id']}",
                    "status": str(f.get("status") or "success").upper(),
                    "displayStatus": str(f.get("shipment_status") or "fulfilled").upper(),
                    "createdAt": f.get("created_at"),
                    "updatedAt": f.get("updated_at"),
                    "deliveredAt": f.get("delivered_at"),
                }
                for f in order["fulfillments"]
            ],
        }

    def _line_node(self, oid: int, line: dict[str, Any]) -> dict[str, Any]:
        price = Decimal(str(line["price"]))
        quantity = int(line["quantity"])
        return {
            "id": f"gid://shopify/LineItem/{line['id']}",
            "name": line.get("name"),
            "title": line.get("title") or line.get("name"),
            "sku": line.get("sku"),
            "vendor": line.get("vendor"),
            "quantity": quantity,
            "currentQuantity": line["refundable"],
            "refundableQuantity": line["refundable"],
            "originalUnitPriceSet": self._bag(oid, price),
            "originalTotalSet": self._bag(oid, price * quantity),
            # Line-level discounts only, as Shopify documents it: no order-level ones.
            "discountedTotalSet": self._bag(oid, price * quantity),
            "discountAllocations": [
                {"allocatedAmountSet": self._bag(oid, Decimal(str(a["amount"])))}
                for a in line.get("discount_allocations") or []
            ],
        }

    def _transaction_node(self, oid: int, txn: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": txn["id"],
            "kind": txn["kind"],
            "status": txn["status"],
            "gateway": txn["gateway"],
            "createdAt": txn["createdAt"],
            "errorCode": txn["errorCode"],
            "parentTransaction": {"id": txn["parent"]} if txn["parent"] else None,
            "amountSet": self._bag(oid, txn["shop"], txn["presentment"]),
        }

    def _refund_node(self, oid: int, refund: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/Refund/{refund['id']}",
            "legacyResourceId": str(refund["id"]),
            "note": refund["note"],
            "createdAt": refund["createdAt"],
            "totalRefundedSet": self._bag(
                oid,
                sum((t["shop"] for t in refund["transactions"]), Decimal(0)),
                sum((t["presentment"] for t in refund["transactions"]), Decimal(0)),
            ),
            "refundLineItems": {"nodes": refund["refundLineItems"]},
            "transactions": {
                "nodes": [self._transaction_node(oid, t) for t in refund["transactions"]]
            },
        }

    # -- operations -------------------------------------------------------------------------

    def _oid(self, global_id: Any) -> int | None:
        match = re.fullmatch(r"gid://shopify/Order/(\d+)", str(global_id or ""))
        oid = int(match.group(1)) if match else None
        return oid if oid in self.orders else None

    def _orders(self, _: str, variables: dict[str, Any]) -> dict[str, Any]:
        search = str(variables.get("query") or "")
        rows = sorted(self.orders.values(), key=lambda o: o["created_at"], reverse=True)
        since = re.search(r"created_at:>=?'?([^' ]+)'?", search)
        if since:
            start = dt.datetime.fromisoformat(since.group(1).replace("Z", "+00:00"))
            rows = [o for o in rows if dt.datetime.fromisoformat(o["created_at"]) >= start]
        first = min(int(variables.get("first") or 50), 250, self.page_size)
        offset = int(str(variables.get("after") or "cursor:0").split(":")[1])
        page = rows[offset : offset + first]
        more = offset + first < len(rows)
        return {
            "data": {
                "orders": {
                    "nodes": [self.order_node(o["id"]) for o in page],
                    "pageInfo": {
                        "hasNextPage": more,
                        "endCursor": f"cursor:{offset + first}" if page else None,
                    },
                }
            }
        }

    def _order_by_name(self, _: str, variables: dict[str, Any]) -> dict[str, Any]:
        match = re.search(r"name:#?(\S+)", str(variables.get("query") or ""))
        wanted = match.group(1) if match else ""
        nodes = [
            {"id": f"gid://shopify/Order/{o['id']}", "legacyResourceId": str(o["id"]),
             "name": o["name"]}
            for o in self.orders.values()
            if o["name"].lstrip("#") == wanted
        ]  # fmt: skip
        return {"data": {"orders": {"nodes": nodes}}}

    def _order_for_refund(self, _: str, variables: dict[str, Any]) -> dict[str, Any]:
        oid = self._oid(variables.get("id"))
        return {"data": {"order": self.order_node(oid) if oid is not None else None}}

    def _refund_create(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "@idempotent(key:" not in re.sub(r"\s+", "", document):
            return {
                "errors": [
                    {
                        "message": "The @idempotent directive is required for this mutation.",
                        "extensions": {"code": "BAD_REQUEST"},
                    }
                ]
            }
        key = str(variables.get("idempotencyKey") or "")
        if key in self.failed_keys:
            return {
                "errors": [
                    {
                        "message": "A previous request with this idempotency key failed. "
                        "Retry with a new idempotency key.",
                        "extensions": {"code": "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"},
                    }
                ]
            }
        if key in self.idempotency:
            return self.idempotency[key]
        answer = self._refund(variables.get("input") or {})
        if answer["data"]["refundCreate"]["refund"] is None:
            self.failed_keys.add(key)
        else:
            self.idempotency[key] = answer
        return answer

    def _refund(self, given: dict[str, Any]) -> dict[str, Any]:
        def refused(field: list[str], message: str) -> dict[str, Any]:
            return {
                "data": {
                    "refundCreate": {
                        "refund": None,
                        "userErrors": [{"field": field, "message": message}],
                    }
                }
            }

        oid = self._oid(given.get("orderId"))
        if oid is None:
            return refused(["orderId"], "Order does not exist")
        order = self.orders[oid]
        if order["currency"] != order["presentment_currency"] and (
            given.get("currency") != order["presentment_currency"]
        ):
            return refused(
                ["currency"],
                "Currency must match the order's presentment currency "
                f"{order['presentment_currency']}",
            )
        made = []
        for index, asked in enumerate(given.get("transactions") or []):
            parent = next(
                (t for t in self.transactions[oid] if t["id"] == asked.get("parentId")), None
            )
            if parent is None or parent["kind"] not in ("SALE", "CAPTURE"):
                return refused(["transactions", str(index), "parentId"], "Parent is invalid")
            if asked.get("kind") != "REFUND":
                return refused(["transactions", str(index), "kind"], "Kind is invalid")
            if asked.get("gateway") != parent["gateway"]:
                return refused(
                    ["transactions", str(index), "gateway"], "Gateway must match the parent"
                )
            already = sum(
                (
                    t["presentment"]
                    for t in self.transactions[oid]
                    if t["kind"] == "REFUND" and t["parent"] == parent["id"]
                    and t["status"] == "SUCCESS"
                ),
                Decimal(0),
            )  # fmt: skip
            amount = Decimal(str(asked.get("amount")))
            if amount <= 0 or amount + already > parent["presentment"]:
                return refused(
                    ["transactions", str(index), "amount"],
                    f"Refund amount {amount} is greater than net payment received",
                )
            made.append((parent, amount))
        lines = []
        for index, asked in enumerate(given.get("refundLineItems") or []):
            line = next(
                (
                    item
                    for item in order["line_items"]
                    if f"gid://shopify/LineItem/{item['id']}" == asked.get("lineItemId")
                ),
                None,
            )
            if line is None:
                return refused(["refundLineItems", str(index), "lineItemId"], "Invalid line")
            if asked.get("restockType") not in ("RETURN", "NO_RESTOCK", "CANCEL"):
                return refused(["refundLineItems", str(index), "restockType"], "Invalid")
            if not 0 < int(asked.get("quantity") or 0) <= line["refundable"]:
                return refused(
                    ["refundLineItems", str(index), "quantity"],
                    "Quantity cannot refund more items than were purchased",
                )
            lines.append((line, int(asked["quantity"]), asked["restockType"]))
        refund_id = next(self._ids)
        transactions = []
        for parent, amount in made:
            txn = self._transaction(
                oid,
                kind="REFUND",
                amount=_cents(amount / order["rate"]),
                gateway=parent["gateway"],
                parent=parent["id"],
                status="FAILURE" if self.gateway_failure else "SUCCESS",
                errorCode=self.gateway_failure,
            )
            txn["presentment"] = amount
            self.transactions[oid].append(txn)
            transactions.append(txn)
        for line, quantity, _ in lines:
            line["refundable"] -= quantity
        refund = {
            "id": refund_id,
            "note": given.get("note"),
            "notify": given.get("notify"),
            "createdAt": dt.datetime.now(dt.UTC).isoformat(),
            "refundLineItems": [
                {
                    "lineItem": {"id": f"gid://shopify/LineItem/{line['id']}"},
                    "quantity": quantity,
                    "restockType": restock,
                }
                for line, quantity, restock in lines
            ],
            "transactions": transactions,
        }
        self.refunds[oid].append(refund)
        return {
            "data": {"refundCreate": {"refund": self._refund_node(oid, refund), "userErrors": []}}
        }

    def refunded(self, oid: int, *, presentment: bool = False) -> Decimal:
        return sum(
            (
                t["presentment" if presentment else "shop"]
                for t in self.transactions[oid]
                if t["kind"] == "REFUND" and t["status"] == "SUCCESS"
            ),
            Decimal(0),
        )

    def line_id(self, oid: int, sku: str) -> int:
        return int(
            next(line["id"] for line in self.orders[oid]["line_items"] if line["sku"] == sku)
        )
