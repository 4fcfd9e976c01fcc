"""Engines, sessions and migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_POOL_SIZE = 10
DEFAULT_MAX_OVERFLOW = 5


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def make_engine(
    url: str, *, pool_size: int = DEFAULT_POOL_SIZE, max_overflow: int = DEFAULT_MAX_OVERFLOW
) -> Engine:
    """An engine for the URL. On PostgreSQL, ``pool_size`` + ``max_overflow`` bound the
    connections of this process: size them with the threads that use the engine."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is None:
            raise ValueError("use a SQLite file: the case graph's checkpointer shares it")
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={
                "timeout": BUSY_TIMEOUT_SECONDS,
                "check_same_thread": False,
                "factory": WriterConnection,
            },
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=30,
        )
        _tune_sqlite(engine, sqlite_writer(path))
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=30
    )


BUSY_TIMEOUT_SECONDS = 30


class SqliteWriter:
    """The write lock of one SQLite file, inside this process.

    SQLite lets one connection write at a time; the others wait in SQLite's busy handler,
    which polls with sleeps of up to 100 ms. Under load, threads of one process then wait
    in turns of sleeping while the file is free. Taking this lock first queues them here
    instead, so the next one starts the moment the last one commits; SQLite's busy handler
    is left for other processes (the worker). It waits as long as SQLite's busy timeout and
    then fails the same way.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError("database is locked")

    def acquire_nowait(self) -> bool:
        return self._lock.acquire(blocking=False)

    def release(self) -> None:
        self._lock.release()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


_writers: dict[Path, SqliteWriter] = {}
_writers_guard = threading.Lock()


def sqlite_writer(path: Path) -> SqliteWriter:
    """The one write lock of this process for the SQLite file at ``path``."""
    key = path.resolve()
    with _writers_guard:
        return _writers.setdefault(key, SqliteWriter())


class WriterConnection(sqlite3.Connection):
    """A SQLite connection that gives back its file's :class:`SqliteWriter` when its
    transaction ends (the engine's ``begin`` event takes it)."""

    writer: SqliteWriter | None = None
    holds_writer = False

    def _let_go(self) -> None:
        if self.holds_writer and self.writer is not None:
            self.holds_writer = False
            self.writer.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()


def _tune_sqlite(engine: Engine, writer: SqliteWriter) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.writer = writer
        # Let SQLAlchemy issue BEGIN itself, so each unit of work takes the write lock at
        # once (BEGIN IMMEDIATE) and two processes never interleave a ledger append.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # A reader (see ``reading``): WAL gives it a snapshot without the write lock, so
            # it neither queues behind writers nor holds them up.
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        writer.acquire()
        dbapi_connection.holds_writer = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            # A failed BEGIN may already have rolled the connection back, which gave the
            # writer back: let go only if it is still held.
            dbapi_connection._let_go()
            raise


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_leases = threading.local()


def _leased(engine: Engine) -> Connection | None:
    held: dict[int, Connection] = getattr(_leases, "held", {})
    return held.get(id(engine))


@contextlib.contextmanager
def leased_connection(engine: Engine) -> Iterator[Connection]:
    """Hold one pooled connection for this thread; sessions made meanwhile use it.

    A lock that lives on a connection (a PostgreSQL advisory lock) and the work done under it
    then share that connection: a thread never holds one connection while it waits for
    another, so the pool cannot run dry with every thread half-way through. Nested calls
    in the same thread get the same connection.
    """
    connection = _leased(engine)
    if connection is not None:
        yield connection
        return
    held: dict[int, Connection] = getattr(_leases, "held", None) or {}
    _leases.held = held
    with engine.connect() as connection:
        held[id(engine)] = connection
        try:
            yield connection
        finally:
            del held[id(engine)]


class LeasingSessions(sessionmaker[Session]):
    """A session factory that binds new sessions to the connection this thread has leased
    (see :func:`leased_connection`), and to the engine's pool otherwise."""

    def __call__(self, **local_kw: Any) -> Session:
        engine = self.kw.get("bind")
        if "bind" not in local_kw and isinstance(engine, Engine):
            connection = _leased(engine)
            if connection is not None:
                local_kw["bind"] = connection
        return super().__call__(**local_kw)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return LeasingSessions(engine, expire_on_commit=False)


# The execution option that marks a session's transaction as one that only reads.
READ_ONLY = "returnbridge_read_only"


@contextlib.contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads; nothing written in it is kept.

    On SQLite every other unit of work queues on the file's write lock from its first
    statement (``BEGIN IMMEDIATE``). A reader does not need it: it begins a deferred
    transaction and reads a consistent snapshot while writers go on. On PostgreSQL it is an
    ordinary transaction.
    """
    bind = factory.kw.get("bind")
    sqlite = isinstance(bind, Engine) and bind.dialect.name == "sqlite"
    session = factory(execution_options={READ_ONLY: True}) if sqlite else factory()
    try:
        yield session
    finally:
        # Closing ends the transaction without a commit (no write slips through) and, unlike
        # a rollback, leaves what was read loaded for the caller.
        session.close()


@contextlib.contextmanager
def reading_connection(engine: Engine) -> Iterator[Connection]:
    """A Core connection that only reads, as :func:`reading` is a session that only reads:
    for a look at a few columns, without a session's set-up. The connection this thread
    leased (:func:`leased_connection`) when there is one; what the block began ends there."""
    connection = _leased(engine)
    if connection is not None:
        began = not connection.in_transaction()
        try:
            yield connection
        finally:
            if began and connection.in_transaction():
                connection.rollback()
        return
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.execution_options(**{READ_ONLY: True})
        yield connection  # closing it ends its transaction without a commit


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: everything in it commits together or not at all."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
