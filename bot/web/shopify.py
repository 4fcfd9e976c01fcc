"""``POST /webhooks/shopify``: Shopify's order webhooks keep the desk's orders current.

Topics (``X-Shopify-Topic``): ``orders/create`` and ``orders/updated`` carry the whole order in
Shopify's REST JSON; it is added, or brought up to date (``adapters.shopify_orders.update_order``:
an order with return cases keeps them; an order edited to fewer units lowers what is left to
return; one cancelled or refunded in full in Shopify has nothing more to refund).
``fulfillments/create`` and ``fulfillments/update`` mark the order's lines shipped and
date its delivery. Other topics are acknowledged and change nothing.

Only Shopify's own deliveries act:

- ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body keyed with the app's
  client secret (``SHOPIFY_API_SECRET``); it is compared in constant time before the body is
  read. Without a secret set every webhook is refused (403); a wrong signature gets 401.
- ``X-Shopify-Webhook-Id`` names the delivery; each is claimed once, in the same transaction
  as the change it makes (a repeated delivery is acknowledged and changes nothing).
- ``X-Shopify-Triggered-At`` must be within ``RETURNBRIDGE_SHOPIFY_WEBHOOK_MAX_AGE_HOURS``
  (default 6; Shopify retries a failed delivery for a few hours) and not in the future: a
  signed delivery copied and sent again later is refused even when its id was forgotten.

Shopify counts any answer other than 2xx as failed and retries it; a payload that cannot
become an order (another currency, no line item left) is acknowledged with the reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from adapters.shopify_orders import (
    ShopifyOrdersError,
    close_order,
    order_from_webhook,
    record_fulfillment,
    update_order,
)
from bot.web.deps import DeskDep, WebhooksDep
from graph.desk import ReturnsDesk
from ledger import shopify_models

log = logging.getLogger("returnbridge.shopify_webhook")

ORDER_TOPICS = frozenset({"orders/create", "orders/updated"})
FULFILMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
FUTURE_SLACK = dt.timedelta(minutes=5)  # clocks differ a little
_FRACTION = re.compile(r"\.(\d+)")


def shopify_signature(secret: str, body: bytes) -> str:
    """What Shopify puts in ``X-Shopify-Hmac-Sha256`` for this body."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _triggered_at(text: str) -> dt.datetime | None:
    """``2026-03-10T12:00:00.877041743Z`` (nanoseconds, as Shopify sends them) → a time."""
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6], text.strip()).replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _refuse(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


# The secret is SHOPIFY_API_SECRET, the oldest delivery taken and the transit days come from
# their settings, all through the app (bot/web/deps.py WebhookSettings).
router = APIRouter()


@router.post("/webhooks/shopify", include_in_schema=False)
async def shopify_webhook(request: Request, desk: DeskDep, webhooks: WebhooksDep) -> JSONResponse:
    key = webhooks.shopify_secret
    max_age = dt.timedelta(hours=webhooks.shopify_max_age_hours)
    transit_days = webhooks.shopify_transit_days
    if not key.strip():
        # An unsigned "order updated" could rewrite what a customer may return.
        return _refuse(403, "Shopify webhooks are refused until SHOPIFY_API_SECRET is set.")
    body = await request.body()
    given = request.headers.get("x-shopify-hmac-sha256", "")
    if not hmac.compare_digest(given.encode(), shopify_signature(key, body).encode()):
        log.warning("Shopify webhook with a wrong signature refused")
        return _refuse(401, "The signature does not match.")
    topic = request.headers.get("x-shopify-topic", "").strip().lower()
    webhook_id = request.headers.get("x-shopify-webhook-id", "").strip()
    if not webhook_id:
        return _refuse(400, "No X-Shopify-Webhook-Id.")
    triggered = _triggered_at(request.headers.get("x-shopify-triggered-at", ""))
    now = desk.clock.now()
    if triggered is None:
        return _refuse(400, "No readable X-Shopify-Triggered-At.")
    if triggered > now + FUTURE_SLACK or now - triggered > max_age:
        log.warning("Shopify webhook %s triggered at %s refused", webhook_id, triggered)
        return _refuse(400, "The delivery is too old (or dated in the future).")
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _refuse(400, "Not JSON.")
    if not isinstance(payload, dict):
        return _refuse(400, "Expected an object.")
    if topic not in ORDER_TOPICS | FULFILMENT_TOPICS:
        return JSONResponse({"ok": True, "handled": False, "outcome": f"topic {topic!r}"})
    shop = request.headers.get("x-shopify-shop-domain", "")

    def handle() -> tuple[bool, str]:
        with desk.session() as session:
            claim = shopify_models.claim(
                session,
                webhook_id=webhook_id,
                topic=topic,
                shop_domain=shop,
                triggered_at=triggered,
                received_at=now,
            )
            if claim is None:
                return False, "already handled"
            outcome = _apply(desk, session, topic, payload, transit_days)
            claim.outcome = outcome[:200]
            return True, outcome

    handled, outcome = await run_in_threadpool(handle)
    log.info("Shopify %s %s: %s", topic, webhook_id, outcome)
    return JSONResponse({"ok": True, "handled": handled, "outcome": outcome})


def _apply(
    desk: ReturnsDesk, session: Any, topic: str, payload: dict[str, Any], transit_days: int
) -> str:
    if topic in FULFILMENT_TOPICS:
        return record_fulfillment(session, payload, transit_days=transit_days)
    try:
        spec, read = order_from_webhook(payload, desk.store, transit_days=transit_days)
    except (ShopifyOrdersError, ValueError) as error:
        return f"not imported: {error}"
    if spec is None:
        closed = close_order(session, payload)  # cancelled or refunded since: nothing left
        return closed or "not imported: " + "; ".join(read.skipped)
    outcome = update_order(session, spec, desk.store.policy.currency)
    unknown = sorted(read.unknown_vendors)
    return outcome + (f"; vendors without a supplier: {', '.join(unknown)}" if unknown else "")
