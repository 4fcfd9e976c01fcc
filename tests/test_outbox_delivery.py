"""Outbox delivery never holds the database while it talks to SMTP, stops cleanly on SIGTERM,
sends each message once, and a resend after a crash carries the same Message-ID."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from bot import customer_mail
from bot.settings import get_settings
from bot.web.app import create_app
from bot.worker import LOCAL_BATCH, deliver_outbox
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import outbox
from ledger.models import OutboxRow
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests.chat.test_customer_mail import Inbox, smtp_server  # noqa: F401 (a fixture)
from tests.conftest import NOW, ORDERS, make_store
from tests.test_worker import ROOT, _store_folder
from tools.open_case import ReturnRequest

LAMP = ReturnRequest(order="1001", email="ana@example.com", sku="LAMP-1", reason="changed_mind")
MUG_FORM = {"order": "1001", "email": "ana@example.com", "sku": "MUG-1", "reason": "changed_mind"}


class HungSmtpServer:
    """A socket on 127.0.0.1 that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)
            self.connected.set()

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()  # the client reads EOF and gives up at once
        self._thread.join(5)


@pytest.fixture
def hung_smtp() -> Iterator[HungSmtpServer]:
    server = HungSmtpServer()
    try:
        yield server
    finally:
        server.close()


@contextlib.contextmanager
def smtp_settings(monkeypatch: pytest.MonkeyPatch, **values: str) -> Iterator[None]:
    for name, value in values.items():
        monkeypatch.setenv(f"RETURNBRIDGE_{name.upper()}", value)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()


def _desk(url: str, clock: FrozenClock | None = None) -> ReturnsDesk:
    store = make_store({"return_label_cost": "7.50"})
    desk = ReturnsDesk(url, store, clock)
    with desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "test", store), store.policy.currency)
    return desk


@pytest.fixture
def sqlite_desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    desk = _desk(f"sqlite:///{tmp_path / 'outbox.db'}", FrozenClock(NOW))
    yield desk
    desk.close()


def test_a_hung_smtp_server_does_not_hold_the_database(
    sqlite_desk: ReturnsDesk, hung_smtp: HungSmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = sqlite_desk
    desk.submit_return(LAMP)  # queues the customer's first e-mails
    with smtp_settings(
        monkeypatch, smtp_url=f"smtp://127.0.0.1:{hung_smtp.port}", smtp_timeout_seconds="30"
    ):
        worker = threading.Thread(target=deliver_outbox, args=(desk,), daemon=True)
        worker.start()
        try:
            assert hung_smtp.connected.wait(20), "the worker never reached the SMTP server"
            started = time.monotonic()
            response = TestClient(create_app(desk, "test-secret")).post(
                "/api/returns", json=MUG_FORM
            )
            took = time.monotonic() - started
        finally:
            hung_smtp.close()
            worker.join(40)
    assert response.status_code == 201, response.text
    assert took < 5, f"the form waited {took:.1f} s for the worker's SMTP call"
    assert not worker.is_alive()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_a_worker_stuck_on_a_hung_smtp_server(
    sqlite_desk: ReturnsDesk, hung_smtp: HungSmtpServer, tmp_path: Path, signum: int
) -> None:
    desk = sqlite_desk
    desk.submit_return(LAMP)
    desk.submit_return(ReturnRequest(**{**MUG_FORM, "reason": "changed_mind"}))
    with desk.session() as session:
        queued = session.execute(
            select(func.count(OutboxRow.id)).where(OutboxRow.channel == outbox.CUSTOMER)
        ).scalar_one()
    assert queued >= 2
    env = {
        **os.environ,
        "RETURNBRIDGE_DATABASE_URL": desk.url,
        "RETURNBRIDGE_STORE_DIR": str(_store_folder(tmp_path / "store")),
        "RETURNBRIDGE_SMTP_URL": f"smtp://127.0.0.1:{hung_smtp.port}",
        "RETURNBRIDGE_SMTP_TIMEOUT_SECONDS": "2",
        "RETURNBRIDGE_WORKER_INTERVAL_SECONDS": "0.1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert hung_smtp.connected.wait(60), "the worker never reached the SMTP server"
        worker.send_signal(signum)
        started = time.monotonic()
        try:
            code = worker.wait(15)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - started
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        stderr = worker.stderr.read().decode() if worker.stderr else ""
    assert code == 0, f"exit {code} after {took:.1f} s\n{stderr[-2000:]}"
    assert took < 10, stderr[-3000:]  # the send in hand times out (2 s), then a clean exit


class KilledAfterSending(Exception):
    """Stands for the process dying between the send and the mark."""


def _mails(inbox: Inbox) -> list[Any]:
    return [message_from_bytes(envelope.content) for envelope in inbox.messages]


def test_each_mail_is_sent_once_and_a_resend_after_a_crash_keeps_its_message_id(
    sqlite_desk: ReturnsDesk,
    smtp_server: tuple[Inbox, int],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = sqlite_desk
    clock = desk.clock
    assert isinstance(clock, FrozenClock)
    inbox, port = smtp_server
    desk.submit_return(LAMP)
    with desk.session() as session:
        keys = [row.idempotency_key for row in outbox.messages(session, channel=outbox.CUSTOMER)]
    assert keys
    finish = outbox.finish
    marks = [0]

    def die_after_the_first_send(*args: Any, **kwargs: Any) -> bool:
        marks[0] += 1
        if marks[0] == 1:
            raise KilledAfterSending
        return finish(*args, **kwargs)

    with smtp_settings(
        monkeypatch, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="Shop <returns@shop.example>"
    ):
        monkeypatch.setattr(outbox, "finish", die_after_the_first_send)
        with pytest.raises(KilledAfterSending):
            deliver_outbox(desk)
        assert len(inbox.messages) == 1  # sent, never marked
        deliver_outbox(desk)  # the next round leaves it to its lease and sends the rest
        assert len(inbox.messages) == len(keys)
        deliver_outbox(desk)  # nothing is sent twice while all goes well
        assert len(inbox.messages) == len(keys)
        clock.advance(dt.timedelta(minutes=10))  # the dead worker's lease runs out
        deliver_outbox(desk)
    mails = _mails(inbox)
    assert len(mails) == len(keys) + 1
    expected = {f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@shop.example>" for key in keys}
    ids = [mail["Message-ID"] for mail in mails]
    assert set(ids) == expected
    assert ids.count(ids[0]) == 2  # the one resend folds into the first mail
    with desk.session() as session:
        rows = outbox.messages(session, channel=outbox.CUSTOMER)
    assert all(row.delivered_at is not None and row.claimed_by is None for row in rows)


def test_two_workers_on_postgresql_never_send_the_same_message(
    tmp_path: Path,
    database_factory,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[str] = []

    class SlowMailer:
        def send(self, row: OutboxRow) -> None:
            time.sleep(0.01)
            sent.append(row.idempotency_key)

    monkeypatch.setattr(customer_mail, "mailer_from_settings", SlowMailer)
    with database_factory("postgresql", tmp_path) as url:
        first, second = _desk(url), ReturnsDesk(url, make_store(), run_migrations=False)
        second.worker_id = first.worker_id + ":second"
        now = dt.datetime.now(dt.UTC)
        with first.session() as session:
            for i in range(40):
                outbox.enqueue(
                    session,
                    key=f"m{i}",
                    at=now,
                    case_code=None,
                    channel=outbox.CUSTOMER,
                    recipient=f"c{i}@example.com",
                    kind="note",
                    text="hello",
                )
        threads = [
            threading.Thread(target=deliver_outbox, args=(desk,), kwargs={"limit": 100})
            for desk in (first, second)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        first.close()
        second.close()
    assert sorted(sent) == sorted(f"m{i}" for i in range(40))


def test_the_same_outbox_message_always_mails_with_the_same_message_id(
    sqlite_desk: ReturnsDesk,
    smtp_server: tuple[Inbox, int],  # noqa: F811
) -> None:
    inbox, port = smtp_server
    sqlite_desk.submit_return(LAMP)
    with sqlite_desk.session() as session:
        row = outbox.messages(session, channel=outbox.CUSTOMER)[0]
    mailer = customer_mail.SmtpMailer(f"smtp://127.0.0.1:{port}", "returns@shop.example")
    mailer.send(row)
    mailer.send(row)
    first, second = _mails(inbox)
    digest = hashlib.sha256(row.idempotency_key.encode()).hexdigest()[:32]
    assert first["Message-ID"] == second["Message-ID"] == f"<{digest}@shop.example>"


def test_messages_that_stay_here_are_claimed_and_marked_in_one_transaction(
    sqlite_desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No SMTP, Slack or text-message sender, on SQLite: a round writes its messages in
    batches (not a claim and a mark each), so the worker takes SQLite's write lock once per
    batch, not twice per message, while the web process writes too."""
    desk = sqlite_desk
    desk.submit_return(LAMP)
    desk.submit_return(ReturnRequest(**{**MUG_FORM, "reason": "changed_mind"}))
    with desk.session() as session:
        queued = len(outbox.messages(session))
    assert queued >= 3
    writes = [0]

    def counted(connection: Any) -> None:
        writes[0] += 1

    for name in ("SMTP_URL", "SMS_FILE", "SMS_SENDER"):
        monkeypatch.delenv(f"RETURNBRIDGE_{name}", raising=False)
    with smtp_settings(monkeypatch):
        event.listen(desk.engine, "begin", counted)
        try:
            assert deliver_outbox(desk) == queued
        finally:
            event.remove(desk.engine, "begin", counted)
    # one write per full batch and one for the last (the one that finds no more)
    assert writes[0] == queued // LOCAL_BATCH + 1 < 2 * queued
    with desk.session() as session:
        rows = outbox.messages(session)
    assert all(row.delivered_at is not None and row.claimed_by is None for row in rows)
