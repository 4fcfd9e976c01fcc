"""The database's health as the web app sees it: is it reachable and writable, and is an
error the database's own trouble (down, locked, read-only, full) rather than a bug.

Such errors answer ``503`` with ``Retry-After``: the same request can be sent again once the
database is back, and the app needs no restart for that (the pools check their connections
before use, and a lost connection empties the pool).
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ledger.db import sqlite_path

RETRY_AFTER_SECONDS = 5
# SQLSTATE classes of a database that is down or cannot take writes: connection exception,
# insufficient resources (disk full), operator intervention (shutting down), and
# read-only transaction.
_TROUBLE_SQLSTATE_CLASSES = ("08", "53", "57")
_TROUBLE_SQLSTATES = ("25006",)


def _sqlstate(error: BaseException) -> str:
    return str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")


def is_database_trouble(error: BaseException) -> bool:
    """True when ``error`` says the database is unavailable, not that the request is wrong."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError):
        error = error.orig if error.orig is not None else error
    if isinstance(error, sqlite3.OperationalError):
        return True
    state = _sqlstate(error)
    if state[:2] in _TROUBLE_SQLSTATE_CLASSES or state in _TROUBLE_SQLSTATES:
        return True
    try:
        import psycopg
        import psycopg_pool
    except ImportError:  # pragma: no cover - both are dependencies
        return False
    return isinstance(error, psycopg.OperationalError | psycopg_pool.PoolTimeout)


def lost_connection(error: BaseException) -> bool:
    return bool(getattr(error, "connection_invalidated", False)) or _sqlstate(
        getattr(error, "orig", None) or error
    ).startswith("08")


def check_database(engine: Engine) -> str | None:
    """One cheap round trip; None when the database answers and takes writes, else why not.

    It uses a bare DBAPI connection, so on SQLite it takes no write lock (the app's own
    transactions begin with ``BEGIN IMMEDIATE``) and never waits behind a writer.
    """
    try:
        connection: Any = engine.raw_connection()
    except Exception as error:
        return f"the database cannot be reached ({type(error).__name__})"
    try:
        cursor = connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only")
            read_only = bool(cursor.fetchone()[0])
        else:
            cursor.execute("SELECT current_setting('transaction_read_only')")
            read_only = cursor.fetchone()[0] == "on"
        cursor.close()
    except Exception as error:
        connection.invalidate()  # a broken connection goes, not back into the pool
        return f"the database does not answer ({type(error).__name__})"
    finally:
        connection.close()
    path = sqlite_path(str(engine.url))
    if path is not None and not os.access(path, os.W_OK):
        read_only = True
    return "the database is read-only" if read_only else None
