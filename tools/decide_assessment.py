"""Decide what happens to a case next, and under which clause of the policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import object_session

from ledger.models import CaseRow
from policies.models import Reason, Store
from policies.rule_engine import AssessmentRules, assessment_rules
from policies.rules import ActionKind, Rule
from tools.check_eligibility import whole_days

Outcome = Literal["deny", "review", "photo", "keep_it", "partial_refund", "authorise"]


class CaseFacts(BaseModel):
    """What the policy looks at, gathered from the case, its order and its agreement."""

    unit_price_minor: int
    quantity: int
    reason: Reason
    final_sale: bool
    days_since_delivery: int
    supplier_country: str
    customer_country: str
    supplier_role: str
    photo_count: int
    owner_approved: bool
    # What owner rules look at besides the above (policies/rule_engine.py).
    supplier_id: str = ""
    order_total_minor: int = 0
    currency: str = "USD"
    opened_at: dt.datetime | None = None
    earlier_returns_at: tuple[dt.datetime, ...] = ()

    @property
    def value_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def international(self) -> bool:
        return self.supplier_country != self.customer_country


class RuleApplication(BaseModel):
    """An owner rule that took effect at this assessment (one ``rule_applied`` row)."""

    actor: str  # rule:<id>@<version>
    rule_id: int
    version: int
    actions: list[str]
    canonical: str
    notify_owner: bool = False
    notify_supplier: bool = False


class Assessment(BaseModel):
    outcome: Outcome
    clause: str
    return_required: bool
    explanation: str
    rule: str | None = None  # the deciding rule's actor, when a rule decided
    partial_percent: int | None = None
    rules_applied: list[RuleApplication] = Field(default_factory=list)


def earlier_returns(case: CaseRow) -> tuple[dt.datetime, ...]:
    """When the same customer opened their earlier returns (cancelled ones do not count)."""
    session = object_session(case)
    if session is None or case.id is None:
        return ()
    rows = session.execute(
        select(CaseRow.created_at).where(
            CaseRow.customer_email == case.customer_email,
            CaseRow.id < case.id,
            CaseRow.status != "cancelled",
        )
    ).scalars()
    return tuple(rows)


def case_facts(store: Store, case: CaseRow, now: dt.datetime, *, history: bool = True) -> CaseFacts:
    """The facts policy and rules weigh. ``history=False`` leaves out what only owner rules
    read (the customer's earlier returns, the order's total), which costs queries."""
    agreement = store.supplier(case.supplier_id)
    delivered = case.order.delivered_at or now
    return CaseFacts(
        unit_price_minor=case.line_item.unit_price_minor,
        quantity=case.quantity,
        reason=Reason(case.reason),
        final_sale=case.line_item.final_sale,
        days_since_delivery=whole_days(delivered, case.created_at),
        supplier_country=agreement.country,
        customer_country=case.order.country,
        supplier_role=agreement.role,
        photo_count=case.photo_count,
        owner_approved=case.owner_approved,
        supplier_id=case.supplier_id,
        order_total_minor=sum(item.unit_price_minor * item.quantity for item in case.order.items)
        if history
        else 0,
        currency=store.policy.currency,
        opened_at=case.created_at,
        earlier_returns_at=earlier_returns(case) if history else (),
    )


def _by_rule(
    rule: Rule, found: AssessmentRules, outcome: Outcome, return_required: bool, why: str
) -> Assessment:
    partial = rule.action(ActionKind.PARTIAL_REFUND)
    return Assessment(
        outcome=outcome,
        clause=rule.actor,
        return_required=return_required,
        explanation=why,
        rule=rule.actor,
        partial_percent=partial.percent if partial and outcome == "partial_refund" else None,
        rules_applied=_applications(found, rule),
    )


def _applications(found: AssessmentRules, deciding: Rule | None) -> list[RuleApplication]:
    rules = [deciding] if deciding is not None else []
    rules += [rule for rule in found.notices_for(deciding) if rule is not deciding]
    return [
        RuleApplication(
            actor=rule.actor,
            rule_id=rule.id or 0,
            version=rule.version,
            actions=[action.kind.value for action in rule.actions],
            canonical=rule.canonical_text or rule.canonical(),
            notify_owner=rule.action(ActionKind.NOTIFY_OWNER) is not None,
            notify_supplier=rule.action(ActionKind.NOTIFY_SUPPLIER) is not None,
        )
        for rule in rules
    ]


def decide_assessment(store: Store, facts: CaseFacts, rules: Sequence[Rule] = ()) -> Assessment:
    """The policy and the owner's active rules, in their order (``policies/rule_engine.py``).

    Final sale, deny rules, the policy's reviews, review rules, photos (policy, then rules),
    approval rules (partial refund, keep it), the policy's keep-it, authorise. An owner's
    approval passes the deny and review checks; the photo check and the choice between a
    physical return and none still follow it.
    """
    verdict = _decide(store, facts, rules)
    if verdict.rule is None and rules:
        found = assessment_rules(rules, facts)
        verdict.rules_applied = _applications(found, None)
    return verdict


def _decide(store: Store, facts: CaseFacts, rules: Sequence[Rule]) -> Assessment:
    policy = store.policy
    currency = policy.currency
    logistical = facts.supplier_role == "logistical"
    found = assessment_rules(rules, facts) if rules else AssessmentRules()
    if facts.final_sale:
        return Assessment(
            outcome="deny",
            clause="final_sale",
            return_required=False,
            explanation="This item was sold as final sale and cannot be returned.",
        )
    if not facts.owner_approved and found.deny is not None:
        denial = found.deny.action(ActionKind.DENY)
        why = (denial.message if denial else None) or "The store does not accept this return."
        return _by_rule(found.deny, found, "deny", False, why)
    if not facts.owner_approved:
        if facts.days_since_delivery > policy.return_window_days:
            return Assessment(
                outcome="review",
                clause=f"return_window_days={policy.return_window_days}",
                return_required=logistical,
                explanation=(
                    f"Delivered {facts.days_since_delivery} days ago, outside the "
                    f"{policy.return_window_days}-day return window."
                ),
            )
        if policy.review_above is not None and facts.value_minor > policy.review_above.minor(
            currency
        ):
            return Assessment(
                outcome="review",
                clause=f"review_above={policy.review_above}",
                return_required=logistical,
                explanation=f"The refund value is above {policy.review_above} {currency}.",
            )
        if found.review is not None:
            canonical = found.review.canonical_text or found.review.canonical()
            why = f'Your rule {found.review.id} asks for your review ("{canonical}").'
            return _by_rule(found.review, found, "review", logistical, why)
    if facts.reason in policy.photo_required_reasons and facts.photo_count == 0:
        return Assessment(
            outcome="photo",
            clause=f"photo_required_reasons={facts.reason.value}",
            return_required=logistical,
            explanation="A photo is needed for this reason.",
        )
    if found.photo is not None and facts.photo_count == 0:
        return _by_rule(found.photo, found, "photo", logistical, "A photo is needed.")
    if found.approval is not None:
        if found.approval.action(ActionKind.PARTIAL_REFUND) is not None:
            why = "A partial refund is offered and the customer keeps the item."
            return _by_rule(found.approval, found, "partial_refund", False, why)
        why = "Refunded without sending it back."
        return _by_rule(found.approval, found, "keep_it", False, why)
    if policy.keep_it_under is not None and facts.unit_price_minor <= policy.keep_it_under.minor(
        currency
    ):
        return Assessment(
            outcome="keep_it",
            clause=f"keep_it_under={policy.keep_it_under}",
            return_required=False,
            explanation="Low-value item: refunded without sending it back.",
        )
    if policy.keep_it_international and facts.international:
        return Assessment(
            outcome="keep_it",
            clause="keep_it_international",
            return_required=False,
            explanation="The supplier is in another country: refunded without sending it back.",
        )
    return Assessment(
        outcome="authorise",
        clause=f"supplier_role={facts.supplier_role}",
        return_required=logistical,
        explanation=(
            "The supplier is asked to authorise the return."
            if logistical
            else "The supplier is asked to credit the store."
        ),
    )
