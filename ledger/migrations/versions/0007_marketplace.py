"""Orders remember where they were sold: the store's site or a marketplace

Revision ID: 0007_marketplace
Revises: 0006_inbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_marketplace"
down_revision = "0006_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("channel", sa.String(32), nullable=False, server_default="web"))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("channel")
