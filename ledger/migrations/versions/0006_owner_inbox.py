"""The owner's inbox and the supplier payments (credit notes, payments, write-offs)

Revision ID: 0006_inbox
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.models import UTCDateTime

revision = "0006_inbox"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owner_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("order_number", sa.String(64), nullable=True),
        sa.Column("case_code", sa.String(32), nullable=True),
        sa.Column("party", sa.String(16), nullable=False),
        sa.Column("party_id", sa.String(320), nullable=False),
        sa.Column("chat_session", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_inbox")),
    )
    for column in ("kind", "status", "order_number", "case_code", "chat_session"):
        op.create_index(op.f(f"ix_owner_inbox_{column}"), "owner_inbox", [column])
    op.create_table(
        "supplier_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_payments")),
        sa.UniqueConstraint(
            "supplier_id", "kind", "reference", name=op.f("uq_supplier_payments_supplier_id")
        ),
    )
    op.create_index(op.f("ix_supplier_payments_supplier_id"), "supplier_payments", ["supplier_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_supplier_payments_supplier_id"), table_name="supplier_payments")
    op.drop_table("supplier_payments")
    for column in ("kind", "status", "order_number", "case_code", "chat_session"):
        op.drop_index(op.f(f"ix_owner_inbox_{column}"), table_name="owner_inbox")
    op.drop_table("owner_inbox")
