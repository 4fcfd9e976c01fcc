"""Smoke test for the throwaway PostgreSQL helper in tests/pg_server.py."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.pg_server import create_database, drop_database, temporary_postgres


def _select_one(url: str) -> tuple[int, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            one = conn.execute(text("select 1")).scalar_one()
            dbname = conn.execute(text("select current_database()")).scalar_one()
            return int(one), str(dbname)
    finally:
        engine.dispose()


def test_temporary_postgres_roundtrip() -> None:
    with temporary_postgres() as url:
        parsed = make_url(url)
        assert parsed.drivername == "postgresql+psycopg"
        assert parsed.host == "127.0.0.1"
        assert parsed.database == "returnbridge_test"
        assert _select_one(url) == (1, "returnbridge_test")

        other = create_database(url, "returnbridge_test_extra")
        assert make_url(other).database == "returnbridge_test_extra"
        assert make_url(other).port == parsed.port
        assert _select_one(other) == (1, "returnbridge_test_extra")

        drop_database(url, "returnbridge_test_extra")
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(
                host="127.0.0.1",
                port=parsed.port,
                user="postgres",
                dbname="returnbridge_test_extra",
                connect_timeout=5,
            ).close()

    # The server is gone once the block exits.
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            host="127.0.0.1",
            port=parsed.port,
            user="postgres",
            dbname="postgres",
            connect_timeout=2,
        ).close()
