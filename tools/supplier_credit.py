"""Supplier credit from owed to received: credit notes, payments, write-offs.

At resolution a case records what its supplier owes (``supplier_credit`` entries, a
receivable). A credit note or payment from the supplier settles its oldest open credits first
(first recorded first), unless an order or a case is named; a part payment leaves the rest
open. A credit is overdue ``credit_due_days`` after it was recorded, for its unpaid part. The
owner may write a credit off. Each settlement is a balanced journal entry on the case
(receivable against remittances or write-offs) and a ledger row on the case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import decisions, journal
from ledger.models import CaseRow, JournalEntryRow, JournalLineRow, OrderRow
from ledger.owner_models import SupplierPaymentRow
from policies.models import Store, normalize_order_number
from policies.money import Money
from tools.context import ToolContext
from tools.errors import ReturnError

RECORDED = "supplier_credit"
RECEIVED = "supplier_credit_received"
WRITTEN_OFF = "supplier_credit_written_off"


class CreditRefused(ReturnError):
    code = "credit_refused"


@dataclass
class Credit:
    """What one case's supplier owes, and how much of it came in or was given up."""

    case_code: str
    case_id: int
    order: str
    supplier_id: str
    recorded_minor: int
    recorded_at: dt.datetime
    received_minor: int = 0
    written_off_minor: int = 0
    received_at: dt.datetime | None = None  # when the last of it came in, once all did

    @property
    def unpaid_minor(self) -> int:
        return self.recorded_minor - self.received_minor - self.written_off_minor

    def due_at(self, due_days: int) -> dt.datetime:
        return self.recorded_at + dt.timedelta(days=due_days)

    def overdue_minor(self, now: dt.datetime, due_days: int) -> int:
        """The unpaid part, once the credit was recorded more than ``due_days`` ago."""
        return self.unpaid_minor if now > self.due_at(due_days) else 0


def allocate(open_credits: list[tuple[str, int]], amount_minor: int) -> list[tuple[str, int]]:
    """Spread an amount over open credits in the order given (oldest first).

    ``open_credits`` holds (case code, unpaid amount); the result (case code, amount settled)
    for each credit touched; what cannot be placed is left out (the caller refuses it).
    """
    left = amount_minor
    settled = []
    for code, unpaid in open_credits:
        if left <= 0:
            break
        if unpaid <= 0:
            continue
        part = min(unpaid, left)
        settled.append((code, part))
        left -= part
    return settled


def credits(session: Session, supplier_id: str | None = None) -> list[Credit]:
    """Every recorded supplier credit, oldest first, with what settled it so far."""
    query = (
        select(
            JournalEntryRow.case_code,
            JournalEntryRow.kind,
            JournalEntryRow.at,
            JournalEntryRow.id,
            JournalLineRow.amount_minor,
            CaseRow.id,
            CaseRow.supplier_id,
            OrderRow.display_number,
        )
        .join(JournalLineRow, JournalLineRow.entry_id == JournalEntryRow.id)
        .join(CaseRow, CaseRow.code == JournalEntryRow.case_code)
        .join(OrderRow, OrderRow.id == CaseRow.order_id)
        .where(
            JournalLineRow.account == journal.SUPPLIER_RECEIVABLE,
            JournalEntryRow.kind.in_((RECORDED, RECEIVED, WRITTEN_OFF)),
        )
        .order_by(JournalEntryRow.at, JournalEntryRow.id)
    )
    if supplier_id is not None:
        query = query.where(CaseRow.supplier_id == supplier_id)
    found: dict[str, Credit] = {}
    for code, kind, at, _entry, amount, case_id, supplier, order in session.execute(query):
        if code is None:
            continue
        credit = found.get(code)
        if kind == RECORDED:
            if credit is None:
                found[code] = Credit(code, case_id, order, supplier, amount, at)
            else:
                credit.recorded_minor += amount
            continue
        if credit is None:  # a settlement without a recorded credit cannot happen; skip it
            continue
        if kind == RECEIVED:
            credit.received_minor -= amount
            if credit.unpaid_minor <= 0 and credit.received_at is None:
                credit.received_at = at
        else:
            credit.written_off_minor -= amount
    return sorted(found.values(), key=lambda c: (c.recorded_at, c.case_id))


def _money(ctx: ToolContext, minor: int) -> str:
    return Money(minor=minor, currency=ctx.currency).amount_str()


def _chosen(
    ctx: ToolContext, supplier_id: str, order: str | None, case_code: str | None
) -> list[Credit]:
    """The supplier's open credits, oldest first, narrowed to the order or case named."""
    chosen = [c for c in credits(ctx.session, supplier_id) if c.unpaid_minor > 0]
    if case_code:
        code = case_code.strip().upper()
        chosen = [c for c in chosen if c.case_code == code]
        if not chosen:
            raise CreditRefused(f"Return {code} has no open credit from supplier {supplier_id}.")
    elif order:
        number = normalize_order_number(order)
        chosen = [c for c in chosen if normalize_order_number(c.order) == number]
        if not chosen:
            raise CreditRefused(
                f"Order {order.strip()} has no open credit from supplier {supplier_id}."
            )
    return chosen


def _check_supplier(ctx: ToolContext, supplier_id: str) -> None:
    if supplier_id not in ctx.store.suppliers:
        raise CreditRefused(f"There is no supplier {supplier_id!r}.")


@dataclass(frozen=True)
class Settlement:
    supplier_id: str
    kind: str  # received | written_off
    amount_minor: int
    reference: str
    settled: list[tuple[str, int]]
    still_owed_minor: int


def record_received(
    ctx: ToolContext,
    supplier_id: str,
    amount_minor: int,
    reference: str,
    *,
    order: str | None = None,
    case_code: str | None = None,
    actor: str = "owner",
) -> Settlement:
    """A credit note or payment from the supplier, settling its oldest open credits first."""
    _check_supplier(ctx, supplier_id)
    reference = " ".join((reference or "").split())[:200]
    if amount_minor <= 0:
        raise CreditRefused("The amount received must be more than zero.")
    if not reference:
        raise CreditRefused("Give the reference of the credit note or payment.")
    decisions.lock_chain(ctx.session)  # one settlement at a time reads the open credits
    if _payment_exists(ctx.session, supplier_id, "received", reference):
        raise CreditRefused(
            f"A credit note or payment {reference!r} from {supplier_id} is already recorded."
        )
    chosen = _chosen(ctx, supplier_id, order, case_code)
    owed = sum(c.unpaid_minor for c in chosen)
    if amount_minor > owed:
        where = " on that return" if case_code or order else ""
        raise CreditRefused(
            f"Supplier {supplier_id} owes {_money(ctx, owed)}{where}; "
            f"{_money(ctx, amount_minor)} is more than that, so nothing was recorded."
        )
    settled = allocate([(c.case_code, c.unpaid_minor) for c in chosen], amount_minor)
    payment = _payment(ctx, supplier_id, "received", amount_minor, reference)
    left = {c.case_code: c.unpaid_minor for c in chosen}
    for code, part in settled:
        _post_part(
            ctx,
            payment.id,
            code,
            part,
            kind=RECEIVED,
            account=journal.SUPPLIER_REMITTANCES,
            memo=f"{supplier_id} {reference}",
            actor=actor,
            action="supplier_credit_received",
            data={
                "supplier": supplier_id,
                "amount": _money(ctx, part),
                "payment": _money(ctx, amount_minor),
                "reference": reference,
                "still_owed": _money(ctx, left[code] - part),
                "currency": ctx.currency,
            },
            reason="oldest open credits first" if not (order or case_code) else "named by owner",
        )
    return Settlement(
        supplier_id, "received", amount_minor, reference, settled, _owed(ctx, supplier_id)
    )


def write_off(
    ctx: ToolContext,
    supplier_id: str,
    *,
    order: str | None = None,
    case_code: str | None = None,
    amount_minor: int | None = None,
    note: str = "",
    actor: str = "owner",
) -> Settlement:
    """Give up on what is still owed on the order or case named (or an amount, oldest first)."""
    _check_supplier(ctx, supplier_id)
    if amount_minor is None and not (order or case_code):
        raise CreditRefused(
            "Name the order or return whose credit to write off, or the amount to write off."
        )
    if amount_minor is not None and amount_minor <= 0:
        raise CreditRefused("The amount to write off must be more than zero.")
    decisions.lock_chain(ctx.session)
    chosen = _chosen(ctx, supplier_id, order, case_code)
    owed = sum(c.unpaid_minor for c in chosen)
    if owed <= 0:
        raise CreditRefused(f"Supplier {supplier_id} owes nothing to write off.")
    amount = owed if amount_minor is None else amount_minor
    if amount > owed:
        raise CreditRefused(
            f"Supplier {supplier_id} owes {_money(ctx, owed)}; cannot write off "
            f"{_money(ctx, amount)}."
        )
    settled = allocate([(c.case_code, c.unpaid_minor) for c in chosen], amount)
    count = _payments_of(ctx.session, supplier_id, "written_off") + 1
    payment = _payment(ctx, supplier_id, "written_off", amount, f"write-off {count}", note)
    for code, part in settled:
        _post_part(
            ctx,
            payment.id,
            code,
            part,
            kind=WRITTEN_OFF,
            account=journal.SUPPLIER_CREDIT_WRITTEN_OFF,
            memo=f"{supplier_id} written off" + (f": {note}" if note else ""),
            actor=actor,
            action="supplier_credit_written_off",
            data={"supplier": supplier_id, "amount": _money(ctx, part), "currency": ctx.currency},
            reason=note or "written off by the owner",
        )
    return Settlement(
        supplier_id, "written_off", amount, payment.reference, settled, _owed(ctx, supplier_id)
    )


def _post_part(
    ctx: ToolContext,
    payment_id: int,
    code: str,
    part: int,
    *,
    kind: str,
    account: str,
    memo: str,
    actor: str,
    action: str,
    data: dict[str, Any],
    reason: str,
) -> None:
    """The part of a payment or write-off that settles one case: its balanced journal entry
    (off the supplier receivable, onto ``account``) and the decision that carries it."""
    entry = journal.post(
        ctx.session,
        key=f"supplier_payment:{payment_id}:{code}",
        at=ctx.now,
        case_code=code,
        kind=kind,
        currency=ctx.currency,
        lines=[journal.Line(account, part), journal.Line(journal.SUPPLIER_RECEIVABLE, -part)],
        memo=memo,
    )
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=code,
        actor=actor,
        action=action,
        data={**data, "journal": journal.cover(entry)},
        reason=reason,
    )


def _owed(ctx: ToolContext, supplier_id: str) -> int:
    return sum(c.unpaid_minor for c in credits(ctx.session, supplier_id))


def _payment_exists(session: Session, supplier_id: str, kind: str, reference: str) -> bool:
    return (
        session.execute(
            select(SupplierPaymentRow.id).where(
                SupplierPaymentRow.supplier_id == supplier_id,
                SupplierPaymentRow.kind == kind,
                SupplierPaymentRow.reference == reference,
            )
        ).first()
        is not None
    )


def _payments_of(session: Session, supplier_id: str, kind: str) -> int:
    return int(
        session.execute(
            select(func.count(SupplierPaymentRow.id)).where(
                SupplierPaymentRow.supplier_id == supplier_id, SupplierPaymentRow.kind == kind
            )
        ).scalar_one()
    )


def _payment(
    ctx: ToolContext, supplier_id: str, kind: str, amount: int, reference: str, note: str = ""
) -> SupplierPaymentRow:
    row = SupplierPaymentRow(
        supplier_id=supplier_id,
        kind=kind,
        amount_minor=amount,
        currency=ctx.currency,
        reference=reference,
        note=note[:2000],
        at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def due_days(store: Store, supplier_id: str) -> int:
    agreement = store.suppliers.get(supplier_id)
    return agreement.credit_due_days if agreement is not None else 30
