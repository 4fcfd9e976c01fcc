"""Orders keep a phone and what was refunded before import; line items keep
what they paid after discounts, the export's vendor and whether they were shipped

Revision ID: 0008_orders
Revises: 0007_marketplace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_orders"
down_revision = "0007_marketplace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("phone", sa.String(40), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("refunded_before_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("line_items") as batch:
        batch.add_column(sa.Column("paid_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("vendor", sa.String(200), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("delivered", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("line_items") as batch:
        batch.drop_column("delivered")
        batch.drop_column("vendor")
        batch.drop_column("paid_minor")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("refunded_before_minor")
        batch.drop_column("phone")
