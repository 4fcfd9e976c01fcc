"""Refund the customer to the original payment, never beyond what was paid for the item."""

from __future__ import annotations

from pydantic import BaseModel

from ledger import decisions, journal
from ledger.models import CaseRow
from ledger.repository import lock_line_item
from policies.money import Money
from tools.context import ToolContext
from tools.effects import once
from tools.errors import RefundCapExceeded


class RefundResult(BaseModel):
    amount_minor: int
    reference: str
    issued_now: bool


def refundable_left(ctx: ToolContext, case: CaseRow) -> int:
    """What is still refundable on the case's line item, across all its cases.

    Takes the line item's lock first, so no other refund or store credit on the item is
    counted or written until this transaction ends."""
    lock_line_item(ctx.session, case.line_item_id)
    paid = case.line_item.unit_price_minor * case.line_item.quantity
    given = journal.balance(ctx.session, journal.REFUNDS_PAID, line_item_id=case.line_item_id)
    return paid - given


def check_cap(ctx: ToolContext, case: CaseRow, amount_minor: int) -> None:
    if amount_minor < 0:
        raise RefundCapExceeded("A refund cannot be negative.")
    left = refundable_left(ctx, case)
    if amount_minor > left:
        money = Money(minor=left, currency=ctx.currency)
        raise RefundCapExceeded(
            f"Refusing to give back more than was paid: only {money} is left on this item."
        )


def issue_refund(
    ctx: ToolContext,
    case: CaseRow,
    amount_minor: int,
    *,
    step: str,
    actor: str,
    reason: str,
    kind: str = "refund",
) -> RefundResult:
    key = f"{case.code}:{kind}:{step}"

    def pay() -> dict[str, object]:
        check_cap(ctx, case, amount_minor)
        reference = ctx.payments.refund(
            case.order.display_number,
            amount_minor,
            ctx.currency,
            key,
            external_id=case.order.external_id,
        )
        journal.post(
            ctx.session,
            key=key,
            at=ctx.now,
            case_code=case.code,
            kind=kind,
            currency=ctx.currency,
            lines=[
                journal.Line(journal.REFUNDS_PAID, amount_minor, case.line_item_id),
                journal.Line(journal.CUSTOMER_PAYMENTS, -amount_minor),
            ],
        )
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=actor,
            action="refund_issued",
            data={
                "amount": Money(minor=amount_minor, currency=ctx.currency).amount_str(),
                "currency": ctx.currency,
                "reference": reference,
                "kind": kind,
            },
            reason=reason,
        )
        return {"amount_minor": amount_minor, "reference": reference}

    result, now = once(ctx, key, kind, case.code, pay)
    return RefundResult(
        amount_minor=int(result["amount_minor"]), reference=str(result["reference"]), issued_now=now
    )
