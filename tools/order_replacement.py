"""Order a replacement unit from the supplier for the customer."""

from __future__ import annotations

from pydantic import BaseModel

from ledger import decisions, journal
from ledger.models import CaseRow
from tools.context import ToolContext
from tools.effects import once
from tools.notify import notify_supplier


class ReplacementResult(BaseModel):
    reference: str
    issued_now: bool


def order_replacement(
    ctx: ToolContext, case: CaseRow, *, step: str, actor: str, reason: str
) -> ReplacementResult:
    key = f"{case.code}:replacement:{step}"
    value = case.line_item.unit_price_minor * case.quantity

    def place() -> dict[str, object]:
        reference = "RPL-" + case.code.removeprefix("RB-")
        entry = journal.post(
            ctx.session,
            key=key,
            at=ctx.now,
            case_code=case.code,
            kind="replacement",
            currency=ctx.currency,
            lines=[
                journal.Line(journal.REPLACEMENTS, value),
                journal.Line(journal.SUPPLIER_PAYABLE, -value),
            ],
        )
        notify_supplier(
            ctx,
            case,
            "replacement_order",
            f"Please ship a replacement: {case.quantity} x {case.line_item.name} "
            f"({case.line_item.sku}) to {case.order.customer_name or case.customer_email}, "
            f"order {case.order.display_number}. Reference {reference}.",
            {"reference": reference, "address": case.order.shipping_address},
        )
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=actor,
            action="replacement_ordered",
            data={
                "journal": journal.cover(entry),
                "reference": reference,
                "sku": case.line_item.sku,
                "quantity": case.quantity,
            },
            reason=reason,
        )
        return {"reference": reference}

    result, now = once(ctx, key, "replacement", case.code, place)
    return ReplacementResult(reference=str(result["reference"]), issued_now=now)
