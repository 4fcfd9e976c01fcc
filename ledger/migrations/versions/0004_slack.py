"""Supplier Slack threads, Slack posts and handled supplier events

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_code", sa.String(32), nullable=False),
        sa.Column("supplier_id", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_threads")),
        sa.UniqueConstraint("case_code", name=op.f("uq_slack_threads_case_code")),
        sa.UniqueConstraint("channel", "thread_ts", name=op.f("uq_slack_threads_channel")),
    )
    op.create_table(
        "slack_posts",
        sa.Column("outbox_key", sa.String(200), nullable=False),
        sa.Column("case_code", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("outbox_key", name=op.f("pk_slack_posts")),
    )
    op.create_index(op.f("ix_slack_posts_case_code"), "slack_posts", ["case_code"])
    op.create_table(
        "supplier_events",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("case_code", sa.String(32), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_supplier_events")),
    )
    op.create_index(op.f("ix_supplier_events_case_code"), "supplier_events", ["case_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_supplier_events_case_code"), table_name="supplier_events")
    op.drop_table("supplier_events")
    op.drop_index(op.f("ix_slack_posts_case_code"), table_name="slack_posts")
    op.drop_table("slack_posts")
    op.drop_table("slack_threads")
