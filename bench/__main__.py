"""Measure the returns engine against bare LangGraph on the same checkpointer, side by side.

Prints per-step median and p99 for N portal cases end to end (open, supplier approve, label,
delivered, inspected, refund) and for the same number of bare LangGraph invokes with the same
checkpointer, then ``overhead_ratio`` (our median step / bare invoke median), ledger append
throughput and ``ledger verify`` rows per second at 100,000 rows; then the chat benchmarks
(``bench/chat.py``) and paced chat sessions over HTTP on SQLite and PostgreSQL
(``bench/load.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from graph.checkpoints import make_checkpointer
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import decisions
from ledger.db import make_engine, migrate, session_factory, transaction
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tools.open_case import ReturnRequest

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
STEPS = ("open", "supplier_approve", "delivered", "inspected_refund")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def line(name: str, values: list[float]) -> str:
    return (
        f"  {name:<22} n={len(values):<6} median={statistics.median(values) * 1000:7.2f} ms"
        f"  p99={percentile(values, 0.99) * 1000:7.2f} ms"
    )


def timed(fn: Callable[[], Any], into: list[float]) -> Any:
    started = time.perf_counter()
    result = fn()
    into.append(time.perf_counter() - started)
    return result


def case_runner(
    folder: Path, count: int
) -> tuple[Callable[[int], None], dict[str, list[float]], Callable[[], None]]:
    store = store_from_data(
        {"photo_required_reasons": []},
        [{"id": "acme", "country": "US", "return_address": "Acme, 1 Main St, Fresno, CA"}],
    )
    desk = ReturnsDesk(f"sqlite:///{folder / 'cases.db'}", store, FrozenClock(NOW))
    orders = [
        {
            "number": f"B{i}",
            "email": f"b{i}@example.com",
            "country": "US",
            "placed_at": "2026-03-01T10:00:00Z",
            "delivered_at": "2026-03-05T10:00:00Z",
            "items": [{"sku": "MUG-1", "price": "24.00", "supplier": "acme"}],
        }
        for i in range(count)
    ]
    with desk.session() as session:
        import_orders(session, orders_from_data(orders, "bench"), "USD")
    times: dict[str, list[float]] = {step: [] for step in STEPS}

    def run(i: int) -> None:
        request = ReturnRequest(
            order=f"B{i}", email=f"b{i}@example.com", sku="MUG-1", reason="damaged"
        )
        view = timed(lambda r=request: desk.submit_return(r), times["open"])  # type: ignore[misc]
        code = view.code
        timed(
            lambda: desk.supplier_action("acme", code, "approve", rma="R1"),
            times["supplier_approve"],
        )
        timed(lambda: desk.carrier_event(code, "delivered"), times["delivered"])
        final = timed(
            lambda: desk.supplier_action("acme", code, "inspected_ok"), times["inspected_refund"]
        )
        assert final.status == "resolved" and final.refunded == "24.00", final

    return run, times, desk.close


class BareState(TypedDict):
    case: str
    tick: int


def bare_runner(folder: Path) -> tuple[Callable[[int], None], list[float], Callable[[], None]]:
    """The same shape of graph (start, then a waiting node resumed three times)."""
    saver, close = make_checkpointer(f"sqlite:///{folder / 'bare.db'}")

    def assess(state: BareState) -> Command[str]:
        return Command(goto="wait", update={"tick": state["tick"] + 1})

    def wait(state: BareState) -> Command[str]:
        event = interrupt({"case": state["case"]})
        done = event == "last"
        return Command(goto=END if done else "wait", update={"tick": state["tick"] + 1})

    builder = StateGraph(BareState)
    builder.add_node("assess", assess)
    builder.add_node("wait", wait)
    builder.add_edge(START, "assess")
    graph = builder.compile(checkpointer=saver)
    times: list[float] = []

    def run(i: int) -> None:
        config: Any = {"configurable": {"thread_id": f"bare-{i}"}}
        timed(lambda: graph.invoke({"case": f"bare-{i}", "tick": 0}, config), times)
        for event in ("approve", "delivered", "last"):
            timed(lambda e=event: graph.invoke(Command(resume=e), config), times)  # type: ignore[misc]

    return run, times, close


def bench_ledger(folder: Path, rows: int) -> tuple[float, float]:
    engine = make_engine(f"sqlite:///{folder / 'ledger.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    batch = 1000
    started = time.perf_counter()
    for start in range(0, rows, batch):
        with transaction(sessions) as session:
            for n in range(start, min(rows, start + batch)):
                decisions.append(
                    session,
                    at=NOW + dt.timedelta(seconds=n),
                    case_code=f"RB-{n % 5000:06d}",
                    actor="system",
                    action="shipment_event",
                    data={"event": "in_transit", "n": n},
                )
    append_rate = rows / (time.perf_counter() - started)
    started = time.perf_counter()
    with transaction(sessions) as session:
        report = decisions.verify(session)
    verify_rate = report.rows / (time.perf_counter() - started)
    assert report.ok and report.rows == rows
    engine.dispose()
    return append_rate, verify_rate


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--ledger-rows", type=int, default=100_000)
    parser.add_argument("--chat-conversations", type=int, default=100)
    parser.add_argument(
        "--paced-sessions",
        type=int,
        default=200,
        help="paced chat sessions over HTTP per engine (0: skip that measurement)",
    )
    parser.add_argument("--paced-ceiling", type=int, default=400)
    parser.add_argument(
        "--pace", type=float, default=1.0, help="scale of the human pacing (1.0: 5 s, 3-6 s)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rb-bench-") as tmp:
        folder = Path(tmp)
        print(f"ReturnBridge benchmark: SQLite, {args.cases} cases, one process")
        run_bare, bare, close_bare = bare_runner(folder)
        run_case, ours, close_cases = case_runner(folder, args.cases)
        for i in range(args.cases):  # interleaved, so both see the same machine
            run_bare(i)
            run_case(i)
        close_bare()
        close_cases()
        every_step = [value for values in ours.values() for value in values]
        print(f"returns engine, {args.cases} portal cases end to end:")
        for step in STEPS:
            print(line(step, ours[step]))
        print(line("all steps", every_step))
        print(f"bare LangGraph, {len(bare)} invokes (same checkpointer, same graph shape):")
        print(line("invoke", bare))
        append_rate, verify_rate = bench_ledger(folder, args.ledger_rows)
        print(f"ledger append: {append_rate:,.0f} rows/s ({args.ledger_rows:,} rows)")
        print(f"ledger verify: {verify_rate:,.0f} rows/s at {args.ledger_rows:,} rows")
        ratio = statistics.median(every_step) / statistics.median(bare)
        print(f"overhead_ratio={ratio:.2f}")
        from bench.chat import run as run_chat

        run_chat(folder, args.chat_conversations)
        if args.paced_sessions:
            from bench.load import run as run_paced

            run_paced(folder, args.paced_sessions, args.paced_ceiling, args.pace)


if __name__ == "__main__":
    main()
