"""Durable timers: supplier reminders, owner alerts, refunds after delivery."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.models import TimerRow

SUPPLIER_REMINDER = "supplier_reminder"
OWNER_ALERT = "owner_alert"
REFUND_AFTER_DELIVERY = "refund_after_delivery"


def schedule(
    session: Session,
    *,
    key: str,
    case_code: str,
    kind: str,
    due_at: dt.datetime,
    payload: dict[str, Any] | None = None,
) -> TimerRow:
    existing = session.execute(
        select(TimerRow).where(TimerRow.idempotency_key == key)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    row = TimerRow(
        idempotency_key=key,
        case_code=case_code,
        kind=kind,
        due_at=due_at,
        fired_at=None,
        claimed_at=None,
        claimed_by=None,
        cancelled_at=None,
        payload=payload or {},
    )
    session.add(row)
    session.flush()
    return row


def cancel(session: Session, case_code: str, kinds: tuple[str, ...], at: dt.datetime) -> None:
    session.execute(
        update(TimerRow)
        .where(
            TimerRow.case_code == case_code,
            TimerRow.kind.in_(kinds),
            TimerRow.fired_at.is_(None),
            TimerRow.cancelled_at.is_(None),
        )
        .values(cancelled_at=at)
    )


def _pending():  # type: ignore[no-untyped-def]
    return select(TimerRow).where(TimerRow.fired_at.is_(None), TimerRow.cancelled_at.is_(None))


LEASE = dt.timedelta(minutes=5)


def claim_due(
    session: Session, now: dt.datetime, worker: str, wall: dt.datetime, limit: int = 20
) -> list[TimerRow]:
    """Claim due timers in order.

    The rows are read with ``FOR UPDATE SKIP LOCKED``, so two workers never take the same
    one, and marked claimed for a lease of wall-clock time: a worker that dies holding a
    claim lets it go when the lease runs out, and the timer fires again. Firing twice is
    harmless because every step of the case graph is idempotent.
    """
    query = (
        _pending()
        .where(TimerRow.due_at <= now)
        .where((TimerRow.claimed_at.is_(None)) | (TimerRow.claimed_at < wall - LEASE))
        .order_by(TimerRow.due_at, TimerRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.execute(query).scalars())
    for row in rows:
        row.claimed_at = wall
        row.claimed_by = worker
    session.flush()
    return rows


def mark_fired(session: Session, timer_id: int, at: dt.datetime) -> None:
    session.execute(update(TimerRow).where(TimerRow.id == timer_id).values(fired_at=at))


def next_due(session: Session, until: dt.datetime) -> TimerRow | None:
    query = _pending().where(TimerRow.due_at <= until).order_by(TimerRow.due_at, TimerRow.id)
    return session.execute(query.limit(1)).scalars().first()
