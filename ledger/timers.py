"""Durable timers: supplier reminders, owner alerts, refunds after delivery."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ledger import pending
from ledger.models import TimerRow

TABLE = pending.table_of(TimerRow)

SUPPLIER_REMINDER = "supplier_reminder"
OWNER_ALERT = "owner_alert"
REFUND_AFTER_DELIVERY = "refund_after_delivery"
# Owner rules' timers; the payload names the rule (``rule_id``, ``version``).
RULE_SUPPLIER_SILENT = "rule_supplier_silent"
RULE_NOT_INSPECTED = "rule_not_inspected"


def schedule(
    session: Session,
    *,
    key: str,
    case_code: str,
    kind: str,
    due_at: dt.datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    """Set a timer once per key. It is written with the transaction's other writes at its
    commit, in one statement (``ledger.pending``); a key already set is left as it is."""
    values = {
        "idempotency_key": key,
        "case_code": case_code,
        "kind": kind,
        "due_at": due_at,
        "fired_at": None,
        "cancelled_at": None,
        "payload": payload or {},
    }
    pending.add(session, TABLE, values, key=key, skip_existing="idempotency_key")


def cancel(session: Session, case_code: str, kinds: tuple[str, ...], at: dt.datetime) -> None:
    """Cancel pending timers of a case, in one statement. A timer a worker is claiming right
    now is locked and skipped on PostgreSQL (``FOR UPDATE SKIP LOCKED`` in the sub-select):
    the worker fires it (the case no longer takes it) and marks it fired itself."""
    params = {"timer_case": case_code, "timer_kinds": list(kinds), "cancel_at": at}
    # timers set earlier in this transaction are still held back (``ledger.pending``)
    pending.flush(session, {TABLE.name})
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_CANCEL_SKIPPING_LOCKED, params)
    else:  # SQLite has no row locks: the transaction holds the file's write lock
        connection.execute(_CANCEL, params)


# Built once: a statement object reused with bound parameters keeps its cache key, so a
# cancel costs no statement construction (a step cancels timers on every supplier answer,
# inspection and close).
_OPEN = (
    TimerRow.case_code == bindparam("timer_case"),
    TimerRow.kind.in_(bindparam("timer_kinds", expanding=True)),
    TimerRow.fired_at.is_(None),
    TimerRow.cancelled_at.is_(None),
)
_CANCEL = update(TABLE).where(*_OPEN).values(cancelled_at=bindparam("cancel_at"))
_CANCEL_SKIPPING_LOCKED = (
    update(TABLE)
    .where(
        TABLE.c.id.in_(
            select(TimerRow.id).where(*_OPEN).with_for_update(skip_locked=True).scalar_subquery()
        )
    )
    .values(cancelled_at=bindparam("cancel_at"))
)


def _pending():  # type: ignore[no-untyped-def]
    return select(TimerRow).where(TimerRow.fired_at.is_(None), TimerRow.cancelled_at.is_(None))


def claim_next(
    session: Session, now: dt.datetime, skip: frozenset[int] | set[int] = frozenset()
) -> TimerRow | None:
    """The next due timer, locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL.

    The caller leases it (``lease``) in the same short transaction and fires it after the
    commit, so two workers never take one timer and no row lock is held while it fires.
    (SQLite has no row locks; run one worker there.)
    ``skip`` names timers this round already passed over (their service is down): they
    wait for the next round.
    """
    query = _pending().where(TimerRow.due_at <= now)
    if skip:
        query = query.where(TimerRow.id.not_in(skip))
    query = query.order_by(TimerRow.due_at, TimerRow.id).limit(1).with_for_update(skip_locked=True)
    return session.execute(query).scalars().first()


def lease(session: Session, timer_id: int, until: dt.datetime) -> None:
    """Keep a claimed timer from other workers until ``until`` without holding its row lock."""
    session.execute(update(TimerRow).where(TimerRow.id == timer_id).values(due_at=until))


def mark_fired(session: Session, timer_id: int, at: dt.datetime) -> None:
    session.execute(update(TimerRow).where(TimerRow.id == timer_id).values(fired_at=at))


def next_due(session: Session, until: dt.datetime) -> TimerRow | None:
    query = _pending().where(TimerRow.due_at <= until).order_by(TimerRow.due_at, TimerRow.id)
    return session.execute(query.limit(1)).scalars().first()
