"""A local EasyPost API v2 double: shipments with rates, buying, listing, label files.

It speaks EasyPost's wire format: HTTP basic auth with the API key as the user name,
``{"shipment": {...}}`` bodies, Shipment objects with ``rates``, ``selected_rate``,
``postage_label`` and ``tracker``, the error object ``{"error": {"code", "message",
"errors"}}``, and the list ``{"shipments": [...], "has_more": ...}`` newest first. Label files
are served without auth under ``/files/postage_label/``.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import secrets
from dataclasses import dataclass
from typing import Any

from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from tests.adapters.fake_http import FakeService, Recorded, Reply

API_KEY = "EZTK_test_key_123"


def error(status: int, code: str, message: str, errors: list[Any] | None = None) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message, "errors": errors or []}})


def sample_pdf(text: str) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(288, 432))
    canvas.drawString(20, 400, text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def sample_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 600), (255, 255, 255)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class OfferedRate:
    carrier: str
    service: str
    rate: str


DEFAULT_RATES = [
    OfferedRate("USPS", "Priority", "9.45"),
    OfferedRate("USPS", "GroundAdvantage", "6.79"),
    OfferedRate("UPS", "Ground", "11.20"),
]


class FakeEasyPost(FakeService):
    def __init__(self, *, label_format: str = "pdf", rates: list[OfferedRate] | None = None):
        super().__init__()
        self.label_format = label_format
        self.rates = list(DEFAULT_RATES if rates is None else rates)
        self.max_page_size = 100
        self.shipments: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self._order: list[str] = []
        self._tracking = itertools.count(9400100000000000000001)

    def __enter__(self) -> FakeEasyPost:
        super().__enter__()
        return self

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    @property
    def bought(self) -> list[dict[str, Any]]:
        return [s for s in self.shipments.values() if s["postage_label"] is not None]

    def _authorised(self, request: Recorded) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        user = base64.b64decode(header[6:]).decode().split(":", 1)[0]
        return user == API_KEY

    def route(self, request: Recorded) -> Reply:
        path = request.path
        if path.startswith("/files/"):
            data = self.files.get(path)
            if data is None:
                return Reply(404, b"<Error>NoSuchKey</Error>", content_type="application/xml")
            kind = "application/pdf" if path.endswith(".pdf") else "image/png"
            return Reply(200, data, content_type=kind)
        if not self._authorised(request):
            return error(
                401,
                "APIKEY.INACTIVE",
                "This api key is no longer active. Please use a different api key.",
            )
        parts = path.strip("/").split("/")
        if parts[:2] != ["v2", "shipments"]:
            return error(404, "NOT_FOUND", "The requested resource could not be found.")
        if request.method == "POST" and len(parts) == 2:
            return self._create(request)
        if request.method == "GET" and len(parts) == 2:
            return self._list(request)
        if request.method == "POST" and len(parts) == 4 and parts[3] == "buy":
            return self._buy(parts[2], request)
        if request.method == "GET" and len(parts) == 3:
            shipment = self.shipments.get(parts[2])
            if shipment is None:
                return error(
                    404, "SHIPMENT.NOT_FOUND", "The requested resource could not be found."
                )
            return Reply(200, shipment)
        return error(404, "NOT_FOUND", "The requested resource could not be found.")

    def _address(self, data: Any, field: str) -> tuple[dict[str, Any] | None, Reply | None]:
        if not isinstance(data, dict):
            return None, error(422, "PARAMETER.REQUIRED", f"Missing required parameter: {field}")
        missing = [key for key in ("street1", "city", "country") if not data.get(key)]
        if missing:
            return None, error(
                422,
                "ADDRESS.VERIFY.FAILURE",
                "Address not found",
                [
                    {"field": key, "message": "cannot be blank", "suggestion": None}
                    for key in missing
                ],
            )
        if data.get("zip") == "00000":
            return None, error(
                422,
                "ADDRESS.VERIFY.FAILURE",
                "Address not found",
                [{"field": "zip", "message": "Invalid ZIP code", "suggestion": None}],
            )
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return {
            "id": "adr_" + secrets.token_hex(16),
            "object": "Address",
            "created_at": now,
            "updated_at": now,
            "mode": "test",
            **{
                k: data.get(k)
                for k in (
                    "name",
                    "company",
                    "street1",
                    "street2",
                    "city",
                    "state",
                    "zip",
                    "country",
                    "phone",
                    "email",
                )
            },
            "verifications": {},
        }, None

    def _customs(
        self, data: Any, to_address: dict[str, Any] | None, from_address: dict[str, Any] | None
    ) -> tuple[dict[str, Any] | None, Reply | None]:
        """Carriers refuse a parcel between two countries without a customs declaration."""
        if (to_address or {}).get("country") == (from_address or {}).get("country"):
            return None, None
        if not isinstance(data, dict) or not data.get("customs_items"):
            return None, error(
                422,
                "SHIPMENT.CUSTOMS.MISSING",
                "Customs information is required for international shipments.",
            )
        items = []
        for item in data["customs_items"]:
            missing = [
                key
                for key in ("description", "quantity", "value", "weight", "origin_country")
                if not item.get(key)
            ]
            if missing:
                return None, error(
                    422,
                    "CUSTOMS_ITEM.INVALID",
                    "Invalid customs item",
                    [{"field": key, "message": "cannot be blank"} for key in missing],
                )
            items.append(  # EasyPost answers the value as a decimal string
                {
                    "id": "cstitem_" + secrets.token_hex(16),
                    "object": "CustomsItem",
                    "code": None,
                    "currency": None,
                    **item,
                    "value": f"{float(item['value']):.2f}",
                }
            )
        if data.get("customs_certify") and not data.get("customs_signer"):
            return None, error(422, "CUSTOMS_INFO.INVALID", "customs_signer is required to certify")
        return {
            "id": "cstinfo_" + secrets.token_hex(16),
            "object": "CustomsInfo",
            **data,
            "customs_items": items,
        }, None

    def _create(self, request: Recorded) -> Reply:
        try:
            body = request.json()["shipment"]
        except (ValueError, KeyError, TypeError):
            return error(422, "PARAMETER.REQUIRED", "Missing required parameter: shipment")
        to_address, problem = self._address(body.get("to_address"), "to_address")
        if problem:
            return problem
        from_address, problem = self._address(body.get("from_address"), "from_address")
        if problem:
            return problem
        parcel = body.get("parcel") or {}
        if not parcel.get("weight"):
            return error(422, "PARCEL.WEIGHT.MISSING", "Parcel weight is required.")
        is_return = bool(body.get("is_return", False))
        if is_return:  # EasyPost swaps the outbound parcel's addresses for a return label
            to_address, from_address = from_address, to_address
        customs, problem = self._customs(body.get("customs_info"), to_address, from_address)
        if problem:
            return problem
        shipment_id = "shp_" + secrets.token_hex(16)
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        shipment = {
            "id": shipment_id,
            "object": "Shipment",
            "mode": "test",
            "created_at": now,
            "updated_at": now,
            "reference": body.get("reference"),
            "status": "unknown",
            "tracking_code": None,
            "is_return": is_return,
            "customs_info": customs,
            "options": body.get("options") or {},
            "from_address": from_address,
            "to_address": to_address,
            "return_address": from_address,
            "buyer_address": to_address,
            "parcel": {"id": "prcl_" + secrets.token_hex(16), "object": "Parcel", **parcel},
            "messages": [],
            "rates": [
                {
                    "id": "rate_" + secrets.token_hex(16),
                    "object": "Rate",
                    "mode": "test",
                    "carrier": offered.carrier,
                    "service": offered.service,
                    "rate": offered.rate,
                    "currency": "USD",
                    "shipment_id": shipment_id,
                    "carrier_account_id": "ca_" + secrets.token_hex(8),
                }
                for offered in self.rates
            ],
            "selected_rate": None,
            "postage_label": None,
            "tracker": None,
            "fees": [],
        }
        self.shipments[shipment_id] = shipment
        self._order.append(shipment_id)
        return Reply(201, shipment)

    def _buy(self, shipment_id: str, request: Recorded) -> Reply:
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            return error(404, "SHIPMENT.NOT_FOUND", "The requested resource could not be found.")
        if shipment["postage_label"] is not None:
            return error(
                422, "SHIPMENT.POSTAGE.EXISTS", "Postage already exists for this shipment."
            )
        try:
            rate_id = request.json()["rate"]["id"]
        except (ValueError, KeyError, TypeError):
            return error(422, "PARAMETER.REQUIRED", "Missing required parameter: rate")
        rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
        if rate is None:
            return error(422, "SHIPMENT.RATE.INVALID", "Invalid rate for this shipment.")
        tracking = str(next(self._tracking))
        label_id = "pl_" + secrets.token_hex(16)
        if self.label_format == "png":
            path = f"/files/postage_label/{label_id}.png"
            self.files[path] = sample_png()
            label_url, pdf_url, file_type = self.url + path, None, "image/png"
        else:
            path = f"/files/postage_label/{label_id}.pdf"
            self.files[path] = sample_pdf(f"EasyPost label {tracking}")
            png = f"/files/postage_label/{label_id}.png"
            self.files[png] = sample_png()
            label_url, pdf_url, file_type = self.url + png, self.url + path, "image/png"
        shipment.update(
            {
                "tracking_code": tracking,
                "selected_rate": rate,
                "postage_label": {
                    "object": "PostageLabel",
                    "id": label_id,
                    "label_file_type": file_type,
                    "label_size": "4x6",
                    "label_resolution": 300,
                    "label_url": label_url,
                    "label_pdf_url": pdf_url,
                    "label_zpl_url": None,
                    "label_epl2_url": None,
                },
                "tracker": {
                    "id": "trk_" + secrets.token_hex(16),
                    "object": "Tracker",
                    "mode": "test",
                    "tracking_code": tracking,
                    "status": "pre_transit",
                    "carrier": rate["carrier"],
                    "shipment_id": shipment_id,
                },
            }
        )
        return Reply(200, shipment)

    def _list(self, request: Recorded) -> Reply:
        size = min(int(request.query.get("page_size", "20")), self.max_page_size)
        ids = list(reversed(self._order))
        if "before_id" in request.query:
            cut = (
                ids.index(request.query["before_id"]) + 1
                if request.query["before_id"] in ids
                else 0
            )
            ids = ids[cut:]
        rows = [self.shipments[i] for i in ids]
        if request.query.get("purchased") == "true":
            rows = [s for s in rows if s["postage_label"] is not None]
        return Reply(200, {"shipments": rows[:size], "has_more": len(rows) > size})


def tracker_event(
    tracking_code: str,
    status: str,
    *,
    event_id: str | None = None,
    carrier: str = "USPS",
    mode: str = "test",
) -> dict[str, Any]:
    """An EasyPost Event as its webhook posts it: ``tracker.updated`` with a Tracker."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": event_id or "evt_" + secrets.token_hex(16),
        "object": "Event",
        "mode": mode,
        "description": "tracker.updated",
        "previous_attributes": {"status": "pre_transit"},
        "pending_urls": [],
        "completed_urls": [],
        "created_at": now,
        "updated_at": now,
        "status": "pending",
        "user_id": "user_" + secrets.token_hex(8),
        "result": {
            "id": "trk_" + secrets.token_hex(16),
            "object": "Tracker",
            "mode": mode,
            "tracking_code": tracking_code,
            "status": status,
            "status_detail": "arrived_at_facility" if status == "in_transit" else status,
            "carrier": carrier,
            "tracking_details": [
                {
                    "object": "TrackingDetail",
                    "message": status.replace("_", " ").title(),
                    "status": status,
                    "datetime": now,
                    "source": carrier,
                }
            ],
            "created_at": now,
            "updated_at": now,
        },
    }
