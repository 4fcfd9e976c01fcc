"""The worker: fires due timers, delivers the outbox, finishes interrupted cases."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from graph.desk import ReturnsDesk
from graph.weekly_digest import KIND as DIGEST
from graph.weekly_digest import queue_digest
from ledger import outbox
from ledger.db import transaction
from ledger.models import OutboxRow

if TYPE_CHECKING:
    from bot.slack.outbox import SlackOutbox

log = logging.getLogger("returnbridge.worker")


# How long a claimed message stays with its worker: longer than one send can take (SMTP and
# Slack time out well before). A worker that died mid-send leaves it to the next after that.
OUTBOX_LEASE = dt.timedelta(minutes=5)
# Messages claimed and marked in one transaction when none of them leaves the installation.
LOCAL_BATCH = 10


def deliver_outbox(
    desk: ReturnsDesk,
    limit: int = 50,
    slack: SlackOutbox | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Hand queued messages to their channel; returns how many were tried.

    Each message is claimed in a short transaction (a lease, so no second worker sends
    it), sent outside any transaction, and marked in another short one: a hung SMTP or
    Slack server never holds the database. Locally (no Slack, no SMTP) messages are kept for
    the returns page and the supplier inbox, and marked delivered. With Slack, supplier
    messages go to the case's thread and owner alerts to the owner channel, and a new owner
    inbox item is e-mailed to the owner unless Slack's owner channel has it; a failed send
    stays queued for the next round, and counts towards a "service failing" inbox item.
    On SQLite, when nothing leaves the installation, up to ``LOCAL_BATCH`` messages are
    claimed and marked in one transaction. ``stop`` ends the round between two messages
    (two batches).
    """
    from bot.customer_mail import (
        mail_customer,
        mail_owner,
        mailer_from_settings,
        post_to_chat,
        send_text_message,
        sms_from_settings,
    )
    from tools.one_time_codes import KIND as SIGN_IN_CODE
    from tools.one_time_codes import SMS, forget_code
    from tools.owner_inbox import service_failed
    from tools.sms import LocalSms

    mailer = mailer_from_settings()  # customer e-mail over SMTP when RETURNBRIDGE_SMTP_URL is set
    sms = sms_from_settings()  # text messages: kept here (and in a file) unless a sender is set
    owner_by_mail = slack is None or not slack.owner_channel

    def sent_away(row: OutboxRow) -> bool:
        """Did the message leave this installation (so its copy here is no longer needed)?"""
        if row.channel == outbox.CUSTOMER:
            return mailer is not None and "@" in row.recipient
        return row.channel == SMS and not (isinstance(sms, LocalSms) and sms.path is None)

    # Nothing leaves this installation (no SMTP, no Slack, no text-message sender): a
    # "delivery" is a mark in the database, so on SQLite a batch of messages is claimed,
    # posted to its chat and marked in one transaction. Under load that is one write instead
    # of two per message, each of which takes the file's one write lock from the web
    # process (whose writers then wait in SQLite's busy handler, polling with sleeps). On
    # PostgreSQL writers only wait for the rows they share: a long transaction holding the
    # chat sessions of a whole batch would keep their turns waiting, so each stays short.
    local = (
        desk.engine.dialect.name == "sqlite"
        and mailer is None
        and slack is None
        and isinstance(sms, LocalSms)
        and sms.path is None
    )

    def send(row: OutboxRow) -> tuple[str | None, str]:
        """Hand one claimed message to its channel: (the error, if any; the service)."""
        error: str | None = None
        service = "outbox"
        try:
            if row.channel == outbox.CUSTOMER:
                service = "e-mail"
                error = mail_customer(row, mailer)
            elif row.channel == SMS:
                service = "sms"
                error = send_text_message(row, sms)
            elif row.channel == outbox.OWNER and (
                row.kind == DIGEST or ((row.payload or {}).get("inbox") and owner_by_mail)
            ):  # the weekly digest is e-mail even with Slack on
                service = "e-mail"
                error = mail_owner(row, mailer)
            elif slack is not None and not slack.deliver(desk.sessions, row):
                service = "slack"
                error = row.last_error or "slack delivery failed"
        except Exception as failure:  # one bad message never stops the round
            log.exception("outbox message %s failed", row.idempotency_key)
            error = f"{type(failure).__name__}: {failure}"[:500]
            service = "outbox"
        return error, service

    def mark(session: Session, row: OutboxRow, error: str | None) -> None:
        if row.channel == outbox.CUSTOMER:
            post_to_chat(session, row)
        finished = outbox.finish(
            session,
            row.id,
            worker=desk.worker_id,
            delivered_at=desk.clock.now() if error is None else None,
            error=error if error is not None else row.last_error,
        )
        if finished and error is None and row.kind == SIGN_IN_CODE and sent_away(row):
            forget_code(session, row.id)

    tried: set[int] = set()
    failed: dict[str, str] = {}  # service -> last error, counted once per round

    def claim(session: Session) -> OutboxRow | None:
        return outbox.claim_next(
            session, worker=desk.worker_id, now=desk.clock.now(), lease=OUTBOX_LEASE, skip=tried
        )

    def attempt(row: OutboxRow) -> str | None:
        tried.add(row.id)
        row.last_error = None  # a detached copy: only what this attempt says is kept
        error, service = send(row)
        if error is not None:
            failed[service] = error
        return error

    while len(tried) < limit and (stop is None or not stop.is_set()):
        if local:
            with transaction(desk.sessions) as session:
                batch = 0
                while batch < LOCAL_BATCH and len(tried) < limit:
                    row = claim(session)
                    if row is None:
                        break
                    batch += 1
                    # nothing leaves the installation: no I/O inside the transaction
                    mark(session, row, attempt(row))
            if batch < LOCAL_BATCH:
                break
            continue
        with transaction(desk.sessions) as session:
            row = claim(session)
        if row is None:
            break
        error = attempt(row)
        with transaction(desk.sessions) as session:
            mark(session, row, error)
    if failed:
        with transaction(desk.sessions) as session:
            for service, error in failed.items():
                service_failed(desk.context(session), service, error)
    return len(tried)


def run_once(
    desk: ReturnsDesk, slack: SlackOutbox | None = None, stop: threading.Event | None = None
) -> dict[str, int]:
    """One round: finish interrupted cases, fire due timers, deliver the outbox. A case that
    fails is quarantined and a message that fails stays queued; the round goes on."""
    return {
        "orphans": desk.resume_orphans(stop),
        "timers": desk.fire_due_timers(stop=stop),
        "outbox": deliver_outbox(desk, slack=slack, stop=stop),
    }


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT ask the worker to stop: it finishes the item in hand (a send ends
    at the latest with its time-out) and exits cleanly. Only the main thread can listen."""
    if threading.current_thread() is not threading.main_thread():
        return

    def ask_to_stop(signum: int, _frame: object) -> None:
        log.info("worker: %s received, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)


def run_forever(
    desk: ReturnsDesk,
    interval: float,
    stop: threading.Event | None = None,
    slack: SlackOutbox | None = None,
) -> None:
    stop = stop or threading.Event()
    stop_on_signals(stop)
    log.info("worker %s started", desk.worker_id)
    while not stop.is_set():
        started = time.monotonic()
        try:
            # once a week has ended its digest is queued (once: the outbox key names the week)
            if queue_digest(desk):
                log.info("worker: weekly digest queued for the owner")
            done = run_once(desk, slack, stop)
            if any(done.values()):
                log.info("worker: %s", done)
        except Exception:  # keep the loop alive (a database that is down comes back)
            log.exception("worker round failed")
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
    log.info("worker %s stopped", desk.worker_id)
