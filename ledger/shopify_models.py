"""Shopify webhooks already handled, by Shopify's delivery id (``X-Shopify-Webhook-Id``).

Shopify delivers a webhook again when it thinks we missed it, and anyone holding a copy of a
signed delivery could send it again; each delivery id is claimed once (the primary key), so a
replayed order update changes nothing twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.models import Base


class ShopifyWebhookRow(Base):
    __tablename__ = "shopify_webhooks"

    webhook_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    shop_domain: Mapped[str] = mapped_column(String(255), default="")
    triggered_at: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(String(200), default="")


def claim(
    session: Session,
    *,
    webhook_id: str,
    topic: str,
    shop_domain: str,
    triggered_at: dt.datetime | None,
    received_at: dt.datetime,
) -> ShopifyWebhookRow | None:
    """Record a delivery; None when this delivery id was handled before."""
    row = ShopifyWebhookRow(
        webhook_id=webhook_id[:200],
        topic=topic[:64],
        shop_domain=shop_domain[:255],
        triggered_at=triggered_at,
        received_at=received_at,
        outcome="",
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row
