"""The chain's head as this process last left it: appended on without reading it, and read
again (under its lock) when another writer moved it. On both engines; counts, not time."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from ledger import decisions
from ledger.db import make_engine, migrate, session_factory, transaction

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def engines(database_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database, as two processes would have."""
    first, second = make_engine(database_url), make_engine(database_url)
    migrate(first)
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()


def _append(factory: sessionmaker[Session], n: int = 1, *, fail: bool = False) -> None:
    with transaction(factory) as session:
        for i in range(n):
            decision = decisions.append(
                session, at=NOW, case_code="R-1", actor="system", action="owner_note", data={"i": i}
            )
        if fail:
            assert decision.seq > 0  # the rows are written now, then thrown away
            raise RuntimeError("the step failed")


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*args: Any) -> None:
        seen.append(str(args[2]))

    return seen


def _verify(factory: sessionmaker[Session], rows: int) -> None:
    with factory() as session:
        report = decisions.verify(session)
    assert report.ok, report.problem
    assert report.rows == rows


def test_an_append_after_the_first_does_not_read_the_head(engines: tuple[Engine, Engine]) -> None:
    engine = engines[0]
    factory = session_factory(engine)
    _append(factory)  # the very first append reads (and makes) the head
    seen = _statements(engine)
    _append(factory, 3)
    head_reads = [s for s in seen if s.lstrip().upper().startswith("SELECT") and "ledger_head" in s]
    assert head_reads == []
    assert sum("ledger_head" in s for s in seen) == 1  # moved once, by the checked update
    assert sum("INSERT INTO decisions" in s for s in seen) == 1
    # on PostgreSQL the rows' insert is part of the update's statement
    chain = [s for s in seen if "ledger_head" in s or "decisions" in s]
    assert len(chain) == (1 if engine.dialect.name == "postgresql" else 2), chain
    _verify(factory, 4)


def test_a_naive_time_is_still_refused(engines: tuple[Engine, Engine]) -> None:
    factory = session_factory(engines[0])
    _append(factory)
    with pytest.raises(Exception, match="naive datetime"), transaction(factory) as session:
        decisions.append(
            session,
            at=NOW.replace(tzinfo=None),
            case_code="R-1",
            actor="system",
            action="owner_note",
        )
    _append(factory)
    _verify(factory, 2)


def test_a_head_moved_by_another_writer_is_read_again(engines: tuple[Engine, Engine]) -> None:
    here, there = (session_factory(engine) for engine in engines)
    _append(here)
    _append(there, 2)  # another process moves the head this one knows
    seen = _statements(engines[0])
    _append(here)
    chain = [s for s in seen if "ledger_head" in s or "decisions" in s]
    if engines[0].dialect.name == "postgresql":
        # tried on the head it knew, then on the head that statement answered with
        assert len(chain) == 2, chain
    else:  # the checked update, then the head read under its lock, the rows, the move
        assert len(chain) == 4, chain
        assert chain[1].lstrip().upper().startswith("SELECT")
    _append(there)
    _append(here, 2)
    _verify(here, 7)


def test_an_append_rolled_back_leaves_the_chain_whole(engines: tuple[Engine, Engine]) -> None:
    factory = session_factory(engines[0])
    _append(factory)
    _append(factory)
    with pytest.raises(RuntimeError):
        _append(factory, 2, fail=True)
    _append(factory)
    _verify(factory, 3)


def test_threads_appending_at_once_keep_one_chain(engines: tuple[Engine, Engine]) -> None:
    """Threads of two processes share a known head that goes stale under them: each append
    either moves it or reads it again, and the chain never forks."""
    factories = [session_factory(engine) for engine in engines]
    _append(factories[0])

    def work(n: int) -> None:
        for _ in range(8):
            _append(factories[n % 2], 1 + n % 3)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    _verify(factories[1], 1 + 8 * (1 + 2 + 3 + 1))
