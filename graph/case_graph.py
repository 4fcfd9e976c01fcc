"""The case graph: one LangGraph thread per return case, durable through its checkpointer.

Three nodes: ``assess`` (decide and ask), ``wait`` (``interrupt()`` until a person, a carrier
or a timer answers, then apply the answer) and ``settle`` (money and close). Every node runs
its work through ``run_step``: one transaction keyed by case, tick and node, so a node that
runs again after a resume or a crash finds its result stored and repeats no effect.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from sqlalchemy.orm import Session, sessionmaker

from graph import case_steps
from graph.clock import Clock
from ledger import pending
from ledger.models import CaseRow, CaseStepRow
from ledger.repository import get_case_for_step, lock_line_item
from policies.models import Store
from tools.adapters import Carrier, Payments
from tools.context import ToolContext
from tools.effects import run_unit


class CaseState(TypedDict):
    case: str
    tick: int


Step = Callable[[ToolContext, CaseRow], dict[str, Any]]


@dataclass
class StepNotes:
    """What the steps run while the desk handles one request told it, so that it need not read
    them back: each step's result by key, and the view of each case as its last step left it
    (taken in that step's transaction, when the graph is about to wait or end), and the keys
    of the steps whose result was found stored rather than made now.

    A checkpoint is written once per desk call, when the graph stops (``durability="exit"``),
    so a process that dies between a step's commit and that checkpoint leaves the graph behind
    the steps: it waits at an interrupt whose event step is already recorded. The next event
    resumed there gets the stored result of the earlier one; ``replayed`` lets the desk see
    that and resume again, at the graph's new tick, with its own event."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    views: dict[str, Any] = field(default_factory=dict)
    replayed: set[str] = field(default_factory=set)


_notes: ContextVar[StepNotes | None] = ContextVar("case_step_notes", default=None)


def current_notes() -> StepNotes | None:
    return _notes.get()


@contextlib.contextmanager
def noting_steps() -> Iterator[StepNotes]:
    """Collect :class:`StepNotes` of the steps run inside the block (in this thread and the
    graph's own, which share the caller's context)."""
    notes = StepNotes()
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)


@dataclass
class CaseRuntime:
    sessions: sessionmaker[Session]
    store: Store
    clock: Clock
    carrier: Carrier
    payments: Payments
    # The case's view for the desk, read in the transaction of the step that leaves it
    # waiting or ended (see ``StepNotes``); None: the desk reads it afterwards.
    view: Callable[[Session, CaseRow], Any] | None = None

    def context(self, session: Session) -> ToolContext:
        return ToolContext(
            session=session,
            store=self.store,
            now=self.clock.now(),
            carrier=self.carrier,
            payments=self.payments,
        )


def run_step(runtime: CaseRuntime, state: CaseState, name: str, step: Step) -> dict[str, Any]:
    """Run one node's work in one transaction, once per key. A refund or a label makes the
    step let go of its transaction while the service is called (``tools/effects.py``), then
    run again and record the answer."""
    key = f"{state['case']}:{state['tick']}:{name}"
    notes = _notes.get()
    if notes is not None and key in notes.results:
        # This desk call ran the step itself and committed it (``first_step_now``): the
        # stored result, without a transaction to read it back.
        return notes.results[key]
    seen: dict[str, Any] = {}

    def work(ctx: ToolContext) -> dict[str, Any]:
        session = ctx.session
        seen.clear()
        case, done = get_case_for_step(session, state["case"], key)
        if done is not None:
            # Run and committed before, by a desk call or a worker round whose checkpoint
            # after it was never written: told to the desk (``StepNotes.replayed``).
            seen["replayed"] = True
            return done
        if case is None:
            raise LookupError(f"case {state['case']} is gone")
        # Locks in one order everywhere (case, line item, its order when money is counted,
        # then the ledger head at commit), so a step that gives money back never waits in a
        # cycle with a new case. On SQLite the transaction holds the file's write lock since
        # its BEGIN and the line item came with the case just now: no statement is needed.
        if session.get_bind().dialect.name != "sqlite":
            lock_line_item(session, case.line_item_id)
        result = step(ctx, case)
        last = result.get("next") in (case_steps.WAIT, case_steps.END)  # the graph stops
        if notes is not None and runtime.view is not None and last:
            seen["view"] = runtime.view(session, case)
        # written at commit with the step's other rows; a second run of the same step fails
        # on its primary key there and rolls back whole
        pending.add(
            session,
            pending.table_of(CaseStepRow),
            {"key": key, "case_code": case.code, "result": result, "at": ctx.now},
            key=key,
        )
        return result

    result = run_unit(runtime.sessions, runtime.context, work)
    if notes is not None:  # told only once the step's transaction committed
        notes.results[key] = result
        if "replayed" in seen:
            notes.replayed.add(key)
        else:
            notes.replayed.discard(key)
        if "view" in seen:
            notes.views[state["case"]] = seen["view"]
        else:
            notes.views.pop(state["case"], None)
    return result


def first_step_now(runtime: CaseRuntime, ctx: ToolContext, case: CaseRow) -> Callable[[], None]:
    """Run a new case's first step (``assess``) in the transaction that opens it, and record
    it under the key the graph's ``assess`` node uses: one transaction (one ledger append, one
    insert per table) instead of two. Returns what to call once that transaction committed:
    it tells this desk call's notes, so the node takes the result from them and the graph
    goes straight on to its wait. Should the process die before the graph starts, the worker
    starts it and the node finds the result stored.

    The step calls no outside service (it decides and asks; money and labels come later)."""
    key = f"{case.code}:0:assess"
    result = case_steps.assess(ctx, case)
    last = result.get("next") in (case_steps.WAIT, case_steps.END)
    view = runtime.view(ctx.session, case) if runtime.view is not None and last else None
    pending.add(
        ctx.session,
        pending.table_of(CaseStepRow),
        {"key": key, "case_code": case.code, "result": result, "at": ctx.now},
        key=key,
    )
    notes = _notes.get()

    def committed() -> None:
        if notes is not None:
            notes.results[key] = result
            if view is not None:
                notes.views[case.code] = view

    return committed


def _goto(state: CaseState, result: dict[str, Any]) -> Command[str]:
    target = str(result["next"])
    return Command(
        goto=END if target == case_steps.END else target, update={"tick": state["tick"] + 1}
    )


def build_case_graph(runtime: CaseRuntime, checkpointer: BaseCheckpointSaver[Any]) -> Any:
    def assess(state: CaseState) -> Command[str]:
        return _goto(state, run_step(runtime, state, "assess", case_steps.assess))

    def wait(state: CaseState) -> Command[str]:
        event: dict[str, Any] = interrupt({"case": state["case"], "tick": state["tick"]})
        return _goto(
            state,
            run_step(
                runtime,
                state,
                "event",
                lambda ctx, case: {
                    **case_steps.handle_event(ctx, case, event),
                    # who sent which event: the desk tells a retried answer it took effect
                    "event": event.get("type"),
                    "by": event.get("actor"),
                },
            ),
        )

    def settle(state: CaseState) -> Command[str]:
        return _goto(state, run_step(runtime, state, "settle", case_steps.settle))

    builder = StateGraph(CaseState)
    builder.add_node("assess", assess, destinations=("wait", "settle", END))
    builder.add_node("wait", wait, destinations=("wait", "assess", "settle", END))
    builder.add_node("settle", settle, destinations=("wait", END))
    builder.add_edge(START, "assess")
    return builder.compile(checkpointer=checkpointer)
