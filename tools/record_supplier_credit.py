"""Record what the supplier owes the store for the returned units."""

from __future__ import annotations

from pydantic import BaseModel

from ledger import decisions, journal
from ledger.models import CaseRow
from policies.money import Money
from tools.compute_amounts import CaseAmounts
from tools.context import ToolContext
from tools.effects import once


class SupplierCreditResult(BaseModel):
    amount_minor: int
    recorded_now: bool


def record_supplier_credit(
    ctx: ToolContext,
    case: CaseRow,
    amounts: CaseAmounts,
    *,
    step: str,
    actor: str,
    reason: str,
    disputed: bool = False,
) -> SupplierCreditResult:
    key = f"{case.code}:supplier_credit:{step}"

    def record() -> dict[str, object]:
        entry = journal.post(
            ctx.session,
            key=key,
            at=ctx.now,
            case_code=case.code,
            kind="supplier_credit",
            currency=ctx.currency,
            lines=[
                journal.Line(journal.SUPPLIER_RECEIVABLE, amounts.supplier_credit),
                journal.Line(journal.RESTOCKING_FEES, amounts.restocking_fee),
                journal.Line(journal.SUPPLIER_RECOVERIES, -amounts.value),
            ],
        )
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=actor,
            action="supplier_credit_recorded",
            data={
                "journal": journal.cover(entry),
                "supplier": case.supplier_id,
                "amount": Money(minor=amounts.supplier_credit, currency=ctx.currency).amount_str(),
                "restocking_fee": Money(
                    minor=amounts.restocking_fee, currency=ctx.currency
                ).amount_str(),
                "currency": ctx.currency,
                "disputed": disputed,
            },
            reason=reason,
        )
        return {"amount_minor": amounts.supplier_credit}

    result, now = once(ctx, key, "supplier_credit", case.code, record)
    return SupplierCreditResult(amount_minor=int(result["amount_minor"]), recorded_now=now)
