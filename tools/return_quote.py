"""What a return would give the customer, before it is sent: the returns form's preview.

The same deterministic code as a real case decides it: ``decide_assessment`` (the policy and
the owner's active rules) says whether a photo is needed and whether the item goes back, and
``compute_amounts`` gives the money (refund, label cost taken off, store credit with its
bonus). Nothing is written: a quote is not a case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import CaseRow, LineItemRow, OrderRow
from policies.models import Reason, Store
from policies.rules import ActionKind, Rule
from tools.check_eligibility import check_eligibility, whole_days
from tools.compute_amounts import CaseAmounts, compute_amounts
from tools.decide_assessment import CaseFacts, Outcome, decide_assessment
from tools.refund_caps import priced_units


class ReturnQuote(BaseModel):
    photo_required: bool
    outcome: Outcome  # what the desk would do with it once any required photo is there
    return_required: bool  # the item is sent back (a label is issued)
    amounts: CaseAmounts


def _facts(
    store: Store,
    order: OrderRow,
    item: LineItemRow,
    quantity: int,
    reason: Reason,
    now: dt.datetime,
    *,
    photos: int,
    earlier: tuple[dt.datetime, ...],
) -> CaseFacts:
    agreement = store.terms_for(item.supplier_id)
    return CaseFacts(
        unit_price_minor=item.unit_price_minor,
        quantity=quantity,
        reason=reason,
        final_sale=item.final_sale,
        days_since_delivery=whole_days(order.delivered_at or now, now),
        supplier_country=agreement.country,
        customer_country=order.country,
        supplier_role=agreement.role,
        photo_count=photos,
        owner_approved=False,
        supplier_id=item.supplier_id,
        order_total_minor=sum(line.unit_price_minor * line.quantity for line in order.items),
        currency=store.policy.currency,
        opened_at=now,
        earlier_returns_at=earlier,
    )


def _earlier_returns(session: Session, order: OrderRow) -> tuple[dt.datetime, ...]:
    contact = order.email or order.phone
    rows = session.execute(
        select(CaseRow.created_at).where(
            CaseRow.customer_email == contact, CaseRow.status != "cancelled"
        )
    ).scalars()
    return tuple(rows)


def photo_needed(
    store: Store,
    rules: Sequence[Rule],
    session: Session,
    order: OrderRow,
    item: LineItemRow,
    quantity: int,
    reason: Reason,
    now: dt.datetime,
) -> bool:
    """Whether a case for this item and reason would wait for a photo: the policy's photo
    reasons, or an owner rule that asks for one (a rule may name a supplier or a value)."""
    if reason in store.policy.photo_required_reasons:
        return True
    if not any(rule.action(ActionKind.REQUIRE_PHOTO) for rule in rules):
        return False  # the common case: no database read, no assessment
    earlier = _earlier_returns(session, order)
    facts = _facts(store, order, item, quantity, reason, now, photos=0, earlier=earlier)
    # The owner's approval passes denials and reviews, so the photo step is the one reached.
    verdict = decide_assessment(store, facts.model_copy(update={"owner_approved": True}), rules)
    return verdict.outcome == "photo"


def quote_return(
    store: Store,
    rules: Sequence[Rule],
    session: Session,
    order: OrderRow,
    item: LineItemRow,
    quantity: int,
    reason: Reason,
    now: dt.datetime,
) -> ReturnQuote:
    # The same refusals as the form itself: not delivered, too many units, marketplace order.
    check_eligibility(session, store.policy, order, item, quantity, now)
    earlier = _earlier_returns(session, order)
    needs_photo = photo_needed(store, rules, session, order, item, quantity, reason, now)
    facts = _facts(store, order, item, quantity, reason, now, photos=1, earlier=earlier)
    if item.supplier_id:
        verdict = decide_assessment(store, facts, rules)
        outcome: Outcome = verdict.outcome
        return_required = verdict.return_required
        partial = verdict.partial_percent
    else:  # no supplier agreement matched the vendor: the owner decides, nothing goes back
        outcome, return_required, partial = "review", False, None
    unit_price, units = priced_units(item, quantity)
    amounts = compute_amounts(
        store.policy,
        store.terms_for(item.supplier_id),
        unit_price_minor=unit_price,
        quantity=units,
        reason=reason,
        return_required=return_required,
        partial_percent=partial,
    )
    return ReturnQuote(
        photo_required=needs_photo,
        outcome=outcome,
        return_required=return_required,
        amounts=amounts,
    )
