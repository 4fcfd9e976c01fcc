"""Issue store credit: the amount plus the policy's bonus, which is the store's cost."""

from __future__ import annotations

from pydantic import BaseModel

from ledger import decisions, journal
from ledger.models import CaseRow
from policies.money import Money
from tools.context import ToolContext
from tools.effects import once
from tools.issue_refund import check_cap


class StoreCreditResult(BaseModel):
    amount_minor: int
    bonus_minor: int
    code: str
    issued_now: bool


def issue_store_credit(
    ctx: ToolContext,
    case: CaseRow,
    base_minor: int,
    bonus_minor: int,
    *,
    step: str,
    actor: str,
    reason: str,
) -> StoreCreditResult:
    key = f"{case.code}:store_credit:{step}"

    def grant() -> dict[str, object]:
        check_cap(ctx, case, base_minor)
        total = base_minor + bonus_minor
        code = "SC-" + case.code.removeprefix("RB-")
        entry = journal.post(
            ctx.session,
            key=key,
            at=ctx.now,
            case_code=case.code,
            kind="store_credit",
            currency=ctx.currency,
            lines=[
                journal.Line(journal.REFUNDS_PAID, base_minor, case.line_item_id),
                journal.Line(journal.STORE_CREDIT_BONUS, bonus_minor),
                journal.Line(journal.STORE_CREDIT_LIABILITY, -total),
            ],
        )
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=actor,
            action="store_credit_issued",
            data={
                "journal": journal.cover(entry),
                "amount": Money(minor=total, currency=ctx.currency).amount_str(),
                "bonus": Money(minor=bonus_minor, currency=ctx.currency).amount_str(),
                "currency": ctx.currency,
                "code": code,
            },
            reason=reason,
        )
        return {"amount_minor": total, "bonus_minor": bonus_minor, "code": code}

    result, now = once(ctx, key, "store_credit", case.code, grant)
    return StoreCreditResult(
        amount_minor=int(result["amount_minor"]),
        bonus_minor=int(result["bonus_minor"]),
        code=str(result["code"]),
        issued_now=now,
    )
