"""The worker: durable timers survive a SIGKILL, and two workers never take one timer."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import decisions, journal, timers
from ledger.models import CaseRow, DecisionRow, TimerRow
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests.conftest import SUPPLIERS, make_store
from tools.open_case import ReturnRequest

ROOT = Path(__file__).resolve().parents[1]
CASES = 60


def _store_folder(folder: Path) -> Path:
    (folder / "suppliers").mkdir(parents=True)
    (folder / "policy.yaml").write_text(yaml.safe_dump({"return_label_cost": "0"}))
    for supplier in SUPPLIERS:
        (folder / "suppliers" / f"{supplier['id']}.yaml").write_text(yaml.safe_dump(supplier))
    return folder


def _cases_waiting_for_inspection(desk: ReturnsDesk, count: int, delivered: dt.datetime) -> None:
    """``count`` mug returns delivered back to the supplier, never inspected."""
    orders = [
        {
            "number": f"K{i}",
            "email": f"k{i}@example.com",
            "country": "US",
            "placed_at": (delivered - dt.timedelta(days=5)).isoformat(),
            "delivered_at": (delivered - dt.timedelta(days=1)).isoformat(),
            "items": [{"sku": "MUG-1", "price": "24.00", "supplier": "acme"}],
        }
        for i in range(count)
    ]
    with desk.session() as session:
        import_orders(session, orders_from_data(orders, "kill"), "USD")
    for i in range(count):
        view = desk.submit_return(
            ReturnRequest(
                order=f"K{i}", email=f"k{i}@example.com", sku="MUG-1", reason="changed_mind"
            )
        )
        desk.supplier_action("acme", view.code, "approve", rma=f"R{i}")
        desk.carrier_event(view.code, "delivered")


def _resolved(desk: ReturnsDesk) -> int:
    with desk.session() as session:
        return int(
            session.execute(
                select(func.count(CaseRow.id)).where(CaseRow.status == "resolved")
            ).scalar_one()
        )


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_worker_loses_no_step_and_pays_no_refund_twice(
    database_url: str, tmp_path: Path
) -> None:
    # The cases were delivered back eight days ago: every refund-after-delivery timer is due.
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    desk = ReturnsDesk(database_url, make_store({"return_label_cost": "0"}), FrozenClock(past))
    _cases_waiting_for_inspection(desk, CASES, past)
    env = {
        **os.environ,
        "RETURNBRIDGE_DATABASE_URL": database_url,
        "RETURNBRIDGE_STORE_DIR": str(_store_folder(tmp_path / "store")),
        "RETURNBRIDGE_WORKER_INTERVAL_SECONDS": "0.05",
    }
    first = _worker(env)
    try:
        deadline = time.monotonic() + 60
        while _resolved(desk) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    killed_at = _resolved(desk)
    assert 3 <= killed_at < CASES, "the kill should land in the middle of the work"

    second = _worker(env)
    try:
        deadline = time.monotonic() + 120
        while _resolved(desk) < CASES and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        second.terminate()
        second.wait(20)
    with desk.session() as session:
        statuses = Counter(session.execute(select(CaseRow.status)).scalars())
        refunds = Counter(
            session.execute(
                select(DecisionRow.case_code).where(DecisionRow.action == "refund_issued")
            ).scalars()
        )
        paid = -journal.balance(session, journal.CUSTOMER_PAYMENTS)
        report = decisions.verify(session)
        unfired = session.execute(
            select(func.count(TimerRow.id)).where(
                TimerRow.fired_at.is_(None), TimerRow.cancelled_at.is_(None)
            )
        ).scalar_one()
    desk.close()
    assert statuses == {"resolved": CASES}
    assert len(refunds) == CASES and set(refunds.values()) == {1}
    assert paid == CASES * 2400
    assert report.ok, report.problem
    assert unfired == 0


@pytest.mark.parametrize("engine", ["postgresql"])
def test_two_workers_never_claim_the_same_timer(
    engine: str,
    tmp_path: Path,
    database_factory,  # type: ignore[no-untyped-def]
) -> None:
    with database_factory(engine, tmp_path) as url:
        now = dt.datetime.now(dt.UTC)
        desk = ReturnsDesk(url, make_store(), FrozenClock(now))
        with desk.session() as session:
            for i in range(40):
                timers.schedule(
                    session,
                    key=f"t{i}",
                    case_code=f"RB-{i:06d}",
                    kind=timers.SUPPLIER_REMINDER,
                    due_at=now,
                )
        claimed: dict[str, list[int]] = {}
        barrier = threading.Barrier(2)

        def claim(name: str) -> None:
            session = desk.sessions()
            taken: list[int] = []
            try:
                for _ in range(20):
                    timer = timers.claim_next(session, now)
                    if timer is None:
                        break
                    taken.append(timer.id)
                    timers.mark_fired(session, timer.id, now)
                barrier.wait(10)  # neither commits before both have claimed
                claimed[name] = taken
                session.commit()
            finally:
                session.close()

        threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        desk.close()
    first, second = claimed["w0"], claimed["w1"]
    assert first and second
    assert not set(first) & set(second)
    assert len(first) + len(second) == 40
