"""The owner rules table: every version of every rule, with its words and its meaning.

A rule keeps its number (``id``) across versions; ``(id, version)`` is the key. A row is a
``draft`` until the owner says yes, then ``active``, then ``retired`` (by the owner, or
because a newer version replaced it). At most one draft exists at a time: a new draft
replaces the one waiting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.models import Base
from policies.rules import Rule, RuleSpec

DRAFT, ACTIVE, RETIRED = "draft", "active", "retired"


class RuleRow(Base):
    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    canonical: Mapped[str] = mapped_column(Text)
    json: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]

    def to_rule(self) -> Rule:
        return Rule.model_validate(
            {
                **self.json,
                "id": self.id,
                "version": self.version,
                "status": self.status,
                "text": self.text,
                "canonical_text": self.canonical,
                "created_at": self.created_at,
                "retired_at": self.retired_at,
            }
        )


def _rows(session: Session, *statuses: str) -> list[RuleRow]:
    query = select(RuleRow).order_by(RuleRow.id, RuleRow.version)
    if statuses:
        query = query.where(RuleRow.status.in_(statuses))
    # Nothing a case step changes is read here: its changes to the case wait for its commit
    # (one update) instead of being flushed for this read.
    with session.no_autoflush:
        return list(session.execute(query).scalars())


def active_rules(session: Session) -> list[Rule]:
    return [row.to_rule() for row in _rows(session, ACTIVE)]


def all_rules(session: Session) -> list[Rule]:
    return [row.to_rule() for row in _rows(session)]


def count_active(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(RuleRow).where(RuleRow.status == ACTIVE)
        ).scalar_one()
    )


def get_row(session: Session, rule_id: int, version: int | None = None) -> RuleRow | None:
    """One version, or (without ``version``) the newest version that is not a draft."""
    query = select(RuleRow).where(RuleRow.id == rule_id)
    if version is not None:
        return session.execute(query.where(RuleRow.version == version)).scalar_one_or_none()
    query = query.where(RuleRow.status != DRAFT).order_by(RuleRow.version.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()


def pending_draft(session: Session) -> RuleRow | None:
    return session.execute(
        select(RuleRow).where(RuleRow.status == DRAFT).order_by(RuleRow.created_at.desc()).limit(1)
    ).scalar_one_or_none()


def save_draft(
    session: Session,
    spec: RuleSpec,
    *,
    text: str,
    canonical: str,
    now: dt.datetime,
    replaces: int | None = None,
) -> RuleRow:
    """Store a draft (dropping any other), as a new rule or a new version of ``replaces``."""
    session.execute(delete(RuleRow).where(RuleRow.status == DRAFT))
    if replaces is None:
        top = session.execute(select(func.max(RuleRow.id))).scalar_one()
        rule_id, version = int(top or 0) + 1, 1
    else:
        top = session.execute(
            select(func.max(RuleRow.version)).where(RuleRow.id == replaces)
        ).scalar_one()
        rule_id, version = replaces, int(top or 0) + 1
    row = RuleRow(
        id=rule_id,
        version=version,
        text=text,
        canonical=canonical,
        json=spec.logic(),
        status=DRAFT,
        created_at=now,
        retired_at=None,
    )
    session.add(row)
    session.flush()
    return row


def discard_drafts(session: Session) -> int:
    result = session.execute(delete(RuleRow).where(RuleRow.status == DRAFT))
    return int(getattr(result, "rowcount", 0) or 0)
