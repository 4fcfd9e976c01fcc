"""The case graph is durable: nodes that run again repeat no effect, and a case left
between its commit and its first checkpoint is picked up by the worker."""

from __future__ import annotations

from langgraph.types import Command
from sqlalchemy import func, select

from graph.desk import ReturnsDesk
from ledger import journal
from ledger.models import DecisionRow, EffectRow, OutboxRow
from tools.accept_photo import sample_jpeg
from tools.context import ToolContext
from tools.open_case import ReturnRequest, open_case


def _count(desk: ReturnsDesk, model: type, **where: str) -> int:
    with desk.session() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(session.execute(query).scalar_one())


def test_replaying_the_graph_from_an_old_checkpoint_repeats_no_effect(
    desk: ReturnsDesk,
) -> None:
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged"),
        photo=sample_jpeg("crack"),
    )
    code = view.code
    desk.supplier_action("acme", code, "approve", rma="RMA-9")
    desk.carrier_event(code, "delivered")
    desk.supplier_action("acme", code, "inspected_ok")
    config = {"configurable": {"thread_id": code}}
    before = {
        "decisions": _count(desk, DecisionRow, case_code=code),
        "outbox": _count(desk, OutboxRow, case_code=code),
        "effects": _count(desk, EffectRow, case_code=code),
    }
    # Re-run every node from each checkpoint that still had work to do: what a crash
    # between a node's commit and its checkpoint would make LangGraph do. A checkpoint is
    # written where a desk call leaves the graph, at a wait: resumed there, the graph runs
    # the event step (its result stored) and every step after it again.
    history = [snap for snap in desk.graph.get_state_history(config) if snap.next]
    assert len(history) >= 3
    for snapshot in history:
        if any(task.interrupts for task in snapshot.tasks):
            desk.graph.invoke(Command(resume={"type": "catch_up"}), snapshot.config)
        else:
            desk.graph.invoke(None, snapshot.config)
    after = {
        "decisions": _count(desk, DecisionRow, case_code=code),
        "outbox": _count(desk, OutboxRow, case_code=code),
        "effects": _count(desk, EffectRow, case_code=code),
    }
    assert after == before
    with desk.session() as session:
        paid = -journal.balance(session, journal.CUSTOMER_PAYMENTS, case_code=code)
    assert paid == 2400
    assert desk.case_view(code).status == "resolved"


def test_a_case_whose_graph_never_started_is_started_by_the_worker(desk: ReturnsDesk) -> None:
    # The case row committed, then the process died before the graph's first invoke.
    with desk.session() as session:
        ctx = ToolContext(session=session, store=desk.store, now=desk.clock.now())
        code = open_case(
            ctx,
            ReturnRequest(
                order="1001", email="ana@example.com", sku="LAMP-1", reason="changed_mind"
            ),
        ).code
    assert desk.case_view(code).status == "open"
    assert desk.resume_orphans() == 1
    assert desk.case_view(code).status == "awaiting_supplier"
    assert desk.resume_orphans() == 0
    assert _count(desk, OutboxRow, case_code=code, channel="supplier") == 1
