"""``POST /webhooks/easypost``: EasyPost's tracking events move return cases.

EasyPost posts an Event (``{"object": "Event", "id": "evt_…", "description":
"tracker.updated", "result": {"object": "Tracker", "tracking_code": "…", "status": "…"}}``)
whenever a parcel's tracking changes. The tracker's status becomes a carrier event of the case
whose label has that tracking number:

- ``in_transit``, ``out_for_delivery``, ``available_for_pickup`` → in transit (only a case
  still waiting for the parcel to be sent moves; later scans change nothing);
- ``delivered`` → delivered: the case waits for the supplier's inspection;
- ``return_to_sender`` → the parcel goes back to the customer: the case waits for the
  owner's review (``pending_review``: settle without the item, or deny), the customer is told
  not to ship again with the label and the owner's inbox has the item;
- ``failure``, ``error``, ``cancelled`` → a problem the owner is told about;
- anything else (``pre_transit``, ``unknown``) changes nothing.

An event whose ``mode`` (``test`` or ``production``) is not the mode of the installation's
API key (``EZTK…`` test, ``EZAK…`` production) gets 200 and changes nothing: a test tracker
must never move a real customer's case.

Only signed events act: the ``X-Hmac-Signature`` header must be ``hmac-sha256-hex=`` + the hex
HMAC-SHA256 of the raw body under ``RETURNBRIDGE_EASYPOST_WEBHOOK_SECRET`` (NFKD-normalised,
as EasyPost signs); a missing or wrong signature gets 401 and changes nothing. With no secret
set the route refuses every event (403): the customer sees the tracking number, so an unsigned
"delivered" would let anyone move a case towards its refund. Only labels this desk bought
through EasyPost move; a locally rendered label has no tracking feed (the supplier's "parcel
arrived" button stands in), so its tracking number is treated as unknown here. Every event id
is handled once (EasyPost redelivers until it gets a 2xx). An unknown tracking number, or an
event the case cannot take now, gets 200 with nothing done, so EasyPost does not retry it;
a service that is down while the event is applied answers 503 (and any other failure on our
side 500): the event is not remembered, and its redelivery is handled then.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import unicodedata
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select

from bot.web.deps import DeskDep, WebhooksDep
from graph.desk import CarrierEvent, ReturnsDesk
from ledger import carrier_models
from ledger.models import CaseRow, LabelRow
from tools.adapters import LocalCarrier
from tools.errors import ReturnError
from tools.service_errors import ServiceUnavailable

log = logging.getLogger("returnbridge.carrier_webhook")

SIGNATURE_HEADER = "x-hmac-signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="
TRACKER_STATUS: dict[str, CarrierEvent] = {
    "in_transit": "in_transit",
    "out_for_delivery": "in_transit",
    "available_for_pickup": "in_transit",
    "delivered": "delivered",
    "return_to_sender": "returned_to_sender",
    "failure": "exception",
    "error": "exception",
    "cancelled": "exception",
}
# The case statuses each carrier event moves; in any other status the event changes nothing.
MOVES: dict[str, frozenset[str]] = {
    "in_transit": frozenset({"awaiting_shipment"}),
    "delivered": frozenset({"awaiting_shipment", "in_transit"}),
    "exception": frozenset({"awaiting_shipment", "in_transit", "awaiting_inspection"}),
    "returned_to_sender": frozenset({"awaiting_shipment", "in_transit"}),
}


def easypost_signature(secret: str, body: bytes) -> str:
    """The ``X-Hmac-Signature`` value EasyPost sends for ``body`` under ``secret``."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(easypost_signature(secret, body), header.strip().lower())


def issued_through_easypost(label_carrier: str) -> bool:
    """Whether a label row was bought from EasyPost (its carrier is EasyPost's rate, e.g.
    "USPS GroundAdvantage"), not rendered here by the local carrier."""
    return label_carrier != LocalCarrier.name


def _answer(status: int, payload: dict[str, Any]) -> JSONResponse:
    return JSONResponse(payload, status_code=status)


def handle_tracker_event(
    desk: ReturnsDesk,
    event_id: str,
    tracking_number: str,
    tracker_status: str,
    *,
    source: str = "easypost",
    event: CarrierEvent | None = None,
) -> str:
    """Apply one tracker status to the case with that tracking number; returns what was done.
    ``event`` is the carrier event another carrier's status already means."""
    with desk.session() as session:
        if carrier_models.seen(session, event_id) is not None:
            return "already handled"
    if event is None:
        event = TRACKER_STATUS.get(tracker_status)
    outcome = _apply(desk, tracking_number, tracker_status, event)
    with desk.session() as session:
        carrier_models.remember(
            session,
            event_id=event_id,
            source=source,
            tracking_number=tracking_number,
            status=tracker_status,
            outcome=outcome,
            at=desk.clock.now(),
        )
    return outcome


def _apply(
    desk: ReturnsDesk, tracking_number: str, tracker_status: str, event: CarrierEvent | None
) -> str:
    if event is None:
        return f"status {tracker_status!r} changes nothing"
    with desk.session() as session:
        found = session.execute(
            select(LabelRow.case_code, CaseRow.status, LabelRow.carrier)
            .join(CaseRow, CaseRow.code == LabelRow.case_code)
            .where(LabelRow.tracking_number == tracking_number)
        ).first()
    if found is None or not issued_through_easypost(found[2]):
        return "no return has this tracking number"
    code, status, _ = found
    if status not in MOVES[event]:
        return f"{code} is {status.replace('_', ' ')}; nothing to change"
    try:
        view = desk.carrier_event_by_tracking(tracking_number, event)
    except ServiceUnavailable:
        raise  # not remembered: EasyPost redelivers the event and it is handled then
    except ReturnError as error:
        return f"{code}: {error.message}"
    return f"{view.code} is now {view.status.replace('_', ' ')}"


# The secret is RETURNBRIDGE_EASYPOST_WEBHOOK_SECRET (an empty secret, or none set, refuses every
# event), the mode events must have that of EASYPOST_API_KEY (none known: any mode); both come
# from the app (bot/web/deps.py WebhookSettings).
router = APIRouter()


@router.post("/webhooks/easypost", include_in_schema=False)
async def easypost_webhook(request: Request, desk: DeskDep, webhooks: WebhooksDep) -> JSONResponse:
    secret, mode = webhooks.easypost_secret, webhooks.easypost_mode
    if not secret:
        log.warning("EasyPost webhook refused: RETURNBRIDGE_EASYPOST_WEBHOOK_SECRET is not set")
        return _answer(
            403,
            {
                "error": {
                    "code": "webhook_not_configured",
                    "message": "Carrier events are refused: no webhook secret is set "
                    "(RETURNBRIDGE_EASYPOST_WEBHOOK_SECRET).",
                }
            },
        )
    body = await request.body()
    if not signature_ok(secret, body, request.headers.get(SIGNATURE_HEADER)):
        log.warning("EasyPost webhook with a missing or wrong signature refused")
        return _answer(
            401, {"error": {"code": "bad_signature", "message": "Signature does not match."}}
        )
    try:
        event = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _answer(400, {"error": {"code": "invalid_json", "message": "Not JSON."}})
    if not isinstance(event, dict) or event.get("object") != "Event":
        return _answer(
            400, {"error": {"code": "not_an_event", "message": "Expected an Event object."}}
        )
    event_mode = str(event.get("mode") or "").strip().lower()
    if mode and event_mode and event_mode != mode:
        return _answer(
            200,
            {
                "ok": True,
                "handled": False,
                "outcome": f"a {event_mode} event; this installation's key is {mode}",
            },
        )
    result = event.get("result")
    description = str(event.get("description") or "")
    if not description.startswith("tracker.") or not isinstance(result, dict):
        return _answer(200, {"ok": True, "handled": False, "outcome": "not a tracker event"})
    tracking = str(result.get("tracking_code") or "").strip()
    status = str(result.get("status") or "").strip().lower()
    if not tracking:
        return _answer(200, {"ok": True, "handled": False, "outcome": "no tracking code"})
    event_id = str(event.get("id") or "") or "sha256:" + hashlib.sha256(body).hexdigest()
    try:
        outcome = await run_in_threadpool(handle_tracker_event, desk, event_id, tracking, status)
    except ServiceUnavailable as error:
        log.warning("EasyPost %s left for its redelivery: %s", event_id, error.message)
        return _answer(503, {"error": {"code": error.code, "message": error.message}})
    log.info("EasyPost %s %s %s: %s", event_id, tracking, status, outcome)
    return _answer(200, {"ok": True, "handled": True, "outcome": outcome})
