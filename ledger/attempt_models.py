"""Failed attempts that someone may be guessing with: order number and e-mail pairs that did
not match, wrong owner passwords.

One row per failure and per thing it counts against (``scope``: ``client`` = the client's
address, ``order`` = the order number tried, ``owner`` = the address that sent a wrong owner
password). The rows live in the database so every web process of one installation counts the
same attempts; rows older than a day are pruned as new ones come.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.models import Base

KEEP = dt.timedelta(days=1)


class FailedAttemptRow(Base):
    __tablename__ = "failed_attempts"
    __table_args__ = (Index("ix_failed_attempts_scope_subject_at", "scope", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(index=True)


def add(session: Session, *, scope: str, subject: str, source: str, at: dt.datetime) -> None:
    session.add(FailedAttemptRow(scope=scope, subject=subject[:128], source=source, at=at))
    session.flush()


def recent(
    session: Session, scope: str, subject: str, since: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many failures counted against ``subject`` after ``since``, and the latest one."""
    count, latest = session.execute(
        select(func.count(), func.max(FailedAttemptRow.at)).where(
            FailedAttemptRow.scope == scope,
            FailedAttemptRow.subject == subject[:128],
            FailedAttemptRow.at > since,
        )
    ).one()
    return int(count), latest


def prune(session: Session, now: dt.datetime) -> None:
    session.execute(delete(FailedAttemptRow).where(FailedAttemptRow.at < now - KEEP))
