"""What the customer is told at each turn of the case, in plain words."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.models import CaseRow
from policies.money import Money


def item_words(case: CaseRow) -> str:
    return f"{case.quantity} x {case.line_item.name}"


def received(case: CaseRow) -> str:
    return (
        f"We received your return request {case.code} for {item_words(case)} "
        f"(order {case.order.display_number})."
    )


def photo_needed(case: CaseRow) -> str:
    return (
        f"To go on with return {case.code}, please upload a photo that shows the problem "
        f"with {case.line_item.name}."
    )


def under_review(case: CaseRow) -> str:
    return (
        f"Your return {case.code} needs a quick review by the store. "
        "We'll let you know the decision."
    )


def returned_to_sender(case: CaseRow, tracking: str) -> str:
    return (
        f"The carrier could not deliver your return parcel for {case.code} (tracking "
        f"{tracking}) and is sending it back to you. Please do not ship it again with the "
        "same label: the store is looking at your return and will tell you what happens next."
    )


# ``name_supplier``: the policy's ``mention_supplier_to_customer``; a store that presents the
# goods as its own never names a supplier to its customers.


def waiting_for_supplier(case: CaseRow, *, name_supplier: bool) -> str:
    arranging = "arranging it with the supplier" if name_supplier else "arranging it"
    return (
        f"Your return {case.code} is approved by the store; we are {arranging} "
        "and will send your return label or refund next."
    )


def label_ready(
    case: CaseRow, tracking: str, conditions: Sequence[str] = (), *, name_supplier: bool = True
) -> str:
    rma = f" Write RMA {case.rma} on the parcel." if case.rma else ""
    # the supplier's conditions, so the customer sends back what the credit depends on
    who = "The supplier takes" if name_supplier else "We take"
    terms = (
        f" {who} it back on this condition: " + "; ".join(conditions) + "." if conditions else ""
    )
    return (
        f"Your return label for {case.code} is ready: download it from your return page "
        f"and drop the parcel off with the carrier. Tracking number {tracking}.{rma}{terms}"
    )


def item_arrived(case: CaseRow, *, name_supplier: bool) -> str:
    where = "arrived at the supplier" if name_supplier else "arrived"
    return (
        f"Your return {case.code} has {where}. We'll issue your money as soon as it is inspected."
    )


def refunded(case: CaseRow, amount: Money, without_return: bool) -> str:
    keep = " No need to send the item back: you can keep it." if without_return else ""
    return (
        f"Your refund of {amount} for return {case.code} has been issued to your original "
        f"payment method.{keep}"
    )


def refund_by_hand(case: CaseRow, amount: Money, without_return: bool) -> str:
    """The order was paid on delivery (or by hand): the store pays it back itself."""
    keep = " No need to send the item back: you can keep it." if without_return else ""
    return (
        f"Your refund of {amount} for return {case.code} is approved. You paid on delivery, "
        "so the store will pay it back to you directly; we will tell you as soon as it has "
        f"been paid.{keep}"
    )


def store_credit(case: CaseRow, amount: Money, code: str, without_return: bool) -> str:
    keep = " No need to send the item back: you can keep it." if without_return else ""
    return f"Store credit of {amount} (code {code}) has been issued for return {case.code}.{keep}"


def replacement(case: CaseRow, without_return: bool) -> str:
    keep = " No need to send the item back: you can keep it." if without_return else ""
    return f"A replacement for {item_words(case)} is on its way for return {case.code}.{keep}"


def denied(case: CaseRow, why: str) -> str:
    return f"We're sorry: return {case.code} was not accepted. {why}".strip()


def cancelled(case: CaseRow) -> str:
    return f"Return {case.code} has been cancelled. Nothing more is needed from you."
