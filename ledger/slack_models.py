"""Tables for the supplier side: a case's Slack thread, what was posted, what was handled.

A case lives in one thread of its supplier's channel (``slack_threads``). Every outbox row
posted to Slack is remembered by its idempotency key (``slack_posts``), so a redelivery posts
nothing twice. Every supplier event (a Slack event id, a button press, a modal submission, an
inbox form) is claimed once by key (``supplier_events``): Slack retries and double clicks act
once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.models import Base


class SlackThreadRow(Base):
    __tablename__ = "slack_threads"
    __table_args__ = (UniqueConstraint("channel", "thread_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_code: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(64))
    thread_ts: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime]


class SlackPostRow(Base):
    __tablename__ = "slack_posts"

    outbox_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime]


class SupplierEventRow(Base):
    __tablename__ = "supplier_events"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    at: Mapped[dt.datetime]


def case_thread(session: Session, case_code: str) -> SlackThreadRow | None:
    return session.execute(
        select(SlackThreadRow).where(SlackThreadRow.case_code == case_code)
    ).scalar_one_or_none()


def thread_by_ts(session: Session, thread_ts: str) -> SlackThreadRow | None:
    """The case thread a reply belongs to. Slack's ``ts`` values are unique per channel; the
    channel is checked separately, so a reply from another channel is refused, not lost."""
    return (
        session.execute(select(SlackThreadRow).where(SlackThreadRow.thread_ts == thread_ts))
        .scalars()
        .first()
    )


def case_channel(session: Session, case_code: str, agreement_channel: str | None) -> str | None:
    """Where the case's supplier may speak: its thread's channel, else the agreement's."""
    thread = case_thread(session, case_code)
    return thread.channel if thread is not None else agreement_channel


def claim_event(
    session: Session, key: str, *, source: str, at: dt.datetime, case_code: str | None = None
) -> bool:
    """True the first time ``key`` is seen; False for a retry or a second click."""
    if session.get(SupplierEventRow, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SupplierEventRow(key=key, source=source, case_code=case_code, at=at))
    except IntegrityError:
        return False
    return True


def posted(session: Session, outbox_key: str) -> SlackPostRow | None:
    return session.get(SlackPostRow, outbox_key)
