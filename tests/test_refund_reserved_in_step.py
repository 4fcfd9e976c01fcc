"""A refund asked by a step that has written nothing yet is reserved in that step's own
transaction (under the locks it holds), which commits the reservation alone; then the payments
call runs outside any transaction and the step runs again to record it: two transactions, not
three (a rolled-back run, a reservation of its own, the recording run). A step that wrote
before asking keeps the old way: its writes roll back and the reservation goes alone. (The
payments here read the database when called: not declared in process, they are called outside
the transaction as a service across the network is.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import journal
from ledger.models import CaseRow, EffectRow
from ledger.repository import get_case, import_orders
from policies.loader import orders_from_data
from tests.conftest import NOW, make_store
from tools.adapters import LocalPayments, RefundByHand
from tools.context import ToolContext
from tools.effects import run_unit
from tools.issue_refund import issue_refund
from tools.open_case import ReturnRequest, open_case


class WatchedPayments(LocalPayments):
    """Notes, at each call, what the database holds: the reservation must be committed."""

    def __init__(self, desk_box: list[ReturnsDesk]) -> None:
        self.desk_box = desk_box
        self.seen: list[tuple[str, Any]] = []

    def refund(
        self, order_number: str, amount_minor: int, currency: str, key: str, **kw: Any
    ) -> str | RefundByHand:
        with self.desk_box[0].reading() as session:  # a deferred BEGIN, not counted
            row = session.get(EffectRow, key)
            self.seen.append((key, None if row is None else row.result.get("state")))
        return super().refund(order_number, amount_minor, currency, key, **kw)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[ReturnsDesk, WatchedPayments, str]]:
    box: list[ReturnsDesk] = []
    payments = WatchedPayments(box)
    desk = ReturnsDesk(
        f"sqlite:///{tmp_path / 'desk.db'}", make_store(), FrozenClock(NOW), payments=payments
    )
    box.append(desk)
    order = {
        "number": "R-1",
        "email": "r@example.com",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [{"sku": "MUG-1", "price": "24.00", "quantity": 1, "supplier": "acme"}],
    }
    with desk.session() as session:
        import_orders(session, orders_from_data([order], "test"), "USD")
        ctx = desk.context(session)
        request = ReturnRequest(order="R-1", email="r@example.com", sku="MUG-1", reason="damaged")
        code = open_case(ctx, request).code
    yield desk, payments, code
    desk.close()


def _begins(desk: ReturnsDesk) -> list[str]:
    begins: list[str] = []

    @event.listens_for(desk.engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        if statement == "BEGIN IMMEDIATE":  # a unit of work that writes (SQLite)
            begins.append(statement)

    return begins


def test_a_step_that_wrote_nothing_reserves_its_refund_in_its_own_transaction(
    desk: tuple[ReturnsDesk, WatchedPayments, str],
) -> None:
    desk_, payments, code = desk
    begins = _begins(desk_)

    def work(ctx: ToolContext) -> Any:
        case = get_case(ctx.session, code, lock=True)
        assert case is not None
        return issue_refund(ctx, case, 2400, step="test", actor="system", reason="test")

    result = run_unit(desk_.sessions, desk_.context, work)
    assert result.amount_minor == 2400 and result.issued_now
    # the reservation was committed before the call (it counts against the cap meanwhile)
    assert payments.seen == [(f"{code}:refund:test", "pending")]
    # the asking run (which commits the reservation) and the recording run; three before
    assert len(begins) == 2, begins
    with desk_.session() as session:
        assert session.get(EffectRow, f"{code}:refund:test").result["state"] == "done"  # type: ignore[union-attr]
        case = get_case(session, code)
        assert case is not None
        assert journal.balance(session, journal.REFUNDS_PAID, line_item_id=case.line_item_id) == (
            2400
        )


def test_a_step_that_wrote_first_has_its_writes_rolled_back_before_the_call(
    desk: tuple[ReturnsDesk, WatchedPayments, str],
) -> None:
    desk_, payments, code = desk
    runs: list[str | None] = []

    def work(ctx: ToolContext) -> Any:
        case: CaseRow | None = get_case(ctx.session, code, lock=True)
        assert case is not None
        runs.append(case.resolution)
        case.resolution = "refund"  # a write before the refund is asked
        return issue_refund(ctx, case, 2400, step="test", actor="system", reason="test")

    result = run_unit(desk_.sessions, desk_.context, work)
    assert result.amount_minor == 2400
    assert payments.seen == [(f"{code}:refund:test", "pending")]
    # the first run's write was not committed with the reservation: the second run saw none
    assert runs == [None, None]
