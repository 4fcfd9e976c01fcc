"""LangGraph checkpointers on the same database as the ledger."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver

from ledger.db import BUSY_TIMEOUT_SECONDS, SqliteWriter, normalize_url, sqlite_path, sqlite_writer

log = logging.getLogger(__name__)


class _LastRead:
    """The last checkpoint read of a thread, shared by the nested blocks of one saver."""

    def __init__(self) -> None:
        self.saved: tuple[Any, Any] | None = None


class _Held:
    """One ``one_write`` block of a saver: the writes held until it ends, and the block of the
    same saver it is nested in, if any."""

    def __init__(self, outer: _Held | None) -> None:
        self.outer = outer
        self.writes: list[tuple[str, str, Any]] = []
        self.last_read: _LastRead = outer.last_read if outer is not None else _LastRead()

    def chain(self) -> list[_Held]:
        """This block and the ones it is nested in, outermost first."""
        blocks: list[_Held] = []
        block: _Held | None = self
        while block is not None:
            blocks.append(block)
            block = block.outer
        return blocks[::-1]


class _Recorder:
    """Stands in for the cursor of a write the saver makes inside ``one_write``: it keeps the
    statements for the block's one transaction. The saver's writes only execute."""

    def __init__(self, held: _Held) -> None:
        self._held = held

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self._held.writes.append(("execute", sql, parameters))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._held.writes.append(("executemany", sql, list(rows)))


# The innermost ``one_write`` block of each saver in this context (thread).
_blocks: ContextVar[dict[int, _Held] | None] = ContextVar("checkpoint_blocks", default=None)


class QueuedSqliteSaver(SqliteSaver):
    """A SQLite checkpointer whose writes queue on the file's write lock of this process
    (``ledger.db.SqliteWriter``), with the ledger's own transactions, instead of polling in
    SQLite's busy handler. Reads take no write lock (WAL).

    Inside :meth:`one_write` the checkpoint and the pending writes a graph run saves go to
    the file in one transaction, when the block ends (see there)."""

    def __init__(self, conn: sqlite3.Connection, writer: SqliteWriter) -> None:
        super().__init__(conn)
        self.writer = writer

    def _block(self) -> _Held | None:
        blocks = _blocks.get()
        return blocks.get(id(self)) if blocks else None

    @contextlib.contextmanager
    def cursor(self, transaction: bool = True) -> Iterator[sqlite3.Cursor]:
        held = self._block()
        if held is not None:
            if transaction:  # a write: kept for the block's one transaction
                held.last_read.saved = None
                yield _Recorder(held)  # type: ignore[misc]
                return
            self._write_held(held)  # a read sees what the blocks wrote
        # Write lock first, then the saver's own lock: the order every writer keeps.
        writing = self.writer.hold() if transaction else contextlib.nullcontext()
        with writing, super().cursor(transaction) as cur:
            yield cur

    def get_tuple(self, config: Any) -> Any:
        """The checkpoint; inside ``one_write`` the latest checkpoint of a thread read there
        and not written since is handed out once more without a second read: the desk looks
        at a case's checkpoint before it resumes the graph, which reads it again first."""
        held = self._block()
        latest = "checkpoint_id" not in config["configurable"]
        thread = config["configurable"]["thread_id"]
        if held is not None and latest:
            last = held.last_read.saved
            if last is not None and last[0] == thread:
                held.last_read.saved = None  # once: the graph changes the checkpoint it got
                return last[1]
        saved = super().get_tuple(config)
        if held is not None:
            held.last_read.saved = (thread, saved) if latest else None
        return saved

    @contextlib.contextmanager
    def one_write(self) -> Iterator[None]:
        """Write the checkpoints and pending writes saved in the block in one transaction at
        its end, and read a checkpoint only once there.

        A desk call or a chat turn runs its graph to the next stop and saves a checkpoint
        only there (``durability="exit"``): the checkpoint and its pending writes (the
        interrupt it waits at) were two transactions, two commits under the file's write
        lock, one after the other with nothing between. A read in the block writes what was
        held first, so it sees it. A block nested in another (a desk call made in a chat
        turn) writes what is held when it ends: a case's checkpoint is written before its
        lock is let go. On an error the held writes are written all the same (as the saver
        would have) and the error goes on."""
        blocks = dict(_blocks.get() or {})
        held = blocks[id(self)] = _Held(blocks.get(id(self)))
        token = _blocks.set(blocks)
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            _blocks.reset(token)
            try:
                self._write_held(held)
            except Exception:
                if not failed:
                    raise
                log.exception("could not save the checkpoint of a failed graph run")

    def _write_held(self, held: _Held) -> None:
        """Write what ``held`` and the blocks it is nested in hold, in one transaction."""
        writes: list[tuple[str, str, Any]] = []
        for block in held.chain():
            writes.extend(block.writes)
            block.writes = []
        if not writes:
            return
        with self.writer.hold(), super().cursor(True) as cur:
            for method, sql, parameters in writes:
                getattr(cur, method)(sql, parameters)


def one_write(saver: BaseCheckpointSaver[Any]) -> contextlib.AbstractContextManager[None]:
    """The saver's ``one_write`` block where it has one (SQLite), else nothing."""
    if isinstance(saver, QueuedSqliteSaver):
        return saver.one_write()
    return contextlib.nullcontext()


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
