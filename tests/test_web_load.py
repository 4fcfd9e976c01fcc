"""The web process under concurrent load: the event loop stays free, the pool never runs dry.

Each test runs a real uvicorn on 127.0.0.1 in a thread, is bounded in count and time, and
checks outcomes by ordering and counts, never by timing thresholds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine

from bot.web.app import create_app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.db import normalize_url
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tools.accept_photo import sample_jpeg

NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
SECRET = "test-secret"
SUPPLIERS = [
    {
        "id": "acme",
        "name": "Acme Home Goods",
        "country": "US",
        "return_address": "Acme Returns, 10 Main St, Fresno, CA 93650, US",
    }
]
CHAT_SCRIPT = (
    "hi, I need to return something",
    "order {n}",
    "c{n}@example.com",
    "the mug arrived cracked, store credit please",
    "yes",
)


def orders(count: int) -> list[dict[str, Any]]:
    return [
        {
            "number": str(n),
            "email": f"c{n}@example.com",
            "country": "US",
            "placed_at": "2026-03-01T10:00:00Z",
            "delivered_at": "2026-03-05T10:00:00Z",
            "items": [
                {"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"}
            ],
        }
        for n in range(10_000, 10_000 + count)
    ]


def make_desk(url: str, count: int, **options: Any) -> ReturnsDesk:
    store = store_from_data({"photo_required_reasons": []}, SUPPLIERS)
    desk = ReturnsDesk(url, store, FrozenClock(NOW), **options)
    with desk.session() as session:
        import_orders(session, orders_from_data(orders(count), "test", store), "USD")
    return desk


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """uvicorn on a free loopback port, with its lifespan (it sizes the thread pool)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


class Gate:
    """Stands in for a slow desk call: counts who is inside and holds them until released."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.inside = 0
        self.most_inside = 0
        self.finished = 0
        self.changed = threading.Condition()
        self.release = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.changed:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.changed.notify_all()
        # Bounded: a blocked event loop cannot release us, so give up after a while.
        self.release.wait(timeout=3)
        try:
            return self.real(*args, **kwargs)
        finally:
            with self.changed:
                self.inside -= 1
                self.finished += 1
                self.changed.notify_all()

    def wait_inside(self, count: int, timeout: float = 10) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.inside >= count, timeout=timeout)


def slow_posts_leave_healthz_free(
    url: str, gate: Gate, threads: int, post: Callable[[httpx.Client, int], httpx.Response]
) -> None:
    """``threads`` + 2 slow posts at once: the pool runs ``threads`` of them together and
    /healthz answers while all of them still wait."""
    statuses: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            status = post(client, i).status_code
        with lock:
            statuses.append(status)

    posts = [threading.Thread(target=one, args=(i,)) for i in range(threads + 2)]
    for thread in posts:
        thread.start()
    try:
        all_running = gate.wait_inside(threads)
        with httpx.Client(base_url=url, timeout=30) as client:
            health = client.get("/healthz")
        finished_before_health = gate.finished
    finally:
        gate.release.set()
        for thread in posts:
            thread.join(timeout=30)
    assert all_running, f"only {gate.most_inside} of {threads} slow posts ran at once"
    assert health.status_code == 200
    assert finished_before_health == 0, "/healthz waited for the slow posts"
    # the thread pool is the configured size: no more desk calls at once than threads
    assert gate.most_inside == threads
    assert sorted(set(statuses)) == [201] or sorted(set(statuses)) == [200], statuses


def test_slow_return_forms_leave_the_event_loop_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = 3
    desk = make_desk(f"sqlite:///{tmp_path}/web.db", threads + 2)
    gate = Gate(desk.submit_return)
    monkeypatch.setattr(desk, "submit_return", gate)

    def post(client: httpx.Client, i: int) -> httpx.Response:
        n = 10_000 + i
        form = {"order": str(n), "email": f"c{n}@example.com", "sku": "MUG-1"}
        return client.post("/api/returns", json={**form, "reason": "changed_mind"})

    try:
        with serving(create_app(desk, SECRET, threads=threads)) as url:
            slow_posts_leave_healthz_free(url, gate, threads, post)
    finally:
        desk.close()


def test_slow_photo_uploads_leave_the_event_loop_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = 3
    desk = make_desk(f"sqlite:///{tmp_path}/web.db", threads + 2)
    photo = sample_jpeg()
    try:
        with serving(create_app(desk, SECRET, threads=threads)) as url:
            links = []
            with httpx.Client(base_url=url, timeout=30) as client:
                for i in range(threads + 2):
                    n = 10_000 + i
                    form = {"order": str(n), "email": f"c{n}@example.com", "sku": "MUG-1"}
                    body = client.post("/api/returns", json={**form, "reason": "changed_mind"})
                    payload = body.raise_for_status().json()
                    links.append((payload["case"]["code"], payload["token"]))
            gate = Gate(desk.add_photo)
            monkeypatch.setattr(desk, "add_photo", gate)

            def post(client: httpx.Client, i: int) -> httpx.Response:
                code, token = links[i]
                return client.post(
                    f"/api/cases/{code}/photos",
                    params={"token": token},
                    files={"photo": ("p.jpg", photo, "image/jpeg")},
                )

            slow_posts_leave_healthz_free(url, gate, threads, post)
    finally:
        desk.close()


def chat_sessions_over_http(url: str, sessions: int) -> list[str]:
    """``sessions`` customers chatting at once, each to a new case; returns the errors."""
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(sessions)

    def customer(i: int) -> None:
        n = 10_000 + i
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                start.wait(timeout=30)
                opened = client.post("/api/chat/sessions").raise_for_status()
                sid = opened.json()["session"]
                for text in CHAT_SCRIPT:
                    client.post(
                        f"/api/chat/sessions/{sid}/messages", json={"text": text.format(n=n)}
                    ).raise_for_status()
        except Exception as error:  # counted: the assertion shows them all
            with lock:
                errors.append(f"session {i}: {type(error).__name__}: {error}")

    customers = [threading.Thread(target=customer, args=(i,)) for i in range(sessions)]
    for thread in customers:
        thread.start()
    for thread in customers:
        thread.join(timeout=120)
    return errors


@pytest.mark.postgres
def test_thirty_chat_sessions_on_a_small_postgres_pool(
    tmp_path: Path,
    database_factory: Callable[[str, Path], contextlib.AbstractContextManager[str]],
) -> None:
    """A chat turn that opens a case takes the chat lock and then the case lock; each lock
    lives on the connection the turn works on, so 8 threads share 4 connections without
    one thread holding a connection while it waits for another."""
    sessions = 30
    with database_factory("postgresql", tmp_path) as url:
        engine = create_engine(normalize_url(url), pool_size=4, max_overflow=0, pool_timeout=20)
        desk = make_desk(url, sessions, engine=engine)
        try:
            with serving(create_app(desk, SECRET, threads=8)) as served:
                errors = chat_sessions_over_http(served, sessions)
            assert errors == []
            opened = [len(desk.cases_for_order(str(10_000 + i))) for i in range(sessions)]
            assert opened == [1] * sessions
        finally:
            desk.close()


@pytest.mark.postgres
def test_a_chat_turn_that_opens_a_case_needs_one_pooled_connection(
    tmp_path: Path,
    database_factory: Callable[[str, Path], contextlib.AbstractContextManager[str]],
) -> None:
    """The chat lock, the case lock and the work under them share one connection: a pool of
    one is enough for a whole conversation that ends in a new case."""
    from graph.chat_graph import CustomerChat

    with database_factory("postgresql", tmp_path) as url:
        engine = create_engine(normalize_url(url), pool_size=1, max_overflow=0, pool_timeout=5)
        desk = make_desk(url, 1, engine=engine)
        try:
            chat = CustomerChat(desk, "offline")
            session_id = chat.open_session()
            for text in CHAT_SCRIPT:
                chat.say(session_id, text.format(n=10_000))
            assert len(desk.cases_for_order("10000")) == 1
        finally:
            desk.close()


def test_sqlite_writers_of_a_process_queue_on_one_lock(tmp_path: Path) -> None:
    """Ledger transactions and checkpoint writes on one SQLite file take the same lock of the
    process, and every way out of a transaction gives it back."""
    from sqlalchemy import text

    from ledger.db import sqlite_writer

    desk = make_desk(f"sqlite:///{tmp_path}/web.db", 1)
    writer = sqlite_writer(tmp_path / "web.db")
    try:
        assert getattr(desk.checkpointer, "writer", None) is writer
        with desk.session() as session:
            session.execute(text("select 1"))
            assert not writer.acquire_nowait()
        assert writer.acquire_nowait()
        writer.release()
        with pytest.raises(RuntimeError), desk.session() as session:
            session.execute(text("select 1"))
            raise RuntimeError("the work failed")
        assert writer.acquire_nowait()
        writer.release()
    finally:
        desk.close()
