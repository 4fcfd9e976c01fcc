"""Supplier onboarding invitations: the link sent, the terms the supplier submitted, and the
owner's confirmation. The agreement file is written only at confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.models import Base

INVITED = "invited"
SUBMITTED = "submitted"
CONFIRMED = "confirmed"
WITHDRAWN = "withdrawn"  # a newer invitation replaced it


class OnboardingRow(Base):
    __tablename__ = "supplier_onboarding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What the signed link carries: random, so the link says nothing about the supplier.
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    supplier_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=INVITED)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    terms_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


def by_nonce(session: Session, nonce: str, *, lock: bool = False) -> OnboardingRow | None:
    query = select(OnboardingRow).where(OnboardingRow.nonce == nonce)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def latest(session: Session, supplier_id: str, *, lock: bool = False) -> OnboardingRow | None:
    query = (
        select(OnboardingRow)
        .where(OnboardingRow.supplier_id == supplier_id)
        .order_by(OnboardingRow.id.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def all_latest(session: Session) -> dict[str, OnboardingRow]:
    """Each supplier's newest invitation."""
    found: dict[str, OnboardingRow] = {}
    for row in session.execute(select(OnboardingRow).order_by(OnboardingRow.id)).scalars():
        found[row.supplier_id] = row
    return found
