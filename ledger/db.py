"""Engines, sessions and migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
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
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=30
    )


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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
