"""The desk's first look at a case reads through a bare Core connection (``ledger.db.
reading_connection``): on SQLite it takes no write lock, and inside a leased connection (the
PostgreSQL advisory lock's) it reads on that connection and ends only what it began."""

from __future__ import annotations

import threading

from sqlalchemy import text

from graph.desk import ReturnsDesk
from ledger.db import leased_connection, reading_connection
from tools.open_case import ReturnRequest


def _open(desk: ReturnsDesk) -> str:
    request = ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
    return desk.submit_return(request).code


def test_the_first_look_does_not_wait_for_a_writer(desk: ReturnsDesk) -> None:
    code = _open(desk)
    looked: list[str] = []
    with desk.session() as session:
        session.connection()  # a write transaction is open (SQLite: the file's write lock)
        reader = threading.Thread(target=lambda: looked.append(desk._head(code).status))
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "the look waited for the writer"
    assert looked == ["awaiting_supplier"]


def test_inside_a_leased_connection_it_reads_there_and_ends_what_it_began(
    desk: ReturnsDesk,
) -> None:
    code = _open(desk)
    with leased_connection(desk.engine) as leased:
        with reading_connection(desk.engine) as connection:
            assert connection is leased
            assert connection.execute(text("select 1")).scalar() == 1
        assert not leased.in_transaction()
        assert desk._head(code).code == code
        assert not leased.in_transaction()
        leased.begin()
        with reading_connection(desk.engine) as connection:
            connection.execute(text("select 1"))
        assert leased.in_transaction()  # the holder's own transaction stays open
        leased.rollback()
