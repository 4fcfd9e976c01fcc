"""Alembic environment: runs on the connection handed over by ``ledger.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import ledger.slack_models  # noqa: F401  (the supplier tables)
from ledger import (
    attempt_models,  # noqa: F401  (failed attempts counted against guessing)
    carrier_models,  # noqa: F401  (carrier events handled once)
    chat_models,  # noqa: F401  (the customer chat tables)
    identity_models,  # noqa: F401  (customers' one-time codes)
    onboarding_models,  # noqa: F401  (supplier onboarding invitations)
    owner_models,  # noqa: F401  (the owner's inbox, supplier payments)
    rules_models,  # noqa: F401  (the owner rules table)
    shopify_models,  # noqa: F401  (Shopify webhook deliveries handled once)
)
from ledger.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection or sqlalchemy.url given to the migrations")
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
