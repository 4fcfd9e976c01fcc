"""Orders keep the gateway they were paid through (cash on delivery is refunded by hand);
line items keep their id in the store's own system (Shopify's line item id, for refund
line items); Shopify webhook deliveries are claimed once by their id

Revision ID: 0011_shopifyapi
Revises: 0010_failed_attempts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.models import UTCDateTime

revision = "0011_shopifyapi"
down_revision = "0010_failed_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("payment_gateway", sa.String(200), nullable=False, server_default="")
        )
    with op.batch_alter_table("line_items") as batch:
        batch.add_column(sa.Column("external_id", sa.String(64), nullable=True))
    op.create_table(
        "shopify_webhooks",
        sa.Column("webhook_id", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("shop_domain", sa.String(255), nullable=False),
        sa.Column("triggered_at", UTCDateTime(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_shopify_webhooks")),
    )


def downgrade() -> None:
    op.drop_table("shopify_webhooks")
    with op.batch_alter_table("line_items") as batch:
        batch.drop_column("external_id")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("payment_gateway")
