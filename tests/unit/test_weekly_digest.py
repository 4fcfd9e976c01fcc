"""The owner's weekly digest: its figures, and one e-mail per week whatever restarts."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import select

from bot import worker
from bot.customer_mail import mail_owner
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.weekly_digest import KIND, digest_text, last_full_week, queue_digest
from ledger.models import OutboxRow
from tests.conftest import make_store
from tools.open_case import ReturnRequest

MONDAY_AFTER = dt.datetime(2026, 3, 16, 8, 0, tzinfo=dt.UTC)  # the clock starts Tue 10 March


def digests(desk: ReturnsDesk) -> list[OutboxRow]:
    with desk.session() as session:
        return list(
            session.execute(
                select(OutboxRow).where(OutboxRow.kind == KIND).order_by(OutboxRow.id)
            ).scalars()
        )


def a_week_of_returns(desk: ReturnsDesk) -> str:
    settled = desk.submit_return(
        ReturnRequest(
            order="1001", email="ana@example.com", sku="LAMP-1", quantity=2, reason="wrong_size"
        )
    )
    desk.supplier_action("credit-co", settled.code, "approve")
    assert desk.case_view(settled.code).refunded == "120.00"
    waiting = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged")
    )
    desk.supplier_question("acme", waiting.code, "Is the handle broken or the cup?")
    return waiting.code


def test_the_digest_sums_up_the_week_that_ended(desk: ReturnsDesk, clock: FrozenClock) -> None:
    waiting = a_week_of_returns(desk)
    clock.set(MONDAY_AFTER)
    week = last_full_week(clock.now())
    assert (week.start, week.key) == (dt.datetime(2026, 3, 9, tzinfo=dt.UTC), f"{KIND}:2026-W11")
    text = digest_text(desk, week)
    assert "your returns for week 11 of 2026 (09 Mar to 15 Mar)" in text
    assert "Cases opened: 2\n" in text and "Cases closed: 1\n" in text
    assert "Money refunded: 120.00 USD\n" in text
    assert "Supplier credit owed now: 120.00 USD\n" in text
    assert "Supplier credit overdue now: 0.00 USD\n" in text
    assert "Credit Co: owes 120.00 USD, overdue 0.00 USD" in text
    reasons = text.split("Top return reasons this week:\n", 1)[1]
    assert reasons.startswith("  wrong size: 2 units\n  damaged: 1 unit\n")
    assert "Waiting for you: 1\n" in text and waiting in text
    assert "Is the handle broken or the cup?" in text or "supplier question" in text
    # the week before had nothing; credit past its due date shows as overdue
    assert "Cases opened: 0\n" in digest_text(
        desk, last_full_week(dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    )
    clock.advance(dt.timedelta(days=40))
    assert "Supplier credit overdue now: 120.00 USD" in digest_text(desk, week)


def test_one_digest_per_week_whatever_restarts(
    desk: ReturnsDesk, clock: FrozenClock, database_url: str
) -> None:
    a_week_of_returns(desk)
    clock.set(MONDAY_AFTER)
    assert queue_digest(desk) is True
    assert queue_digest(desk) is False
    restarted = ReturnsDesk(database_url, make_store({"return_label_cost": "7.50"}), clock)
    try:
        assert queue_digest(restarted) is False  # a new process reads the week's key
    finally:
        restarted.close()
    sent = digests(desk)
    assert len(sent) == 1 and sent[0].recipient == desk.store.policy.owner_email
    assert sent[0].idempotency_key == f"{KIND}:2026-W11" and "Cases opened: 2" in sent[0].text
    clock.advance(dt.timedelta(days=3))
    assert queue_digest(desk) is False  # same week still
    clock.advance(dt.timedelta(days=4))
    assert queue_digest(desk) is True
    assert [row.idempotency_key for row in digests(desk)] == [
        f"{KIND}:2026-W11",
        f"{KIND}:2026-W12",
    ]


def test_the_worker_queues_and_mails_it(
    desk: ReturnsDesk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(MONDAY_AFTER)
    stop = threading.Event()
    rounds: list[int] = []

    def one_round(*_: Any) -> dict[str, int]:
        rounds.append(1)
        if len(rounds) >= 2:
            stop.set()
        return {}

    monkeypatch.setattr(worker, "run_once", one_round)
    loop = threading.Thread(target=worker.run_forever, args=(desk, 0.01, stop))
    loop.start()
    loop.join(timeout=30)
    assert not loop.is_alive() and len(rounds) == 2
    rows = digests(desk)
    assert len(rows) == 1  # two rounds, one digest

    subjects: list[str] = []

    class Mailer:
        def send(self, row: OutboxRow, subject: str | None = None) -> None:
            subjects.append(subject or "")

    assert mail_owner(rows[0], Mailer()) is None  # type: ignore[arg-type]
    assert subjects == ["ReturnBridge weekly digest: week 11 of 2026 (09 Mar to 15 Mar)"]
