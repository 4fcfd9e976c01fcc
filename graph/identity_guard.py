"""The guessing throttle around every order number and e-mail check (``tools.guess_throttle``).

``guessing_guard`` wraps a check made by the web routes: it refuses while throttled, and counts
an ``IdentityError`` in its own transaction (the check's own transaction rolls back with the
error). ``count_failure`` counts inside a transaction that commits (the chat records its
failures that way). Either tells the owner once when a count reaches its limit.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

from sqlalchemy.orm import Session

from graph.desk import ReturnsDesk
from ledger import decisions
from tools import guess_throttle
from tools.errors import IdentityError
from tools.notify import notify_owner

WHAT = {"client": "from the address", "order": "for order number"}


def refuse_if_guessing(desk: ReturnsDesk, session: Session, order_number: str) -> None:
    guess_throttle.check(
        session, desk.clock.now(), order_number, guess_throttle.current_client.get()
    )


def count_failure(desk: ReturnsDesk, session: Session, order_number: str, source: str) -> None:
    now = desk.clock.now()
    client = guess_throttle.current_client.get()
    bursts = guess_throttle.record_failure(session, now, order_number, client, source)
    if not bursts:
        return
    limit = guess_throttle.FAILURES_ALLOWED
    minutes = int(guess_throttle.WINDOW.total_seconds() // 60)
    where = " and ".join(f"{WHAT[b.scope]} {b.subject}" for b in bursts)
    notify_owner(
        desk.context(session),
        None,
        "identity_guessing",
        f"{limit} order number and e-mail pairs that did not match were tried {where} within "
        f"{minutes} minutes (last on the {source}). Checks there are paused for {minutes} "
        "minutes; nothing was revealed.",
        {"bursts": [[b.scope, b.subject] for b in bursts], "source": source},
        key_suffix=":" + _burst_key(now.isoformat(), bursts),
    )
    decisions.append(
        session,
        at=now,
        case_code=None,
        actor="system",
        action="owner_alerted",
        data={"guessing": [[b.scope, b.subject] for b in bursts], "source": source},
        reason="too many order number and e-mail pairs that did not match",
    )


def _burst_key(at: str, bursts: list[guess_throttle.Burst]) -> str:
    said = at + "|" + ",".join(f"{b.scope}={b.subject}" for b in bursts)
    return hashlib.sha256(said.encode()).hexdigest()[:24]


@contextlib.contextmanager
def guessing_guard(desk: ReturnsDesk, order_number: str, source: str) -> Iterator[None]:
    """Around a check: refused while throttled; a pair that did not match is counted."""
    with desk.session() as session:
        refuse_if_guessing(desk, session, order_number)
    try:
        yield
    except IdentityError:
        with desk.session() as session:
            count_failure(desk, session, order_number, source)
        raise
