"""``POST /webhooks/shippo``: Shippo's ``track_updated`` events move return cases.

Shippo posts ``{"event": "track_updated", "test": bool, "data": {"tracking_number": "…",
"tracking_status": {"status": "TRANSIT"}}}`` whenever a label's tracking changes. The status
becomes the same carrier event as EasyPost's (``bot.web.carrier``): ``TRANSIT`` in transit,
``DELIVERED`` delivered, ``RETURNED`` returned to sender (the case goes to the owner's
review), ``FAILURE`` a problem the owner is told about; ``PRE_TRANSIT`` and ``UNKNOWN`` change
nothing.

Shippo's documentation describes no signature on its webhooks that could be checked here, so
the webhook URL carries a shared token instead: with ``RETURNBRIDGE_SHIPPO_WEBHOOK_TOKEN`` set,
register ``https://YOUR-HOST/webhooks/shippo?token=<that token>`` in Shippo; a call without
it, or with another, gets 401 and changes nothing; with no token set every call gets 403. An
event whose ``test`` flag does not match the API token's mode (``shippo_test_…`` /
``shippo_live_…``) changes nothing. Shippo sends no event id: the body's hash stands for it,
so a redelivered body is handled once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bot.web.carrier import handle_tracker_event
from bot.web.deps import DeskDep, WebhooksDep
from graph.desk import CarrierEvent
from tools.service_errors import ServiceUnavailable

log = logging.getLogger("returnbridge.shippo_webhook")

SHIPPO_STATUS: dict[str, CarrierEvent] = {
    "TRANSIT": "in_transit",
    "DELIVERED": "delivered",
    "RETURNED": "returned_to_sender",
    "FAILURE": "exception",
}


# The token is RETURNBRIDGE_SHIPPO_WEBHOOK_TOKEN, the mode that of SHIPPO_API_TOKEN (none
# known: any mode); both come from the app (bot/web/deps.py WebhookSettings).
router = APIRouter()


@router.post("/webhooks/shippo", include_in_schema=False)
async def shippo_webhook(request: Request, desk: DeskDep, webhooks: WebhooksDep) -> JSONResponse:
    token, mode = webhooks.shippo_token, webhooks.shippo_mode
    if not token:
        # The customer sees the tracking number: an unauthenticated "delivered" would let
        # anyone move a case towards its refund. No token set: no event acts.
        return JSONResponse(
            {
                "detail": "Shippo events are refused until RETURNBRIDGE_SHIPPO_WEBHOOK_TOKEN "
                "is set and the webhook URL carries it."
            },
            status_code=403,
        )
    given = request.query_params.get("token", "")
    if not hmac.compare_digest(given.encode(), token.encode()):
        log.warning("Shippo webhook without the shared token refused")
        return JSONResponse({"detail": "Unknown webhook."}, status_code=401)
    body = await request.body()
    try:
        event = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JSONResponse({"detail": "Not JSON."}, status_code=400)
    if not isinstance(event, dict):
        return JSONResponse({"detail": "Expected an event object."}, status_code=400)
    if event.get("event") != "track_updated" or not isinstance(event.get("data"), dict):
        return JSONResponse({"ok": True, "handled": False, "outcome": "not a tracking event"})
    event_mode = "test" if event.get("test") else "production"
    if mode and "test" in event and event_mode != mode:
        outcome = f"a {event_mode} event; this installation's token is {mode}"
        return JSONResponse({"ok": True, "handled": False, "outcome": outcome})
    data = event["data"]
    tracking = str(data.get("tracking_number") or "").strip()
    status_block = data.get("tracking_status") or {}
    status = str(status_block.get("status") if isinstance(status_block, dict) else "")
    status = status.strip().upper()
    if not tracking:
        return JSONResponse({"ok": True, "handled": False, "outcome": "no tracking number"})
    event_id = "shippo:" + hashlib.sha256(body).hexdigest()
    try:
        outcome = await run_in_threadpool(
            lambda: handle_tracker_event(
                desk,
                event_id,
                tracking,
                status.lower(),
                source="shippo",
                event=SHIPPO_STATUS.get(status),
            )
        )
    except ServiceUnavailable as error:
        log.warning("Shippo event for %s left for its redelivery: %s", tracking, error.message)
        return JSONResponse({"detail": error.message}, status_code=503)
    log.info("Shippo %s %s: %s", tracking, status, outcome)
    return JSONResponse({"ok": True, "handled": True, "outcome": outcome})
