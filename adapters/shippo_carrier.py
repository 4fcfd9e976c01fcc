"""Return labels bought from Shippo, behind the same ``Carrier`` protocol as EasyPost.

For each label: create a shipment (``POST /shipments/``, ``async: false``) with the outbound
parcel's addresses (supplier to customer, each with its phone) and ``extra.is_return``, as
Shippo's returns guide asks (Shippo swaps them for the return label itself), a customs
declaration (``RETURN_MERCHANDISE``) when the parcel crosses a border, then buy the cheapest
rate or the configured service level (``POST /transactions/`` with ``rate``,
``label_file_type: PDF``, ``async: false``) and download ``label_url``. The API token travels
as ``Authorization: ShippoToken <token>``; test tokens start ``shippo_test_``.

The case's idempotency key goes out as the transaction's ``metadata``. Shippo documents no
idempotency header, so a label bought in this process whose download failed is not bought
again, but a purchase whose answer never arrived cannot be found again here: the owner sees
it in the Shippo dashboard by that metadata.

Failures raise the typed errors of ``tools.service_errors``, as the EasyPost adapter does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from adapters.customs import declared_value
from adapters.easypost_carrier import image_to_pdf
from adapters.http_service import ErrorFamily, as_dict, send
from adapters.postal_address import PostalAddress, parse_address
from tools.adapters import PurchasedLabel
from tools.label_pdf import LabelContent
from tools.service_errors import CarrierAuthFailed, CarrierRejected, CarrierUnavailable

DEFAULT_URL = "https://api.goshippo.com"
SERVICE = "Shippo"
FAMILY = ErrorFamily(
    service=SERVICE,
    unavailable=CarrierUnavailable,
    auth=CarrierAuthFailed,
    rejected=CarrierRejected,
)
# A parcel's size when nothing better is known (Shippo needs all three), in inches.
DEFAULT_DIMENSIONS_IN = ("10", "8", "4")


def explain_error(body: Any) -> str:
    """Shippo answers ``{"detail": "..."}`` or field errors ``{"field": ["message", ...]}``."""
    if not isinstance(body, dict):
        return ""
    if body.get("detail"):
        return str(body["detail"])
    parts = []
    for field, value in body.items():
        messages = value if isinstance(value, list) else [value]
        parts.append(f"{field}: {'; '.join(str(m) for m in messages)}")
    return "; ".join(parts)


def token_mode(token: str | None) -> str | None:
    """``test`` for a ``shippo_test_`` token, ``production`` for ``shippo_live_``."""
    value = (token or "").strip().lower()
    if value.startswith("shippo_test_"):
        return "test"
    if value.startswith("shippo_live_"):
        return "production"
    return None


@dataclass(frozen=True)
class _Bought:
    tracking_number: str
    carrier: str
    label_url: str


class ShippoCarrier:
    """Buys return labels from Shippo; see the module docstring."""

    name = SERVICE

    def __init__(
        self,
        api_token: str,
        *,
        base_url: str | None = None,
        service: str | None = None,
        parcel_weight_oz: float = 16.0,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_token.strip():
            raise ValueError("Shippo needs an API token (SHIPPO_API_TOKEN)")
        self.base_url = (base_url or DEFAULT_URL).rstrip("/")
        self.service = (service or "").strip() or None
        self.parcel_weight_oz = parcel_weight_oz
        self._headers = {
            "Authorization": f"ShippoToken {api_token.strip()}",
            "Accept": "application/json",
        }
        self._client = httpx.Client(timeout=timeout, transport=transport)
        self._bought: dict[str, _Bought] = {}
        self._guard = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def buy_label(self, content: LabelContent, idempotency_key: str) -> PurchasedLabel:
        with self._guard:
            bought = self._bought.get(idempotency_key)
        if bought is None:
            bought = self._buy(content, idempotency_key)
            with self._guard:
                self._bought[idempotency_key] = bought
        pdf = self._label_pdf(bought)
        with self._guard:
            self._bought.pop(idempotency_key, None)
        return PurchasedLabel(
            carrier=bought.carrier, tracking_number=bought.tracking_number, pdf=pdf
        )

    def _api(self, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        response = send(
            self._client,
            "POST",
            f"{self.base_url}{path}",
            family=FAMILY,
            what=what,
            explain=explain_error,
            headers=self._headers,
            json_body=body,
        )
        try:
            return as_dict(response.json(), FAMILY, what)
        except ValueError:
            return as_dict(None, FAMILY, what)

    def _buy(self, content: LabelContent, key: str) -> _Bought:
        customer = parse_address(
            content.sender_address,
            default_country=content.sender_country,
            what=f"The customer's address on order {content.order_number}",
        )
        supplier = parse_address(
            content.recipient_address,
            default_country=content.recipient_country,
            what=f"The return address of {content.recipient_name}",
        )
        length, width, height = DEFAULT_DIMENSIONS_IN
        shipment: dict[str, Any] = {
            # The outbound parcel's addresses: Shippo swaps them for a return label.
            "address_from": _address(supplier, content.recipient_name, content.recipient_phone),
            "address_to": _address(
                customer, content.sender_name, content.sender_phone, content.sender_email
            ),
            "parcels": [
                {
                    "length": length,
                    "width": width,
                    "height": height,
                    "distance_unit": "in",
                    "weight": str(self.parcel_weight_oz),
                    "mass_unit": "oz",
                }
            ],
            "extra": {"is_return": True, "reference_1": content.case_id},
            "metadata": key,
            "async": False,
        }
        if customer.country != supplier.country:
            shipment["customs_declaration"] = self._customs(content, supplier.country)
        created = self._api("/shipments/", shipment, "creating the return shipment")
        rate = self._choose_rate(created)
        transaction = self._api(
            "/transactions/",
            {"rate": rate["object_id"], "label_file_type": "PDF", "async": False, "metadata": key},
            "buying the label",
        )
        if str(transaction.get("status", "")).upper() != "SUCCESS":
            raise CarrierRejected(
                SERVICE,
                "Shippo did not sell the label: "
                + (_messages(transaction) or str(transaction.get("status") or "no reason given")),
            )
        tracking = str(transaction.get("tracking_number") or "").strip()
        label_url = str(transaction.get("label_url") or "").strip()
        if not tracking or not label_url:
            raise CarrierUnavailable(
                SERVICE,
                "Shippo answered the purchase without a label or a tracking number; "
                "please try again in a few minutes.",
            )
        level = rate.get("servicelevel") or {}
        carrier = " ".join(str(p) for p in (rate.get("provider"), level.get("name")) if p)
        return _Bought(tracking_number=tracking, carrier=carrier or SERVICE, label_url=label_url)

    def _customs(self, content: LabelContent, supplier_country: str) -> dict[str, Any]:
        value = declared_value(content, SERVICE)
        item: dict[str, Any] = {
            "description": (content.goods_description or content.item_description)[:255],
            "quantity": max(content.goods_quantity, 1),
            "net_weight": str(self.parcel_weight_oz),
            "mass_unit": "oz",
            "value_amount": value.amount_str(),
            "value_currency": content.currency.upper(),
            "origin_country": content.origin_country or supplier_country,
        }
        if content.hs_tariff_number:
            item["tariff_number"] = content.hs_tariff_number
        return {
            "contents_type": "RETURN_MERCHANDISE",
            "contents_explanation": f"Customer return {content.case_id}",
            "non_delivery_option": "RETURN",
            "certify": True,
            "certify_signer": content.recipient_name,
            "eel_pfc": "NOEEI_30_37_a",
            "items": [item],
        }

    def _choose_rate(self, shipment: dict[str, Any]) -> dict[str, Any]:
        rates = [r for r in shipment.get("rates") or [] if isinstance(r, dict)]
        if self.service:
            wanted = self.service.lower()
            rates = [
                r
                for r in rates
                if wanted
                in {
                    str((r.get("servicelevel") or {}).get("token", "")).lower(),
                    str((r.get("servicelevel") or {}).get("name", "")).lower(),
                }
            ]
            if not rates:
                raise CarrierRejected(
                    SERVICE,
                    f"Shippo offered no {self.service} rate for this return. Change "
                    "RETURNBRIDGE_SHIPPO_SERVICE or leave it empty for the cheapest.",
                )
        priced = [(price, r) for r in rates if (price := _price(r)) is not None]
        if not priced:
            raise CarrierRejected(
                SERVICE,
                "Shippo offered no rate for this return shipment"
                + (f": {_messages(shipment)}" if _messages(shipment) else ".")
                + " Check both addresses.",
            )
        return min(priced, key=lambda pair: pair[0])[1]

    def _label_pdf(self, bought: _Bought) -> bytes:
        data = b""
        for _attempt in range(3):
            try:
                response = self._client.get(bought.label_url)
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                data = response.content
                break
        if not data:
            raise CarrierUnavailable(
                SERVICE,
                f"The label for tracking number {bought.tracking_number} was bought but its file "
                "could not be downloaded; please try again in a few minutes (it will not be "
                "bought twice).",
            )
        if data.startswith(b"%PDF"):
            return data
        if data.startswith((b"\x89PNG", b"\xff\xd8", b"GIF8")):
            return image_to_pdf(data)
        raise CarrierRejected(SERVICE, "Shippo's label file is neither a PDF nor an image.")


def _messages(body: dict[str, Any]) -> str:
    return "; ".join(
        str(m.get("text"))
        for m in body.get("messages") or []
        if isinstance(m, dict) and m.get("text")
    )


def _price(rate: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(rate.get("amount")))
    except (InvalidOperation, ValueError):
        return None


def _address(address: PostalAddress, name: str, phone: str, email: str = "") -> dict[str, str]:
    fields = {
        "name": name,
        "company": address.company,
        "street1": address.street1,
        "street2": address.street2,
        "city": address.city,
        "state": address.state,
        "zip": address.zip,
        "country": address.country,
        "phone": phone.strip(),
        "email": email,
    }
    return {key: value for key, value in fields.items() if value}
