"""What keeps chat turns cheap under load: readers skip SQLite's write lock, a turn writes
one checkpoint, the worker does not rebuild the state of every waiting case each round, and
the understanding keeps its compiled patterns."""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import ledger.db
from graph.chat_graph import CustomerChat
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from language.customer.text import find_phrase, has_phrase
from ledger.db import sqlite_path, sqlite_writer
from ledger.models import OrderRow
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests.conftest import NOW, ORDERS, make_store
from tools.accept_photo import sample_jpeg
from tools.context import ToolContext
from tools.open_case import ReturnRequest, open_case


@pytest.fixture
def sqlite_desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    store = make_store()
    desk = ReturnsDesk(f"sqlite:///{tmp_path / 'desk.db'}", store, FrozenClock(NOW))
    with desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "test", store), "USD")
    yield desk
    desk.close()


@pytest.fixture
def write_lock_held(sqlite_desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's SQLite write lock, taken as a long write would hold it; a unit of work
    that needs it gives up after a fraction of a second instead of 30."""
    monkeypatch.setattr(ledger.db, "BUSY_TIMEOUT_SECONDS", 0.2)
    path = sqlite_path(sqlite_desk.url)
    assert path is not None
    writer = sqlite_writer(path)
    writer.acquire()
    try:
        yield
    finally:
        writer.release()


def test_a_reader_does_not_wait_for_the_write_lock(
    sqlite_desk: ReturnsDesk, write_lock_held: None
) -> None:
    with sqlite_desk.reading() as session:
        numbers = session.execute(select(OrderRow.number)).scalars().all()
    assert numbers == ["1001"]
    # a writer still queues for it
    with pytest.raises(sqlite3.OperationalError, match="locked"), sqlite_desk.session() as session:
        session.execute(select(OrderRow.number))


def test_the_chat_answers_reads_while_a_write_is_under_way(
    sqlite_desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = CustomerChat(sqlite_desk, "offline")
    session_id = chat.open_session()
    monkeypatch.setattr(ledger.db, "BUSY_TIMEOUT_SECONDS", 0.2)
    path = sqlite_path(sqlite_desk.url)
    assert path is not None
    writer = sqlite_writer(path)
    writer.acquire()
    try:
        assert chat.exists(session_id)
        assert chat.quick_replies(session_id)  # the greeting's menu
    finally:
        writer.release()


def test_nothing_written_in_a_reader_is_kept(sqlite_desk: ReturnsDesk) -> None:
    with sqlite_desk.reading() as session:
        order = session.execute(select(OrderRow)).scalar_one()
        order.customer_name = "Someone Else"
    assert order.customer_name == "Someone Else"  # what was read stays usable
    with sqlite_desk.reading() as session:
        assert session.execute(select(OrderRow.customer_name)).scalar_one() == "Ana Silva"


def test_a_chat_turn_writes_one_checkpoint(sqlite_desk: ReturnsDesk) -> None:
    chat = CustomerChat(sqlite_desk, "offline")
    session_id = chat.open_session()
    config: Any = {"configurable": {"thread_id": f"chat:{session_id}"}}
    before = len(list(sqlite_desk.checkpointer.list(config)))
    replies = chat.say(session_id, "hi, I need to return something")
    assert replies and replies[0].role == "bot"
    assert len(list(sqlite_desk.checkpointer.list(config))) == before + 1
    # the next turn starts from the dialogue that turn left
    assert chat.state(session_id).goal == "return"
    chat.say(session_id, "order 1001")
    assert chat.state(session_id).pending_order == "1001"


def test_the_worker_looks_again_only_at_cases_whose_graph_moved(
    sqlite_desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = sqlite_desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged"),
        photo=sample_jpeg("crack"),
    )
    assert view.status == "awaiting_supplier"
    looked: list[str] = []
    get_state = sqlite_desk.graph.get_state

    def counted(config: Any, *args: Any, **kwargs: Any) -> Any:
        looked.append(config["configurable"]["thread_id"])
        return get_state(config, *args, **kwargs)

    monkeypatch.setattr(sqlite_desk.graph, "get_state", counted)
    assert sqlite_desk.resume_orphans() == 0
    assert looked == [view.code]  # waiting for the supplier, as it should
    assert sqlite_desk.resume_orphans() == 0
    assert looked == [view.code]  # the same checkpoint: not rebuilt again
    sqlite_desk.supplier_action("acme", view.code, "approve", rma="RMA-1")
    looked.clear()
    assert sqlite_desk.resume_orphans() == 0
    assert looked == [view.code]  # the graph moved: looked at again


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("it arrived broken", "broken"),
        ("unbroken seal", "broken"),
        ("broken, broken again", "broken"),
        ("store credit please", "store credit"),
        ("my credit card", "credit"),
        ("it's not what i ordered", "not what i ordered"),
        ("didn't work", "work"),
        ("", "x"),
    ],
)
def test_the_phrase_helpers_match_as_the_whole_word_pattern(text: str, phrase: str) -> None:
    pattern = rf"(?<![a-z0-9']){re.escape(phrase)}(?![a-z0-9'])"
    expected = [m.span() for m in re.finditer(pattern, text)]
    assert [m.span() for m in find_phrase(text, phrase)] == expected
    assert has_phrase(text, phrase) is bool(expected)


def test_a_server_process_hands_the_interpreter_on_every_millisecond() -> None:
    from bot.web.app import SERVER_SWITCH_INTERVAL_SECONDS, tune_interpreter

    before = sys.getswitchinterval()
    try:
        tune_interpreter()
        assert sys.getswitchinterval() == pytest.approx(SERVER_SWITCH_INTERVAL_SECONDS)
        assert SERVER_SWITCH_INTERVAL_SECONDS < 0.005  # shorter than Python's default
    finally:
        sys.setswitchinterval(before)


def test_a_case_opened_since_the_last_round_is_left_to_its_process_for_one_round(
    sqlite_desk: ReturnsDesk,
) -> None:
    assert sqlite_desk.resume_orphans() == 0  # the worker's first round: nothing open
    # A case row committed, its graph not started yet: its process may be starting it now.
    with sqlite_desk.session() as session:
        ctx = ToolContext(session=session, store=sqlite_desk.store, now=sqlite_desk.clock.now())
        request = ReturnRequest(
            order="1001", email="ana@example.com", sku="LAMP-1", reason="changed_mind"
        )
        code = open_case(ctx, request).code
    assert sqlite_desk.resume_orphans() == 0
    assert sqlite_desk.case_view(code).status == "open"
    assert sqlite_desk.resume_orphans() == 1  # still not started a round later: a leftover
    assert sqlite_desk.case_view(code).status == "awaiting_supplier"
