"""One-time codes that let a customer who does not know the order number list their orders.

Only a salted hash of each code is kept, and the address or phone it went to only as a hash
too (``contact_key``): the table alone tells nobody who asked or which code works.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.models import Base


class SignInCodeRow(Base):
    __tablename__ = "sign_in_codes"
    __table_args__ = (
        Index("ix_sign_in_codes_contact_key_created_at", "contact_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "email" or "phone": where the code went
    kind: Mapped[str] = mapped_column(String(8))
    contact_key: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    tries: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


def newest(session: Session, contact_key: str) -> SignInCodeRow | None:
    """The contact's newest code, locked so two guesses at once count as two tries."""
    return session.execute(
        select(SignInCodeRow)
        .where(SignInCodeRow.contact_key == contact_key)
        .order_by(SignInCodeRow.created_at.desc(), SignInCodeRow.id.desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()
