"""Database down, read-only: the API answers 503 with Retry-After, /healthz says so, and the
app recovers by itself when the database is back."""

from __future__ import annotations

import contextlib
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from bot.web.app import create_app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests import pg_server
from tests.conftest import NOW, ORDERS, make_store

LOOKUP = {"order": "1001", "email": "ana@example.com"}
FORM = {"order": "1001", "email": "ana@example.com", "sku": "LAMP-1", "reason": "changed_mind"}


class RestartablePostgres:
    """A throwaway PostgreSQL server of its own that can be stopped and started again on the
    same port (the suite's shared server stays up)."""

    def __init__(self) -> None:
        self.bins = pg_server.find_pg_binaries()
        self.runner = pg_server._Runner.for_current_process()
        self.root = pg_server._make_tempdir(self.runner)
        self.layout = pg_server._Layout.create(self.root, self.runner)
        pg_server._initdb(self.bins, self.layout, self.runner)
        self.port = pg_server._start(self.bins, self.layout, self.runner)
        admin = f"postgresql+psycopg://{pg_server.SUPERUSER}@127.0.0.1:{self.port}/postgres"
        self.url = pg_server.create_database(admin, "returnbridge_down")

    def stop(self) -> None:
        """A clean shutdown: unlike the suite's throw-away stop it keeps what was committed."""
        argv = [self.bins.pg_ctl, "stop", "-m", "fast", "-w", "-t", "60", "-D", self.layout.data]
        result = self.runner.run(argv, self.root)
        assert result.returncode == 0, result.stdout

    def remove(self) -> None:
        pg_server._stop(self.bins, self.layout, self.runner)
        shutil.rmtree(self.root, ignore_errors=True)

    def start(self) -> None:
        options = " ".join(
            [
                "-F",
                f"-p {self.port}",
                "-h 127.0.0.1",
                f"-k {shlex.quote(self.layout.sockets)}",
                "-c fsync=off",
                "-c synchronous_commit=off",
            ]
        )
        argv = [self.bins.pg_ctl, "start", "-w", "-t", "60", "-D", self.layout.data]
        result = self.runner.run([*argv, "-l", self.layout.log, "-o", options], self.root)
        assert result.returncode == 0, result.stdout + self.layout.log_tail()


@pytest.fixture
def own_postgres() -> Iterator[RestartablePostgres]:
    server = RestartablePostgres()
    try:
        yield server
    finally:
        server.remove()


def _desk(url: str) -> ReturnsDesk:
    store = make_store({"return_label_cost": "7.50"})
    desk = ReturnsDesk(url, store, FrozenClock(NOW))
    with desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "test", store), store.policy.currency)
    return desk


def _unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "database_unavailable"
    assert "database" in response.json()["error"]["message"]


def test_postgresql_going_down_answers_503_and_coming_back_needs_no_restart(
    own_postgres: RestartablePostgres,
) -> None:
    desk = _desk(own_postgres.url)
    client = TestClient(create_app(desk, "test-secret"), raise_server_exceptions=False)
    try:
        assert client.get("/healthz").status_code == 200
        assert client.post("/api/returns/lookup", json=LOOKUP).status_code == 200

        own_postgres.stop()
        _unavailable(client.post("/api/returns/lookup", json=LOOKUP))
        _unavailable(client.post("/api/returns", json=FORM))
        health = client.get("/healthz")
        assert health.status_code == 503 and health.headers["Retry-After"]
        assert "database" in health.json()["database"]

        own_postgres.start()
        assert client.get("/healthz").status_code == 200
        assert client.post("/api/returns/lookup", json=LOOKUP).status_code == 200
        opened = client.post("/api/returns", json=FORM)
        assert opened.status_code == 201, opened.text
        assert opened.json()["case"]["status"] == "awaiting_supplier"
    finally:
        with contextlib.suppress(Exception):
            desk.close()


def test_a_read_only_sqlite_database_answers_503(tmp_path: Path) -> None:
    desk = _desk(f"sqlite:///{tmp_path / 'ro.db'}")
    client = TestClient(create_app(desk, "test-secret"), raise_server_exceptions=False)
    assert client.get("/healthz").status_code == 200
    # Read-only as the database sees it (file modes do not bind root, who runs CI here).
    desk.engine.dispose()
    event.listen(
        desk.engine,
        "connect",
        lambda connection, _record: connection.execute("PRAGMA query_only = ON"),
    )
    try:
        _unavailable(client.post("/api/returns", json=FORM))
        assert client.get("/healthz").status_code == 503
    finally:
        desk.close()
