"""One checkpoint per desk call, and a case graph a crash left behind its recorded steps.

The case graph writes its checkpoint once, where a desk call leaves it (``durability="exit"``).
A process that dies after a step committed and before that checkpoint leaves the graph waiting
at an event its case already took. The next event must still land (not get the earlier
event's stored result), the worker must run a step the crash kept from running, and nothing
is paid twice. The process "dies" here by the checkpointer failing every write once a step of
the call has committed (the graph's last checkpoint stays the one before the call).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import decisions
from ledger.models import CaseStepRow, EffectRow
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tests.call_log import calls_to
from tests.test_worker import ROOT
from tools.adapters import LocalPayments
from tools.errors import ActionRefused
from tools.open_case import ReturnRequest

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


class Died(Exception):
    """The process stopping between a step's commit and the graph's checkpoint."""


class CountingPayments(LocalPayments):
    def __init__(self) -> None:
        super().__init__()
        self.refunds = 0
        self.die = False

    def refund(self, *args: Any, **kwargs: Any) -> Any:
        if self.die:
            raise Died("stopped while the refund was asked for")
        self.refunds += 1
        return super().refund(*args, **kwargs)


def _store() -> Any:
    return store_from_data(
        {"photo_required_reasons": [], "return_label_cost": "0"},
        [{"id": "acme", "country": "US", "return_address": "Acme, 1 Main St, Fresno, CA"}],
    )


def _desk(url: str, payments: LocalPayments | None = None, *, orders: bool = False) -> ReturnsDesk:
    desk = ReturnsDesk(url, _store(), FrozenClock(NOW), payments=payments)
    if orders:
        rows = [
            {
                "number": "B1",
                "email": "b1@example.com",
                "country": "US",
                "placed_at": "2026-03-01T10:00:00Z",
                "delivered_at": "2026-03-05T10:00:00Z",
                "items": [{"sku": "MUG-1", "price": "24.00", "supplier": "acme"}],
            }
        ]
        with desk.session() as session:
            import_orders(session, orders_from_data(rows, "test"), "USD")
    return desk


@pytest.fixture
def payments() -> CountingPayments:
    return CountingPayments()


@pytest.fixture
def desk(database_url: str, payments: CountingPayments) -> Iterator[ReturnsDesk]:
    returns_desk = _desk(database_url, payments, orders=True)
    yield returns_desk
    returns_desk.close()


def _submit(desk: ReturnsDesk) -> str:
    request = ReturnRequest(order="B1", email="b1@example.com", sku="MUG-1", reason="damaged")
    view = desk.submit_return(request)
    assert view.status == "awaiting_supplier"
    return view.code


def _delivered_back(desk: ReturnsDesk) -> str:
    """A new case, approved and delivered back to the supplier: waiting for the inspection."""
    code = _submit(desk)
    desk.supplier_action("acme", code, "approve", rma="R1")
    desk.carrier_event(code, "delivered")
    return code


def _steps(desk: ReturnsDesk, code: str) -> int:
    with desk.session() as session:
        query = select(func.count()).select_from(CaseStepRow).where(CaseStepRow.case_code == code)
        return int(session.execute(query).scalar_one())


def _dies_before_its_checkpoint(desk: ReturnsDesk, code: str, call: Callable[[], Any]) -> None:
    """Run ``call`` with the checkpointer failing every write once one of the call's steps
    committed: its steps are recorded, the graph's checkpoint stays where it was."""
    saver = desk.checkpointer
    put, put_writes = saver.put, saver.put_writes
    before = _steps(desk, code)

    def dying(write: Callable[..., Any]) -> Callable[..., Any]:
        def write_or_die(*args: Any, **kwargs: Any) -> Any:
            if _steps(desk, code) > before:
                raise Died("stopped before the checkpoint")
            return write(*args, **kwargs)

        return write_or_die

    saver.put, saver.put_writes = dying(put), dying(put_writes)  # type: ignore[method-assign]
    try:
        with pytest.raises(Died):
            call()
    finally:
        saver.put, saver.put_writes = put, put_writes  # type: ignore[method-assign]
    assert _steps(desk, code) > before, "no step committed: the call died too early"


def _refunds_recorded(desk: ReturnsDesk, code: str) -> int:
    with desk.session() as session:
        query = select(func.count()).where(EffectRow.case_code == code, EffectRow.kind == "refund")
        return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())


def _chain_ok(desk: ReturnsDesk) -> bool:
    with desk.session() as session:
        return decisions.verify(session).ok


def _waits(desk: ReturnsDesk, code: str) -> bool:
    snapshot = desk.graph.get_state({"configurable": {"thread_id": code}})
    return any(task.interrupts for task in snapshot.tasks)


def test_each_desk_call_writes_one_checkpoint(desk: ReturnsDesk) -> None:
    saver = desk.checkpointer
    put = saver.put
    puts = [0]

    def counted(*args: Any, **kwargs: Any) -> Any:
        puts[0] += 1
        return put(*args, **kwargs)

    saver.put = counted  # type: ignore[method-assign]
    calls: dict[str, Callable[[], Any]] = {}
    code = ""

    def submit() -> None:
        nonlocal code
        code = _submit(desk)

    calls["submit"] = submit
    calls["approve"] = lambda: desk.supplier_action("acme", code, "approve", rma="R1")
    calls["delivered"] = lambda: desk.carrier_event(code, "delivered")
    calls["inspected"] = lambda: desk.supplier_action("acme", code, "inspected_ok")
    counts = {}
    for name, call in calls.items():
        puts[0] = 0
        call()
        counts[name] = puts[0]
    assert counts == {"submit": 1, "approve": 1, "delivered": 1, "inspected": 1}
    assert desk.case_view(code).status == "resolved"


def test_a_desk_call_starts_no_thread(desk: ReturnsDesk, monkeypatch: Any) -> None:
    # LangGraph started a thread pool per invoke for the checkpoint's save (a thread or two
    # created and joined per desk call); the case graph now saves it in the caller's thread.
    started = calls_to(monkeypatch, threading.Thread, "start")
    code = _delivered_back(desk)
    done = desk.supplier_action("acme", code, "inspected_ok")
    monkeypatch.undo()
    assert started == []
    assert done.status == "resolved" and done.refunded == "24.00"
    assert _waits(desk, code) is False and _chain_ok(desk)


def test_an_event_after_a_lost_checkpoint_lands(desk: ReturnsDesk, payments: Any) -> None:
    code = _submit(desk)
    _dies_before_its_checkpoint(
        desk, code, lambda: desk.supplier_action("acme", code, "approve", rma="R1")
    )
    assert desk.case_view(code).status == "awaiting_shipment"  # the approval took effect
    # The graph still waits where the approval found it; the delivery scan must not be
    # answered with the approval's stored result.
    delivered = desk.carrier_event(code, "delivered")
    assert delivered.status == "awaiting_inspection"
    done = desk.supplier_action("acme", code, "inspected_ok")
    assert done.status == "resolved" and done.refunded == "24.00"
    assert payments.refunds == 1 and _refunds_recorded(desk, code) == 1
    assert not _waits(desk, code)  # the graph ended with the case
    assert _chain_ok(desk)


def test_the_worker_runs_a_settle_a_crash_kept_from_running(
    desk: ReturnsDesk, payments: CountingPayments, database_url: str
) -> None:
    code = _delivered_back(desk)
    payments.die = True  # the inspection is recorded; the process stops in the settle step
    _dies_before_its_checkpoint(
        desk, code, lambda: desk.supplier_action("acme", code, "inspected_ok")
    )
    assert desk.case_view(code).refunded == "0.00"
    assert _waits(desk, code)  # at the interrupt the inspection found, already taken

    restarted = CountingPayments()
    worker = _desk(database_url, restarted)
    try:
        assert worker.resume_orphans() == 1
        assert worker.case_view(code).status == "resolved"
        assert worker.case_view(code).refunded == "24.00"
        assert restarted.refunds == 1 and payments.refunds == 0
        assert _refunds_recorded(worker, code) == 1
        assert not _waits(worker, code)
        assert worker.resume_orphans() == 0  # nothing left to do
        assert _chain_ok(worker)
    finally:
        worker.close()


def test_a_lost_checkpoint_after_the_refund_pays_nothing_twice(
    desk: ReturnsDesk, payments: CountingPayments, database_url: str
) -> None:
    code = _delivered_back(desk)
    _dies_before_its_checkpoint(
        desk, code, lambda: desk.supplier_action("acme", code, "inspected_ok")
    )
    assert desk.case_view(code).status == "resolved"
    with pytest.raises(ActionRefused):  # the supplier's retry is told it is decided
        desk.supplier_action("acme", code, "inspected_ok")
    worker = _desk(database_url, CountingPayments())
    try:
        worker.resume_orphans()
        view = worker.case_view(code)
    finally:
        worker.close()
    assert view.status == "resolved" and view.refunded == "24.00"
    assert payments.refunds == 1 and _refunds_recorded(desk, code) == 1
    assert _chain_ok(desk)


def test_the_worker_leaves_a_case_behind_its_steps_to_a_live_call_for_one_round(
    desk: ReturnsDesk,
) -> None:
    code = _submit(desk)
    assert desk.resume_orphans() == 0  # its first round: from now on, cases may be live
    _dies_before_its_checkpoint(
        desk, code, lambda: desk.supplier_action("acme", code, "approve", rma="R1")
    )
    assert desk.resume_orphans() == 0  # maybe a call still writing its checkpoint
    assert desk.resume_orphans() == 1  # still behind: caught up
    assert desk.resume_orphans() == 0
    assert _waits(desk, code)
    assert desk.carrier_event(code, "delivered").status == "awaiting_inspection"


KILLED_APPROVAL = textwrap.dedent(
    """
    import os, signal, sys
    from tests.test_one_checkpoint_per_call import _desk

    url, code = sys.argv[1], sys.argv[2]
    desk = _desk(url)
    put = desk.checkpointer.put

    def put_or_die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # the approval committed, its checkpoint never
        return put(*args, **kwargs)

    desk.checkpointer.put = put_or_die
    desk.supplier_action("acme", code, "approve", rma="R1")
    """
)


def test_a_server_killed_before_the_checkpoint_loses_no_later_event(
    desk: ReturnsDesk, payments: CountingPayments, database_url: str
) -> None:
    code = _submit(desk)
    server = subprocess.run(
        [sys.executable, "-c", KILLED_APPROVAL, database_url, code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert server.returncode == -9, server.stderr[-3000:]
    assert desk.case_view(code).status == "awaiting_shipment"
    assert _waits(desk, code)  # at the interrupt the approval found
    assert desk.carrier_event(code, "delivered").status == "awaiting_inspection"
    done = desk.supplier_action("acme", code, "inspected_ok")
    assert done.status == "resolved" and done.refunded == "24.00"
    assert payments.refunds == 1 and _refunds_recorded(desk, code) == 1
    assert _chain_ok(desk)
