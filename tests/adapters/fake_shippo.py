"""A local Shippo API double: shipments with rates, transactions (labels), label files.

It speaks Shippo's wire format as its API reference shows it: ``Authorization: ShippoToken
<token>``, ``object_id``s, ``status: SUCCESS``/``ERROR`` with ``messages`` of ``{source, code,
text}``, rates with ``amount``, ``provider`` and ``servicelevel {name, token}``, transactions
with ``tracking_number`` and ``label_url``, field errors ``{"field": ["message"]}``. Label
files are served without auth under ``/files/``.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from tests.adapters.fake_easypost import sample_pdf
from tests.adapters.fake_http import FakeService, Recorded, Reply

TOKEN = "shippo_test_0123456789abcdef"
RATES = [
    ("USPS", "Priority Mail", "usps_priority", "9.45"),
    ("USPS", "Ground Advantage", "usps_ground_advantage", "6.79"),
    ("UPS", "Ground", "ups_ground", "11.20"),
]


class FakeShippo(FakeService):
    def __init__(self) -> None:
        super().__init__()
        self.shipments: dict[str, dict[str, Any]] = {}
        self.transactions: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.refuse_purchase: str | None = None  # a carrier message: the transaction ERRORs
        self._tracking = itertools.count(9205500000000000000001)

    def __enter__(self) -> FakeShippo:
        super().__enter__()
        return self

    def route(self, request: Recorded) -> Reply:
        if request.path.startswith("/files/"):
            data = self.files.get(request.path)
            return Reply(200, data, content_type="application/pdf") if data else Reply(404, b"")
        if request.headers.get("authorization") != f"ShippoToken {TOKEN}":
            return Reply(401, {"detail": "Invalid token."})
        if request.method == "POST" and request.path == "/shipments/":
            return self._shipment(request.json())
        if request.method == "POST" and request.path == "/transactions/":
            return self._transaction(request.json())
        return Reply(404, {"detail": "Not found."})

    def _shipment(self, body: dict[str, Any]) -> Reply:
        errors: dict[str, list[str]] = {}
        for side in ("address_from", "address_to"):
            address = body.get(side) or {}
            missing = [k for k in ("street1", "city", "zip", "country") if not address.get(k)]
            if missing:
                errors[side] = [f"{k} is required" for k in missing]
        parcels = body.get("parcels") or []
        if not parcels or not all(
            p.get(k) for p in parcels for k in ("length", "width", "height", "weight")
        ):
            errors["parcels"] = ["length, width, height and weight are required"]
        if errors:
            return Reply(400, errors)
        crosses = body["address_from"]["country"] != body["address_to"]["country"]
        if crosses and not (body.get("customs_declaration") or {}).get("items"):
            return Reply(400, {"customs_declaration": ["required for international shipments"]})
        shipment_id = secrets.token_hex(16)
        shipment = {
            "object_id": shipment_id,
            "status": "SUCCESS",
            "extra": body.get("extra") or {},
            "metadata": body.get("metadata", ""),
            "address_from": body["address_from"],
            "address_to": body["address_to"],
            "customs_declaration": body.get("customs_declaration"),
            "messages": [],
            "rates": [
                {
                    "object_id": secrets.token_hex(16),
                    "shipment": shipment_id,
                    "amount": amount,
                    "currency": "USD",
                    "provider": provider,
                    "servicelevel": {"name": name, "token": token},
                }
                for provider, name, token, amount in RATES
            ],
        }
        self.shipments[shipment_id] = shipment
        return Reply(201, shipment)

    def _transaction(self, body: dict[str, Any]) -> Reply:
        rate_id = body.get("rate")
        if not rate_id:
            return Reply(400, {"rate": ["This field is required."]})
        found = [
            (s, r) for s in self.shipments.values() for r in s["rates"] if r["object_id"] == rate_id
        ]
        if not found:
            return Reply(400, {"rate": ["Rate not found."]})
        transaction_id = secrets.token_hex(16)
        if self.refuse_purchase:
            transaction = {
                "object_id": transaction_id,
                "status": "ERROR",
                "rate": rate_id,
                "tracking_number": None,
                "label_url": None,
                "messages": [
                    {"source": "USPS", "code": "", "text": self.refuse_purchase},
                ],
            }
            self.transactions[transaction_id] = transaction
            return Reply(201, transaction)
        tracking = str(next(self._tracking))
        path = f"/files/{transaction_id}.pdf"
        self.files[path] = sample_pdf(f"Shippo label {tracking}")
        transaction = {
            "object_id": transaction_id,
            "object_state": "VALID",
            "status": "SUCCESS",
            "test": True,
            "rate": rate_id,
            "metadata": body.get("metadata", ""),
            "label_file_type": body.get("label_file_type"),
            "tracking_number": tracking,
            "tracking_status": "UNKNOWN",
            "tracking_url_provider": f"https://tools.usps.com/go/TrackConfirmAction?tLabels={tracking}",
            "label_url": self.url + path,
            "messages": [],
        }
        self.transactions[transaction_id] = transaction
        return Reply(201, transaction)

    @property
    def bought(self) -> list[dict[str, Any]]:
        return [t for t in self.transactions.values() if t["status"] == "SUCCESS"]


def track_updated(tracking_number: str, status: str, *, test: bool = True) -> dict[str, Any]:
    """Shippo's ``track_updated`` webhook body: the event, ``test``, and a Track in ``data``."""
    return {
        "event": "track_updated",
        "test": test,
        "data": {
            "carrier": "usps",
            "tracking_number": tracking_number,
            "tracking_status": {
                "status": status,
                "status_details": status.title(),
                "status_date": "2026-03-11T10:00:00Z",
                "substatus": None,
                "location": {"city": "Columbus", "state": "OH", "zip": "43215", "country": "US"},
            },
            "tracking_history": [],
            "metadata": None,
        },
    }
