"""The active rules as a case step reads them: the same rules as the rows say, without loading
the rows into the step's session; a rule row the session changed and did not write yet is read
as it stands in the session, as before. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from graph.desk import ReturnsDesk
from graph.rulebook import Rulebook
from ledger.rules_models import ACTIVE, RETIRED, RuleRow, active_rules


def _two_rules(desk: ReturnsDesk) -> None:
    book = Rulebook(desk)
    book.draft("Refund items under $30 without a return")
    book.confirm()
    book.draft("Require a photo for wrong-size returns")
    book.confirm()


def test_the_active_rules_are_read_without_loading_rows(desk: ReturnsDesk) -> None:
    _two_rules(desk)
    loaded: list[Any] = []

    def _loaded(row: Any, _context: Any) -> None:
        loaded.append(row)

    event.listen(RuleRow, "load", _loaded)
    try:
        with desk.session() as session:
            rules = active_rules(session)
    finally:
        event.remove(RuleRow, "load", _loaded)
    assert loaded == []  # no row object made, none kept in the session
    with desk.session() as session:
        rows = session.execute(
            select(RuleRow).where(RuleRow.status == ACTIVE).order_by(RuleRow.id)
        ).scalars()
        expected = [row.to_rule() for row in rows]
    assert [rule.id for rule in rules] == [1, 2]
    assert rules == expected


def test_a_rule_row_changed_in_the_session_is_read_as_it_stands(desk: ReturnsDesk) -> None:
    _two_rules(desk)
    with desk.session() as session:
        first = session.execute(select(RuleRow).where(RuleRow.id == 1)).scalar_one()
        first.status = RETIRED  # not written yet: the rows read still say active
        rules = active_rules(session)
        session.rollback()
    assert [(rule.id, rule.status) for rule in rules] == [(1, RETIRED), (2, ACTIVE)]
