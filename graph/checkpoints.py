"""LangGraph checkpointers on the same database as the ledger."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver

from ledger.db import BUSY_TIMEOUT_SECONDS, SqliteWriter, normalize_url, sqlite_path, sqlite_writer


class QueuedSqliteSaver(SqliteSaver):
    """A SQLite checkpointer whose writes queue on the file's write lock of this process
    (``ledger.db.SqliteWriter``), with the ledger's own transactions, instead of polling in
    SQLite's busy handler. Reads take no write lock (WAL)."""

    def __init__(self, conn: sqlite3.Connection, writer: SqliteWriter) -> None:
        super().__init__(conn)
        self.writer = writer

    @contextlib.contextmanager
    def cursor(self, transaction: bool = True) -> Iterator[sqlite3.Cursor]:
        # Write lock first, then the saver's own lock: the order every writer keeps.
        writing = self.writer.hold() if transaction else contextlib.nullcontext()
        with writing, super().cursor(transaction) as cur:
            yield cur


class _NoLock:
    """A lock that never waits (see ``make_checkpointer``)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def make_checkpointer(
    url: str, *, pool_size: int = 8
) -> tuple[BaseCheckpointSaver[Any], Callable[[], None]]:
    """A set-up checkpointer for the database URL and a function that closes it.

    On PostgreSQL it keeps up to ``pool_size`` connections of its own: as many as the threads
    that may run a graph at once, so none waits for another's checkpoint."""
    url = normalize_url(url)
    path = sqlite_path(url)
    if path is not None:
        connection = sqlite3.connect(
            str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=30000")
        saver = QueuedSqliteSaver(connection, sqlite_writer(path))
        saver.setup()
        return saver, connection.close
    if url.startswith("postgresql"):
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        pool: ConnectionPool[Any] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max(1, pool_size),
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
            # a connection the server dropped (a restart) is replaced before use, not handed out
            check=ConnectionPool.check_connection,
            open=True,
        )
        pg_saver = PostgresSaver(pool)  # type: ignore[arg-type]
        # The saver holds one lock around every use of its connection, needed when that is a
        # single connection; from a pool each thread gets a connection of its own, and the lock
        # would only queue every chat turn's checkpoint behind another's, round trips included.
        pg_saver.lock = _NoLock()  # type: ignore[assignment]
        pg_saver.setup()
        return pg_saver, pool.close
    raise ValueError(f"no checkpointer for database URL {url!r}")
