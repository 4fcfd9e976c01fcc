"""The owner's weekly digest e-mail: last week's returns and money, and what waits.

A week runs Monday 00:00 to Monday 00:00 UTC. Once a week has ended, the worker queues its
digest for ``owner_email`` in the outbox under a key named after that week
(``weekly_digest:2026-W10``). The outbox keeps one message per key, so a restarted worker,
a second worker or ``returnbridge digest --send`` never queue the same week twice.

The digest says: cases opened and closed that week, money refunded and store credit issued,
supplier credit still owed and overdue now (per supplier), the week's top return reasons,
and the items waiting for the owner.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from graph.desk import ReturnsDesk
from graph.owner_inbox import open_inbox
from graph.supplier_money import supplier_scorecards
from ledger import journal, outbox
from ledger.models import CaseRow, DecisionRow, JournalEntryRow, JournalLineRow, OutboxRow
from policies.money import Money

KIND = "weekly_digest"
CLOSING = ("case_closed", "case_denied", "case_cancelled")
TOP_REASONS = 3
ITEMS_LISTED = 10

# The last week each desk (worker process) knows is queued: the worker asks the database
# again only when a new week has ended, not on every round.
_known: weakref.WeakKeyDictionary[ReturnsDesk, str] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Week:
    start: dt.datetime  # a Monday, 00:00 UTC
    end: dt.datetime  # the next Monday

    @property
    def key(self) -> str:
        year, number, _ = self.start.isocalendar()
        return f"{KIND}:{year}-W{number:02d}"

    @property
    def name(self) -> str:
        year, number, _ = self.start.isocalendar()
        last = self.end - dt.timedelta(days=1)
        return f"week {number} of {year} ({self.start:%d %b} to {last:%d %b})"


def last_full_week(now: dt.datetime) -> Week:
    """The most recent week that has ended by ``now``."""
    today = now.astimezone(dt.UTC).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    end = dt.datetime.combine(this_monday, dt.time(), dt.UTC)
    return Week(start=end - dt.timedelta(days=7), end=end)


def digest_text(desk: ReturnsDesk, week: Week) -> str:
    """The digest of one week, as the e-mail's plain text."""
    currency = desk.store.policy.currency

    def money(minor: int) -> str:
        return f"{Money(minor=minor, currency=currency).amount_str()} {currency}"

    with desk.session() as session:
        opened = list(
            session.execute(
                select(CaseRow).where(
                    CaseRow.created_at >= week.start, CaseRow.created_at < week.end
                )
            ).scalars()
        )
        closed = int(
            session.execute(
                select(func.count(func.distinct(DecisionRow.case_code))).where(
                    DecisionRow.action.in_(CLOSING),
                    DecisionRow.at >= week.start,
                    DecisionRow.at < week.end,
                )
            ).scalar_one()
        )

        def paid(account: str) -> int:
            total = session.execute(
                select(func.coalesce(func.sum(JournalLineRow.amount_minor), 0))
                .join(JournalEntryRow, JournalLineRow.entry_id == JournalEntryRow.id)
                .where(
                    JournalLineRow.account == account,
                    JournalEntryRow.at >= week.start,
                    JournalEntryRow.at < week.end,
                )
            ).scalar_one()
            return -int(total)

        refunded = paid(journal.CUSTOMER_PAYMENTS)
        credited = paid(journal.STORE_CREDIT_LIABILITY)
    reasons: Counter[str] = Counter()
    for case in opened:
        reasons[case.reason] += case.quantity
    cards = supplier_scorecards(desk)
    waiting = open_inbox(desk)

    lines = [
        f"{desk.store.policy.name}: your returns for {week.name}",
        "",
        f"Cases opened: {len(opened)}",
        f"Cases closed: {closed}",
        f"Money refunded: {money(refunded)}",
        f"Store credit issued: {money(credited)}",
        "",
        f"Supplier credit owed now: {money(sum(c.credit_owed_minor for c in cards))}",
        f"Supplier credit overdue now: {money(sum(c.credit_overdue_minor for c in cards))}",
    ]
    for card in cards:
        if card.credit_owed_minor or card.credit_overdue_minor:
            lines.append(
                f"  {card.name}: owes {money(card.credit_owed_minor)}, "
                f"overdue {money(card.credit_overdue_minor)}"
            )
    lines += ["", "Top return reasons this week:"]
    if reasons:
        lines += [
            f"  {reason.replace('_', ' ')}: {units} unit{'s' if units != 1 else ''}"
            for reason, units in reasons.most_common(TOP_REASONS)
        ]
    else:
        lines.append("  none")
    lines += ["", f"Waiting for you: {len(waiting)}"]
    for item in waiting[:ITEMS_LISTED]:
        where = item.case or (f"order {item.order}" if item.order else "")
        lines.append(f"  {item.kind.replace('_', ' ')} {where}: {item.summary}"[:300])
    if len(waiting) > ITEMS_LISTED:
        lines.append(f"  and {len(waiting) - ITEMS_LISTED} more on the owner desk")
    return "\n".join(lines) + "\n"


def queue_digest(desk: ReturnsDesk, week: Week | None = None) -> bool:
    """Queue the digest of ``week`` (default: the last one that ended) unless it already is.
    True when this call queued it."""
    week = week or last_full_week(desk.clock.now())
    if _known.get(desk) == week.key:
        return False
    with desk.session() as session:
        if _queued(session, week):
            _known[desk] = week.key
            return False
    text = digest_text(desk, week)
    try:
        with desk.session() as session:
            if _queued(session, week):
                return False
            outbox.enqueue(
                session,
                key=week.key,
                at=desk.clock.now(),
                case_code=None,
                channel=outbox.OWNER,
                recipient=desk.store.policy.owner_email,
                kind=KIND,
                text=text,
                payload={"subject": f"ReturnBridge weekly digest: {week.name}"},
            )
    except IntegrityError:  # another worker queued the same week at the same moment
        return False
    _known[desk] = week.key
    return True


def _queued(session: Session, week: Week) -> bool:
    found = session.execute(
        select(OutboxRow.id).where(OutboxRow.idempotency_key == week.key)
    ).first()
    return found is not None
