"""No payments or carrier call while a database write transaction or a row lock is held.

A refund or a label is reserved in a short transaction, the service is called with its
idempotency key outside any transaction, and the answer is recorded afterwards
(``tools/effects.py``). A service that hangs therefore blocks nobody else's writes, and a
refund under way already counts against the line item's cap. The adapters here wait, count or
fail before they answer: they do not declare that they run in process (``InProcess`` in
``tools/adapters.py``), so they are called as a service across the network is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from graph.clock import SystemClock
from graph.desk import ReturnsDesk
from ledger import journal
from ledger.models import EffectRow
from ledger.repository import get_case, import_orders
from policies.loader import load_store, orders_from_data
from tests import race_world as world
from tools.adapters import LocalCarrier, LocalPayments, PurchasedLabel
from tools.context import ToolContext
from tools.effects import run_unit
from tools.errors import RefundCapExceeded
from tools.issue_refund import issue_refund
from tools.label_pdf import LabelContent
from tools.open_case import ReturnRequest, open_case

WAIT_S = 20.0


class Gate:
    """Holds a service call until the test lets it go."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.keys: list[str] = []

    def hold(self, key: str) -> None:
        self.keys.append(key)
        self.entered.set()
        self.release.wait(WAIT_S)


class GatedPayments(LocalPayments):
    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    def refund(
        self, order_number: str, amount_minor: int, currency: str, key: str, **kw: Any
    ) -> str:
        self.gate.hold(key)
        return super().refund(order_number, amount_minor, currency, key, **kw)


class GatedCarrier(LocalCarrier):
    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    def buy_label(self, content: LabelContent, idempotency_key: str) -> PurchasedLabel:
        self.gate.hold(idempotency_key)
        return super().buy_label(content, idempotency_key)


def make_desk(url: str, folder: Path, **services: Any) -> ReturnsDesk:
    store = load_store(world.write_store(folder / "store"))
    desk = ReturnsDesk(url, store, SystemClock(), **services)
    with desk.session() as session:
        orders = orders_from_data(world.race_orders(dt.datetime.now(dt.UTC)), "race", store)
        import_orders(session, orders, store.policy.currency)
    return desk


@pytest.fixture
def gate() -> Iterator[Gate]:
    gate = Gate()
    yield gate
    gate.release.set()


def write_meanwhile(path: Path) -> None:
    """A write by another connection that gives up after half a second of waiting."""
    connection = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE orders SET customer_name = customer_name")
        connection.execute("COMMIT")
    finally:
        connection.close()


def in_thread(action: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(action())
        except Exception as error:
            out.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_a_hung_payments_call_holds_no_write_lock(tmp_path: Path, gate: Gate) -> None:
    path = tmp_path / "desk.db"
    desk = make_desk(f"sqlite:///{path}", tmp_path, payments=GatedPayments(gate))
    request = ReturnRequest(**world.form(world.FORM_ORDER, "HP-1"))
    thread, out = in_thread(lambda: desk.submit_return(request))
    try:
        assert gate.entered.wait(WAIT_S)
        write_meanwhile(path)  # sqlite3.OperationalError "database is locked" before
    finally:
        gate.release.set()
        thread.join(WAIT_S)
    view = out[0]
    assert view.status == "resolved" and view.refunded == "89.00"
    with desk.session() as session:
        assert world.money_problems(session) == []
    desk.close()


def test_a_hung_carrier_call_holds_no_write_lock(tmp_path: Path, gate: Gate) -> None:
    path = tmp_path / "desk.db"
    desk = make_desk(f"sqlite:///{path}", tmp_path, carrier=GatedCarrier(gate))
    request = ReturnRequest(**world.form(world.SUPPLIER_ORDER, "LAMP-3", "wrong_size"))
    code = desk.submit_return(request).code
    thread, out = in_thread(lambda: desk.supplier_action("acme", code, "approve", rma="R-1"))
    try:
        assert gate.entered.wait(WAIT_S)
        write_meanwhile(path)
    finally:
        gate.release.set()
        thread.join(WAIT_S)
    assert out[0].status == "awaiting_shipment" and out[0].label
    assert desk.label_pdf(code) is not None
    desk.close()


def test_a_refund_under_way_counts_against_the_cap(
    database_url: str, tmp_path: Path, gate: Gate
) -> None:
    """Two cases on one line item of 2 x 40.00: a 60.00 refund is being paid on the first
    when a 30.00 refund is asked on the second. Only 20.00 is left: the second is refused."""
    desk = make_desk(database_url, tmp_path, payments=GatedPayments(gate))
    with desk.session() as session:
        import_orders(
            session,
            orders_from_data(
                [
                    {
                        "number": "6001",
                        "email": world.EMAIL,
                        "country": "US",
                        "placed_at": "2026-03-01T10:00:00Z",
                        "delivered_at": dt.datetime.now(dt.UTC).isoformat(),
                        "items": [
                            {"sku": "X", "price": "40.00", "quantity": 2, "supplier": "acme"}
                        ],
                    }
                ],
                "cap",
            ),
            "USD",
        )
        ctx = desk.context(session)
        request = ReturnRequest(order="6001", email=world.EMAIL, sku="X", reason="damaged")
        codes = [open_case(ctx, request).code, open_case(ctx, request).code]

    def refund(code: str, amount: int) -> Any:
        def work(ctx: ToolContext) -> Any:
            case = get_case(ctx.session, code)
            assert case is not None
            return issue_refund(ctx, case, amount, step="test", actor="system", reason="test")

        return run_unit(desk.sessions, desk.context, work)

    thread, out = in_thread(lambda: refund(codes[0], 6000))
    try:
        assert gate.entered.wait(WAIT_S)
        with pytest.raises(RefundCapExceeded, match=r"only 20\.00 USD is left"):
            refund(codes[1], 3000)
    finally:
        gate.release.set()
        thread.join(WAIT_S)
    assert out[0].amount_minor == 6000
    with desk.session() as session:
        line_item = get_case(session, codes[0]).line_item_id  # type: ignore[union-attr]
        assert journal.balance(session, journal.REFUNDS_PAID, line_item_id=line_item) == 6000
    desk.close()


class CrashingPayments(LocalPayments):
    """Pays (the provider keeps the refund by key), then the process 'dies' before the answer
    reaches the database."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.crash = True

    def refund(
        self, order_number: str, amount_minor: int, currency: str, key: str, **kw: Any
    ) -> str:
        self.keys.append(key)
        if self.crash:
            self.crash = False
            raise SystemExit("killed after the payment, before recording it")
        return super().refund(order_number, amount_minor, currency, key, **kw)


def test_a_crash_between_the_call_and_its_record_is_finished_with_the_same_key(
    tmp_path: Path,
) -> None:
    payments = CrashingPayments()
    desk = make_desk(f"sqlite:///{tmp_path / 'desk.db'}", tmp_path, payments=payments)
    request = ReturnRequest(**world.form(world.FORM_ORDER, "HP-1"))
    with pytest.raises(SystemExit):
        desk.submit_return(request)
    with desk.session() as session:
        (effect,) = session.query(EffectRow).all()
        assert effect.result["state"] == "pending" and effect.result["amount_minor"] == 8900
        code = str(effect.case_code)
    assert desk.resume_orphans() == 1  # the worker's round after the restart
    view = desk.case_view(code)
    assert view.status == "resolved" and view.refunded == "89.00"
    assert payments.keys == [f"{code}:refund:settle"] * 2  # the same key both times
    with desk.session() as session:
        assert world.money_problems(session) == []
        assert world.count_actions(session, "refund_issued", code) == 1
    desk.close()


@pytest.mark.postgres
def test_a_timer_paying_a_refund_holds_no_row_lock(
    tmp_path: Path,
    gate: Gate,
    database_factory: Callable[[str, Path], contextlib.AbstractContextManager[str]],
) -> None:
    """The refund-after-delivery timer fires while the payments call hangs: the timer's row
    is leased, not locked, so another worker's write to it goes through at once."""
    with database_factory("postgresql", tmp_path) as url:
        desk = make_desk(url, tmp_path, payments=GatedPayments(gate))
        request = ReturnRequest(**world.form(world.SUPPLIER_ORDER, "LAMP-3", "wrong_size"))
        code = desk.submit_return(request).code
        desk.supplier_action("acme", code, "approve", rma="R-1")
        assert desk.carrier_event(code, "delivered").status == "awaiting_inspection"
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        thread, out = in_thread(lambda: desk.fire_due_timers(later))
        try:
            assert gate.entered.wait(WAIT_S)
            with desk.engine.connect() as connection:
                connection.execute(text("SET lock_timeout = '1s'"))
                connection.execute(
                    text("UPDATE timers SET payload = payload WHERE case_code = :code"),
                    {"code": code},
                )  # LockNotAvailable before: the claiming transaction held the row
                connection.commit()
        finally:
            gate.release.set()
            thread.join(WAIT_S)
        assert out == [1]
        view = desk.case_view(code)
        assert view.status == "resolved" and view.refunded != "0.00"
        with desk.session() as session:
            assert world.money_problems(session) == []
        desk.close()
