"""Fixtures shared by the suite: every storage test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from policies.models import Store
from tests.openai_server import ScriptedOpenAI
from tests.pg_server import create_database, drop_database, temporary_postgres

ENGINES = ["sqlite", "postgresql"]
_names = itertools.count()


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """One throwaway PostgreSQL server per test process."""
    with temporary_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def database_factory(
    request: pytest.FixtureRequest,
) -> Callable[[str, Path], contextlib.AbstractContextManager[str]]:
    """Make a fresh empty database of the given engine: a file or a new PostgreSQL database."""

    @contextlib.contextmanager
    def make(engine: str, folder: Path) -> Iterator[str]:
        if engine == "sqlite":
            yield f"sqlite:///{folder / 'test.db'}"
            return
        admin = request.getfixturevalue("pg_admin_url")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"rb_{worker}_{os.getpid()}_{next(_names)}"
        url = create_database(admin, name)
        try:
            yield url
        finally:
            drop_database(admin, name)

    return make


@pytest.fixture(params=ENGINES)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    database_factory: Callable[[str, Path], contextlib.AbstractContextManager[str]],
) -> Iterator[str]:
    with database_factory(request.param, tmp_path) as url:
        yield url


NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)

SUPPLIERS: list[dict[str, Any]] = [
    {
        "id": "acme",
        "name": "Acme Home Goods",
        "role": "logistical",
        "country": "US",
        "return_address": "Acme Returns, 10 Main St, Fresno, CA 93650, US",
        "rma_required": True,
    },
    {"id": "credit-co", "name": "Credit Co", "role": "financial", "country": "US"},
]

ORDERS: list[dict[str, Any]] = [
    {
        "number": "1001",
        "email": "ana@example.com",
        "customer_name": "Ana Silva",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [
            {"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"},
            {
                "sku": "LAMP-1",
                "name": "Desk lamp",
                "price": "60.00",
                "quantity": 2,
                "supplier": "credit-co",
            },
        ],
    }
]


def make_store(policy: dict[str, Any] | None = None) -> Store:
    return store_from_data(policy or {}, SUPPLIERS, "test")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def desk(database_url: str, clock: FrozenClock) -> Iterator[ReturnsDesk]:
    """A desk on a fresh database (each engine) with order 1001 loaded."""
    store = make_store({"return_label_cost": "7.50"})
    returns_desk = ReturnsDesk(database_url, store, clock)
    with returns_desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "test", store), store.policy.currency)
    yield returns_desk
    returns_desk.close()


@pytest.fixture
def openai_server() -> Iterator[ScriptedOpenAI]:
    """A scripted OpenAI-compatible server on 127.0.0.1 (see tests/openai_server.py)."""
    with ScriptedOpenAI() as server:
        yield server
