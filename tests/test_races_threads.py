"""Races in one process with threads, on SQLite and on PostgreSQL: the same invariants as the
several-process races of ``test_races_postgres.py``.

SQLite takes its write lock at the start of every unit of work (``BEGIN IMMEDIATE``), so the
count of units left and the new case must be in one such unit; PostgreSQL needs the line
item's row lock. An answer that loses a race to the same case must be told so, never
"Approved".
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.chat_graph import CustomerChat
from graph.clock import SystemClock
from graph.desk import ReturnsDesk
from graph.owner_console import answer_owner
from graph.supplier_answers import SupplierSource, answer_button
from ledger.models import CaseRow, LabelRow
from ledger.repository import import_orders
from policies.loader import load_store, orders_from_data
from tests import race_world as world
from tools.errors import NotReturnable
from tools.open_case import ReturnRequest


@pytest.fixture
def race_desk(database_url: str, tmp_path: Path) -> Iterator[ReturnsDesk]:
    store = load_store(world.write_store(tmp_path / "store"))
    desk = ReturnsDesk(database_url, store, SystemClock())
    with desk.session() as session:
        orders = orders_from_data(world.race_orders(dt.datetime.now(dt.UTC)), "race", store)
        import_orders(session, orders, store.policy.currency)
    yield desk
    desk.close()


def at_once(count: int, act: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = act(index)
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def cases_of(desk: ReturnsDesk, order: str) -> list[CaseRow]:
    with desk.session() as session:
        return session.query(CaseRow).join(CaseRow.order).filter_by(number=order).all()


def assert_invariants(desk: ReturnsDesk) -> None:
    with desk.session() as session:
        assert world.money_problems(session) == []


def test_form_posts_for_one_unit_open_one_case(race_desk: ReturnsDesk) -> None:
    request = ReturnRequest(**world.form(world.FORM_ORDER, "HP-1"))
    results = at_once(12, lambda _: race_desk.submit_return(request))
    refused = [r for r in results if isinstance(r, NotReturnable)]
    assert len(results) - len(refused) == 1, results
    assert {r.code for r in refused} == {"quantity_exceeded"}
    assert len(cases_of(race_desk, world.FORM_ORDER)) == 1
    assert_invariants(race_desk)


def test_chat_confirmations_for_one_unit_open_one_case(race_desk: ReturnsDesk) -> None:
    chat = CustomerChat(race_desk, "offline")
    sessions = []
    for _ in range(6):
        sid = chat.open_session()
        assert "yes or no" in chat.say(sid, world.CHAT_REQUEST)[-1].text
        sessions.append(sid)
    results = at_once(len(sessions), lambda i: chat.press(sessions[i], "yes"))
    texts = [" ".join(m.text for m in messages) for messages in results]
    assert sum("Your return number is" in text for text in texts) == 1, texts
    assert sum("already in a return" in text for text in texts) == len(sessions) - 1, texts
    assert len(cases_of(race_desk, world.CHAT_ORDER)) == 1
    assert_invariants(race_desk)


def test_supplier_approvals_at_once_one_acts_the_others_are_told_it_was_decided(
    race_desk: ReturnsDesk,
) -> None:
    request = ReturnRequest(**world.form(world.SUPPLIER_ORDER, "LAMP-3", "wrong_size"))
    code = race_desk.submit_return(request).code

    def approve(index: int) -> str:
        who = SupplierSource(supplier_id="acme", event_key=f"race:{index}", source="inbox")
        return answer_button(race_desk, code, who, "approve", rma=f"RMA-{index}").ack

    acks = at_once(4, approve)
    approved = [ack for ack in acks if ack.startswith("Approved")]
    assert len(approved) == 1, acks
    assert all(world.told_decided(ack) for ack in acks if ack not in approved), acks
    with race_desk.session() as session:
        assert session.query(LabelRow).filter_by(case_code=code).count() == 1
        assert world.count_actions(session, "supplier_decision", code) == 1
    assert_invariants(race_desk)


def test_owner_approve_and_deny_at_once_one_decision_stands(race_desk: ReturnsDesk) -> None:
    code = race_desk.submit_return(ReturnRequest(**world.form(world.OWNER_ORDER, "TV-4"))).code
    assert race_desk.case_view(code).status == "pending_review"
    replies = at_once(4, lambda i: answer_owner(race_desk, f"{('deny', 'approve')[i % 2]} {code}"))
    done = [reply for reply in replies if reply.startswith(("Approved", "Denied"))]
    assert len(done) == 1, replies
    assert all(world.told_decided(reply) for reply in replies if reply not in done), replies
    with race_desk.session() as session:
        assert world.count_actions(session, "owner_decision", code) == 1
        assert world.count_actions(session, "refund_issued", code) <= 1
    assert_invariants(race_desk)
