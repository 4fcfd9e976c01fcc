"""The append-only, hash-chained decision ledger.

``hash = sha256(prev_hash + canonical JSON of the row)``; the first row chains from
``GENESIS``. Appends lock the single ``ledger_head`` row, so concurrent writers queue up
instead of forking the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.models import DecisionRow, LedgerHead

GENESIS = "0" * 64

ACTIONS = frozenset(
    {
        "case_opened",
        "identity_verified",
        "eligibility_checked",
        "rule_applied",
        "photo_received",
        "review_requested",
        "owner_decision",
        "supplier_authorization_requested",
        "supplier_decision",
        "supplier_reminded",
        "label_generated",
        "shipment_event",
        "inspection_requested",
        "inspection_result",
        "refund_issued",
        "store_credit_issued",
        "replacement_ordered",
        "partial_refund_offered",
        "supplier_credit_recorded",
        "case_denied",
        "case_cancelled",
        "case_closed",
        "timer_fired",
        "rule_created",
        "rule_retired",
        # Added beyond the design's list; never renamed.
        "owner_alerted",
        "action_refused",
        "case_quarantined",
        "supplier_question",
        "handoff_requested",
        "owner_reply",
        "supplier_credit_received",
        "supplier_credit_written_off",
        "marketplace_refund",  # a marketplace refunds its buyer; the desk records, pays nothing
        "refund_capped",
        # a refund no service can pay (cash on delivery): owed until the owner pays it by hand
        "refund_by_hand_requested",
        # Supplier onboarding: the owner sends the link, the supplier accepts its terms, the
        # owner confirms them (and only then the agreement file is written).
        "agreement_invited",
        "agreement_accepted",
        "agreement_confirmed",
        "owner_note",  # the owner's own note on a case, from the case page
    }
)

ACTOR_PREFIXES = ("customer:", "supplier:", "rule:")
ACTORS = frozenset({"owner", "policy", "timer", "system"})


class LedgerError(ValueError):
    pass


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(
    prev_hash: str,
    seq: int,
    at: dt.datetime,
    case_code: str | None,
    actor: str,
    action: str,
    data: str,
    reason: str,
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "at": _stamp(at),
            "case_id": case_code,
            "actor": actor,
            "action": action,
            "data": json.loads(data),
            "reason": reason,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def check_actor(actor: str) -> None:
    if actor in ACTORS or (actor.startswith(ACTOR_PREFIXES) and len(actor.split(":", 1)[1]) > 0):
        return
    raise LedgerError(f"unknown actor {actor!r}")


def append(
    session: Session,
    *,
    at: dt.datetime,
    case_code: str | None,
    actor: str,
    action: str,
    data: dict[str, Any] | None = None,
    reason: str = "",
) -> DecisionRow:
    """Append one decision inside the caller's transaction."""
    if action not in ACTIONS:
        raise LedgerError(f"unknown ledger action {action!r}")
    check_actor(actor)
    head = _locked_head(session)
    text = canonical_json(data or {})
    seq = head.seq + 1
    digest = row_hash(head.hash, seq, at, case_code, actor, action, text, reason)
    row = DecisionRow(
        seq=seq,
        at=at,
        case_code=case_code,
        actor=actor,
        action=action,
        data=text,
        reason=reason,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(row)
    head.seq = seq
    head.hash = digest
    return row


def lock_chain(session: Session) -> None:
    """Take the chain's lock now, so that what is read before the next append (a supplier's
    open credits, say) cannot change under this transaction."""
    _locked_head(session)


def _locked_head(session: Session) -> LedgerHead:
    """The chain's head, locked once per transaction and then kept for its later appends."""
    transaction = session.get_transaction()
    cached = session.info.get("ledger_head")
    if cached is not None and cached[0] is transaction:
        head: LedgerHead = cached[1]
        return head
    query = select(LedgerHead).where(LedgerHead.id == 1).with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        # The very first append: two writers may both find no head. The loser's insert fails
        # inside its savepoint, and it then waits on the winner's row like any other append.
        try:
            with session.begin_nested():
                session.add(LedgerHead(id=1, seq=0, hash=GENESIS))
        except IntegrityError:
            pass
        found = session.execute(query.execution_options(populate_existing=True)).scalar_one()
    session.info["ledger_head"] = (transaction, found)
    return found


@dataclass(frozen=True)
class VerifyReport:
    rows: int
    first_broken: int | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify_rows(rows: Iterable[DecisionRow]) -> VerifyReport:
    prev = GENESIS
    expected_seq = 1
    count = 0
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            return VerifyReport(count, row.seq, f"row {row.seq}: expected seq {expected_seq}")
        if row.prev_hash != prev:
            return VerifyReport(count, row.seq, f"row {row.seq}: prev_hash does not match")
        try:
            digest = row_hash(
                prev,
                row.seq,
                row.at,
                row.case_code,
                row.actor,
                row.action,
                row.data,
                row.reason,
            )
        except json.JSONDecodeError:
            return VerifyReport(count, row.seq, f"row {row.seq}: data is not JSON")
        if digest != row.hash:
            return VerifyReport(count, row.seq, f"row {row.seq}: hash does not match its content")
        prev = row.hash
        expected_seq += 1
    return VerifyReport(count, None)


def verify(session: Session, batch: int = 5000) -> VerifyReport:
    """Walk the whole chain in order; report the first row that breaks it."""

    def rows() -> Iterable[DecisionRow]:
        last = 0
        while True:
            chunk = (
                session.execute(
                    select(DecisionRow)
                    .where(DecisionRow.seq > last)
                    .order_by(DecisionRow.seq)
                    .limit(batch)
                )
                .scalars()
                .all()
            )
            if not chunk:
                return
            yield from chunk
            last = chunk[-1].seq
            session.expunge_all()

    report = verify_rows(rows())
    if report.ok:
        head = session.get(LedgerHead, 1)
        if head is not None and head.seq != report.rows:
            return VerifyReport(report.rows, report.rows + 1, "rows missing at the end")
    return report


def case_history(session: Session, case_code: str) -> list[DecisionRow]:
    return list(
        session.execute(
            select(DecisionRow).where(DecisionRow.case_code == case_code).order_by(DecisionRow.seq)
        ).scalars()
    )


def case_actions(session: Session, case_code: str) -> list[str]:
    return list(
        session.execute(
            select(DecisionRow.action)
            .where(DecisionRow.case_code == case_code)
            .order_by(DecisionRow.seq)
        ).scalars()
    )
