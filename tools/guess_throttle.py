"""One throttle against guessing order number and e-mail pairs, for every way in.

The returns page's lookup, the returns form and the chat all check a pair; a failure on any of
them counts against the client's address and against the order number tried, in the database
(``ledger.attempt_models``), so fresh chat sessions, another endpoint or another web process
start no new count. Ten failures within fifteen minutes on either count refuse further checks
of that address or that order for fifteen minutes after the last one, right pairs included
(a right pair would otherwise confirm a guess). The caller answers 429 with ``Retry-After``,
or a sentence in the chat; the owner is told once per burst (``graph.identity_guard``).

The client's address comes from the web request (``current_client``, set by the web app for
each request after the trusted-proxy rules); without one (the command line, the worker) only
the order number counts.
"""

from __future__ import annotations

import datetime as dt
import math
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger import attempt_models
from policies.models import normalize_order_number
from tools.errors import ReturnError

FAILURES_ALLOWED = 10
WINDOW = dt.timedelta(minutes=15)

# The address of the client of the web request being handled, if any.
current_client: ContextVar[str | None] = ContextVar("current_client", default=None)


class TooManyAttempts(ReturnError):
    """Checks refused for a while: too many pairs that did not match."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            "For your security, order numbers can't be checked right now: there were too many "
            f"attempts that did not match. Please try again in about {minutes} "
            f"minute{'s' if minutes != 1 else ''}."
        )
        self.retry_after = max(1, retry_after)


@dataclass(frozen=True)
class Burst:
    """A count that has just reached its limit: the owner hears about it once."""

    scope: str
    subject: str
    failures: int


def _subjects(order_number: str, client: str | None) -> list[tuple[str, str]]:
    subjects = [("order", normalize_order_number(order_number or "")[:64] or "-")]
    if client:
        subjects.append(("client", client))
    return subjects


def blocked_for(
    session: Session,
    now: dt.datetime,
    scope: str,
    subject: str,
    *,
    allowed: int = FAILURES_ALLOWED,
    window: dt.timedelta = WINDOW,
) -> int:
    """Seconds until ``subject`` may try again (0: now)."""
    count, latest = attempt_models.recent(session, scope, subject, now - window)
    if count < allowed or latest is None:
        return 0
    return max(0, math.ceil((latest + window - now).total_seconds()))


def check(session: Session, now: dt.datetime, order_number: str, client: str | None) -> None:
    """Refuse (``TooManyAttempts``) while the address or the order is throttled."""
    wait = max(
        blocked_for(session, now, scope, subject)
        for scope, subject in _subjects(order_number, client)
    )
    if wait:
        raise TooManyAttempts(wait)


def record_failure(
    session: Session, now: dt.datetime, order_number: str, client: str | None, source: str
) -> list[Burst]:
    """Count a pair that did not match; the counts that reached the limit with it."""
    attempt_models.prune(session, now)
    bursts = []
    for scope, subject in _subjects(order_number, client):
        attempt_models.add(session, scope=scope, subject=subject, source=source, at=now)
        count, _ = attempt_models.recent(session, scope, subject, now - WINDOW)
        if count == FAILURES_ALLOWED:
            bursts.append(Burst(scope, subject, count))
    return bursts
