"""tools.compute_amounts against the default policy semantics of DESIGN.md."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.models import FAULT_REASONS, Reason, StorePolicy, SupplierAgreement
from tools.compute_amounts import CaseAmounts, compute_amounts

CUSTOMER_REASONS = [Reason.WRONG_SIZE, Reason.CHANGED_MIND, Reason.OTHER]
FAULTS = sorted(FAULT_REASONS)


def policy(**fields: Any) -> StorePolicy:
    return StorePolicy(**{"return_label_cost": "7.50", **fields})


def supplier(**fields: Any) -> SupplierAgreement:
    return SupplierAgreement(**{"id": "acme", **fields})


def amounts(
    store: StorePolicy | None = None,
    agreement: SupplierAgreement | None = None,
    *,
    price: int = 2400,
    quantity: int = 1,
    reason: Reason = Reason.CHANGED_MIND,
    return_required: bool = True,
    partial_percent: int | None = None,
) -> CaseAmounts:
    return compute_amounts(
        store or policy(),
        agreement or supplier(),
        unit_price_minor=price,
        quantity=quantity,
        reason=reason,
        return_required=return_required,
        partial_percent=partial_percent,
    )


# -- value --------------------------------------------------------------------------------------


def test_value_is_what_was_paid_for_the_returned_units() -> None:
    result = amounts(price=1150, quantity=3, reason=Reason.DAMAGED)
    assert result.value == 3450
    assert result.refund == 3450
    assert result.currency == "USD"


# -- return label -------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", CUSTOMER_REASONS)
def test_customer_unless_fault_charges_the_label_for_customer_reasons(reason: Reason) -> None:
    result = amounts(reason=reason)
    assert result.label_deduction == 750
    assert result.refund == 2400 - 750


@pytest.mark.parametrize("reason", FAULTS)
def test_customer_unless_fault_never_charges_the_label_for_a_fault(reason: Reason) -> None:
    result = amounts(reason=reason)
    assert result.label_deduction == 0
    assert result.refund == 2400


@pytest.mark.parametrize("reason", list(Reason))
def test_customer_pays_the_label_whatever_the_reason(reason: Reason) -> None:
    result = amounts(policy(return_shipping_paid_by="customer"), reason=reason)
    assert result.label_deduction == 750
    assert result.refund == 1650


@pytest.mark.parametrize("reason", list(Reason))
def test_store_pays_the_label_whatever_the_reason(reason: Reason) -> None:
    result = amounts(policy(return_shipping_paid_by="store"), reason=reason)
    assert result.label_deduction == 0
    assert result.refund == 2400


@pytest.mark.parametrize("paid_by", ["customer", "customer_unless_fault", "store"])
def test_no_label_is_charged_when_the_customer_keeps_the_item(paid_by: str) -> None:
    result = amounts(
        policy(return_shipping_paid_by=paid_by), reason=Reason.CHANGED_MIND, return_required=False
    )
    assert result.label_deduction == 0
    assert result.refund == 2400


def test_label_never_takes_more_than_the_item_was_worth() -> None:
    result = amounts(price=500, reason=Reason.WRONG_SIZE)
    assert result.label_deduction == 500
    assert result.refund == 0
    assert result.store_credit == 0


def test_label_cost_is_the_stores_not_the_suppliers() -> None:
    result = amounts(reason=Reason.WRONG_SIZE)
    assert result.label_deduction == 750
    assert result.supplier_credit == 2400


def test_default_label_cost_is_zero() -> None:
    result = amounts(StorePolicy(), reason=Reason.CHANGED_MIND)
    assert result.label_deduction == 0
    assert result.refund == 2400


# -- store credit -------------------------------------------------------------------------------


def test_store_credit_adds_the_bonus_rounded_half_up_once() -> None:
    # $10.35 at 10%: 1035 + 103.5 = 1138.5 cents -> 11.39
    result = amounts(policy(store_credit_bonus_percent=10), price=1035, reason=Reason.DAMAGED)
    assert result.refund == 1035
    assert result.store_credit == 1139
    assert result.store_credit_bonus == 104


def test_store_credit_bonus_applies_after_the_label_deduction() -> None:
    # (24.00 - 7.50) = 16.50, +10% = 18.15
    result = amounts(policy(store_credit_bonus_percent=10), reason=Reason.CHANGED_MIND)
    assert result.refund == 1650
    assert result.store_credit == 1815
    assert result.store_credit_bonus == 165


def test_store_credit_without_a_bonus_equals_the_refund() -> None:
    result = amounts(policy(store_credit_bonus_percent=0), price=1999, reason=Reason.DEFECTIVE)
    assert result.store_credit == result.refund == 1999
    assert result.store_credit_bonus == 0


def test_store_credit_bonus_is_the_stores_not_the_suppliers() -> None:
    result = amounts(policy(store_credit_bonus_percent=25), reason=Reason.DAMAGED)
    assert result.store_credit == 3000
    assert result.supplier_credit == 2400


# -- restocking fee -----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", CUSTOMER_REASONS)
def test_restocking_fee_comes_off_the_supplier_credit_for_customer_reasons(
    reason: Reason,
) -> None:
    result = amounts(agreement=supplier(restocking_fee_percent=15), price=38900, reason=reason)
    assert result.restocking_fee == 5835
    assert result.supplier_credit == 38900 - 5835


@pytest.mark.parametrize("reason", FAULTS)
def test_no_restocking_fee_when_the_fault_is_the_suppliers(reason: Reason) -> None:
    result = amounts(agreement=supplier(restocking_fee_percent=15), price=38900, reason=reason)
    assert result.restocking_fee == 0
    assert result.supplier_credit == 38900


def test_restocking_fee_never_touches_the_customers_refund() -> None:
    with_fee = amounts(agreement=supplier(restocking_fee_percent=15), reason=Reason.CHANGED_MIND)
    without = amounts(agreement=supplier(restocking_fee_percent=0), reason=Reason.CHANGED_MIND)
    assert with_fee.restocking_fee == 360
    assert with_fee.refund == without.refund == 1650
    assert with_fee.store_credit == without.store_credit


def test_restocking_fee_rounds_half_up() -> None:
    # 15% of 3.30 = 49.5 cents -> 50
    result = amounts(agreement=supplier(restocking_fee_percent=15), price=330, reason=Reason.OTHER)
    assert result.restocking_fee == 50
    assert result.supplier_credit == 280


# -- partial refund -----------------------------------------------------------------------------


def test_partial_refund_is_a_percentage_of_the_value() -> None:
    result = amounts(price=4999, reason=Reason.DEFECTIVE, partial_percent=30, return_required=False)
    # 30% of 49.99 = 14.997 -> 15.00
    assert result.refund == 1500
    assert result.value == 4999


def test_partial_refund_as_store_credit_gets_the_bonus_too() -> None:
    result = amounts(
        policy(store_credit_bonus_percent=10),
        price=2000,
        reason=Reason.DAMAGED,
        partial_percent=30,
        return_required=False,
    )
    assert result.refund == 600
    assert result.store_credit == 660


def test_partial_refund_leaves_the_supplier_owing_the_full_value_on_a_fault() -> None:
    result = amounts(price=2000, reason=Reason.DAMAGED, partial_percent=30, return_required=False)
    assert result.supplier_credit == 2000
    assert result.restocking_fee == 0


def test_zero_percent_partial_refund_is_nothing() -> None:
    result = amounts(price=2000, reason=Reason.DAMAGED, partial_percent=0, return_required=False)
    assert result.refund == 0
    assert result.store_credit == 0


# -- properties ---------------------------------------------------------------------------------

agreements = st.builds(
    SupplierAgreement,
    id=st.just("s1"),
    role=st.sampled_from(["logistical", "financial"]),
    restocking_fee_percent=st.integers(0, 100),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[StorePolicy, SupplierAgreement, CaseAmounts]:
    currency = draw(st.sampled_from(["USD", "EUR", "JPY"]))
    label_minor = draw(st.integers(0, 50_000))
    label_cost = (
        str(label_minor) if currency == "JPY" else f"{label_minor // 100}.{label_minor % 100:02d}"
    )
    store = StorePolicy(
        currency=currency,
        store_credit_bonus_percent=draw(st.integers(0, 100)),
        return_shipping_paid_by=draw(
            st.sampled_from(["store", "customer", "customer_unless_fault"])
        ),
        return_label_cost=label_cost,
    )
    agreement = draw(agreements)
    result = compute_amounts(
        store,
        agreement,
        unit_price_minor=draw(st.integers(0, 10_000_000)),
        quantity=draw(st.integers(1, 50)),
        reason=draw(st.sampled_from(list(Reason))),
        return_required=draw(st.booleans()),
        partial_percent=draw(st.none() | st.integers(0, 100)),
    )
    return store, agreement, result


@given(cases())
def test_refund_is_never_more_than_was_paid_and_never_negative(case: Any) -> None:
    _, _, result = case
    assert 0 <= result.refund <= result.value


@given(cases())
def test_supplier_credit_and_restocking_fee_add_up_to_the_value(case: Any) -> None:
    _, _, result = case
    assert result.supplier_credit + result.restocking_fee == result.value
    assert 0 <= result.restocking_fee <= result.value


@given(cases())
def test_store_credit_is_never_less_than_the_refund(case: Any) -> None:
    _, _, result = case
    assert result.store_credit >= result.refund
    assert result.store_credit == result.refund + result.store_credit_bonus


@given(cases())
def test_every_amount_is_an_integer_of_minor_units(case: Any) -> None:
    store, _, result = case
    assert result.currency == store.currency
    for name in (
        "value",
        "label_deduction",
        "refund",
        "store_credit",
        "store_credit_bonus",
        "supplier_credit",
        "restocking_fee",
    ):
        assert type(getattr(result, name)) is int, name


@given(cases())
def test_label_deduction_never_exceeds_the_value(case: Any) -> None:
    _, _, result = case
    assert 0 <= result.label_deduction <= result.value
