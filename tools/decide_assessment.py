"""Decide what happens to a case next, and under which clause of the policy."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel

from ledger.models import CaseRow
from policies.models import Reason, Store
from tools.check_eligibility import whole_days

Outcome = Literal["deny", "review", "photo", "keep_it", "authorise"]


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

    @property
    def value_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def international(self) -> bool:
        return self.supplier_country != self.customer_country


class Assessment(BaseModel):
    outcome: Outcome
    clause: str
    return_required: bool
    explanation: str


def case_facts(store: Store, case: CaseRow, now: dt.datetime) -> CaseFacts:
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
    )


def decide_assessment(store: Store, facts: CaseFacts) -> Assessment:
    """The default policy semantics, in their order: deny, review, photo, keep it, authorise.

    An owner's approval passes the review checks; the photo check and the choice between a
    physical return and none still follow it.
    """
    policy = store.policy
    currency = policy.currency
    logistical = facts.supplier_role == "logistical"
    if facts.final_sale:
        return Assessment(
            outcome="deny",
            clause="final_sale",
            return_required=False,
            explanation="This item was sold as final sale and cannot be returned.",
        )
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
    if facts.reason in policy.photo_required_reasons and facts.photo_count == 0:
        return Assessment(
            outcome="photo",
            clause=f"photo_required_reasons={facts.reason.value}",
            return_required=logistical,
            explanation="A photo is needed for this reason.",
        )
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
