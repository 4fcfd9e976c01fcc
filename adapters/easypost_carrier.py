"""Return labels bought from EasyPost (API v2), behind the ``Carrier`` protocol.

For each label: read the customer's address and the supplier's return address into
EasyPost's address fields (with each side's phone), create a return shipment
(``POST /v2/shipments`` with ``is_return: true``: the addresses go in as the outbound parcel
had them, supplier to customer, and EasyPost swaps them on the label) whose ``reference`` is
the case's idempotency key, with a customs declaration (``returned_goods``, the value the
customer paid) when the parcel crosses a border, buy the lowest rate or the configured service
(``POST /v2/shipments/{id}/buy``), and download the label: the PDF when EasyPost gives one,
else the PNG it gives, wrapped into a one-page PDF. The API key travels as HTTP basic auth
(the key as user name, no password); label files are fetched without it.

Buying is done once per idempotency key: before creating a shipment, the recently purchased
shipments are searched for one with this reference (a label bought by an attempt whose
commit never happened), and a label bought in this process whose download failed is not
bought again. The key also goes out as the ``Idempotency-Key`` header.

Failures raise the typed errors of ``tools.service_errors``: ``CarrierUnavailable`` (no
answer, 429, 5xx), ``CarrierAuthFailed`` (401/403), ``CarrierRejected`` (EasyPost's own
reason, e.g. an address it cannot find), ``AddressUnreadable`` (an address on file cannot be
split into fields).
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from reportlab.lib.units import inch  # type: ignore[import-untyped]
from reportlab.lib.utils import ImageReader  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from adapters.customs import declared_value
from adapters.http_service import ErrorFamily, as_dict, send
from adapters.postal_address import PostalAddress, parse_address
from tools.adapters import PurchasedLabel
from tools.label_pdf import LabelContent
from tools.service_errors import CarrierAuthFailed, CarrierRejected, CarrierUnavailable

DEFAULT_URL = "https://api.easypost.com/v2"
SERVICE = "EasyPost"
FAMILY = ErrorFamily(
    service=SERVICE,
    unavailable=CarrierUnavailable,
    auth=CarrierAuthFailed,
    rejected=CarrierRejected,
)
LOOKBACK_DAYS = 3  # how far back an earlier purchase with the same reference is searched
LOOKBACK_PAGES = 3  # pages of 100 purchased shipments
# Goods under USD 2,500 (adapters/customs.py) leave the US without an export filing, under this
# exemption.
NO_EEI = "NOEEI 30.37(a)"


def explain_error(body: Any) -> str:
    """EasyPost's error object: ``{"error": {"code", "message", "errors": [...]}}``."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return ""
    error = body["error"]
    text = str(error.get("message") or error.get("code") or "").strip()
    details = []
    for item in error.get("errors") or []:
        if isinstance(item, dict):
            field, message = item.get("field"), item.get("message")
            details.append(f"{field}: {message}" if field else str(message))
        elif item:
            details.append(str(item))
    if details:
        text = f"{text} ({'; '.join(details)})" if text else "; ".join(details)
    code = error.get("code")
    return f"{text} [{code}]" if code and text and code not in text else text


@dataclass(frozen=True)
class _Bought:
    shipment_id: str
    tracking_number: str
    carrier: str
    label_pdf_url: str | None
    label_url: str | None


class EasyPostCarrier:
    """Buys return labels from EasyPost; see the module docstring."""

    name = SERVICE

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        service: str | None = None,
        carrier: str | None = None,
        parcel_weight_oz: float = 16.0,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key.strip():
            raise ValueError("EasyPost needs an API key (EASYPOST_API_KEY)")
        self.base_url = (base_url or DEFAULT_URL).rstrip("/")
        self.service = (service or "").strip() or None
        self.carrier = (carrier or "").strip() or None
        self.parcel_weight_oz = parcel_weight_oz
        self._auth = httpx.BasicAuth(api_key.strip(), "")
        self._client = httpx.Client(timeout=timeout, transport=transport)
        self._bought: dict[str, _Bought] = {}
        self._guard = threading.Lock()

    def close(self) -> None:
        self._client.close()

    # -- the Carrier protocol ---------------------------------------------------------------

    def buy_label(self, content: LabelContent, idempotency_key: str) -> PurchasedLabel:
        with self._guard:
            bought = self._bought.get(idempotency_key)
        if bought is None:
            bought = self._find_purchased(idempotency_key)
        if bought is None:
            bought = self._buy(content, idempotency_key)
        with self._guard:
            self._bought[idempotency_key] = bought  # a failed download is retried, not rebought
        pdf = self._label_pdf(bought)
        with self._guard:
            self._bought.pop(idempotency_key, None)
        return PurchasedLabel(
            carrier=bought.carrier, tracking_number=bought.tracking_number, pdf=pdf
        )

    # -- steps ------------------------------------------------------------------------------

    def _api(
        self,
        method: str,
        path: str,
        *,
        what: str,
        json_body: Any = None,
        params: dict[str, str | int] | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        response = send(
            self._client,
            method,
            f"{self.base_url}{path}",
            family=FAMILY,
            what=what,
            explain=explain_error,
            headers=headers,
            json_body=json_body,
            params=params,
            auth=self._auth,
        )
        try:
            return as_dict(response.json(), FAMILY, what)
        except ValueError:
            return as_dict(None, FAMILY, what)

    def _find_purchased(self, key: str) -> _Bought | None:
        """A shipment bought earlier with this reference (by an attempt that never committed)."""
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=LOOKBACK_DAYS)
        params: dict[str, str | int] = {
            "purchased": "true",
            "page_size": 100,
            "start_datetime": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for _ in range(LOOKBACK_PAGES):
            page = self._api(
                "GET", "/shipments", what="looking for an earlier label", params=params
            )
            shipments = [item for item in page.get("shipments") or [] if isinstance(item, dict)]
            for shipment in shipments:
                if shipment.get("reference") == key and shipment.get("postage_label"):
                    return self._bought_from(shipment)
            if not page.get("has_more") or not shipments:
                return None
            params["before_id"] = str(shipments[-1].get("id"))
        return None

    def _buy(self, content: LabelContent, key: str) -> _Bought:
        sender = parse_address(
            content.sender_address,
            default_country=content.sender_country,
            what=f"The customer's address on order {content.order_number}",
        )
        recipient = parse_address(
            content.recipient_address,
            default_country=content.recipient_country,
            what=f"The return address of {content.recipient_name}",
        )
        options: dict[str, Any] = {"label_format": "PDF", "print_custom_1": content.case_id}
        if content.rma:
            options["print_custom_2"] = f"RMA {content.rma}"
        customer = _address(
            sender, content.sender_name, email=content.sender_email, phone=content.sender_phone
        )
        supplier = _address(recipient, content.recipient_name, phone=content.recipient_phone)
        body: dict[str, Any] = {
            "reference": key,
            # A return label, billed and scanned as one by carriers that price returns
            # apart. EasyPost takes the addresses of the outbound parcel (the supplier's
            # to the customer's) and swaps them itself for the label.
            "is_return": True,
            "from_address": supplier,
            "to_address": customer,
            "parcel": {"weight": self.parcel_weight_oz},
            "options": options,
        }
        if sender.country != recipient.country:
            body["customs_info"] = self._customs(content, sender.country or recipient.country)
        shipment = self._api(
            "POST",
            "/shipments",
            what="creating the return shipment",
            key=key,
            json_body={"shipment": body},
        )
        shipment_id = str(shipment.get("id") or "")
        if not shipment_id:
            raise CarrierUnavailable(SERVICE, "EasyPost created no shipment; please try again.")
        rate = self._choose_rate(shipment)
        bought = self._api(
            "POST",
            f"/shipments/{shipment_id}/buy",
            what="buying the label",
            key=f"{key}:buy",
            json_body={"rate": {"id": rate["id"]}},
        )
        return self._bought_from(bought)

    def _choose_rate(self, shipment: dict[str, Any]) -> dict[str, Any]:
        rates = [rate for rate in shipment.get("rates") or [] if isinstance(rate, dict)]
        if self.carrier:
            rates = [r for r in rates if str(r.get("carrier", "")).lower() == self.carrier.lower()]
        if self.service:
            wanted = self.service.lower()
            matching = [r for r in rates if str(r.get("service", "")).lower() == wanted]
            if not matching:
                offered = ", ".join(
                    sorted({f"{r.get('carrier')} {r.get('service')}" for r in rates})
                )
                raise CarrierRejected(
                    SERVICE,
                    f"EasyPost offered no {self.service} rate for this return"
                    + (f" (offered: {offered})." if offered else ".")
                    + " Change RETURNBRIDGE_EASYPOST_SERVICE or leave it empty for the cheapest.",
                )
            rates = matching
        priced = [(price, rate) for rate in rates if (price := _price(rate)) is not None]
        if not priced:
            messages = "; ".join(
                str(m.get("message"))
                for m in shipment.get("messages") or []
                if isinstance(m, dict) and m.get("message")
            )
            raise CarrierRejected(
                SERVICE,
                "EasyPost offered no rate for this return shipment"
                + (f": {messages}" if messages else ".")
                + " Check both addresses.",
            )
        return min(priced, key=lambda pair: pair[0])[1]

    def _bought_from(self, shipment: dict[str, Any]) -> _Bought:
        label = shipment.get("postage_label") or {}
        tracking = str(shipment.get("tracking_code") or "").strip()
        if not tracking and isinstance(shipment.get("tracker"), dict):
            tracking = str(shipment["tracker"].get("tracking_code") or "").strip()
        if not isinstance(label, dict) or not tracking:
            raise CarrierUnavailable(
                SERVICE,
                "EasyPost answered the purchase without a label or a tracking code; "
                "please try again in a few minutes.",
            )
        rate = shipment.get("selected_rate") or {}
        carrier = " ".join(
            str(part) for part in (rate.get("carrier"), rate.get("service")) if part
        ).strip()
        return _Bought(
            shipment_id=str(shipment.get("id") or ""),
            tracking_number=tracking,
            carrier=carrier or SERVICE,
            label_pdf_url=label.get("label_pdf_url") or None,
            label_url=label.get("label_url") or None,
        )

    def _label_pdf(self, bought: _Bought) -> bytes:
        url = bought.label_pdf_url or bought.label_url
        if not url:
            raise CarrierUnavailable(SERVICE, "EasyPost gave no label file for the shipment.")
        data = b""
        for _attempt in range(3):
            try:
                response = self._client.get(url)
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
        raise CarrierRejected(
            SERVICE,
            "EasyPost's label file is neither a PDF nor an image (a ZPL or EPL2 label?); "
            "set the label format to PDF or PNG in the EasyPost dashboard.",
        )

    def _customs(self, content: LabelContent, sender_country: str) -> dict[str, Any]:
        """The declaration of a parcel that crosses a border: the goods go back to where they
        came from (``returned_goods``), declared at what the customer paid for them."""
        value = declared_value(content, SERVICE)
        item: dict[str, Any] = {
            "description": (content.goods_description or content.item_description)[:255],
            "quantity": max(content.goods_quantity, 1),
            "value": float(value.to_decimal()),
            "currency": content.currency.upper(),
            "weight": self.parcel_weight_oz,  # the whole line's weight, in ounces
            "origin_country": content.origin_country or sender_country,
        }
        if content.hs_tariff_number:
            item["hs_tariff_number"] = content.hs_tariff_number
        return {
            "contents_type": "returned_goods",
            "contents_explanation": f"Customer return {content.case_id}",
            "customs_certify": True,
            "customs_signer": content.recipient_name,
            "eel_pfc": NO_EEI,
            "non_delivery_option": "return",
            "restriction_type": "none",
            "customs_items": [item],
        }


def key_mode(api_key: str | None) -> str | None:
    """The mode of the objects an API key makes: EasyPost's test keys start ``EZTK``, its
    production keys ``EZAK``; None when the key says neither."""
    key = (api_key or "").strip().upper()
    if key.startswith("EZTK"):
        return "test"
    if key.startswith("EZAK"):
        return "production"
    return None


def _price(rate: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(rate.get("rate")))
    except (InvalidOperation, ValueError):
        return None


def _address(
    address: PostalAddress, name: str, *, email: str = "", phone: str = ""
) -> dict[str, str]:
    fields = {
        "name": name,
        "company": address.company,
        "street1": address.street1,
        "street2": address.street2,
        "city": address.city,
        "state": address.state,
        "zip": address.zip,
        "country": address.country,
        "email": email,
        "phone": phone.strip(),
    }
    return {key: value for key, value in fields.items() if value}


def image_to_pdf(image: bytes) -> bytes:
    """One page holding the label image, 4x6 inches (6x4 for a landscape image)."""
    reader = ImageReader(io.BytesIO(image))
    width, height = reader.getSize()
    page = (4 * inch, 6 * inch) if height >= width else (6 * inch, 4 * inch)
    scale = min(page[0] / width, page[1] / height)
    drawn = (width * scale, height * scale)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=page)
    canvas.drawImage(
        reader,
        (page[0] - drawn[0]) / 2,
        (page[1] - drawn[1]) / 2,
        width=drawn[0],
        height=drawn[1],
    )
    canvas.showPage()
    canvas.save()
    return out.getvalue()
