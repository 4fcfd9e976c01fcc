"""A local Shopify Admin REST API double: orders, transactions, refunds, fulfilment events.

It speaks Shopify's wire format under ``/admin/api/{version}/``: the
``X-Shopify-Access-Token`` header, ``{"orders": [...]}`` pages linked by a
``Link: <…page_info=…>; rel="next"`` header (filters only on the first page), transactions
with ``kind``/``status``/``parent_id``/``gateway``, ``POST /orders/{id}/refunds.json`` taking
``{"refund": {...transactions...}}`` and answering 201 ``{"refund": {...}}``, and the error
bodies ``{"errors": "Not Found"}`` and ``{"errors": {"base": [...]}}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
from decimal import Decimal
from typing import Any

from tests.adapters.fake_http import FakeService, Recorded, Reply

TOKEN = "shpat_0123456789abcdef"
VERSION = "2026-10"
UNAUTHORISED = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}


class FakeShopify(FakeService):
    def __init__(self, *, page_size: int = 250) -> None:
        super().__init__()
        self.orders: dict[int, dict[str, Any]] = {}
        self.transactions: dict[int, list[dict[str, Any]]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.events: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self.page_size = page_size
        self.gateway_failure: str | None = None
        self._ids = itertools.count(5_100_000_001)

    def __enter__(self) -> FakeShopify:
        super().__enter__()
        return self

    @property
    def admin(self) -> str:
        return f"{self.url}/admin/api/{VERSION}"

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
        shipping_address: dict[str, Any] | None = None,
        fulfillments: list[dict[str, Any]] | None = None,
        cancelled_at: str | None = None,
        payments: list[tuple[str, str, str]] | None = None,
        order_id: int | None = None,
    ) -> int:
        """Add an order; ``payments`` are (kind, amount, gateway) of successful transactions
        (default one sale of the line items' total through shopify_payments)."""
        oid = order_id or next(self._ids)
        lines = [{"id": next(self._ids), "fulfillment_status": None, **item} for item in line_items]
        total = sum(Decimal(item["price"]) * item["quantity"] for item in lines)
        self.orders[oid] = {
            "id": oid,
            "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
            "name": name,
            "order_number": int(re.sub(r"\D", "", name) or 0),
            "email": email,
            "contact_email": email,
            "created_at": created_at,
            "processed_at": created_at,
            "cancelled_at": cancelled_at,
            "financial_status": financial_status,
            "currency": currency,
            "total_price": f"{total:.2f}",
            "line_items": lines,
            "shipping_address": shipping_address,
            "customer": {"first_name": "", "last_name": ""},
            "fulfillments": fulfillments or [],
        }
        self.transactions[oid] = []
        for kind, amount, gateway in payments or [("sale", f"{total:.2f}", "shopify_payments")]:
            self.transactions[oid].append(
                self._transaction(oid, kind=kind, amount=amount, gateway=gateway, parent_id=None)
            )
        self.refunds[oid] = []
        return oid

    def _transaction(self, oid: int, **fields: Any) -> dict[str, Any]:
        return {
            "id": next(self._ids),
            "order_id": oid,
            "status": "success",
            "currency": self.orders[oid]["currency"],
            "created_at": self.orders[oid]["created_at"],
            "test": False,
            "message": None,
            "error_code": None,
            **fields,
        }

    # -- routing ----------------------------------------------------------------------------

    def route(self, request: Recorded) -> Reply:
        prefix = f"/admin/api/{VERSION}/"
        if not request.path.startswith(prefix):
            return Reply(404, {"errors": "Not Found"})
        if request.headers.get("x-shopify-access-token") != TOKEN:
            return Reply(401, UNAUTHORISED)
        rest = request.path[len(prefix) :]
        if rest == "orders.json" and request.method == "GET":
            return self._orders(request)
        match = re.fullmatch(r"orders/(\d+)/(transactions|refunds)\.json", rest)
        if match:
            oid = int(match.group(1))
            if oid not in self.orders:
                return Reply(404, {"errors": "Not Found"})
            if match.group(2) == "transactions" and request.method == "GET":
                return Reply(200, {"transactions": self.transactions[oid]})
            if match.group(2) == "refunds" and request.method == "GET":
                return Reply(200, {"refunds": self.refunds[oid]})
            if match.group(2) == "refunds" and request.method == "POST":
                return self._refund(oid, request)
        match = re.fullmatch(r"orders/(\d+)/fulfillments/(\d+)/events\.json", rest)
        if match and request.method == "GET":
            key = (int(match.group(1)), int(match.group(2)))
            return Reply(200, {"fulfillment_events": self.events.get(key, [])})
        return Reply(404, {"errors": "Not Found"})

    def _orders(self, request: Recorded) -> Reply:
        query = dict(request.query)
        limit = min(int(query.get("limit", "50")), 250, self.page_size)
        if "page_info" in query:
            state = json.loads(base64.urlsafe_b64decode(query["page_info"]).decode())
            extra = set(query) - {"page_info", "limit", "fields"}
            if extra:
                return Reply(
                    400, {"errors": {"page_info": ["page_info cannot be used with other filters"]}}
                )
            query = {**state["query"], "limit": str(limit)}
            offset = state["offset"]
        else:
            offset = 0
        rows = sorted(self.orders.values(), key=lambda o: o["created_at"], reverse=True)
        if "name" in query:
            wanted = query["name"].lstrip("#")
            rows = [o for o in rows if o["name"].lstrip("#") == wanted]
        if "created_at_min" in query:
            since = dt.datetime.fromisoformat(query["created_at_min"].replace("Z", "+00:00"))
            rows = [o for o in rows if dt.datetime.fromisoformat(o["created_at"]) >= since]
        if query.get("status", "open") == "open":
            rows = [o for o in rows if not o["cancelled_at"]]
        page = rows[offset : offset + limit]
        if "fields" in query:
            fields = query["fields"].split(",")
            page = [{k: o[k] for k in fields if k in o} for o in page]
        headers = {}
        if offset + limit < len(rows):
            state = {
                "offset": offset + limit,
                "query": {k: v for k, v in query.items() if k != "limit"},
            }
            token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
            headers["Link"] = (
                f'<{self.admin}/orders.json?limit={limit}&page_info={token}>; rel="next"'
            )
        return Reply(200, {"orders": page}, headers=headers)

    def _refund(self, oid: int, request: Recorded) -> Reply:
        try:
            body = request.json()["refund"]
        except (ValueError, KeyError, TypeError):
            return Reply(400, {"errors": {"refund": "Required parameter missing or invalid"}})
        made = []
        for asked in body.get("transactions") or []:
            parent = next(
                (t for t in self.transactions[oid] if t["id"] == asked.get("parent_id")), None
            )
            if parent is None or parent["kind"] not in ("sale", "capture"):
                return Reply(
                    422, {"errors": {"base": ["A refund needs a valid parent transaction"]}}
                )
            if asked.get("kind") != "refund":
                return Reply(422, {"errors": {"kind": ["is not included in the list"]}})
            if asked.get("gateway") != parent["gateway"]:
                return Reply(422, {"errors": {"gateway": ["must match the parent transaction"]}})
            already = sum(
                Decimal(t["amount"])
                for t in self.transactions[oid]
                if t["kind"] == "refund"
                and t["parent_id"] == parent["id"]
                and t["status"] == "success"
            )
            amount = Decimal(str(asked.get("amount")))
            if amount <= 0 or amount + already > Decimal(parent["amount"]):
                return Reply(
                    422,
                    {
                        "errors": {
                            "base": [
                                f"Refund amount ${amount} is greater than net payment received"
                            ]
                        }
                    },
                )
            made.append((parent, amount))
        refund_id = next(self._ids)
        transactions = []
        for parent, amount in made:
            txn = self._transaction(
                oid,
                kind="refund",
                amount=f"{amount:.2f}",
                gateway=parent["gateway"],
                parent_id=parent["id"],
                status="failure" if self.gateway_failure else "success",
                message=self.gateway_failure,
            )
            self.transactions[oid].append(txn)
            transactions.append(txn)
        refund = {
            "id": refund_id,
            "order_id": oid,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "note": body.get("note"),
            "restock": False,
            "refund_line_items": [],
            "transactions": transactions,
        }
        self.refunds[oid].append(refund)
        return Reply(201, {"refund": refund})

    def refunded(self, oid: int) -> Decimal:
        return sum(
            (
                Decimal(t["amount"])
                for t in self.transactions[oid]
                if t["kind"] == "refund" and t["status"] == "success"
            ),
            Decimal(0),
        )
