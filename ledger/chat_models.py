"""Tables of the customer chat: sessions, messages, failed identity attempts, handoffs.

A chat session is one conversation on the store's site. Its dialogue state lives in the chat
graph's checkpoints (thread id = session id); these tables hold what the web API, the owner
and the checks read: the transcript, which cases the chat opened, who tried which order
number, and the conversations handed to the owner.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models import Base


class ChatSessionRow(Base):
    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    backend: Mapped[str] = mapped_column(String(16), default="offline")
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # Set once the order number and its email matched; nothing about an order is said before.
    order_number: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    failed_identity: Mapped[int] = mapped_column(Integer, default=0)
    slowed_until: Mapped[dt.datetime | None]
    handed_off: Mapped[bool] = mapped_column(default=False)


class ChatMessageRow(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("session_id", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    at: Mapped[dt.datetime]
    role: Mapped[str] = mapped_column(String(16))  # customer | bot
    text: Mapped[str] = mapped_column(Text)
    # Quick replies, a label link, a case code: what the widget shows besides the text.
    payload: Mapped[dict[str, Any]]
    # Where a bot message came from when it is not a reply: "outbox:<id>" for a case notice,
    # unique per session so a notice is posted once.
    source: Mapped[str | None] = mapped_column(String(64))


class ChatCaseRow(Base):
    """A case opened from a chat session: its notices are posted back into that chat."""

    __tablename__ = "chat_cases"

    case_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    at: Mapped[dt.datetime]


class ChatIdentityFailureRow(Base):
    """An order number and email that did not match (or named no order)."""

    __tablename__ = "chat_identity_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    at: Mapped[dt.datetime]
    order_number: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))


class ChatHandoffRow(Base):
    """A conversation put in the owner's review queue because the customer asked for a person."""

    __tablename__ = "chat_handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    at: Mapped[dt.datetime]
    order_number: Mapped[str | None] = mapped_column(String(64))
    case_code: Mapped[str | None] = mapped_column(String(32))
    customer_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
