"""Supplier onboarding invitations and customers' one-time codes

Revision ID: 0012_onboard
Revises: 0011_shopifyapi
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.models import UTCDateTime

revision = "0012_onboard"
down_revision = "0011_shopifyapi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_onboarding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("supplier_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=True),
        sa.Column("terms_hash", sa.String(64), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_onboarding")),
        sa.UniqueConstraint("nonce", name=op.f("uq_supplier_onboarding_nonce")),
    )
    op.create_index(
        op.f("ix_supplier_onboarding_supplier_id"), "supplier_onboarding", ["supplier_id"]
    )
    op.create_table(
        "sign_in_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("contact_key", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_codes")),
    )
    op.create_index(
        "ix_sign_in_codes_contact_key_created_at", "sign_in_codes", ["contact_key", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_sign_in_codes_contact_key_created_at", table_name="sign_in_codes")
    op.drop_table("sign_in_codes")
    op.drop_index(op.f("ix_supplier_onboarding_supplier_id"), table_name="supplier_onboarding")
    op.drop_table("supplier_onboarding")
