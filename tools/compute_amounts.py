"""The money of one case, computed from the policy, the agreement and the line item."""

from __future__ import annotations

from fractions import Fraction

from pydantic import BaseModel

from policies.models import Reason, StorePolicy, SupplierAgreement
from policies.money import percent_of, round_half_up


class CaseAmounts(BaseModel):
    """All in minor units of the store currency."""

    currency: str
    value: int  # unit price x quantity: what was paid for the returned units
    label_deduction: int  # return label cost taken off the customer's money
    refund: int  # to the original payment, for a refund
    store_credit: int  # for store credit, bonus included
    store_credit_bonus: int
    supplier_credit: int  # owed by the supplier to the store
    restocking_fee: int  # kept by the supplier, taken off its credit


def compute_amounts(
    policy: StorePolicy,
    agreement: SupplierAgreement,
    *,
    unit_price_minor: int,
    quantity: int,
    reason: Reason,
    return_required: bool,
    partial_percent: int | None = None,
) -> CaseAmounts:
    """The default policy semantics of the design, rounded half up once at the end."""
    currency = policy.currency
    value = unit_price_minor * quantity
    deduction = 0
    if return_required and policy.customer_pays_label(reason):
        deduction = min(policy.return_label_cost.minor(currency), value)
    base = value - deduction
    if partial_percent is not None:
        base = round_half_up(percent_of(value, partial_percent))
    bonus_exact = percent_of(base, policy.store_credit_bonus_percent)
    store_credit = round_half_up(Fraction(base) + bonus_exact)
    fee = 0
    if not reason.is_fault and agreement.restocking_fee_percent:
        fee = round_half_up(percent_of(value, agreement.restocking_fee_percent))
    return CaseAmounts(
        currency=currency,
        value=value,
        label_deduction=deduction,
        refund=base,
        store_credit=store_credit,
        store_credit_bonus=store_credit - base,
        supplier_credit=value - fee,
        restocking_fee=fee,
    )
