"""The append-only, hash-chained decision ledger.

``hash = sha256(prev_hash + canonical JSON of the row)``; the first row chains from
``GENESIS``. A transaction's appends are chained and written together when it commits, under
the lock of the single ``ledger_head`` row (taken once), so concurrent writers queue up instead
of forking the chain.

The head a process last wrote or read is remembered (per engine). A transaction chains its rows
onto it and moves the head with an update that only matches while the head is still that one:
the update takes the head's lock and checks it in the same statement, so the head costs no read
of its own (on PostgreSQL the rows' insert is part of that statement too). When another writer
(another process, a rolled-back transaction) moved it, the update matches nothing and the head
is read under its lock as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    String,
    Text,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledger import pending
from ledger.models import DecisionRow, LedgerHead, UTCDateTime

GENESIS = "0" * 64
_DECISIONS = pending.table_of(DecisionRow)
_HEAD = pending.table_of(LedgerHead)
# Built once: a statement object reused keeps its cache key (every step appends).
_INSERT = insert(_DECISIONS)
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"))
)
# Moves the head only while it is still the one this process knew (``ledger.decisions`` doc).
_MOVE_KNOWN_HEAD = (
    update(_HEAD)
    .where(
        _HEAD.c.id == 1,
        _HEAD.c.seq == bindparam("known_seq"),
        _HEAD.c.hash == bindparam("known_hash"),
    )
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"))
)
# PostgreSQL: the same update and the rows' insert in one statement; the rows go in only when
# the head moved. It also answers with the head as the statement found it (not locked): when
# that was not the head this process knew, the rows are chained on it and tried once more.
_COLUMNS = ("seq", "at", "case_code", "actor", "action", "data", "reason", "prev_hash", "hash")
_APPEND_ON_KNOWN_HEAD_PG = text(
    "WITH moved AS (UPDATE ledger_head SET seq = :head_seq, hash = :head_hash"
    " WHERE id = 1 AND seq = :known_seq AND hash = :known_hash RETURNING id),"
    f" added AS (INSERT INTO decisions ({', '.join(_COLUMNS)})"
    f" SELECT {', '.join('d.' + name for name in _COLUMNS)}"
    f" FROM moved, unnest({', '.join(':' + name for name in _COLUMNS)})"
    f" AS d({', '.join(_COLUMNS)})"
    " RETURNING seq)"
    " SELECT (SELECT count(*) FROM added) AS added, head.seq, head.hash"
    " FROM ledger_head AS head WHERE head.id = 1"
).bindparams(
    bindparam("seq", type_=postgresql.ARRAY(BigInteger)),
    bindparam("at", type_=postgresql.ARRAY(UTCDateTime())),
    bindparam("case_code", type_=postgresql.ARRAY(String(32))),
    bindparam("actor", type_=postgresql.ARRAY(String(400))),
    bindparam("action", type_=postgresql.ARRAY(String(64))),
    bindparam("data", type_=postgresql.ARRAY(Text)),
    bindparam("reason", type_=postgresql.ARRAY(Text)),
    bindparam("prev_hash", type_=postgresql.ARRAY(String(64))),
    bindparam("hash", type_=postgresql.ARRAY(String(64))),
)

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


class Decision:
    """A decision appended in this transaction. Its place in the chain (``seq``, ``prev_hash``,
    ``hash``) is given when the transaction's decisions are written, at commit or when the
    transaction reads the ledger; asking for it earlier writes them now."""

    __slots__ = (
        "_session",
        "action",
        "actor",
        "at",
        "case_code",
        "data",
        "hash",
        "prev_hash",
        "reason",
        "seq_or_none",
    )

    def __init__(
        self,
        session: Session,
        *,
        at: dt.datetime,
        case_code: str | None,
        actor: str,
        action: str,
        data: str,
        reason: str,
    ) -> None:
        self._session = session
        self.at = at
        self.case_code = case_code
        self.actor = actor
        self.action = action
        self.data = data
        self.reason = reason
        self.seq_or_none: int | None = None
        self.prev_hash = ""
        self.hash = ""

    @property
    def seq(self) -> int:
        if self.seq_or_none is None:
            pending.flush(self._session, {_DECISIONS.name})
        assert self.seq_or_none is not None, "the decision's transaction has ended"
        return self.seq_or_none


def append(
    session: Session,
    *,
    at: dt.datetime,
    case_code: str | None,
    actor: str,
    action: str,
    data: dict[str, Any] | None = None,
    reason: str = "",
) -> Decision:
    """Append one decision inside the caller's transaction.

    The row is chained and written with the transaction's other decisions in one statement
    when it commits (``ledger.pending``); the chain's head is locked then, once, after every
    other lock the transaction takes (case, line item, order), unless :func:`lock_chain`
    took it earlier."""
    if action not in ACTIONS:
        raise LedgerError(f"unknown ledger action {action!r}")
    check_actor(actor)
    decision = Decision(
        session,
        at=at,
        case_code=case_code,
        actor=actor,
        action=action,
        data=canonical_json(data or {}),
        reason=reason,
    )
    _waiting(session).append(decision)
    return decision


def _waiting(session: Session) -> list[Decision]:
    extra = pending.for_session(session).extra
    waiting: list[Decision] = extra.setdefault("decisions", [])
    return waiting


def _write(session: Session, at_commit: bool) -> None:
    """Chain this transaction's waiting decisions onto the head and insert them in one
    statement; at commit, move the head past them."""
    found = pending.for_session(session).extra
    waiting: list[Decision] = found.get("decisions") or []
    cached: _Head | None = found.get("head")
    if not waiting and (cached is None or not cached.moved or not at_commit):
        return
    connection = session.connection()
    if cached is None and _append_on_known_head(connection, found, waiting):
        return
    head = _locked_head(session)
    rows = _chain(head, waiting)
    found["decisions"] = []
    if rows:
        connection.execute(_INSERT, rows)
    if at_commit and head.moved:
        connection.execute(_MOVE_HEAD, {"head_seq": head.seq, "head_hash": head.hash})
        head.moved = False
        _remember(connection, head)


def _chain(head: _Head, waiting: list[Decision]) -> list[dict[str, Any]]:
    """Give each waiting decision its place after ``head`` (which moves past them); their rows."""
    rows = []
    for decision in waiting:
        seq = head.seq + 1
        decision.seq_or_none = seq
        decision.prev_hash = head.hash
        decision.hash = row_hash(
            head.hash,
            seq,
            decision.at,
            decision.case_code,
            decision.actor,
            decision.action,
            decision.data,
            decision.reason,
        )
        head.seq, head.hash = seq, decision.hash
        head.moved = True
        rows.append(
            {
                "seq": seq,
                "at": decision.at,
                "case_code": decision.case_code,
                "actor": decision.actor,
                "action": decision.action,
                "data": decision.data,
                "reason": decision.reason,
                "prev_hash": decision.prev_hash,
                "hash": decision.hash,
            }
        )
    return rows


# The head each engine's transactions last moved or read: (seq, hash). Only a guess: the
# update that moves the head checks it (see the module doc).
_known_heads: weakref.WeakKeyDictionary[Engine, tuple[int, str]] = weakref.WeakKeyDictionary()


def _remember(connection: Connection, head: _Head) -> None:
    _known_heads[connection.engine] = (head.seq, head.hash)


def _append_on_known_head(
    connection: Connection, extra: dict[str, Any], waiting: list[Decision]
) -> bool:
    """Chain ``waiting`` onto the head this process knows and move the head past them, in one
    update that takes the head's lock only if it is still that head; then insert the rows (on
    PostgreSQL in the same statement, tried a second time on the head it answered with).
    False (nothing written, nothing locked) when the head is not known or moved meanwhile."""
    known = _known_heads.get(connection.engine)
    if known is None:
        return False
    postgresql = connection.dialect.name == "postgresql"
    for _attempt in range(2 if postgresql else 1):
        head = _Head(*known)
        rows = _chain(head, waiting)
        params: dict[str, Any] = {
            "known_seq": known[0],
            "known_hash": known[1],
            "head_seq": head.seq,
            "head_hash": head.hash,
        }
        if postgresql:
            for name in _COLUMNS:
                params[name] = [row[name] for row in rows]
            found = connection.execute(_APPEND_ON_KNOWN_HEAD_PG, params).first()
            if found is None:  # no head yet: made under its lock
                break
            if found.added == len(rows):
                return _moved(connection, extra, head)
            known = (int(found.seq), str(found.hash))
        elif connection.execute(_MOVE_KNOWN_HEAD, params).rowcount == 1:
            connection.execute(_INSERT, rows)
            return _moved(connection, extra, head)
    for decision in waiting:  # chained on a stale head: chained again under the lock
        decision.seq_or_none = None
    return False


def _moved(connection: Connection, extra: dict[str, Any], head: _Head) -> bool:
    # The head is locked and already past the rows: later appends of this transaction chain
    # on it and move it at commit.
    head.moved = False
    extra["head"] = head
    extra["decisions"] = []
    _remember(connection, head)
    return True


pending.register(_DECISIONS.name, _write)
pending.register(_HEAD.name, _write)


def lock_chain(session: Session) -> None:
    """Take the chain's lock now, so that what is read before the next append (a supplier's
    open credits, say) cannot change under this transaction."""
    _locked_head(session)


@dataclass
class _Head:
    seq: int
    hash: str
    moved: bool = False


def _locked_head(session: Session) -> _Head:
    """The chain's head, locked once per transaction and then kept for its later appends."""
    extra = pending.for_session(session).extra
    cached: _Head | None = extra.get("head")
    if cached is not None:
        return cached
    connection = session.connection()
    found = connection.execute(_LOCK_HEAD).first()
    if found is None:
        # The very first append: two writers may both find no head. The loser's insert is
        # skipped (it waits for the winner's row first), and it then reads the winner's head.
        connection.execute(_insert_genesis(connection.dialect.name))
        found = connection.execute(_LOCK_HEAD).one()
    head = extra["head"] = _Head(int(found.seq), str(found.hash))
    _remember(connection, head)
    return head


def _insert_genesis(dialect: str) -> Any:
    values = {"id": 1, "seq": 0, "hash": GENESIS}
    if dialect == "postgresql":
        return postgresql.insert(_HEAD).values(values).on_conflict_do_nothing()
    return sqlite.insert(_HEAD).values(values).on_conflict_do_nothing()


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
