"""Customer chat: sessions, messages, cases opened in a chat, failed identity attempts, handoffs

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("backend", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("order_number", sa.String(64), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("failed_identity", sa.Integer(), nullable=False),
        sa.Column("slowed_until", UTCDateTime(), nullable=True),
        sa.Column("handed_off", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
    )
    op.create_index(
        op.f("ix_chat_sessions_order_number"), "chat_sessions", ["order_number"], unique=False
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_messages_session_id_chat_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint("session_id", "source", name=op.f("uq_chat_messages_session_id")),
    )
    op.create_index(
        op.f("ix_chat_messages_session_id"), "chat_messages", ["session_id"], unique=False
    )
    op.create_table(
        "chat_cases",
        sa.Column("case_code", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_cases_session_id_chat_sessions"),
        ),
        sa.PrimaryKeyConstraint("case_code", name=op.f("pk_chat_cases")),
    )
    op.create_index(op.f("ix_chat_cases_session_id"), "chat_cases", ["session_id"], unique=False)
    op.create_table(
        "chat_identity_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("order_number", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_identity_failures_session_id_chat_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_identity_failures")),
    )
    op.create_index(
        op.f("ix_chat_identity_failures_session_id"),
        "chat_identity_failures",
        ["session_id"],
        unique=False,
    )
    op.create_table(
        "chat_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("order_number", sa.String(64), nullable=True),
        sa.Column("case_code", sa.String(32), nullable=True),
        sa.Column("customer_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_handoffs_session_id_chat_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_handoffs")),
    )
    op.create_index(
        op.f("ix_chat_handoffs_session_id"), "chat_handoffs", ["session_id"], unique=False
    )


def downgrade() -> None:
    for table in (
        "chat_handoffs",
        "chat_identity_failures",
        "chat_cases",
        "chat_messages",
        "chat_sessions",
    ):
        op.drop_table(table)
