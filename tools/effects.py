"""Run an effect once per idempotency key; call payments and carriers outside any transaction
(unless the adapter runs in this process and answers from the key alone).

Effects that stay in the database (store credit, a supplier credit) run inside the caller's
unit of work with :func:`once`. A call to a payments or carrier service never runs while a
write transaction or a row lock is held (a slow service would block every writer, and on
SQLite every request). Such an effect goes in three short steps, each its own transaction or
none, with the same idempotency key throughout:

1. reserve: lock the line item, check the refund cap counting what other effects have
   reserved, and write the effect as ``pending`` (so a concurrent refund sees it); commit
   (a call that holds no money, a label, has nothing to reserve and skips this). When the
   step that asks for the call has written nothing yet, it reserves in its own transaction,
   under the locks it holds, and that transaction commits the reservation alone (one
   transaction less than a rollback and a reservation of its own);
2. call the service with the key, outside any transaction (the adapters are idempotent by
   key: a repeated call returns the first refund or label);
3. run the step that needed the effect again, handing it the service's answer: it records it
   (journal entry, decision, label) in its own transaction, and the effect becomes ``done``.

A crash anywhere in between leaves a ``pending`` effect (its amount still reserved) that the
next run of the step completes with the same key: the service, asked again with that key,
gives the first answer back. An effect left ``called`` by an earlier version of this module
is recorded from the answer kept on it. :func:`run_unit` drives this loop; the case graph runs
every step through it.

An adapter that runs in this process and answers from the idempotency key alone (the local
carrier and payments, ``tools.adapters.InProcess``) has no service to wait on: holding the
write lock or a row lock across its call blocks nobody for longer than the step itself. Its
call is answered inside the step's own transaction: a refund is checked against the cap under
the line item's and its order's locks there, the answer recorded there, and the effect written
once, ``done``. A retry asks it again with the same key and gets the same answer. Any other
adapter (a service across the network) keeps the three steps above.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from ledger import pending
from ledger.db import transaction
from ledger.models import CaseRow, EffectRow, LineItemRow, OrderRow
from ledger.repository import lock_line_item, lock_order
from policies.money import Money
from tools import refund_caps
from tools.adapters import Carrier, Payments, RefundByHand, RefundedItems, runs_in_process
from tools.context import ToolContext
from tools.errors import RefundCapExceeded
from tools.label_pdf import LabelContent

T = TypeVar("T")

PENDING = "pending"  # reserved, the service not (yet surely) called
CALLED = "called"  # the service answered, its answer kept on the row (earlier versions)
DONE = "done"
MAX_CALLS_PER_UNIT = 8
ANSWERS = "service_answers"  # ``ToolContext.cache``: answers got outside this unit of work
# ``ToolContext.cache``: the session began with this unit of work's transaction (``run_unit``)
_FRESH = "session_of_this_transaction"


def once(
    ctx: ToolContext,
    key: str,
    kind: str,
    case_code: str | None,
    effect: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """The effect's result and whether it ran now (False: it had run before)."""
    session = ctx.session
    if pending.holds(session, pending.table_of(EffectRow), key):
        # run earlier in this transaction: what waits is sent, then read back
        with session.no_autoflush:
            done = session.get(EffectRow, key)
        assert done is not None
        return done.result, False
    # Read through the connection: the step's own changes (to the case) wait for its commit,
    # and so do the other effects it holds back (a refund recorded a moment ago), to go out
    # in one insert with this one; neither bears on this key.
    before = session.connection().execute(_RESULT_OF, {"key": key}).first()
    if before is not None:
        return before[0], False
    result = effect()
    # written at commit with the step's other rows (``ledger.pending``); the key's unique
    # constraint still fails a second writer there
    pending.add(
        ctx.session,
        pending.table_of(EffectRow),
        {
            "idempotency_key": key,
            "kind": kind,
            "case_code": case_code,
            "result": result,
            "at": ctx.now,
        },
        key=key,
    )
    return result, True


@dataclass(frozen=True)
class ServiceCall:
    """One call to a payments or carrier service, described so it can run outside the unit
    of work that asked for it. ``amount_minor`` on a ``line_item_id`` is reserved against the
    item's refund cap from the moment the call is reserved."""

    key: str
    kind: str
    case_code: str
    service: Literal["payments.refund", "carrier.buy_label"]
    args: dict[str, Any] = field(default_factory=dict)
    line_item_id: int | None = None
    amount_minor: int = 0


class CallNeeded(Exception):
    """Raised inside a unit of work that needs a service's answer it does not have yet.

    ``reserved``: the unit of work wrote the call's reservation and nothing else, so its
    transaction is to commit (the reservation alone), not roll back."""

    def __init__(self, call: ServiceCall, *, reserved: bool = False) -> None:
        super().__init__(f"{call.service} needed for {call.key}")
        self.call = call
        self.reserved = reserved


# ``Session.info``: the transaction in which the session flushed or ran a write statement.
_WROTE = "effects_wrote_in"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = session.get_transaction()


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = state.session.get_transaction()


def _written_nothing(session: Session) -> bool:
    """Whether this transaction holds no write of its own yet (sent or waiting): committing
    it now would commit nothing but what is added from here on."""
    return not (
        session.info.get(_WROTE) is session.get_transaction()
        or session.new
        or session.dirty
        or session.deleted
        or pending.holds_any(session)
    )


def _holds_only_reservation(session: Session, call: ServiceCall) -> bool:
    """Whether the transaction holds the call's reservation and nothing else (a step that
    caught the call's exception may have written since)."""
    new = list(session.new)
    return (
        len(new) == 1
        and isinstance(new[0], EffectRow)
        and new[0].idempotency_key == call.key
        and session.info.get(_WROTE) is not session.get_transaction()
        and not session.dirty
        and not session.deleted
        and not pending.holds_any(session)
    )


def _reserve(
    session: Session, call: ServiceCall, currency: str, now: Any, *, loaded_here: bool = False
) -> None:
    """Check the refund cap under the line item's and its order's locks and write the
    effect as ``pending``: from here on it counts against the cap. ``loaded_here``: see
    :func:`refundable_left`."""
    if call.line_item_id is not None:
        check_cap(session, call.line_item_id, call.amount_minor, currency, loaded_here=loaded_here)
    session.add(
        EffectRow(
            idempotency_key=call.key,
            kind=call.kind,
            case_code=call.case_code,
            result={
                "state": PENDING,
                "service": call.service,
                "line_item_id": call.line_item_id,
                "amount_minor": call.amount_minor,
            },
            at=now,
        )
    )


def state_of(row: EffectRow) -> str:
    return str((row.result or {}).get("state", DONE))


def external(
    ctx: ToolContext, call: ServiceCall, record: Callable[[dict[str, Any]], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """Inside the unit of work: the recorded result (and False), or record the service's
    answer now with ``record(answer)`` (and True), or raise :class:`CallNeeded`.

    The answer is the one :func:`run_unit` got from the service for this key a moment ago
    (``ctx.cache``), or one kept on the row, or, from an adapter that runs in this process
    (:func:`answered_here`), the one it gives now."""
    session = ctx.session
    # Read afresh (a reservation may have been written since); the step's changes to the
    # case wait for its commit, unless an effect changed here could be read over.
    changed = any(isinstance(other, EffectRow) for other in session.dirty)
    with contextlib.nullcontext() if changed else session.no_autoflush:
        row = session.execute(_EFFECT_AFRESH, {"key": call.key}).scalar_one_or_none()
    if row is not None and state_of(row) == DONE:
        return row.result, False
    answers: dict[str, dict[str, Any]] = ctx.cache.get(ANSWERS, {})
    if row is None:
        # a call that reserves nothing (a label) is not written before it is made
        answer = answers.get(call.key) if not _reserves(call) else None
    elif state_of(row) == CALLED:
        answer = row.result.get("answer")
    else:
        answer = answers.get(call.key) if state_of(row) == PENDING else None
    if answer is None and answered_here(ctx, call):
        # An adapter in this process answers from the key alone: asked here, under the locks
        # the step holds, there is no service to wait on and nothing to let go of. A refund
        # not reserved before is checked against the cap now, under the line item's and its
        # order's locks, and recorded in this same transaction.
        if row is None and _reserves(call):
            assert call.line_item_id is not None
            check_cap(
                session,
                call.line_item_id,
                call.amount_minor,
                ctx.currency,
                loaded_here=ctx.cache.get(_FRESH, False),
            )
        answer = _call(call, ctx.payments, ctx.carrier)
    if answer is None:
        if row is None and _reserves(call) and _written_nothing(session):
            # Reserved here, under the locks this step holds; its transaction commits the
            # reservation alone before the call (``run_unit``).
            _reserve(session, call, ctx.currency, ctx.now, loaded_here=ctx.cache.get(_FRESH, False))
            raise CallNeeded(call, reserved=True)
        raise CallNeeded(call)
    result = record(dict(answer))
    if row is None:
        pending.add(
            ctx.session,
            pending.table_of(EffectRow),
            {
                "idempotency_key": call.key,
                "kind": call.kind,
                "case_code": call.case_code,
                "result": {**result, "state": DONE},
                "at": ctx.now,
            },
            key=call.key,
        )
    else:
        row.result = {**result, "state": DONE}
    return result, True


def ahead(ctx: ToolContext, call: ServiceCall) -> None:
    """Raise :class:`CallNeeded` now when :func:`external` will raise it for ``call`` later in
    this unit of work: a step that is sure to need a service's answer asks for it before it
    writes anything, so the run that lets go of its transaction for the call is short."""
    if call.key in ctx.cache.get(ANSWERS, {}) or answered_here(ctx, call):
        return
    with ctx.session.no_autoflush:  # the effect's row owes nothing to the step's changes
        row = ctx.session.get(EffectRow, call.key)
    if row is None or state_of(row) == PENDING:
        raise CallNeeded(call)


def answered_here(ctx: ToolContext, call: ServiceCall) -> bool:
    """Whether the call's adapter runs in this process and answers from the key alone
    (``tools.adapters.InProcess``): asked inside the unit of work, not outside it."""
    adapter = ctx.payments if call.service == "payments.refund" else ctx.carrier
    return runs_in_process(adapter)


def _reserves(call: ServiceCall) -> bool:
    """Whether the call holds money against a line item's cap while it is under way."""
    return call.line_item_id is not None


def reserved(session: Session, line_item_ids: Collection[int]) -> int:
    """What effects not yet recorded in the journal hold of these line items (refunds under
    way)."""
    return sum(_reserved_by_line(session, line_item_ids).values())


# Built once: a statement object reused with bound parameters keeps its cache key (a
# ``Session.get`` or a statement built per call makes a new one each time).
_EFFECT_AFRESH = (
    select(EffectRow)
    .where(EffectRow.idempotency_key == bindparam("key"))
    .execution_options(populate_existing=True)
)
_RESULT_OF = select(EffectRow.result).where(EffectRow.idempotency_key == bindparam("key"))
_RESULTS_OF_LINES = (
    select(EffectRow.result)
    .join(CaseRow, CaseRow.code == EffectRow.case_code)
    .where(CaseRow.line_item_id.in_(bindparam("ids", expanding=True)))
)


def _reserved_by_line(session: Session, line_item_ids: Collection[int]) -> dict[int, int]:
    ids = set(line_item_ids)
    rows = session.execute(_RESULTS_OF_LINES, {"ids": list(ids)}).scalars()
    held: dict[int, int] = {}
    for result in rows:
        result = result or {}
        line = result.get("line_item_id")
        if result.get("state") in (PENDING, CALLED) and line in ids:
            held[line] = held.get(line, 0) + int(result.get("amount_minor") or 0)
    return held


def refundable_left(session: Session, line_item_id: int, *, loaded_here: bool = False) -> int:
    """What may still be given back on a line item, across all its cases: what the line paid
    and what is left of its order's cap (``tools.refund_caps``), each less the refunds
    reserved and not yet recorded.

    Takes the line item's lock, then its order's, first: nothing else is counted or reserved
    on the item or its order until this transaction ends. ``loaded_here``: the session began
    with this transaction, so what it loaded was read in it; on SQLite, where the transaction
    holds the database's write lock since its ``BEGIN``, the rows it loaded are current and
    locked already, and are taken without a statement."""
    item: LineItemRow
    if loaded_here and session.get_bind().dialect.name == "sqlite":
        found = session.get(LineItemRow, line_item_id)
        assert found is not None, f"line item {line_item_id} is gone"
        item = found
        order = session.get(OrderRow, item.order_id)
        assert order is not None, f"order {item.order_id} is gone"
    else:
        item = lock_line_item(session, line_item_id)
        order = lock_order(session, item.order_id)
    left = refund_caps.left_for_line(session, item, order)
    held = _reserved_by_line(session, [line.id for line in order.items])  # one query for both
    on_line = left.line - held.get(item.id, 0)
    on_order = left.order - sum(held.values())
    return min(on_line, on_order)


def check_cap(
    session: Session,
    line_item_id: int,
    amount_minor: int,
    currency: str,
    *,
    loaded_here: bool = False,
) -> None:
    if amount_minor < 0:
        raise RefundCapExceeded("A refund cannot be negative.")
    left = refundable_left(session, line_item_id, loaded_here=loaded_here)
    if amount_minor > left:
        money = Money(minor=max(left, 0), currency=currency)
        raise RefundCapExceeded(
            f"Refusing to give back more than was paid: only {money} is left on this item."
        )


def perform(
    sessions: sessionmaker[Session],
    call: ServiceCall,
    *,
    payments: Payments,
    carrier: Carrier,
    currency: str,
    now: Any,
    reserved: bool = False,
) -> dict[str, Any] | None:
    """Reserve, then call the service outside any transaction; its answer, or None when the
    effect was answered before (the unit of work records it). ``reserved``: the unit of work
    committed the reservation a moment ago; only the call is left.

    A call that holds no money (a label) is not reserved: the unit of work writes its effect
    when it records the answer, and a crash before that asks the service again with the same
    key, which gives the same label back."""
    if not _reserves(call) or reserved:
        return _call(call, payments, carrier)
    with transaction(sessions) as session:
        row = session.get(EffectRow, call.key)
        if row is not None and state_of(row) != PENDING:
            return None
        if row is None:
            _reserve(session, call, currency, now)
    return _call(call, payments, carrier)  # no transaction open, no row locked


def _call(call: ServiceCall, payments: Payments, carrier: Carrier) -> dict[str, Any]:
    if call.service == "payments.refund":
        items = call.args.get("items")
        reference = payments.refund(
            str(call.args["order_number"]),
            int(call.args["amount_minor"]),
            str(call.args["currency"]),
            call.key,
            external_id=call.args.get("external_id"),
            items=RefundedItems(**items) if isinstance(items, dict) else None,
        )
        if isinstance(reference, RefundByHand):
            # Nothing was paid: the owner pays by hand; the step records that instead.
            return {
                "reference": f"by-hand:{reference.gateway}",
                "by_hand": True,
                "gateway": reference.gateway,
                "why": reference.why,
            }
        return {"reference": reference}
    if call.service == "carrier.buy_label":
        label = carrier.buy_label(LabelContent.model_validate(call.args["content"]), call.key)
        answer: dict[str, Any] = {
            "carrier": label.carrier,
            "tracking_number": label.tracking_number,
            "pdf": base64.b64encode(label.pdf).decode("ascii"),
        }
        if label.content is not None:  # drawn here: rendered when downloaded
            answer["content"] = label.content.model_dump(mode="json")
        return answer
    raise ValueError(f"unknown service {call.service!r}")


def run_unit(
    sessions: sessionmaker[Session],
    make_context: Callable[[Session], ToolContext],
    work: Callable[[ToolContext], T],
) -> T:
    """Run ``work`` in one transaction; when it needs a service, let it go, make the call
    outside (:func:`perform`) and run it again with the answer. Returns what ``work``
    returned."""
    answers: dict[str, dict[str, Any]] = {}
    for _ in range(MAX_CALLS_PER_UNIT + 1):
        needed: CallNeeded | None = None
        try:
            with transaction(sessions) as session:
                ctx = make_context(session)
                ctx.cache[ANSWERS] = answers
                ctx.cache[_FRESH] = True  # a session of this transaction alone
                try:
                    return work(ctx)
                except CallNeeded as asked:
                    if asked.reserved and not _holds_only_reservation(session, asked.call):
                        asked.reserved = False  # roll back; the reservation goes alone
                    if not asked.reserved:
                        raise
                    needed = asked  # the transaction commits the reservation alone
        except CallNeeded as asked:
            needed = asked
        if needed is not None:
            answer = perform(
                sessions,
                needed.call,
                payments=ctx.payments,
                carrier=ctx.carrier,
                currency=ctx.currency,
                now=ctx.now,
                reserved=needed.reserved,
            )
            if answer is not None:
                answers[needed.call.key] = answer
    raise RuntimeError(f"a unit of work asked for more than {MAX_CALLS_PER_UNIT} service calls")
