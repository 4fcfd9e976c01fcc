"""Orders keep their id in the store's own system; carrier events are handled once

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("external_id", sa.String(64), nullable=True))
    op.create_table(
        "carrier_events",
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("tracking_number", sa.String(100), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_carrier_events")),
    )
    op.create_index(
        op.f("ix_carrier_events_tracking_number"), "carrier_events", ["tracking_number"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_carrier_events_tracking_number"), table_name="carrier_events")
    op.drop_table("carrier_events")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("external_id")
