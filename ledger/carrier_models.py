"""Carrier tracking events already handled, by the carrier's event id.

A carrier redelivers a webhook it thinks we missed (EasyPost retries an event until it gets
a 2xx); each event id is claimed once, so a replay moves no case twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.models import Base


class CarrierEventRow(Base):
    __tablename__ = "carrier_events"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    tracking_number: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime]


def seen(session: Session, event_id: str) -> CarrierEventRow | None:
    return session.execute(
        select(CarrierEventRow).where(CarrierEventRow.event_id == event_id)
    ).scalar_one_or_none()


def remember(
    session: Session,
    *,
    event_id: str,
    source: str,
    tracking_number: str,
    status: str,
    outcome: str,
    at: dt.datetime,
) -> bool:
    """Record a handled event; False when another delivery of it got there first."""
    try:
        with session.begin_nested():
            session.add(
                CarrierEventRow(
                    event_id=event_id,
                    source=source,
                    tracking_number=tracking_number,
                    status=status,
                    outcome=outcome[:200],
                    at=at,
                )
            )
    except IntegrityError:
        return False
    return True
