"""The owner rules table: every version of every rule, with its words and its meaning.

A rule keeps its number (``id``) across versions; ``(id, version)`` is the key. A row is a
``draft`` until the owner says yes, then ``active``, then ``retired`` (by the owner, or
because a newer version replaced it). At most one draft exists at a time: a new draft
replaces the one waiting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Integer, String, Table, Text, delete, func, select
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
        return _rule(self)


def _rule(row: Any) -> Rule:
    """The rule of a row: a :class:`RuleRow`, or a row of its columns read through Core."""
    return Rule.model_validate(
        {
            **row.json,
            "id": row.id,
            "version": row.version,
            "status": row.status,
            "text": row.text,
            "canonical_text": row.canonical,
            "created_at": row.created_at,
            "retired_at": row.retired_at,
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


_RULES = cast(Table, RuleRow.__table__)
# Built once (a statement reused keeps its cache key): read on every case assessment.
_ACTIVE_COLUMNS = (
    select(_RULES).where(_RULES.c.status == ACTIVE).order_by(_RULES.c.id, _RULES.c.version)
)


def active_rules(session: Session) -> list[Rule]:
    """The active rules, in order of number and version.

    Read through Core, without loading rows into the session (most of the cost of the read),
    unless the session holds rule rows already: their attributes, changed here and not yet
    written, are what the rules are then made of, as before."""
    if _holds_rule_rows(session):
        return [row.to_rule() for row in _rows(session, ACTIVE)]
    return [_rule(row) for row in session.connection().execute(_ACTIVE_COLUMNS)]


def _holds_rule_rows(session: Session) -> bool:
    return any(isinstance(row, RuleRow) for row in session.identity_map.values()) or any(
        isinstance(row, RuleRow) for row in session.new
    )


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
