"""The outbox: every outgoing message, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ledger import pending
from ledger.models import OutboxRow

TABLE = pending.table_of(OutboxRow)

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


def queue(
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
) -> None:
    """Queue one message with the transaction's other writes, at its commit, in one statement
    (``ledger.pending``); the same key queues nothing new. Use :func:`enqueue` when the row
    itself is needed at once."""
    values = {
        "idempotency_key": key,
        "case_code": case_code,
        "channel": channel,
        "recipient": recipient,
        "kind": kind,
        "text": text,
        "payload": payload or {},
        "created_at": at,
        "delivered_at": None,
        "attempts": 0,
    }
    pending.add(session, TABLE, values, key=key, skip_existing="idempotency_key")


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


MAX_ATTEMPTS = 10


def claim_next(
    session: Session,
    *,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta,
    skip: set[int] | frozenset[int] = frozenset(),
) -> OutboxRow | None:
    """Lease the oldest undelivered message to ``worker`` until ``now + lease``.

    The claim is its own short transaction: the message is then sent outside any
    transaction (SMTP and Slack never hold the database), and ``finish`` records the
    outcome in another. ``FOR UPDATE SKIP LOCKED`` keeps two workers off the same row while
    they claim it (PostgreSQL); the lease keeps them off it while it is sent. A worker that
    dies mid-send leaves the lease to run out, and the message is sent again then (with the
    same Message-ID). ``skip`` names messages this round already tried.
    """
    query = select(OutboxRow).where(
        OutboxRow.delivered_at.is_(None),
        OutboxRow.attempts < MAX_ATTEMPTS,
        or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
    )
    if skip:
        query = query.where(OutboxRow.id.not_in(skip))
    query = query.order_by(OutboxRow.id).limit(1).with_for_update(skip_locked=True)
    row = session.execute(query).scalars().first()
    if row is None:
        return None
    row.claimed_by = worker
    row.claimed_until = now + lease
    row.attempts += 1
    session.flush()
    return row


def finish(
    session: Session,
    message_id: int,
    *,
    worker: str,
    delivered_at: dt.datetime | None,
    error: str | None,
) -> bool:
    """Record how sending went and end the lease; False when the lease was no longer ours."""
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == message_id, OutboxRow.claimed_by == worker)
        .values(delivered_at=delivered_at, last_error=error, claimed_by=None, claimed_until=None)
    )
    return bool(getattr(result, "rowcount", 0))
