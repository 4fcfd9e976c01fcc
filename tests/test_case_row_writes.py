"""A case's row is written through Core, not the ORM's unit of work.

A new case goes in by one insert and joins the session as loaded (``ledger.repository.new_case``);
a changed case is written at commit by one update of the columns that changed
(``ledger.pending.write_changes_at_commit``). No step of the returns loop flushes the unit of
work, on either engine; the case row still ends as the ORM would have left it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, delete, event, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from graph.desk import ReturnsDesk
from ledger.db import transaction
from ledger.models import CaseRow, OrderRow
from ledger.owner_models import SUPPLIER_SILENT, InboxItemRow
from ledger.repository import _loaded_defaults, find_order, get_case, new_case
from tools import owner_inbox
from tools.open_case import ReturnRequest

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


class Statements:
    """The SQL an engine runs while the block is open."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[str] = []

    def _note(self, *args: Any) -> None:
        self.seen.append(" ".join(str(args[2]).split()))

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._note)

    def starting(self, prefix: str) -> list[str]:
        return [sql for sql in self.seen if sql.upper().startswith(prefix.upper())]


@pytest.fixture
def flushes() -> Iterator[list[list[str]]]:
    """What each unit-of-work flush of any session had to write."""
    seen: list[list[str]] = []

    def noted(session: Session, _context: Any, _instances: Any) -> None:
        seen.append([type(row).__name__ for row in (*session.new, *session.dirty)])

    event.listen(Session, "before_flush", noted)
    yield seen
    event.remove(Session, "before_flush", noted)


def _open(desk: ReturnsDesk) -> str:
    request = ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
    view = desk.submit_return(request)
    assert view.status == "awaiting_supplier"
    return view.code


def test_no_step_of_the_returns_loop_flushes_the_unit_of_work(
    desk: ReturnsDesk, flushes: list[list[str]]
) -> None:
    code = _open(desk)
    desk.supplier_action("acme", code, "approve", rma="R1")
    desk.carrier_event(code, "delivered")
    final = desk.supplier_action("acme", code, "inspected_ok")
    assert flushes == []
    assert final.status == "resolved"
    with desk.session() as session:
        case = get_case(session, code)
        assert case is not None
        assert (case.status, case.rma, case.inspection) == ("resolved", "R1", "ok")
        assert case.return_address == "Acme Returns, 10 Main St, Fresno, CA 93650, US"


def test_a_changed_case_is_one_update_of_the_columns_that_changed(desk: ReturnsDesk) -> None:
    code = _open(desk)
    with Statements(desk.engine) as statements, desk.session() as session:
        case = get_case(session, code)
        assert case is not None
        case.rma = "R-9"
        case.review_reason = "looked at twice"
        case.note = case.note  # set to what it was: nothing to write
    (update,) = statements.starting("UPDATE cases")
    sets = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert sorted(part.split("=")[0].strip() for part in sets.split(",")) == [
        "review_reason",
        "rma",
    ]
    with desk.session() as session:
        case = get_case(session, code)
        assert case is not None
        assert (case.rma, case.review_reason, case.status) == (
            "R-9",
            "looked at twice",
            "awaiting_supplier",
        )


def test_a_case_whose_row_is_gone_fails_the_commit_and_writes_nothing(
    desk: ReturnsDesk,
) -> None:
    code = _open(desk)
    with pytest.raises(StaleDataError), desk.session() as session:
        case = get_case(session, code)
        assert case is not None
        case.status = "cancelled"
        session.connection().execute(delete(InboxItemRow).where(InboxItemRow.case_code == code))
        session.connection().execute(delete(CaseRow).where(CaseRow.code == code))
    assert desk.case_view(code).status == "awaiting_supplier"


def test_a_changed_relationship_is_left_to_the_unit_of_work(desk: ReturnsDesk) -> None:
    code = _open(desk)
    with desk.session() as session:
        other = OrderRow(
            number="2002",
            display_number="#2002",
            email="ana@example.com",
            country="US",
            currency="USD",
            placed_at=NOW,
        )
        session.add(other)
        session.flush()
        case = get_case(session, code)
        assert case is not None
        case.order = other
        other_id = other.id
    with desk.session() as session:
        assert session.execute(
            select(CaseRow.order_id).where(CaseRow.code == code)
        ).scalar_one() == (other_id)


def test_a_new_case_is_loaded_whole_and_written_with_the_models_defaults(
    desk: ReturnsDesk,
) -> None:
    with desk.session() as session:
        order = find_order(session, "1001")
        assert order is not None
        item = order.items[0]
        with Statements(desk.engine) as statements:
            case = new_case(
                session,
                order_id=order.id,
                line_item_id=item.id,
                supplier_id=item.supplier_id,
                customer_email="ana@example.com",
                quantity=1,
                reason="damaged",
                requested_resolution="refund",
                status="open",
                created_at=NOW,
                updated_at=NOW,
            )
            seen = {column.key: getattr(case, column.key) for column in CaseRow.__table__.c}
            assert (case.order.number, case.line_item.sku) == ("1001", "MUG-1")
        assert [sql.split(" (")[0] for sql in statements.seen] == ["INSERT INTO cases"]
        assert seen["code"] == f"RB-{case.id:06d}"
        code = case.code
    with desk.session() as session:
        stored = get_case(session, code)
        assert stored is not None
        assert (stored.note, stored.owner_approved, stored.photo_count, stored.opened_via) == (
            "",
            False,
            0,
            "portal",
        )
        assert stored.status == "open"


def test_an_inbox_item_raised_in_the_same_step_is_closed_when_the_case_moves(
    desk: ReturnsDesk,
) -> None:
    code = _open(desk)
    with transaction(desk.sessions) as session:
        case = get_case(session, code)
        assert case is not None
        item = owner_inbox.raise_item(
            desk.context(session),
            kind=SUPPLIER_SILENT,
            party="supplier",
            party_id="acme",
            words="",
            summary="silent",
            notice_kind="supplier_silent",
            case=case,
            payload={"case_status": "awaiting_supplier"},
        )
        owner_inbox.case_moved(desk.context(session), code, "awaiting_supplier")
        assert item.status == "closed"


def test_a_default_the_database_or_a_function_makes_is_left_to_the_insert() -> None:
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("plain", String, default="x"),
        Column("none", String),
        Column("made", String, default=lambda: "y"),
        Column("served", String, server_default="z"),
    )
    assert _loaded_defaults(table) == {"plain": "x", "none": None}
