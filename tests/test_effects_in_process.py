"""A carrier or payments adapter that runs in this process and answers from the idempotency key
alone (the local carrier and payments) is asked inside the step's own transaction: a label or a
refund is one transaction, its effect written once, the refund checked against the cap under
the same locks. Any other adapter (a service across the network) is still called with no
transaction open (``tools/effects.py``)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from adapters.easypost_carrier import EasyPostCarrier
from adapters.shopify_payments import ShopifyPayments
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import decisions, journal
from ledger.models import DecisionRow, EffectRow
from ledger.repository import get_case, import_orders
from policies.loader import orders_from_data
from tests import race_world as world
from tests.adapters.fake_shopify import operation_of
from tests.adapters.test_case_with_real_services import BUY, REFUND_CREATE, real_services
from tests.conftest import NOW, make_store
from tools.accept_photo import sample_jpeg
from tools.adapters import InProcess, LocalCarrier, LocalPayments, runs_in_process
from tools.context import ToolContext
from tools.effects import once, run_unit
from tools.errors import RefundCapExceeded
from tools.generate_label import generate_label
from tools.issue_refund import issue_refund
from tools.open_case import ReturnRequest, open_case


def _order(number: str, price: str, quantity: int) -> dict[str, Any]:
    return {
        "number": number,
        "email": "local@example.com",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [{"sku": "X", "price": price, "quantity": quantity, "supplier": "acme"}],
    }


def _cases(desk: ReturnsDesk, number: str, price: str, count: int) -> list[str]:
    with desk.session() as session:
        import_orders(session, orders_from_data([_order(number, price, count)], "t"), "USD")
        ctx = desk.context(session)
        request = ReturnRequest(
            order=number, email="local@example.com", sku="X", quantity=1, reason="damaged"
        )
        return [open_case(ctx, request).code for _ in range(count)]


@pytest.fixture
def desk(database_url: str) -> Iterator[ReturnsDesk]:
    returns_desk = ReturnsDesk(database_url, make_store(), FrozenClock(NOW))
    yield returns_desk
    returns_desk.close()


class Watch:
    """The desk engine's transactions (begun, per thread, open now) and its writes to
    ``effects``."""

    def __init__(self, engine: Engine) -> None:
        self.begun: dict[int, int] = {}
        self.open: set[int] = set()
        self.effect_writes: list[str] = []
        self.lock = threading.Lock()
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)
        event.listen(engine, "before_cursor_execute", self._statement)

    def _begin(self, connection: Any) -> None:
        with self.lock:
            thread = threading.get_ident()
            self.begun[thread] = self.begun.get(thread, 0) + 1
            self.open.add(id(connection))

    def _end(self, connection: Any) -> None:
        with self.lock:
            self.open.discard(id(connection))

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        if words[0] in ("INSERT", "UPDATE") and "effects" in words[:3]:
            self.effect_writes.append(words[0])

    def clear(self) -> None:
        with self.lock:
            self.begun.clear()
            self.effect_writes.clear()

    @property
    def transactions(self) -> int:
        return sum(self.begun.values())


def _refund(desk: ReturnsDesk, code: str, amount: int, *, step: str = "test") -> Any:
    def work(ctx: ToolContext) -> Any:
        case = get_case(ctx.session, code, lock=True)
        assert case is not None
        return issue_refund(ctx, case, amount, step=step, actor="system", reason="test")

    return run_unit(desk.sessions, desk.context, work)


def test_only_an_adapter_that_says_so_runs_in_process() -> None:
    class Gated(LocalPayments):  # waits, counts or calls out: not presumed in process
        pass

    class Again(LocalCarrier):
        in_process = True

    assert runs_in_process(LocalCarrier()) and runs_in_process(LocalPayments())
    assert not runs_in_process(Gated()) and runs_in_process(Again())
    assert not runs_in_process(object())
    assert not runs_in_process(EasyPostCarrier("key", base_url="http://127.0.0.1:9"))
    assert not runs_in_process(
        ShopifyPayments("shop", "token", api_version="2025-01", base_url="http://127.0.0.1:9")
    )
    assert isinstance(LocalPayments(), InProcess)


def test_a_local_refund_is_one_transaction_and_one_effect_write(desk: ReturnsDesk) -> None:
    (code,) = _cases(desk, "L-1", "24.00", 1)
    watch = Watch(desk.engine)
    result = _refund(desk, code, 2400)
    # the reservation's own commit and the recording run before: two, and INSERT + UPDATE
    assert watch.transactions == 1, watch.begun
    assert watch.effect_writes == ["INSERT"]
    key = f"{code}:refund:test"
    reference = LocalPayments().refund("L-1", 2400, "USD", key)
    assert result.amount_minor == 2400 and result.issued_now and result.reference == reference
    with desk.session() as session:
        effect = session.get(EffectRow, key)
        assert effect is not None
        assert effect.result == {"amount_minor": 2400, "reference": reference, "state": "done"}
        case = get_case(session, code)
        assert case is not None
        assert journal.balance(session, journal.REFUNDS_PAID, line_item_id=case.line_item_id) == (
            2400
        )
        assert journal.balance(session, journal.CUSTOMER_PAYMENTS, case_code=code) == -2400
        (issued,) = session.scalars(
            select(DecisionRow).where(
                DecisionRow.case_code == code, DecisionRow.action == "refund_issued"
            )
        ).all()
        data = json.loads(issued.data)
        assert data["reference"] == reference and data["amount"] == "24.00"
        assert decisions.verify(session).ok
    watch.clear()
    again = _refund(desk, code, 2400)  # the same step again: the recorded refund
    assert not again.issued_now and again.reference == reference
    assert watch.effect_writes == []


def test_a_local_label_is_one_transaction(desk: ReturnsDesk) -> None:
    (code,) = _cases(desk, "L-2", "24.00", 1)
    watch = Watch(desk.engine)

    def work(ctx: ToolContext) -> Any:
        case = get_case(ctx.session, code, lock=True)
        assert case is not None
        case.return_address = "Acme Returns, 10 Main St, Fresno, CA 93650, US"
        return generate_label(ctx, case)

    label = run_unit(desk.sessions, desk.context, work)
    assert watch.transactions == 1, watch.begun  # two before: the asking run let go of it
    assert watch.effect_writes == ["INSERT"]
    assert label.issued_now and label.carrier == LocalCarrier.name
    assert desk.label_pdf(code) is not None


def test_a_local_refund_rolled_back_after_the_call_is_paid_once_with_the_same_key(
    desk: ReturnsDesk,
) -> None:
    (code,) = _cases(desk, "L-3", "24.00", 1)
    runs: list[str] = []

    def work(ctx: ToolContext) -> Any:
        case = get_case(ctx.session, code, lock=True)
        assert case is not None
        refund = issue_refund(ctx, case, 2400, step="test", actor="system", reason="test")
        runs.append(refund.reference)
        if len(runs) == 1:
            raise RuntimeError("the step failed after the refund was asked")
        return refund

    with pytest.raises(RuntimeError):
        run_unit(desk.sessions, desk.context, work)
    with desk.session() as session:
        assert session.get(EffectRow, f"{code}:refund:test") is None  # rolled back with it
    result = run_unit(desk.sessions, desk.context, work)
    assert runs[0] == runs[1] == result.reference  # the same key, the same refund
    with desk.session() as session:
        assert world.count_actions(session, "refund_issued", code) == 1
        case = get_case(session, code)
        assert case is not None
        assert journal.balance(session, journal.REFUNDS_PAID, line_item_id=case.line_item_id) == (
            2400
        )


def test_local_refunds_raced_on_one_line_item_never_exceed_what_was_paid(
    desk: ReturnsDesk,
) -> None:
    """Six cases of one line of 6 x 20.00 (120.00 paid), six refunds of 50.00 at once: two
    are paid, each in one transaction, the others are refused; never more than was paid."""
    codes = _cases(desk, "L-RACE", "20.00", 6)
    watch = Watch(desk.engine)
    barrier = threading.Barrier(len(codes))
    results: list[Any] = [None] * len(codes)
    begun: list[int] = [0] * len(codes)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = _refund(desk, codes[index], 5000)
        except Exception as error:
            results[index] = error
        begun[index] = watch.begun.get(threading.get_ident(), 0)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(codes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    paid = [i for i, result in enumerate(results) if not isinstance(result, Exception)]
    refused = [result for result in results if isinstance(result, RefundCapExceeded)]
    assert len(paid) == 2 and len(refused) == 4, results
    assert all(begun[i] == 1 for i in paid), begun
    with desk.session() as session:
        line = get_case(session, codes[0]).line_item_id  # type: ignore[union-attr]
        assert journal.balance(session, journal.REFUNDS_PAID, line_item_id=line) == 10_000
        assert world.money_problems(session) == []
        states = [row.result["state"] for row in session.scalars(select(EffectRow))]
        assert states == ["done", "done"]


def _watch_calls(
    service: Any, matches: Callable[[Any], bool], open_now: Callable[[], int]
) -> list[int]:
    """Transactions open on the desk's engine at each request of the service that matches."""
    seen: list[int] = []
    route = service.route

    def watched(request: Any) -> Any:
        if matches(request):
            seen.append(open_now())
        return route(request)

    service.route = watched
    return seen


def test_a_network_carrier_and_payments_are_called_with_no_transaction_open(
    database_url: str,
) -> None:
    with real_services(database_url, {"return_label_cost": "7.50"}) as (desk, easypost, shopify):
        watch = Watch(desk.engine)
        labels = _watch_calls(
            easypost, lambda r: re.fullmatch(BUY, r.path) is not None, lambda: len(watch.open)
        )
        refunds = _watch_calls(
            shopify, lambda r: operation_of(r) == REFUND_CREATE, lambda: len(watch.open)
        )
        code = desk.submit_return(
            ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged"),
            photo=sample_jpeg("crack"),
        ).code
        desk.supplier_action("acme", code, "approve", rma="RMA-1")
        desk.carrier_event(code, "delivered")
        view = desk.supplier_action("acme", code, "inspected_ok")
        assert view.status == "resolved" and view.refunded == "24.00"
        assert labels == [0] and refunds == [0]


def test_an_effect_run_twice_in_one_transaction_runs_once_and_holds_back_the_others(
    desk: ReturnsDesk,
) -> None:
    """``once`` reads its key without sending the effects the step holds back: the refund
    recorded a moment ago and the supplier credit go out in one insert at commit."""
    (code,) = _cases(desk, "L-4", "24.00", 1)
    ran: list[str] = []
    watch = Watch(desk.engine)

    def work(ctx: ToolContext) -> Any:
        case = get_case(ctx.session, code, lock=True)
        assert case is not None
        issue_refund(ctx, case, 2400, step="test", actor="system", reason="test")
        first = once(ctx, f"{code}:credit", "supplier_credit", code, lambda: {"n": len(ran)})
        ran.append("x")
        again = once(ctx, f"{code}:credit", "supplier_credit", code, lambda: {"n": len(ran)})
        return first, again

    first, again = run_unit(desk.sessions, desk.context, work)
    assert first == ({"n": 0}, True) and again == ({"n": 0}, False)
    assert watch.effect_writes == ["INSERT"]  # two rows, one statement
    with desk.session() as session:
        assert len(session.scalars(select(EffectRow)).all()) == 2
