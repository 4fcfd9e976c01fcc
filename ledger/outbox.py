"""The outbox: every outgoing message, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import OutboxRow

CUSTOMER = "customer"
SUPPLIER = "supplier"
OWNER = "owner"


def enqueue(
    session: Session,
    *,
    key: str,
    at: dt.datetime,
    case_code: str | None,
    channel: str,
    recipient: str,
    kind: str,
    text: str,
    payload: dict[str, Any] | None = None,
) -> OutboxRow:
    """Queue one message; the same key queues nothing new."""
    existing = session.execute(
        select(OutboxRow).where(OutboxRow.idempotency_key == key)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    row = OutboxRow(
        idempotency_key=key,
        case_code=case_code,
        channel=channel,
        recipient=recipient,
        kind=kind,
        text=text,
        payload=payload or {},
        created_at=at,
        delivered_at=None,
        attempts=0,
    )
    session.add(row)
    session.flush()
    return row


def messages(
    session: Session,
    *,
    channel: str | None = None,
    recipient: str | None = None,
    case_code: str | None = None,
    after_id: int = 0,
) -> list[OutboxRow]:
    query = select(OutboxRow).where(OutboxRow.id > after_id).order_by(OutboxRow.id)
    if channel is not None:
        query = query.where(OutboxRow.channel == channel)
    if recipient is not None:
        query = query.where(OutboxRow.recipient == recipient)
    if case_code is not None:
        query = query.where(OutboxRow.case_code == case_code)
    return list(session.execute(query).scalars())


def claim_undelivered(session: Session, limit: int = 50) -> list[OutboxRow]:
    """Undelivered messages, locked so a second worker skips them (PostgreSQL)."""
    query = (
        select(OutboxRow)
        .where(OutboxRow.delivered_at.is_(None), OutboxRow.attempts < 10)
        .order_by(OutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.execute(query).scalars())
