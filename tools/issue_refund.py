"""Refund the customer to the original payment, never beyond what was paid for the item.

The payments service is called outside any transaction (``tools/effects.py``): the refund is
first reserved against the line item's cap under its lock, then paid with the idempotency key,
then recorded by the step that asked for it.
"""

from __future__ import annotations

from pydantic import BaseModel

from ledger import decisions, journal
from ledger.models import CaseRow
from policies.money import Money
from tools import effects
from tools.context import ToolContext
from tools.effects import ServiceCall, external


class RefundResult(BaseModel):
    amount_minor: int
    reference: str
    issued_now: bool


def refundable_left(ctx: ToolContext, case: CaseRow) -> int:
    """What is still refundable on the case's line item, across all its cases, within what is
    left on its order (locks the line item and the order)."""
    return effects.refundable_left(ctx.session, case.line_item_id)


def check_cap(ctx: ToolContext, case: CaseRow, amount_minor: int) -> None:
    """Raise ``RefundCapExceeded`` unless ``amount_minor`` fits what is left on the line item;
    the line item stays locked until the caller's transaction ends."""
    effects.check_cap(ctx.session, case.line_item_id, amount_minor, ctx.currency)


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
    call = ServiceCall(
        key=key,
        kind=kind,
        case_code=case.code,
        service="payments.refund",
        args={
            "order_number": case.order.display_number,
            "amount_minor": amount_minor,
            "currency": ctx.currency,
            "external_id": case.order.external_id,
        },
        line_item_id=case.line_item_id,
        amount_minor=amount_minor,
    )

    def record(answer: dict[str, object]) -> dict[str, object]:
        reference = str(answer["reference"])
        entry = journal.post(
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
                "journal": journal.cover(entry),
                "amount": Money(minor=amount_minor, currency=ctx.currency).amount_str(),
                "currency": ctx.currency,
                "reference": reference,
                "kind": kind,
            },
            reason=reason,
        )
        return {"amount_minor": amount_minor, "reference": reference}

    result, now = external(ctx, call, record)
    return RefundResult(
        amount_minor=int(result["amount_minor"]), reference=str(result["reference"]), issued_now=now
    )
