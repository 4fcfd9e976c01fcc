"""LangGraph checkpointers on the same database as the ledger."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from ledger.db import normalize_url, sqlite_path


def make_checkpointer(url: str) -> tuple[BaseCheckpointSaver[Any], Callable[[], None]]:
    """A set-up checkpointer for the database URL and a function that closes it."""
    url = normalize_url(url)
    path = sqlite_path(url)
    if path is not None:
        from langgraph.checkpoint.sqlite import SqliteSaver

        connection = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=30000")
        saver = SqliteSaver(connection)
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
            max_size=8,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
            # a connection the server dropped (a restart) is replaced before use, not handed out
            check=ConnectionPool.check_connection,
            open=True,
        )
        pg_saver = PostgresSaver(pool)  # type: ignore[arg-type]
        pg_saver.setup()
        return pg_saver, pool.close
    raise ValueError(f"no checkpointer for database URL {url!r}")
