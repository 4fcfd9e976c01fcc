"""What the owner's active rules do at each step of a case (called from ``case_steps``).

Every rule that takes effect writes a ``rule_applied`` row with the actor
``rule:<id>@<version>`` and the rule's canonical sentence as the reason. The order in which
rules are weighed is documented in ``policies/rule_engine.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from ledger import decisions, timers
from ledger.models import CaseRow, DecisionRow
from ledger.rules_models import ACTIVE, active_rules, get_row
from policies.models import Reason
from policies.money import Money
from policies.rule_engine import matching, most_specific, with_action
from policies.rules import ActionKind, Rule, Trigger
from tools import notices, refund_caps
from tools.compute_amounts import CaseAmounts, compute_amounts
from tools.context import ToolContext
from tools.decide_assessment import Assessment, case_facts
from tools.notify import notify_customer, notify_owner, notify_supplier

RULE_TIMERS = (timers.RULE_SUPPLIER_SILENT, timers.RULE_NOT_INSPECTED)


def _canonical(rule: Rule) -> str:
    return rule.canonical_text or rule.canonical()


def record(
    ctx: ToolContext,
    case: CaseRow,
    rule: Rule,
    trigger: Trigger,
    data: dict[str, Any] | None = None,
) -> None:
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=rule.actor,
        action="rule_applied",
        data={
            "rule": rule.id,
            "version": rule.version,
            "trigger": trigger.value,
            "actions": [action.kind.value for action in rule.actions],
            **(data or {}),
        },
        reason=_canonical(rule),
    )


def _case_words(case: CaseRow, currency: str) -> str:
    value = Money(minor=case.line_item.unit_price_minor * case.quantity, currency=currency)
    return (
        f"return {case.code} (order {case.order.display_number}, {notices.item_words(case)}, "
        f"{value}, reason {case.reason.replace('_', ' ')})"
    )


def _notify(ctx: ToolContext, case: CaseRow, rule: Rule, moment: str) -> None:
    kind = f"rule_{rule.id}_{rule.version}_{moment}"
    if rule.action(ActionKind.NOTIFY_OWNER) is not None:
        notify_owner(
            ctx,
            case,
            kind,
            f"Your rule {rule.id} applies to {_case_words(case, ctx.currency)}: {_canonical(rule)}",
            {"case": case.code, "rule": rule.id, "version": rule.version},
        )
    if rule.action(ActionKind.NOTIFY_SUPPLIER) is not None:
        text = {
            "assessed": f"A return was opened: {_case_words(case, ctx.currency)}.",
            "approved": f"The store approved {_case_words(case, ctx.currency)}.",
            "silent": (
                f"Reminder: {_case_words(case, ctx.currency)} is still waiting for your answer."
            ),
            "not_inspected": (
                f"Reminder: please confirm the inspection of {_case_words(case, ctx.currency)}, "
                "delivered to you."
            ),
        }[moment]
        notify_supplier(ctx, case, kind, text, {"case": case.code, "rule": rule.id})


# -- at the assessment ------------------------------------------------------------------------


def load(ctx: ToolContext) -> list[Rule]:
    """The active rules, read once per unit of work."""
    rules: list[Rule] | None = ctx.cache.get("active_rules")
    if rules is None:
        rules = ctx.cache["active_rules"] = active_rules(ctx.session)
    return rules


def after_assessment(ctx: ToolContext, case: CaseRow, verdict: Assessment) -> None:
    """Record the rules the assessment applied and send their notices."""
    by_actor = {rule.actor: rule for rule in load(ctx)}
    for applied in verdict.rules_applied:
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=applied.actor,
            action="rule_applied",
            data={
                "rule": applied.rule_id,
                "version": applied.version,
                "trigger": Trigger.CASE_ASSESSED.value,
                "actions": applied.actions,
                "outcome": verdict.outcome if applied.actor == verdict.rule else None,
            },
            reason=applied.canonical,
        )
        found = by_actor.get(applied.actor)
        if found is not None:
            _notify(ctx, case, found, "assessed")


def offer_partial_refund(ctx: ToolContext, case: CaseRow, verdict: Assessment) -> None:
    """The rule's offer is the resolution: the customer keeps the item and gets the percent."""
    percent = verdict.partial_percent or 0
    case.return_required = False
    case.requested_resolution = "partial_refund"
    amounts = partial_amounts(ctx, case, percent)
    money = Money(minor=amounts.refund, currency=ctx.currency)
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=verdict.rule or "policy",
        action="partial_refund_offered",
        data={"percent": percent, "amount": money.amount_str(), "keep_item": True},
        reason=verdict.explanation,
    )
    notify_customer(
        ctx,
        case,
        "partial_refund_offered",
        f"For return {case.code} the store offers a {percent}% partial refund ({money}), "
        "and you keep the item.",
        {"percent": percent, "amount": money.amount_str()},
    )


def offered_percent(ctx: ToolContext, case: CaseRow) -> int:
    row = ctx.session.execute(
        select(DecisionRow)
        .where(DecisionRow.case_code == case.code, DecisionRow.action == "partial_refund_offered")
        .order_by(DecisionRow.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        raise LookupError(f"{case.code} has no partial refund offer")
    return int(json.loads(row.data)["percent"])


def partial_amounts(ctx: ToolContext, case: CaseRow, percent: int) -> CaseAmounts:
    """The partial refund; the supplier owes what the customer got back, never more.

    Nothing comes back to the supplier, so no restocking fee applies, and the value the
    store recovers from the supplier is that same amount.
    """
    unit_price, quantity = refund_caps.priced_units(case.line_item, case.quantity)
    amounts = compute_amounts(
        ctx.store.policy,
        ctx.store.terms_for(case.supplier_id),
        unit_price_minor=unit_price,
        quantity=quantity,
        reason=Reason(case.reason),
        return_required=False,
        partial_percent=percent,
    )
    owed = min(amounts.refund, amounts.value)
    return amounts.model_copy(update={"supplier_credit": owed, "restocking_fee": 0, "value": owed})


def on_approved(ctx: ToolContext, case: CaseRow) -> None:
    """``return_approved`` rules: store credit instead of a refund, notices."""
    if not load(ctx):
        return
    facts = case_facts(ctx.store, case, ctx.now)
    done = set(
        ctx.session.execute(
            select(DecisionRow.actor).where(
                DecisionRow.case_code == case.code, DecisionRow.action == "rule_applied"
            )
        ).scalars()
    )
    for rule in matching(load(ctx), Trigger.RETURN_APPROVED, facts):
        if rule.actor in done:
            continue
        changed = False
        if (
            rule.action(ActionKind.RESOLVE_WITH_STORE_CREDIT) is not None
            and case.requested_resolution == "refund"
        ):
            case.requested_resolution = "store_credit"
            changed = True
        record(ctx, case, rule, Trigger.RETURN_APPROVED, {"store_credit": changed})
        _notify(ctx, case, rule, "approved")


# -- at settling ------------------------------------------------------------------------------


def store_credit_bonus(ctx: ToolContext, case: CaseRow) -> int | None:
    """The bonus percent of the most specific matching ``store_credit_chosen`` rule."""
    if not load(ctx):
        return None
    facts = case_facts(ctx.store, case, ctx.now)
    found = matching(load(ctx), Trigger.STORE_CREDIT_CHOSEN, facts)
    rule = most_specific(with_action(found, ActionKind.STORE_CREDIT_BONUS))
    if rule is None:
        return None
    bonus = rule.action(ActionKind.STORE_CREDIT_BONUS)
    percent = bonus.percent if bonus is not None else None
    record(ctx, case, rule, Trigger.STORE_CREDIT_CHOSEN, {"bonus_percent": percent})
    return percent


# -- timers -----------------------------------------------------------------------------------


def _schedule(ctx: ToolContext, case: CaseRow, rule: Rule, kind: str, start: dt.datetime) -> None:
    timers.schedule(
        ctx.session,
        key=f"{case.code}:{kind}:{rule.id}@{rule.version}",
        case_code=case.code,
        kind=kind,
        due_at=start + dt.timedelta(hours=rule.wait_hours or 0),
        payload={"rule_id": rule.id, "version": rule.version},
    )


def on_supplier_asked(ctx: ToolContext, case: CaseRow) -> None:
    """Set a timer for each ``supplier_silent`` rule that matches the case."""
    if not load(ctx):
        return
    facts = case_facts(ctx.store, case, ctx.now)
    for rule in matching(load(ctx), Trigger.SUPPLIER_SILENT, facts):
        _schedule(ctx, case, rule, timers.RULE_SUPPLIER_SILENT, ctx.now)


def on_return_delivered(ctx: ToolContext, case: CaseRow) -> int | None:
    """Set the ``not_inspected`` rules' timers; the hours of the refund rule that takes over
    the policy's refund-after-delivery timer, if one does."""
    if not load(ctx):
        return None
    facts = case_facts(ctx.store, case, ctx.now)
    found = matching(load(ctx), Trigger.NOT_INSPECTED, facts)
    refunding = most_specific(with_action(found, ActionKind.REFUND))
    for rule in found:
        if rule.action(ActionKind.REFUND) is not None and rule is not refunding:
            continue  # a less specific refund rule: the most specific one sets the refund
        _schedule(ctx, case, rule, timers.RULE_NOT_INSPECTED, ctx.now)
    return refunding.wait_hours if refunding is not None else None


def rule_timer_fired(ctx: ToolContext, case: CaseRow, event: dict[str, Any]) -> dict[str, Any]:
    """A rule's timer: act if the rule is still active, as the rule says."""
    kind = str(event["type"])
    rule_id, version = int(event.get("rule_id") or 0), int(event.get("version") or 0)
    row = get_row(ctx.session, rule_id, version)
    live = row is not None and row.status == ACTIVE
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="timer",
        action="timer_fired",
        data={"timer": kind, "rule": rule_id, "version": version, "rule_active": live},
    )
    if row is None or not live:
        if kind == timers.RULE_NOT_INSPECTED and case.delivered_back_at is not None:
            # the rule that replaced the policy's refund timer is gone: the policy's returns
            days = ctx.store.policy.refund_after_delivery_days
            due = max(ctx.now, case.delivered_back_at + dt.timedelta(days=days))
            timers.schedule(
                ctx.session,
                key=f"{case.code}:{timers.REFUND_AFTER_DELIVERY}",
                case_code=case.code,
                kind=timers.REFUND_AFTER_DELIVERY,
                due_at=due,
            )
        return {"next": "wait"}
    rule = row.to_rule()
    trigger = (
        Trigger.SUPPLIER_SILENT if kind == timers.RULE_SUPPLIER_SILENT else Trigger.NOT_INSPECTED
    )
    refund = kind == timers.RULE_NOT_INSPECTED and rule.action(ActionKind.REFUND) is not None
    record(ctx, case, rule, trigger, {"refund": refund})
    _notify(ctx, case, rule, "silent" if trigger == Trigger.SUPPLIER_SILENT else "not_inspected")
    if refund:
        case.inspection = "timeout"
        return {"next": "settle"}
    return {"next": "wait"}
