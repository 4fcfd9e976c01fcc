"""Failed identity checks and owner passwords, counted across processes

Revision ID: 0010_failed_attempts
Revises: 0009_outbox_lease
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.models import UTCDateTime

revision = "0010_failed_attempts"
down_revision = "0009_outbox_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_attempts")),
    )
    op.create_index(op.f("ix_failed_attempts_at"), "failed_attempts", ["at"])
    op.create_index(
        "ix_failed_attempts_scope_subject_at", "failed_attempts", ["scope", "subject", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_failed_attempts_scope_subject_at", table_name="failed_attempts")
    op.drop_index(op.f("ix_failed_attempts_at"), table_name="failed_attempts")
    op.drop_table("failed_attempts")
