"""The turns of a case opened for a marketplace return (``tools/marketplace.py``).

The marketplace already accepted the return from its buyer and refunds them, so the store's
own assessment (photo, keep-it, owner rules, review) does not run: the supplier is asked at
once, within the marketplace's response time; the parcel is tracked as usual; and settling
records what the supplier owes, never a refund by the desk.
"""

from __future__ import annotations

from typing import Any

from graph import case_steps
from ledger import decisions
from ledger.models import CaseRow
from policies.models import MarketplaceRules
from policies.money import Money
from tools import notices
from tools.context import ToolContext
from tools.marketplace import is_marketplace_case, marketplace_of
from tools.notify import notify_owner, notify_supplier
from tools.record_supplier_credit import record_supplier_credit
from tools.request_supplier_authorization import request_supplier_authorization

RESOLUTION = "marketplace"


def rules_of(ctx: ToolContext, case: CaseRow) -> MarketplaceRules:
    rules = marketplace_of(ctx.store.policy, case.order)
    return rules if rules is not None else MarketplaceRules(name=case.order.channel)


def response_hours(ctx: ToolContext, case: CaseRow) -> int:
    """How long the supplier has to answer: the marketplace's time for its orders."""
    if is_marketplace_case(case):
        return rules_of(ctx, case).response_hours
    return ctx.store.policy.supplier_response_hours


def assess(ctx: ToolContext, case: CaseRow) -> dict[str, Any]:
    rules = rules_of(ctx, case)
    agreement = ctx.store.supplier(case.supplier_id)
    case.return_required = agreement.role == "logistical"
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="policy",
        action="eligibility_checked",
        data={
            "outcome": "authorise",
            "return_required": case.return_required,
            "marketplace": case.order.channel,
        },
        reason=(
            f"marketplace {rules.name}: the marketplace accepted the return and refunds its "
            f"buyer; the supplier answers within {rules.response_hours} hours"
        ),
    )
    request_supplier_authorization(ctx, case, hours=rules.response_hours, marketplace=rules.name)
    case_steps.set_status(ctx, case, "awaiting_supplier")
    return {"next": case_steps.WAIT, "status": case.status}


def label_ready(ctx: ToolContext, case: CaseRow, tracking_number: str) -> None:
    """The marketplace speaks to its buyer: the label goes to the owner to hand on there."""
    rules = rules_of(ctx, case)
    notify_owner(
        ctx,
        case,
        "marketplace_label",
        f"Return {case.code} ({rules.name} order {case.order.display_number}, "
        f"{notices.item_words(case)}): the supplier approved it. Give the buyer the return "
        f"label (tracking {tracking_number}) through {rules.name}'s return request.",
        {"case": case.code, "tracking_number": tracking_number, "marketplace": rules.name},
    )


def settle(ctx: ToolContext, case: CaseRow) -> dict[str, Any]:
    """Record what the supplier owes; the buyer's refund is the marketplace's."""
    rules = rules_of(ctx, case)
    amounts = case_steps.amounts_for(ctx, case)
    actor = "timer" if case.inspection == "timeout" else "system"
    if case.owner_approved and case.after_review == case_steps.SETTLE:
        actor = "owner"
    case.resolution = RESOLUTION
    owed = Money(minor=0, currency=ctx.currency)
    if not case.supplier_declined and case.inspection != "failed":
        disputed = case.inspection == "timeout"
        record_supplier_credit(
            ctx,
            case,
            amounts,
            step="settle",
            actor=actor,
            reason="inspection not confirmed in time" if disputed else "return settled",
            disputed=disputed,
        )
        owed = Money(minor=amounts.supplier_credit, currency=ctx.currency)
        if not case.return_required or disputed:
            notify_supplier(
                ctx,
                case,
                "credit_claim",
                f"Return {case.code} ({rules.name} order {case.order.display_number}, "
                f"{notices.item_words(case)}): {rules.name} refunds the buyer"
                + (" without the item coming back" if not case.return_required else "")
                + (" and no inspection arrived in time" if disputed else "")
                + f". Please credit the store {owed}.",
                {"case": case.code, "amount": owed.amount_str(), "disputed": disputed},
            )
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=actor,
        action="marketplace_refund",
        data={
            "marketplace": case.order.channel,
            "refunded_by_desk": "0",
            "supplier_credit": owed.amount_str(),
        },
        reason=f"{rules.name} refunds its buyer; the desk pays nothing",
    )
    notify_owner(
        ctx,
        case,
        "marketplace_settled",
        f"Return {case.code} ({rules.name} order {case.order.display_number}) is settled on "
        f"the supplier's side: it owes the store {owed}. The buyer's refund is {rules.name}'s; "
        f"confirm it there if {rules.name} asks the seller to.",
        {"case": case.code, "supplier_credit": owed.amount_str()},
    )
    case_steps.set_status(ctx, case, "resolved")
    case_steps.close(ctx, case, actor, f"resolved by {rules.name}")
    return {"next": case_steps.END, "status": case.status}
