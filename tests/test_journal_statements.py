"""A journal entry's statements: on PostgreSQL a new entry and its lines go in one, on SQLite in
two; posting a key again still returns the first entry and adds nothing. Counts, not time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, func, select

from graph.desk import ReturnsDesk
from ledger import journal
from ledger.models import JournalLineRow, LineItemRow

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def _lines(item: int) -> list[journal.Line]:
    return [
        journal.Line(journal.REFUNDS_PAID, 2400, item),
        journal.Line(journal.RESTOCKING_FEES, 0),  # a zero line is left out
        journal.Line(journal.CUSTOMER_PAYMENTS, -2000),
        journal.Line(journal.RESTOCKING_FEES, -400),
    ]


def _post(desk: ReturnsDesk, item: int, kind: str = "refund") -> Any:
    with desk.session() as session:
        return journal.post(
            session,
            key="refund:R-1",
            at=NOW,
            case_code="R-1",
            kind=kind,
            currency="USD",
            lines=_lines(item),
            memo="a refund",
        )


def test_a_new_entry_and_its_lines_cost_one_statement_on_postgresql(desk: ReturnsDesk) -> None:
    with desk.session() as session:
        item = session.execute(select(LineItemRow.id).where(LineItemRow.sku == "MUG-1")).scalar()
    assert item is not None
    statements: list[str] = []

    @event.listens_for(desk.engine, "before_cursor_execute")
    def _count(*args: Any) -> None:
        statements.append(str(args[2]))

    entry = _post(desk, item)
    writes = [s for s in statements if "journal_" in s]
    assert len(writes) == (1 if desk.engine.dialect.name == "postgresql" else 2), writes
    assert journal.entry_lines(entry) == [
        [journal.CUSTOMER_PAYMENTS, -2000, "USD", None],
        [journal.REFUNDS_PAID, 2400, "USD", item],
        [journal.RESTOCKING_FEES, -400, "USD", None],
    ]

    again = _post(desk, item, kind="something else")
    assert again.id == entry.id
    assert journal.entry_lines(again) == journal.entry_lines(entry)
    with desk.session() as session:
        rows = session.execute(
            select(
                JournalLineRow.entry_id,
                JournalLineRow.account,
                JournalLineRow.amount_minor,
                JournalLineRow.currency,
                JournalLineRow.line_item_id,
            ).order_by(JournalLineRow.id)
        ).all()
        assert session.execute(select(func.count()).select_from(JournalLineRow)).scalar() == 3
    assert [tuple(row) for row in rows] == [
        (entry.id, journal.REFUNDS_PAID, 2400, "USD", item),
        (entry.id, journal.CUSTOMER_PAYMENTS, -2000, "USD", None),
        (entry.id, journal.RESTOCKING_FEES, -400, "USD", None),
    ]
