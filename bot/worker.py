"""The worker: fires due timers, delivers the outbox, finishes interrupted cases."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import TYPE_CHECKING

from graph.desk import ReturnsDesk
from ledger import outbox
from ledger.db import transaction

if TYPE_CHECKING:
    from bot.slack_outbox import SlackOutbox

log = logging.getLogger("returnbridge.worker")


def deliver_outbox(desk: ReturnsDesk, limit: int = 50, slack: SlackOutbox | None = None) -> int:
    """Hand queued messages to their channel. Locally (no Slack, no SMTP) they are kept for
    the returns page and the supplier inbox, and marked delivered. With Slack, supplier
    messages go to the case's thread and owner alerts to the owner channel; a failed post
    stays queued for the next round."""
    from bot.customer_mail import deliver_to_customer, deliver_to_owner, mailer_from_settings

    mailer = mailer_from_settings()  # customer e-mail over SMTP when RETURNBRIDGE_SMTP_URL is set
    with transaction(desk.sessions) as session:
        rows = outbox.claim_undelivered(session, limit)
        failed: dict[str, str] = {}  # service -> last error, counted once per round
        for row in rows:
            row.attempts += 1
            if row.channel == outbox.CUSTOMER and not deliver_to_customer(session, row, mailer):
                failed["e-mail"] = row.last_error or "delivery failed"
                continue
            # a new inbox item reaches the owner by e-mail unless Slack's owner channel has it
            owner_by_mail = slack is None or not slack.owner_channel
            if (
                row.channel == outbox.OWNER
                and (row.payload or {}).get("inbox")
                and owner_by_mail
                and not deliver_to_owner(row, mailer)
            ):
                failed["e-mail"] = row.last_error or "delivery failed"
                continue
            if slack is not None and not slack.deliver(session, row):
                failed["slack"] = row.last_error or "delivery failed"
                continue
            row.delivered_at = desk.clock.now()
        if failed:
            from tools.owner_inbox import service_failed

            # a round with failed deliveries counts towards a "service failing" inbox item
            for service, error in failed.items():
                service_failed(desk.context(session), service, error)
        return len(rows)


def run_once(desk: ReturnsDesk, slack: SlackOutbox | None = None) -> dict[str, int]:
    return {
        "orphans": desk.resume_orphans(),
        "timers": desk.fire_due_timers(),
        "outbox": deliver_outbox(desk, slack=slack),
    }


def run_forever(
    desk: ReturnsDesk,
    interval: float,
    stop: threading.Event | None = None,
    slack: SlackOutbox | None = None,
) -> None:
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log.info("worker %s started", desk.worker_id)
    while not stop.is_set():
        started = time.monotonic()
        try:
            done = run_once(desk, slack)
            if any(done.values()):
                log.info("worker: %s", done)
        except Exception:  # keep the loop alive; the failed item is retried next round
            log.exception("worker round failed")
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
