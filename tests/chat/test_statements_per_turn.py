"""How many SQL statements each turn of a chat costs, on both engines.

Counted with a ``before_cursor_execute`` listener on the desk's engine (the checkpointer's own
connection is not counted), for the second conversation of a fresh database, the script of
``bench/chat.py``. The case opening itself (``ReturnsDesk.submit_return``, the case engine's
part, pinned in tests/test_statements_per_step.py) is left out of the "yes" turn. Before the
turn was trimmed the counts were 3 to open, then 12, 12, 27, 19 and 24 on SQLite (2, then 10,
10, 22, 15 and 20 on PostgreSQL): the owner's inbox was read on every turn, the transcript in
a transaction of its own, each message written through the ORM, the order's cases read twice.
Then 14 and 16 for "email" and "yes" on SQLite (13 and 14 on PostgreSQL): each line of the
order loaded and its units in cases counted one statement at a time, and after the case opened
its link to the chat written in a transaction of its own and the order read in another.
Counts, not time: the machine may be busy.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy import text as sql_text

from graph import chat_tools
from graph.chat_graph import CustomerChat
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import chat_log
from ledger.chat_models import ChatCaseRow
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tests.call_log import calls_to

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
SCRIPT = (
    ("open", ""),
    ("hi", "hi, I need to return something"),
    ("order", "order {n}"),
    ("email", "c{n}@example.com"),
    ("reason", "the mug arrived cracked, store credit please"),
    ("yes", "yes"),
)
# Most statements per turn (PostgreSQL adds the session's advisory lock and unlock, and has
# no ``BEGIN IMMEDIATE`` of its own).
BOUNDS = {
    "sqlite": {"open": 3, "hi": 6, "order": 6, "email": 13, "reason": 9, "yes": 14},
    "postgresql": {"open": 2, "hi": 6, "order": 6, "email": 12, "reason": 8, "yes": 13},
}


def _desk(url: str) -> ReturnsDesk:
    store = store_from_data(
        {"photo_required_reasons": []},
        [{"id": "acme", "name": "Acme", "country": "US", "return_address": "Acme, Fresno"}],
    )
    desk = ReturnsDesk(url, store, FrozenClock(NOW))
    orders = [
        {
            "number": str(n),
            "email": f"c{n}@example.com",
            "country": "US",
            "placed_at": "2026-03-01T10:00:00Z",
            "delivered_at": "2026-03-05T10:00:00Z",
            "items": [{"sku": "MUG-1", "name": "Mug", "price": "24.00", "supplier": "acme"}],
        }
        for n in (10000, 10001)
    ]
    with desk.session() as session:
        import_orders(session, orders_from_data(orders, "test"), "USD")
    return desk


def test_each_chat_turn_stays_within_its_statements(database_url: str) -> None:
    desk = _desk(database_url)
    chat = CustomerChat(desk, "offline")
    statements: list[str] = []
    in_case_opening: list[int] = []

    @event.listens_for(desk.engine, "before_cursor_execute")
    def _count(*args: Any) -> None:
        statements.append(str(args[2]))

    submit = desk.submit_return

    def counted_submit(*args: Any, **kwargs: Any) -> Any:
        before = len(statements)
        try:
            return submit(*args, **kwargs)
        finally:
            in_case_opening.append(len(statements) - before)

    desk.submit_return = counted_submit  # type: ignore[method-assign]
    try:
        for n in (10000, 10001):
            counts: dict[str, int] = {}
            inbox_reads: list[str] = []
            for name, text in SCRIPT:
                statements.clear()
                in_case_opening.clear()
                if name == "open":
                    session_id = chat.open_session()
                    answer = []
                else:
                    answer = chat.say(session_id, text.format(n=n))
                counts[name] = len(statements) - sum(in_case_opening)
                inbox_reads += [s for s in statements if "owner_inbox" in s]
            assert answer and answer[0].text.startswith("Done! Your return number is"), answer
            assert answer[0].case is not None
    finally:
        desk.close()
    engine = desk.engine.dialect.name
    print(f"{engine}: statements per chat turn {counts}")
    # a chat never handed to the owner has no handoff item to add the customer's words to
    assert inbox_reads == []
    for name, bound in BOUNDS[engine].items():
        assert counts[name] <= bound, (name, counts)


def test_a_poll_without_news_reads_only_and_news_is_still_posted_once(database_url: str) -> None:
    # The widget polls every few seconds: without case news the poll takes no write lock
    # (no write transaction on SQLite, nothing written on either engine).
    desk = _desk(database_url)
    chat = CustomerChat(desk, "offline")
    statements: list[str] = []

    @event.listens_for(desk.engine, "before_cursor_execute")
    def _count(*args: Any) -> None:
        statements.append(" ".join(str(args[2]).split()).upper())

    try:
        session_id = chat.open_session()
        for _name, text in SCRIPT[1:]:
            answer = chat.say(session_id, text.format(n=10000))
        code = answer[0].case
        assert code is not None
        with desk.session() as session:  # linked to the chat, at the turn's time
            link = session.get(ChatCaseRow, code)
            assert link is not None and (link.session_id, link.at) == (session_id, NOW)
            # stored as every other time of the chat (SQLite keeps times as text)
            stored = [
                session.execute(sql_text(query), {"key": key}).scalar_one()
                for query, key in (
                    ("select cast(at as varchar) from chat_cases where case_code = :key", code),
                    (
                        "select cast(at as varchar) from chat_messages where session_id = :key"
                        " order by id desc limit 1",
                        session_id,
                    ),
                )
            ]
            assert stored[0] == stored[1]
        seen = chat.messages(session_id)
        statements.clear()
        assert chat.messages(session_id, seen[-1].id) == []
        assert statements and not [
            s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE"))
        ], statements
        desk.supplier_action("acme", code, "approve", rma="RMA-1")
        news = chat.messages(session_id, seen[-1].id)
        assert news and all(message.case == code for message in news)
        assert any(message.label_url for message in news)
        assert chat.messages(session_id, seen[-1].id) == news  # posted once
    finally:
        desk.close()


def _three_line_desk(url: str) -> ReturnsDesk:
    desk = _desk(url)
    order = {
        "number": "20000",
        "email": "three@example.com",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [
            {"sku": f"SKU-{n}", "name": name, "price": "10.00", "supplier": "acme"}
            for n, name in enumerate(("Lamp", "Rug", "Vase"), 1)
        ],
    }
    with desk.session() as session:
        import_orders(session, orders_from_data([order], "test"), "USD")
    return desk


def test_an_order_is_read_in_the_same_statements_whatever_its_lines(database_url: str) -> None:
    # The lines and the units each one holds in cases come in one statement: an order of three
    # lines costs what an order of one does (each line was loaded and counted on its own).
    desk = _three_line_desk(database_url)
    statements: list[str] = []

    @event.listens_for(desk.engine, "before_cursor_execute")
    def _count(*args: Any) -> None:
        statements.append(str(args[2]))

    try:
        counts = []
        for number, email in (("10000", "c10000@example.com"), ("20000", "three@example.com")):
            statements.clear()
            verified = chat_tools.order_snapshot(desk, number, email)
            counts.append(len(statements))
        assert [item.sku for item in verified.items] == ["SKU-1", "SKU-2", "SKU-3"]
        assert [item.left for item in verified.items] == [1, 1, 1]
    finally:
        desk.close()
    assert counts[0] == counts[1], counts


def test_a_return_of_two_items_links_its_cases_and_rereads_the_order_in_one_transaction(
    database_url: str,
) -> None:
    # Around the two case openings (the desk's own part), the chat writes both links and reads
    # what is left of the order in one transaction: it was one per case plus a read of its own.
    desk = _three_line_desk(database_url)
    chat = CustomerChat(desk, "offline")
    transactions: list[str] = []
    submit = desk.submit_return

    @event.listens_for(desk.engine, "begin")
    def _begun(*_: Any) -> None:
        transactions.append("chat")

    def counted_submit(*args: Any, **kwargs: Any) -> Any:
        before = len(transactions)
        try:
            return submit(*args, **kwargs)
        finally:
            del transactions[before:]

    desk.submit_return = counted_submit  # type: ignore[method-assign]
    try:
        session_id = chat.open_session()
        verified = chat_tools.order_snapshot(desk, "20000", "three@example.com")
        draft = chat_tools.Draft(
            lines=[
                chat_tools.ReturnLine(sku="SKU-1", reason="damaged"),
                chat_tools.ReturnLine(sku="SKU-3", reason="damaged"),
            ],
            resolution="refund",
        )
        transactions.clear()
        opened, problems, fresh = chat_tools.submit_draft(desk, session_id, verified, draft)
        around = list(transactions)
        assert problems == [] and len(opened) == 2
        assert [item.left for item in fresh.items] == [0, 1, 0]
        with desk.reading() as session:
            linked = chat_log.linked_cases(session, session_id)
        assert sorted(linked) == sorted(view.code for view in opened)
    finally:
        desk.close()
    assert around == ["chat"], around


def test_a_chat_turn_starts_no_thread_and_still_keeps_its_checkpoint(
    database_url: str, monkeypatch: Any
) -> None:
    # LangGraph started a thread per turn to write the turn's one checkpoint (and joined it
    # before the turn answered): the chat's graph now writes it in the turn's own thread.
    desk = _desk(database_url)
    chat = CustomerChat(desk, "offline")
    try:
        session_id = chat.open_session()
        started = calls_to(monkeypatch, threading.Thread, "start")
        for _name, text in SCRIPT[1:-1]:  # up to the confirmation: no case is opened yet
            assert chat.say(session_id, text.format(n=10000))
        monkeypatch.undo()
        state = chat.state(session_id)
    finally:
        desk.close()
    assert started == []
    assert state.verified is not None and state.verified["order"] == "10000"
    assert state.expecting == "confirm", state.expecting
