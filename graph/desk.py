"""The returns desk: every way into a case goes through here.

It checks that an event fits the case and comes from someone who may send it, then hands it
to the case graph with ``Command(resume=...)``. Refusals change no case.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Literal, NamedTuple, TypeVar

import psycopg
import psycopg_pool
from langgraph.types import Command
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, bindparam, func, literal, null, select, text, union_all
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from graph import case_steps, inline_background
from graph.case_graph import (
    CaseRuntime,
    build_case_graph,
    current_notes,
    first_step_now,
    noting_steps,
)
from graph.checkpoints import make_checkpointer, one_write
from graph.clock import Clock, SystemClock
from ledger import decisions, journal, outbox, pending, timers
from ledger.db import (
    DEFAULT_MAX_OVERFLOW,
    DEFAULT_POOL_SIZE,
    leased_connection,
    make_engine,
    migrate,
    reading_connection,
    session_factory,
    transaction,
)
from ledger.db import reading as read_only
from ledger.models import (
    CaseRow,
    CaseStepRow,
    JournalEntryRow,
    JournalLineRow,
    LabelRow,
    PhotoRow,
)
from ledger.owner_models import SUPPLIER_QUESTION
from ledger.repository import cases_for_order, find_order, get_case
from ledger.slack_models import case_channel
from policies.models import Store
from policies.money import Money
from tools import generate_label, issue_refund, owner_inbox
from tools.accept_photo import AcceptedPhoto, PhotoLimits, accept_photo
from tools.adapters import Carrier, LocalCarrier, LocalPayments, Payments
from tools.context import ToolContext
from tools.errors import ActionRefused, CaseNotFound
from tools.marketplace import MarketplaceReturn, open_marketplace_case
from tools.open_case import ReturnRequest, open_case
from tools.photo_quota import check_case_quota
from tools.service_errors import ServiceError

log = logging.getLogger("returnbridge.desk")

# The channel LangGraph saves a node's interrupt under, among a checkpoint's pending writes
# (``langgraph._internal._constants.INTERRUPT``; its public name is deprecated).
INTERRUPT = "__interrupt__"

# At most how many recorded steps a graph may be behind before the desk gives up catching up
# (one lost checkpoint leaves it an event step and a settle step behind).
MAX_CATCH_UP = 20

# What the worker resumes a graph behind its steps with: the event step finds its result
# stored and never looks at it.
CATCH_UP = "catch_up"

# How long a claimed timer is left to the worker firing it before another may take it up.
TIMER_LEASE = dt.timedelta(seconds=15)

# The database itself failing (down, locked, full), through SQLAlchemy or straight from a
# checkpointer's own connection: no case is to blame, the round stops and is tried again.
DATABASE_TROUBLE = (
    OperationalError,
    InterfaceError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
)

SupplierAction = Literal["approve", "decline", "inspected_ok", "inspected_failed"]
CarrierEvent = Literal["in_transit", "delivered", "exception", "returned_to_sender"]


class CaseView(BaseModel):
    """What the customer, the owner and the checks see of a case."""

    code: str
    order: str
    sku: str
    item: str
    quantity: int
    reason: str
    status: str
    requested_resolution: str
    resolution: str | None
    return_required: bool | None
    label: bool
    tracking_number: str | None
    rma: str | None
    # The refund decided for the customer: paid, or owed by hand (``owed_by_hand``) until
    # the owner marks it paid.
    refunded: str
    store_credit: str
    supplier_credit: str
    currency: str
    supplier_id: str
    review_reason: str | None
    created_at: dt.datetime
    # Of ``refunded``, what the store still has to pay back by hand (cash on delivery).
    owed_by_hand: str = "0.00"


class CaseHead(NamedTuple):
    """What the desk checks of a case before it hands an event on: read in one short query,
    without the write lock (the step looks again under the case's lock)."""

    code: str
    status: str
    supplier_id: str
    return_required: bool | None
    tracking_number: str | None  # its label's, when it has one


_CASE_HEAD = (
    select(
        CaseRow.code,
        CaseRow.status,
        CaseRow.supplier_id,
        CaseRow.return_required,
        LabelRow.tracking_number,
    )
    .outerjoin(LabelRow, LabelRow.case_code == CaseRow.code)
    .where(CaseRow.code == bindparam("code"))
)

F = TypeVar("F", bound=Callable[..., Any])


def _noting(method: F) -> F:
    """Run a desk call with its case steps noting their results and the case's view, so the
    call answers from them instead of reading the case back (``graph.case_graph.StepNotes``)."""

    @functools.wraps(method)
    def noted(*args: Any, **kwargs: Any) -> Any:
        with noting_steps():
            return method(*args, **kwargs)

    return noted  # type: ignore[return-value]


def _advisory(connection: Connection, statement: str, key: int) -> None:
    """Take or release a session advisory lock in one round trip.

    The lock belongs to the connection, not to a transaction, so it needs none: run outside
    one (autocommit) the statement goes alone, where inside a transaction it would cost a
    ``BEGIN`` and a ``COMMIT`` of its own, three round trips instead of one. A connection a
    unit of work already holds open keeps its transaction (a lock taken in it outlives even
    its rollback).
    """
    if connection.in_transaction():
        connection.execute(text(statement), {"k": key})
        return
    level = connection.default_isolation_level or "READ COMMITTED"
    connection.execution_options(isolation_level="AUTOCOMMIT")
    try:
        connection.execute(text(statement), {"k": key})
        connection.commit()  # SQLAlchemy's own bookkeeping: nothing was begun on the server
    except BaseException:
        connection.rollback()
        raise
    finally:
        if not connection.invalidated:  # the units of work run on it get their transactions
            connection.execution_options(isolation_level=level)


class ReturnsDesk:
    # Size and count limits of customer photos; the settings replace it (bot/composition.py).
    photo_limits: PhotoLimits = PhotoLimits()

    def __init__(
        self,
        url: str,
        store: Store,
        clock: Clock | None = None,
        *,
        carrier: Carrier | None = None,
        payments: Payments | None = None,
        engine: Engine | None = None,
        run_migrations: bool = True,
        pool_size: int = DEFAULT_POOL_SIZE,
        max_overflow: int = DEFAULT_MAX_OVERFLOW,
    ) -> None:
        self.url = url
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.engine = engine or make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        if run_migrations:
            migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self.runtime = CaseRuntime(
            sessions=self.sessions,
            store=store,
            clock=self.clock,
            carrier=carrier or LocalCarrier(),
            payments=payments or LocalPayments(),
            view=lambda session, case: view_case(session, case, store.policy.currency),
        )
        self.checkpointer, self._close_checkpointer = make_checkpointer(
            url, pool_size=pool_size + max_overflow
        )
        self.graph = build_case_graph(self.runtime, self.checkpointer)
        # Locks of the names in use; a name nobody holds or waits for is dropped.
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._locks_guard = threading.Lock()
        # Open cases the worker found waiting, with the checkpoint and the count of recorded
        # steps it saw, and the cases it found not started yet (resume_orphans); None before
        # its first round.
        self._waiting: dict[str, tuple[Any, ...]] = {}
        self._unstarted: set[str] | None = None
        # Waiting cases found behind their recorded steps, with the checkpoint seen then: a
        # case still so at the next round is caught up (``_finish_orphan``).
        self._behind: dict[str, tuple[Any, ...] | None] = {}
        self.worker_id = f"{os.uname().nodename}:{os.getpid()}"

    def close(self) -> None:
        self._close_checkpointer()
        self.engine.dispose()

    # -- plumbing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads: on SQLite it does not queue for the write lock."""
        with read_only(self.sessions) as session:
            yield session

    def context(self, session: Session) -> ToolContext:
        return self.runtime.context(session)

    @contextlib.contextmanager
    def serialized(self, name: str) -> Iterator[None]:
        """One holder of ``name`` at a time: in this process, and across processes on PostgreSQL.

        On PostgreSQL the advisory lock is taken on the connection this thread leases for the
        whole block, and every session opened inside uses that same connection: holding the
        lock never costs a second pooled connection (see ``ledger.db.leased_connection``).
        """
        with self._locks_guard:
            lock = self._locks.get(name)
            if lock is None:
                lock = self._locks[name] = threading.Lock()
        with lock:
            if self.engine.dialect.name != "postgresql":
                yield
                return
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            with leased_connection(self.engine) as connection:
                _advisory(connection, "select pg_advisory_lock(:k)", key)
                try:
                    yield
                finally:
                    try:
                        _advisory(connection, "select pg_advisory_unlock(:k)", key)
                    except Exception:  # a broken connection: dropping it ends the lock too
                        log.exception("could not release the lock on %s", name)
                        connection.invalidate()

    def _case_lock(self, code: str) -> contextlib.AbstractContextManager[None]:
        """One event at a time per case."""
        return self.serialized(code)

    @staticmethod
    def _config(code: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": code}}

    def _invoke(self, value: Any, config: Any) -> Any:
        """Run the case graph to its next stop, writing one checkpoint there (and on an error),
        not one per step: every step's work is recorded by key (``run_step``), so a step run
        again repeats nothing, and a graph a crash left behind its steps is brought up to
        them by the next resume (``_deliver``) or the worker (``_catch_up``)."""
        # no thread pool of LangGraph's per call; the checkpoint in one transaction
        with inline_background.inline(), one_write(self.checkpointer):
            return self.graph.invoke(value, config, durability="exit")

    def _start(self, code: str) -> None:
        with self._case_lock(code), self._watch_services(code):
            self._invoke({"case": code, "tick": 0}, self._config(code))

    @contextlib.contextmanager
    def _watch_services(self, code: str | None) -> Iterator[None]:
        """Count a failing outside service for the owner's inbox, then let the error go on."""
        try:
            yield
        except ServiceError as error:
            try:
                with self.session() as session:
                    case = get_case(session, code) if code else None
                    owner_inbox.service_failed(
                        self.context(session), error.service, error.message, case
                    )
            except Exception:  # the inbox must never hide the service's own error
                log.exception("could not note the failure of %s", error.service)
            raise

    def _resume(self, code: str, event: dict[str, Any]) -> bool:
        """Hand an event to the case's graph; False when the case no longer takes it.

        Two answers checked against the same status at once (two approvals, an approval and
        a denial) both pass the desk's first look; only the first one to reach the case acts.
        The status is looked at again under the case's lock, and the step's own record says
        whether the event was taken, so the caller can tell the truth to whoever sent it.
        """
        config = self._config(code)
        # one_write: the look at the checkpoint below serves the graph's own first read
        with self._case_lock(code), self._watch_services(code), one_write(self.checkpointer):
            # No separate look at the status first: the event step looks at it under the
            # case's row lock and records an event the case no longer takes as ignored.
            tick = self._waiting_tick(config)
            if tick is None:
                snapshot = self.graph.get_state(config)
                if not snapshot.next:
                    if snapshot.values:
                        return False  # the graph already ended: nothing waits for this event
                    self._invoke({"case": code, "tick": 0}, config)
                    snapshot = self.graph.get_state(config)
                    if not snapshot.next or not self._takes(code, str(event["type"])):
                        return False
                elif not any(task.interrupts for task in snapshot.tasks):
                    tick = int(snapshot.values.get("tick", 0))
                    self._invoke(None, config)  # finish a step a crash interrupted
                    if not self._takes(code, str(event["type"])):
                        # The finished step took an event: this one, when a retry brought it
                        # again.
                        return self._took(code, tick, event)
                    snapshot = self.graph.get_state(config)
                tick = int(snapshot.values.get("tick", 0))
            with contextlib.ExitStack() as stack:
                if current_notes() is None:  # a timer or the worker: notes tell replays
                    stack.enter_context(noting_steps())
                return self._deliver(code, config, tick, event)

    def _deliver(self, code: str, config: Any, tick: int, event: dict[str, Any]) -> bool:
        """Resume the graph waiting at ``tick`` with ``event``; whether the event took effect.

        A process that died after an event step committed and before the graph's checkpoint
        left the graph waiting at that step's tick: resumed there, the step returns the
        earlier event's stored result (the graph catches up with it) and this event is not
        looked at. So the desk resumes again, with the same event, at the graph's new tick,
        until the event step runs for this event, the graph ends, or the stored event was
        this one (a retry of a call whose answer was lost)."""
        notes = current_notes()
        for _ in range(MAX_CATCH_UP):
            self._invoke(Command(resume=event), config)
            key = f"{code}:{tick}:event"
            if notes is None or key not in notes.replayed:
                return self._took(code, tick)
            if self._took(code, tick, event):
                return True  # the stored step took this very event, sent again
            waiting = self._waiting_at(config)
            if waiting is None:
                return False  # the steps caught up with ended the graph
            tick = waiting
        raise RuntimeError(f"case {code}: its graph is more than {MAX_CATCH_UP} steps behind")

    def _waiting_at(self, config: Any) -> int | None:
        """The tick a graph waits at for an event, or None when it does not wait."""
        tick = self._waiting_tick(config)
        if tick is not None:
            return tick
        snapshot = self.graph.get_state(config)
        if not any(task.interrupts for task in snapshot.tasks):
            return None
        return int(snapshot.values.get("tick", 0))

    def _waiting_tick(self, config: Any) -> int | None:
        """The tick of a graph that waits at its interrupt and has nothing else saved (no
        step a crash left half done), read from its last checkpoint alone; None for anything
        else, which the graph's full state then sorts out. Building that state costs more
        than the step's own reads, and almost every event finds its case simply waiting."""
        saved = self.checkpointer.get_tuple(config)
        if saved is None:
            return None
        writes = saved.pending_writes or []
        if len(writes) != 1 or writes[0][1] != INTERRUPT:
            return None
        tick = saved.checkpoint["channel_values"].get("tick")
        return tick if isinstance(tick, int) else None

    def _takes(self, code: str, kind: str) -> bool:
        try:
            status = self._head(code).status
        except CaseNotFound:
            return False
        return kind in case_steps.ACCEPTS.get(status, frozenset())

    def _took(self, code: str, tick: int, event: dict[str, Any] | None = None) -> bool:
        """Whether the event step at ``tick`` acted (and, given ``event``, on that event)."""
        key = f"{code}:{tick}:event"
        notes = current_notes()
        if notes is not None and key in notes.results:  # the step ran just now: no read back
            result: dict[str, Any] = notes.results[key]
        else:
            with self.session() as session:
                step = session.get(CaseStepRow, key)
                if step is None:
                    return False
                result = dict(step.result or {})
        if "ignored" in result:
            return False
        if event is None:
            return True
        return result.get("event") == event["type"] and result.get("by") == event.get("actor")

    def _already_decided(self, code: str, words: str) -> ActionRefused:
        status = self.case_view(code).status.replace("_", " ")
        return ActionRefused(
            f"Return {code} was already decided: it is {status} now, so {words} changed nothing."
        )

    def _load(self, session: Session, code: str) -> CaseRow:
        case = get_case(session, code)
        if case is None:
            raise CaseNotFound(f"There is no return {code.strip()!r}.")
        return case

    def _head(self, code: str) -> CaseHead:
        """The case's code, status, supplier and label, read without the write lock."""
        with reading_connection(self.engine) as connection:
            row = connection.execute(_CASE_HEAD, {"code": code.strip().upper()}).first()
        if row is None:
            raise CaseNotFound(f"There is no return {code.strip()!r}.")
        return CaseHead(*row)

    def _check_accepts(self, case: CaseRow | CaseHead, kind: str, words: str) -> None:
        if kind not in case_steps.ACCEPTS.get(case.status, frozenset()):
            status = case.status.replace("_", " ")
            raise ActionRefused(f"Return {case.code} is {status}; it cannot take {words} now.")

    # -- customers --------------------------------------------------------------------------

    @_noting
    def submit_return(
        self,
        request: ReturnRequest,
        *,
        photo: bytes | None = None,
        channel: str = "portal",
        earlier: tuple[tuple[str, dict[str, object]], ...] = (),
        photo_ids: tuple[int, ...] = (),
    ) -> CaseView:
        """Open a case and run it to its first wait. Invalid requests raise and write nothing."""
        accepted = self._accept_photo(photo) if photo is not None else None
        with self.session() as session:
            ctx = self.context(session)
            ids = list(photo_ids)
            if accepted is not None:
                row = PhotoRow(
                    case_code=None,
                    chat_session=None,
                    description="returns form upload",
                    content_type="image/jpeg",
                    sha256=accepted.sha256,
                    data=accepted.jpeg,
                    at=ctx.now,
                )
                session.add(row)
                session.flush()
                ids.append(row.id)
            case = open_case(ctx, request, channel=channel, photo_ids=tuple(ids), earlier=earlier)
            for photo_id in ids:
                stored = session.get(PhotoRow, photo_id)
                if stored is not None:
                    stored.case_code = case.code
            code = case.code
            # assessed in this same transaction: the graph's first node finds it done
            assessed = first_step_now(self.runtime, ctx, case)
        assessed()
        try:
            self._start(code)
        except ServiceError as error:  # the case is open; the worker finishes the step later
            log.warning("case %s waits for %s: %s", code, error.service, error.message)
        return self.case_view(code)

    @_noting
    def add_photo(
        self, code: str, data: bytes, *, email: str | None = None, description: str = ""
    ) -> CaseView:
        with self.session() as session:
            check_case_quota(session, self._load(session, code).code, self.photo_limits)
        accepted = self._accept_photo(data)
        with self.session() as session:
            case = self._load(session, code)
            if email is not None and email.strip().lower() != case.customer_email:
                raise CaseNotFound(f"There is no return {code.strip()!r} for that email.")
            check_case_quota(session, case.code, self.photo_limits)
            row = PhotoRow(
                case_code=case.code,
                chat_session=None,
                description=description,
                content_type="image/jpeg",
                sha256=accepted.sha256,
                data=accepted.jpeg,
                at=self.clock.now(),
            )
            session.add(row)
            session.flush()
            photo_id = row.id
            waiting = case.status == "awaiting_photo"
            if not waiting:
                case.photo_count += 1
                decisions.append(
                    session,
                    at=self.clock.now(),
                    case_code=case.code,
                    actor=f"customer:{case.customer_email}",
                    action="photo_received",
                    data={"photo": photo_id, "description": description},
                )
            code = case.code
            actor = f"customer:{case.customer_email}"
        if waiting:
            self._resume(
                code,
                {"type": "photo", "actor": actor, "photo_id": photo_id, "description": description},
            )
        return self.case_view(code)

    def _accept_photo(self, data: bytes) -> AcceptedPhoto:
        return accept_photo(data, max_pixels=self.photo_limits.max_pixels)

    # -- the owner --------------------------------------------------------------------------

    @_noting
    def owner_decide(self, code: str, approve: bool, note: str = "") -> CaseView:
        kind = "owner_approve" if approve else "owner_deny"
        case = self._head(code)
        self._check_accepts(case, kind, "a decision")
        code = case.code
        if not self._resume(code, {"type": kind, "actor": "owner", "note": note}):
            raise self._already_decided(code, "this decision")
        return self.case_view(code)

    def refund_paid_by_hand(self, code: str, reference: str = "") -> CaseView:
        """The owner paid a cash-on-delivery (or manual) refund by hand on a resolved case:
        the payment is recorded, the customer told, the inbox item closed. ``code`` is the
        case, or its order (its case that still owes a refund by hand). Raises
        ``ActionRefused`` when nothing is owed by hand (never was, or was paid already)."""
        with self.session() as session:
            order = None if code.strip().upper().startswith("RB-") else find_order(session, code)
            if order is not None:
                cases = cases_for_order(session, order.id)
                ctx = self.context(session)
                owing = [case.code for case in cases if issue_refund.owed_by_hand(ctx, case) > 0]
                if not owing and len(cases) != 1:
                    raise issue_refund.NothingOwedByHand(
                        f"Order {order.display_number} has no refund owed by hand to mark paid."
                    )
                code = owing[0] if owing else cases[0].code
            code = self._load(session, code).code
        # Under the case's lock: two clicks on "paid" record one payment, the second is told.
        with self._case_lock(code), self.session() as session:
            case = self._load(session, code)
            case_steps.refund_paid_by_hand(self.context(session), case, reference)
        return self.case_view(code)

    @_noting
    def cancel(self, code: str, *, actor: str = "owner", note: str = "") -> CaseView:
        case = self._head(code)
        self._check_accepts(case, "cancel", "a cancellation")
        code = case.code
        if not self._resume(code, {"type": "cancel", "actor": actor, "note": note}):
            raise self._already_decided(code, "the cancellation")
        return self.case_view(code)

    @_noting
    def record_marketplace_return(self, request: MarketplaceReturn) -> CaseView:
        """The owner records a return a marketplace accepted: the desk handles the supplier."""
        with self.session() as session:
            code = open_marketplace_case(self.context(session), request).code
        try:
            self._start(code)
        except ServiceError as error:  # the case is open; the worker finishes the step later
            log.warning("case %s waits for %s: %s", code, error.service, error.message)
        return self.case_view(code)

    # -- suppliers --------------------------------------------------------------------------

    @_noting
    def supplier_action(
        self,
        supplier_id: str,
        code: str,
        action: SupplierAction,
        *,
        rma: str | None = None,
        address: str | None = None,
        note: str = "",
        channel: str | None = None,
        conditions: list[str] | None = None,
    ) -> CaseView:
        """A supplier's answer. Only the case's own supplier may move it. ``conditions``: what
        an approval asks of the goods coming back; they go to the ledger and the customer."""
        kind = {
            "approve": "supplier_approve",
            "decline": "supplier_decline",
            "inspected_ok": "inspected_ok",
            "inspected_failed": "inspected_failed",
        }[action]
        case = self._head(code)
        stranger = self._stranger(None, case, supplier_id, channel)
        if stranger is not None:  # written to the ledger, then refused
            with self.session() as session:
                refused = self._refuse_stranger(
                    session, case, supplier_id, action, channel, stranger
                )
            assert refused is not None
            raise refused
        self._check_accepts(case, kind, f"'{action.replace('_', ' ')}'")
        if kind == "supplier_approve":
            self._check_approval_fields(case, rma, address)
        code = case.code
        taken = self._resume(
            code,
            {
                "type": kind,
                "actor": f"supplier:{supplier_id}",
                "rma": (rma or "").strip() or None,
                "address": (address or "").strip() or None,
                "note": note,
                "conditions": [c for c in (conditions or []) if c.strip()],
            },
        )
        if not taken:
            raise self._already_decided(code, f"'{action.replace('_', ' ')}'")
        return self.case_view(code)

    def _check_approval_fields(
        self, case: CaseRow | CaseHead, rma: str | None, address: str | None
    ) -> None:
        """What an approval must carry: the RMA the agreement requires, an address."""
        if not case.return_required:
            return
        agreement = self.store.supplier(case.supplier_id)
        if agreement.rma_required and not (rma or "").strip():
            raise ActionRefused(f"An RMA number is needed to approve return {case.code}.")
        if not (address or "").strip() and not agreement.return_address:
            raise ActionRefused(f"A return address is needed to approve return {case.code}.")

    def approval_problem(self, code: str, rma: str | None, address: str | None) -> str | None:
        """Read-only: why an approval with these fields would be refused for a missing field
        (the Slack modal shows it on the field before the work is handed on), else None."""
        with self.session() as session:
            case = get_case(session, code)
            if case is None or case.status != "awaiting_supplier":
                return None
            try:
                self._check_approval_fields(case, rma, address)
            except ActionRefused as refusal:
                return refusal.message
        return None

    def supplier_question(
        self, supplier_id: str, code: str, question: str, *, channel: str | None = None
    ) -> CaseView:
        """A supplier's question: passed to the owner, decides nothing."""
        with self.session() as session:
            case = self._load(session, code)
            refused = self._refuse_stranger(session, case, supplier_id, "question", channel)
            if refused is None:
                now = self.clock.now()
                decisions.append(
                    session,
                    at=now,
                    case_code=case.code,
                    actor=f"supplier:{supplier_id}",
                    action="supplier_question",
                    data={"question": question, "channel": channel},
                )
                owner_inbox.raise_item(
                    self.context(session),
                    kind=SUPPLIER_QUESTION,
                    party="supplier",
                    party_id=supplier_id,
                    words=question,
                    summary=(
                        f"Supplier {case.supplier_id} asks about return {case.code} "
                        f"(order {case.order.display_number}): {question}"
                    ),
                    notice_kind="supplier_question",
                    case=case,
                    payload={"case": case.code, "question": question},
                    key_suffix=f":{now.isoformat()}",
                )
            code = case.code
        if refused is not None:
            raise refused
        return self.case_view(code)

    def check_supplier(
        self, supplier_id: str, code: str, action: str, channel: str | None = None
    ) -> None:
        """Raise (and log the refusal) unless this supplier, in this channel, may act on it."""
        with self.session() as session:
            refused = self._refuse_stranger(
                session, self._load(session, code), supplier_id, action, channel
            )
        if refused is not None:
            raise refused

    def _stranger(
        self,
        session: Session | None,
        case: CaseRow | CaseHead,
        supplier_id: str,
        channel: str | None,
    ) -> tuple[str, str] | None:
        """Only the case's own supplier, speaking in the case's channel, may act on it: why
        not and what to tell it, or None. Without a ``session`` the case's channel, when
        there is one to compare, is read in one of its own."""
        agreement = self.store.suppliers.get(case.supplier_id)  # none: a vendor without one
        if supplier_id != case.supplier_id:
            return (
                "only the case's own supplier may act on it",
                f"Return {case.code} belongs to another supplier; nothing was changed.",
            )
        if channel is not None:
            default = agreement.slack_channel if agreement is not None else None
            if session is None:
                with self.reading() as reader:
                    expected = case_channel(reader, case.code, default)
            else:
                expected = case_channel(session, case.code, default)
            if channel != expected:
                return (
                    "only the case's supplier channel may act on it",
                    f"Return {case.code} is not handled in this channel; nothing was changed.",
                )
        return None

    def _refuse_stranger(
        self,
        session: Session,
        case: CaseRow | CaseHead,
        supplier_id: str,
        action: str,
        channel: str | None,
        stranger: tuple[str, str] | None = None,
    ) -> ActionRefused | None:
        """Only the case's own supplier, speaking in the case's channel, may act on it.
        A refusal is written to the ledger (committed with the session) and returned."""
        if stranger is None:
            stranger = self._stranger(session, case, supplier_id, channel)
        if stranger is None:
            return None
        why, message = stranger
        decisions.append(
            session,
            at=self.clock.now(),
            case_code=case.code,
            actor=f"supplier:{supplier_id}",
            action="action_refused",
            data={"action": action, "channel": channel},
            reason=why,
        )
        return ActionRefused(message)

    # -- carriers and timers ----------------------------------------------------------------

    @_noting
    def carrier_event(self, code: str, event: CarrierEvent) -> CaseView:
        case = self._head(code)
        if case.tracking_number is None:
            raise ActionRefused(f"Return {case.code} has no label yet.")
        self._check_accepts(case, event, f"a '{event}' tracking event")
        code, tracking = case.code, case.tracking_number
        if not self._resume(code, {"type": event, "actor": "system", "tracking_number": tracking}):
            raise self._already_decided(code, f"the '{event}' tracking event")
        return self.case_view(code)

    def carrier_event_by_tracking(self, tracking_number: str, event: CarrierEvent) -> CaseView:
        with self.session() as session:
            label = session.execute(
                select(LabelRow).where(LabelRow.tracking_number == tracking_number)
            ).scalar_one_or_none()
            if label is None:
                raise CaseNotFound(f"No return label has tracking number {tracking_number!r}.")
            code = label.case_code
        return self.carrier_event(code, event)

    def fire_due_timers(
        self, now: dt.datetime | None = None, stop: threading.Event | None = None
    ) -> int:
        """Fire every timer due by ``now``, one at a time, in due order; returns how many.

        Each timer is claimed in a short transaction, fired with no transaction or row lock
        held (firing may pay a refund), then marked fired. On PostgreSQL the claim takes the
        row with ``FOR UPDATE SKIP LOCKED`` and leases it (its due time moves
        ``TIMER_LEASE`` ahead), so another worker leaves it alone while it fires, and takes
        it up again if this worker dies before marking it. Firing twice acts once: the case
        takes the event only in the status that waits for it. SQLite allows one writer at a
        time; run one worker there.

        One bad case never stops the round: a timer whose case fails for a reason other than
        a service being down is marked fired and its case goes to the owner (``quarantine``);
        a timer whose service is down waits for the next round. ``stop`` ends the round
        between two timers.
        """
        due_by = now or self.clock.now()
        fired = 0
        passed: set[int] = set()
        while stop is None or not stop.is_set():
            with self.session() as session:
                timer = timers.claim_next(session, due_by, passed)
                if timer is None:
                    return fired
                claimed = (timer.id, timer.case_code, timer.kind, dict(timer.payload or {}))
                if self.engine.dialect.name == "postgresql":
                    timers.lease(session, timer.id, self.clock.now() + TIMER_LEASE)
            if self._fire_or_quarantine(claimed[1], claimed[2], claimed[3]):
                with self.session() as session:
                    timers.mark_fired(session, claimed[0], self.clock.now())
                fired += 1
            else:
                passed.add(claimed[0])
        return fired

    def _fire_or_quarantine(self, code: str, kind: str, payload: dict[str, Any]) -> bool:
        """Fire one timer. True: it is done with (fired, or its case quarantined); False: a
        service it needs is down, try again next round."""
        try:
            self._fire(code, kind, payload)
        except ServiceError as error:
            log.warning("timer %s of %s waits for %s: %s", kind, code, error.service, error.message)
            return False
        except DATABASE_TROUBLE:
            raise  # the database itself is failing: nothing to blame on this case
        except Exception as error:
            log.exception("timer %s of case %s failed", kind, code)
            self.quarantine(code, error, timer=kind)
        return True

    def _fire(self, code: str, kind: str, payload: dict[str, Any] | None = None) -> None:
        if self._takes(code, kind):
            # the payload (an owner rule's id and version) goes with the event
            self._resume(code, {**(payload or {}), "type": kind, "actor": "timer"})

    def resume_orphans(self, stop: threading.Event | None = None) -> int:
        """Start or finish graphs that a crash left between a commit and a checkpoint.

        A case whose graph fails for a reason other than a service being down is handed to
        the owner (``quarantine``) and the others go on.
        """
        count = 0
        with self.reading() as session:
            # with how many steps each case has recorded: a graph whose checkpoint stayed
            # while its case took a step was left behind by a crash (``_finish_orphan``)
            steps_of = {
                str(code): int(steps)
                for code, steps in session.execute(
                    select(CaseRow.code, func.count(CaseStepRow.key))
                    .outerjoin(CaseStepRow, CaseStepRow.case_code == CaseRow.code)
                    .where(CaseRow.status.notin_(case_steps.FINAL))
                    .group_by(CaseRow.id, CaseRow.code)
                    .order_by(CaseRow.id)
                )
            }
        codes = list(steps_of)
        # A case found waiting is not looked at again while its checkpoint and its recorded
        # steps stay the same: the graph's state, and so the answer, is made of that
        # checkpoint alone. Reading it costs one small query; building the graph's state for
        # every open case every round cost the worker most of its time.
        still_open = set(codes)
        waiting = {code: mark for code, mark in self._waiting.items() if code in still_open}
        self._waiting = waiting
        self._behind = {code: mark for code, mark in self._behind.items() if code in still_open}
        # A case without a checkpoint that was not there at the last round is most likely
        # being started by the process that opened it: it is left to that process for one
        # round (racing it doubles the writes of the busiest step). At the first round every
        # such case is a crash's leftover and is started at once.
        seen_unstarted, unstarted = self._unstarted, set()
        for code in codes:
            if stop is not None and stop.is_set():
                break
            mark = self._checkpoint_mark(code)
            seen = (mark, steps_of[code])
            if mark is not None and waiting.get(code) == seen:
                continue
            if mark is None and seen_unstarted is not None and code not in seen_unstarted:
                unstarted.add(code)
                continue
            waiting.pop(code, None)
            try:
                finished = self._finish_orphan(code, seen, seen_unstarted is None)
                count += int(bool(finished))
                if finished is False and mark is not None:
                    waiting[code] = seen
            except ServiceError as error:  # a service is down: try this case next round
                log.warning("case %s waits for %s: %s", code, error.service, error.message)
            except DATABASE_TROUBLE:
                raise
            except Exception as error:
                log.exception("case %s failed in the worker", code)
                self.quarantine(code, error)
        else:
            self._unstarted = unstarted
        return count

    def _checkpoint_mark(self, code: str) -> tuple[Any, ...] | None:
        """What the case graph's state is made of: its last checkpoint and the writes saved
        against it (None before the first checkpoint)."""
        config: Any = self._config(code)
        saved = self.checkpointer.get_tuple(config)
        if saved is None:
            return None
        writes = tuple(
            sorted((str(task), str(channel)) for task, channel, _ in saved.pending_writes or ())
        )
        return (saved.checkpoint["id"], writes)

    def _finish_orphan(self, code: str, mark: Any = None, first_round: bool = True) -> bool | None:
        """Start or finish one case's graph: True when it ran, False when the graph is as it
        should be, None when it is to be looked at again next round."""
        config = self._config(code)
        with self._case_lock(code), self._watch_services(code):
            snapshot = self.graph.get_state(config)
            if not snapshot.values:
                # the case committed, the process died before the graph's first checkpoint
                self._invoke({"case": code, "tick": 0}, config)
                return True
            if any(task.interrupts for task in snapshot.tasks):
                tick = int(snapshot.values.get("tick", 0))
                if not self._event_recorded(code, tick):
                    return False  # waiting for a person, a carrier or a timer: as it should
                # A crash between an event step's commit and the checkpoint at the graph's
                # stop: the graph waits for an event the case already took, and a step after
                # it (a settle) may never have run. Seen for the first time, it is most likely
                # a live call writing that checkpoint now: left to it for one round.
                if not first_round and self._behind.get(code) != mark:
                    self._behind[code] = mark
                    return None
                self._behind.pop(code, None)
                self._catch_up(code, config)
                return True
            if snapshot.next or snapshot.tasks:
                # A crash between a step's commit and its checkpoint. With a step's writes
                # saved but not the checkpoint after it, ``next`` is empty while the task is
                # still there: LangGraph replays the saved writes and goes on.
                self._invoke(None, config)
                return True
            return False

    def _event_recorded(self, code: str, tick: int) -> bool:
        """Whether the event step at ``tick`` ran and committed."""
        with self.reading() as session:
            found = session.execute(
                select(CaseStepRow.key).where(CaseStepRow.key == f"{code}:{tick}:event")
            ).first()
        return found is not None

    def _catch_up(self, code: str, config: Any) -> None:
        """Bring a graph waiting at an event step already recorded up to the steps recorded
        past it: resumed there, the event step returns its stored result, whatever the resume
        carries, and the graph goes on (running a step the crash kept from running) to its
        next stop."""
        for _ in range(MAX_CATCH_UP):
            self._invoke(Command(resume={"type": CATCH_UP, "actor": "system"}), config)
            waiting = self._waiting_at(config)
            if waiting is None or not self._event_recorded(code, waiting):
                return
        raise RuntimeError(f"case {code}: its graph is more than {MAX_CATCH_UP} steps behind")

    def quarantine(self, code: str, error: BaseException, *, timer: str | None = None) -> None:
        """Hand a case the worker cannot move to the owner: ``pending_review`` naming the
        error, an owner alert, a ledger row; its graph waits for the owner's decision, so
        the worker does not try it again round after round."""
        why = f"the worker could not go on with it ({type(error).__name__}: {error})"[:480]
        config = self._config(code)
        try:
            with self._case_lock(code):
                snapshot = self.graph.get_state(config)
                failed = next((task.name for task in snapshot.tasks if task.error), None)
                failed = failed or (snapshot.next[0] if snapshot.next else None)
                with self.session() as session:
                    case = get_case(session, code, lock=True)
                    if case is None or case.status in case_steps.FINAL:
                        return
                    ctx = self.context(session)
                    decisions.append(
                        session,
                        at=ctx.now,
                        case_code=case.code,
                        actor="system",
                        action="case_quarantined",
                        data={"error": type(error).__name__, "step": failed, "timer": timer},
                        reason=why,
                    )
                    case_steps.send_to_review(
                        ctx,
                        case,
                        actor="system",
                        clause="worker",
                        why=why[0].upper() + why[1:] + ".",
                        after=case_steps.SETTLE if failed == "settle" else case_steps.ASSESS,
                    )
                if snapshot.values and not any(task.interrupts for task in snapshot.tasks):
                    # Put the graph at a wait for the owner's decision, past the failed step.
                    tick = int(snapshot.values.get("tick", 0))
                    self.graph.update_state(
                        config,
                        Command(goto="wait", update={"tick": tick + 1}),
                        as_node=failed if failed in ("assess", "wait", "settle") else "assess",
                    )
                    self._invoke(None, config)
        except DATABASE_TROUBLE:
            raise
        except Exception:  # never let the quarantine itself stop the round
            log.exception("case %s could not be quarantined", code)

    # -- reading ----------------------------------------------------------------------------

    def case_view(self, code: str) -> CaseView:
        notes = current_notes()
        if notes is not None:  # a step of this desk call just left the case: its view
            view: CaseView | None = notes.views.get(code.strip().upper())
            if view is not None:
                return view
        with self.reading() as session:
            return view_case(session, self._load(session, code), self.store.policy.currency)

    def cases_for_order(self, number: str) -> list[CaseView]:
        with self.reading() as session:
            order = find_order(session, number)
            if order is None:
                return []
            rows = session.execute(
                select(CaseRow).where(CaseRow.order_id == order.id).order_by(CaseRow.id)
            ).scalars()
            return [view_case(session, row, self.store.policy.currency) for row in rows]

    def label_pdf(self, code: str) -> bytes | None:
        with self.reading() as session:
            return generate_label.label_pdf(session, code.strip().upper())

    def customer_messages(self, code: str) -> list[str]:
        with self.reading() as session:
            return [
                row.text
                for row in outbox.messages(session, channel=outbox.CUSTOMER, case_code=code)
            ]


def _money_and_label(session: Session, code: str) -> tuple[dict[str, int], str | None]:
    """The case's balance on every account and its label's tracking number, in one query."""
    balances: dict[str, int] = {}
    tracking: str | None = None
    # A label issued in this transaction is read here: sent first (``ledger.pending``).
    # Straight on the connection: the case's own changes need not be flushed for this read
    # (the step's commit writes them in one update).
    pending.flush(session, _VIEW_TABLES)
    rows: list[Any] = list(session.connection().execute(_MONEY_AND_LABEL, {"code": code}).all())
    for row in rows:
        if row.tracking is not None:
            tracking = str(row.tracking)
        else:
            balances[str(row.account)] = int(row.amount or 0)
    return balances, tracking


_VIEW_TABLES = frozenset({"labels", "journal_entries", "journal_lines"})
# Built once: the view is read at the end of every step, and a statement object reused
# keeps its cache key.
_MONEY_AND_LABEL: Any = union_all(
    select(
        JournalLineRow.account.label("account"),
        func.sum(JournalLineRow.amount_minor).label("amount"),
        null().label("tracking"),
    )
    .join(JournalEntryRow)
    .where(JournalEntryRow.case_code == bindparam("code"))
    .group_by(JournalLineRow.account),
    select(
        literal("").label("account"),
        literal(0).label("amount"),
        LabelRow.tracking_number.label("tracking"),
    ).where(LabelRow.case_code == bindparam("code")),
)


def view_case(session: Session, case: CaseRow, currency: str) -> CaseView:
    balances, tracking = _money_and_label(session, case.code)

    def money(account: str, sign: int = 1) -> str:
        return Money(minor=sign * balances.get(account, 0), currency=currency).amount_str()

    return CaseView(
        code=case.code,
        order=case.order.display_number,
        sku=case.line_item.sku,
        item=case.line_item.name,
        quantity=case.quantity,
        reason=case.reason,
        status=case.status,
        requested_resolution=case.requested_resolution,
        resolution=case.resolution,
        return_required=case.return_required,
        label=tracking is not None,
        tracking_number=tracking,
        rma=case.rma,
        refunded=Money(
            minor=-balances.get(journal.CUSTOMER_PAYMENTS, 0)
            - balances.get(journal.REFUNDS_OWED_BY_HAND, 0),
            currency=currency,
        ).amount_str(),
        owed_by_hand=money(journal.REFUNDS_OWED_BY_HAND, -1),
        store_credit=money(journal.STORE_CREDIT_LIABILITY, -1),
        # what the supplier owes for the case, whether since paid, written off or still open
        supplier_credit=Money(
            minor=balances.get(journal.SUPPLIER_RECEIVABLE, 0)
            + balances.get(journal.SUPPLIER_REMITTANCES, 0)
            + balances.get(journal.SUPPLIER_CREDIT_WRITTEN_OFF, 0),
            currency=currency,
        ).amount_str(),
        currency=currency,
        supplier_id=case.supplier_id,
        review_reason=case.review_reason,
        created_at=case.created_at,
    )
