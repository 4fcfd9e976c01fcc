"""What the desk's cross-process lock costs PostgreSQL in round trips, and that it still holds.

Every chat turn and every case event runs under ``ReturnsDesk.serialized``: a session advisory
lock taken and released on the connection the thread leases. Taken inside a transaction each
statement cost a ``BEGIN`` and a ``COMMIT`` of its own (six round trips per block); the lock
needs no transaction, so each statement now goes alone (two). Counted at the driver: a
statement sent on an idle connection outside autocommit makes psycopg send ``BEGIN`` first,
and a commit or rollback of a connection in a transaction is one more round trip.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from policies.loader import store_from_data
from tests.conftest import NOW


@pytest.fixture
def desk(tmp_path: Path, database_factory: Callable[[str, Path], Any]) -> Iterator[ReturnsDesk]:
    store = store_from_data({}, [{"id": "acme", "name": "Acme", "country": "US"}])
    with database_factory("postgresql", tmp_path) as url:
        desk = ReturnsDesk(url, store, FrozenClock(NOW))
        try:
            yield desk
        finally:
            desk.close()


def _round_trips(desk: ReturnsDesk) -> list[str]:
    """The messages the desk's engine sends the server, BEGIN and COMMIT included."""
    sent: list[str] = []

    def driver(connection: Any) -> psycopg.Connection[Any]:
        return connection.connection.driver_connection  # type: ignore[no-any-return]

    def idle(connection: Any) -> bool:
        status = driver(connection).info.transaction_status
        return bool(status == psycopg.pq.TransactionStatus.IDLE)

    @event.listens_for(desk.engine, "before_cursor_execute")
    def _statement(connection: Any, *args: Any) -> None:
        if idle(connection) and not driver(connection).autocommit:
            sent.append("BEGIN")
        sent.append(" ".join(str(args[1]).split()))

    @event.listens_for(desk.engine, "commit")
    def _commit(connection: Any) -> None:
        if not idle(connection):
            sent.append("COMMIT")

    @event.listens_for(desk.engine, "rollback")
    def _rollback(connection: Any) -> None:
        if not idle(connection):
            sent.append("ROLLBACK")

    return sent


def test_the_lock_and_its_release_are_one_round_trip_each(desk: ReturnsDesk) -> None:
    sent = _round_trips(desk)
    with desk.serialized("case-1"):
        pass
    assert sent == ["select pg_advisory_lock(%(k)s)", "select pg_advisory_unlock(%(k)s)"]


def test_work_under_the_lock_still_runs_in_one_transaction(desk: ReturnsDesk) -> None:
    sent = _round_trips(desk)
    with desk.serialized("case-1"), desk.session() as session:
        session.execute(text("select 1"))
        session.execute(text("select 2"))
    assert sent == [
        "select pg_advisory_lock(%(k)s)",
        "BEGIN",
        "select 1",
        "select 2",
        "COMMIT",
        "select pg_advisory_unlock(%(k)s)",
    ]
    # a write that fails half-way leaves nothing behind: the session is not in autocommit
    with desk.session() as session:
        session.execute(text("create table marks (n integer)"))
    with pytest.raises(RuntimeError), desk.serialized("case-1"), desk.session() as session:
        session.execute(text("insert into marks values (1)"))
        raise RuntimeError("stop")
    with desk.session() as session:
        assert session.execute(text("select count(*) from marks")).scalar_one() == 0


def test_the_lock_still_keeps_out_another_connection(desk: ReturnsDesk) -> None:
    # The other holder is another desk (its own engine and pool: as in another process).
    other = ReturnsDesk(
        desk.engine.url.render_as_string(hide_password=False), desk.store, desk.clock
    )
    inside = threading.Event()
    order: list[str] = []

    def second() -> None:
        inside.wait(5)
        with other.serialized("case-1"):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with desk.serialized("case-1"):
            inside.set()
            thread.join(0.5)  # it must still be waiting for the lock
            order.append("first")
        thread.join(10)
    finally:
        other.close()
    assert order == ["first", "second"]
