"""Tables of the owner's desk: the inbox of what waits for the owner, and supplier payments.

An inbox item is one thing the desk handed to the owner: a customer who asked for a person,
a supplier's question, a case in review, a supplier silent too long, a service that keeps
failing. It names the order (an item raised in a chat belongs to the order that chat
identified, even with no case), the case if there is one, the party and their words.

A supplier payment is a credit note or a payment received from a supplier (or a write-off
by the owner); the journal holds how it settled each case's credit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models import Base

HANDOFF = "handoff"
SUPPLIER_QUESTION = "supplier_question"
PENDING_REVIEW = "pending_review"
SUPPLIER_SILENT = "supplier_silent"
SERVICE_FAILING = "service_failing"
# A refund the payments service cannot make (cash on delivery, a manual gateway): the owner
# pays the customer by hand and marks it paid.
REFUND_BY_HAND = "refund_by_hand"
INBOX_KINDS = (
    HANDOFF,
    SUPPLIER_QUESTION,
    PENDING_REVIEW,
    SUPPLIER_SILENT,
    SERVICE_FAILING,
    REFUND_BY_HAND,
)


class InboxItemRow(Base):
    __tablename__ = "owner_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    # watching (a service failure not yet repeated enough) | open | closed
    status: Mapped[str] = mapped_column(String(16), index=True)
    order_number: Mapped[str | None] = mapped_column(String(64), index=True)
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    party: Mapped[str] = mapped_column(String(16))  # customer | supplier | store
    party_id: Mapped[str] = mapped_column(String(320), default="")
    chat_session: Mapped[str | None] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text, default="")  # the party's own words
    summary: Mapped[str] = mapped_column(Text, default="")  # what the desk told the owner
    data: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    reply: Mapped[str | None] = mapped_column(Text)


class SupplierPaymentRow(Base):
    """A credit note or payment from a supplier (``received``) or a write-off (``written_off``)."""

    __tablename__ = "supplier_payments"
    __table_args__ = (UniqueConstraint("supplier_id", "kind", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime]
