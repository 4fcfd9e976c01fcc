"""SQLAlchemy tables: orders, cases, the decision ledger, the journal, the outbox, timers."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always read back timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
    }


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    display_number: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320), index=True)
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2))
    shipping_address: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    placed_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]
    # The order's id in the store's own system (Shopify's numeric order id), when known.
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # Cash-on-delivery orders may have a phone and no email; the customer identifies with it.
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Where it was sold: "web" or a marketplace (amazon, ebay, ...), whose rules then apply.
    channel: Mapped[str] = mapped_column(String(32), default="web", server_default="web")
    # Given back before the order was imported: the order's cap is what its lines paid less
    # this (and less what the desk has given back since).
    refunded_before_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The gateway(s) it was paid through ("shopify_payments", "Cash on Delivery (COD)"): a
    # refund of an order paid by hand is paid back by the owner by hand.
    payment_gateway: Mapped[str] = mapped_column(String(200), default="", server_default="")

    items: Mapped[list[LineItemRow]] = relationship(
        back_populates="order", order_by="LineItemRow.position", lazy="select"
    )


class LineItemRow(Base):
    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300), default="")
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int]
    supplier_id: Mapped[str] = mapped_column(String(100))  # "" when no agreement matched
    final_sale: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the whole line paid after discounts; None for lines imported before it was kept
    # (then unit price x quantity).
    paid_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    vendor: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # False for a line not yet shipped while its order was (the order's delivery is not its).
    delivered: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The line's id in the store's own system (Shopify's line item id), when known: a refund
    # there names the units it gives back, and an order update finds its lines by it.
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)

    order: Mapped[OrderRow] = relationship(back_populates="items")

    @property
    def paid_total_minor(self) -> int:
        if self.paid_minor is not None:
            return self.paid_minor
        return self.unit_price_minor * self.quantity


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("line_items.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(String(100), index=True)
    customer_email: Mapped[str] = mapped_column(String(320))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(String(32))
    requested_resolution: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), index=True)
    resolution: Mapped[str | None] = mapped_column(String(32))
    return_required: Mapped[bool | None] = mapped_column(Boolean)
    rma: Mapped[str | None] = mapped_column(String(100))
    return_address: Mapped[str | None] = mapped_column(Text)
    review_reason: Mapped[str | None] = mapped_column(Text)
    after_review: Mapped[str | None] = mapped_column(String(32))
    owner_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    supplier_declined: Mapped[bool] = mapped_column(Boolean, default=False)
    inspection: Mapped[str | None] = mapped_column(String(16))
    delivered_back_at: Mapped[dt.datetime | None]
    photo_count: Mapped[int] = mapped_column(Integer, default=0)
    opened_via: Mapped[str] = mapped_column(String(16), default="portal")
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    order: Mapped[OrderRow] = relationship(lazy="joined")
    line_item: Mapped[LineItemRow] = relationship(lazy="joined")


class CaseStepRow(Base):
    """One finished step of a case graph node: re-running the node returns this result."""

    __tablename__ = "case_steps"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_code: Mapped[str] = mapped_column(String(32), index=True)
    result: Mapped[dict[str, Any]]
    at: Mapped[dt.datetime]


class PhotoRow(Base):
    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    chat_session: Mapped[str | None] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[dt.datetime]


class LabelRow(Base):
    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_code: Mapped[str] = mapped_column(String(32), unique=True)
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(64), unique=True)
    cost_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[dt.datetime]


class LedgerHead(Base):
    """The last row of the decision chain; locked while a row is appended."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class DecisionRow(Base):
    __tablename__ = "decisions"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalEntryRow(Base):
    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    memo: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime]

    lines: Mapped[list[JournalLineRow]] = relationship(
        back_populates="entry", lazy="selectin", cascade="all, delete-orphan"
    )


class JournalLineRow(Base):
    __tablename__ = "journal_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    line_item_id: Mapped[int | None] = mapped_column(ForeignKey("line_items.id"), index=True)

    entry: Mapped[JournalEntryRow] = relationship(back_populates="lines")


class EffectRow(Base):
    """An external effect (refund, label, replacement order) done once per idempotency key."""

    __tablename__ = "effects"

    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    result: Mapped[dict[str, Any]]
    at: Mapped[dt.datetime]


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The worker sending it, and until when: sent outside any transaction, so the lease is
    # what keeps a second worker from sending it too (see ledger/outbox.py).
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[dt.datetime | None]


class TimerRow(Base):
    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    case_code: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    fired_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    payload: Mapped[dict[str, Any]]
