"""Rows held back until commit (ledger.pending): a statement of the transaction that reads their
table first sends them, and a statement reused is looked into once, not at every execution."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger import outbox, pending
from ledger.db import make_engine, migrate, session_factory, transaction
from ledger.models import OutboxRow

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
COUNT_OUTBOX = select(func.count()).select_from(OutboxRow)


def test_a_reused_statement_is_looked_into_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pending.db'}")
    migrate(engine)
    looked: list[Any] = []
    find_tables = pending.find_tables

    def counted(statement: Any, **kw: Any) -> Any:
        looked.append(statement)
        return find_tables(statement, **kw)

    monkeypatch.setattr(pending, "find_tables", counted)
    try:
        with transaction(session_factory(engine)) as session:
            seen = []
            for n in range(3):
                outbox.queue(
                    session,
                    key=f"note:{n}",
                    at=NOW,
                    case_code="R-1",
                    channel="email",
                    recipient="ana@example.com",
                    kind="note",
                    text="hello",
                )
                # the held message is sent before the count reads its table
                seen.append(session.execute(COUNT_OUTBOX).scalar())
        assert seen == [1, 2, 3]
        assert looked == [COUNT_OUTBOX]
    finally:
        engine.dispose()
