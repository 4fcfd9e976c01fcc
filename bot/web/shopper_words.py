"""A case's status as the customer reads it on the returns page: shopper's words, never the
desk's status names, and the supplier named only when the store says so
(``mention_supplier_to_customer`` in the policy; off by default, as many stores present the
supplier's goods as their own)."""

from __future__ import annotations

from graph.desk import CaseView
from policies.models import StorePolicy
from policies.money import Money

FINAL_STATUSES = ("resolved", "denied", "cancelled")

STATUS_WORDS = {
    "open": "Request received",
    "awaiting_photo": "Waiting for your photo",
    "pending_review": "Being reviewed by the store",
    "awaiting_supplier": "Approval in progress",
    "awaiting_shipment": "Label ready: please send the item back",
    "in_transit": "On its way back",
    "awaiting_inspection": "Arrived: being checked",
    "resolved": "Done",
    "denied": "Not accepted",
    "cancelled": "Cancelled",
}
# The same statuses where the store lets the customer know a supplier is involved.
SUPPLIER_WORDS = {
    "awaiting_supplier": "Waiting for the supplier's approval",
    "in_transit": "On its way back to the supplier",
    "awaiting_inspection": "Arrived at the supplier: being checked",
}
# A resolved case says what the customer got.
RESOLVED_WORDS = {
    "refund": "Refunded",
    "partial_refund": "Partly refunded",
    "store_credit": "Store credit issued",
    "replacement": "Replacement on its way",
}

NEXT_STEPS = {
    "open": "We're checking your request.",
    "awaiting_photo": "Please send us a photo of the item below.",
    "pending_review": "The store is looking at your return and will get back to you here.",
    "awaiting_supplier": "We'll send your return label or your money as soon as it's approved.",
    "awaiting_shipment": "Send the item back with the label below.",
    "in_transit": "We'll let you know here when it arrives.",
    "awaiting_inspection": "Your money follows as soon as the item has been checked.",
}
SUPPLIER_NEXT_STEPS = {
    "awaiting_supplier": "We've asked the supplier to accept the return; your label or money "
    "comes next.",
    "awaiting_inspection": "Your money follows as soon as the supplier has checked the item.",
}


OWED_BY_HAND = "Approved: the store pays your refund back directly"


def shopper_status(view: CaseView, policy: StorePolicy) -> str:
    # Resolved, paid on delivery and not paid back yet: "Refunded" would not be true.
    if view.status == "resolved" and Money.parse(view.owed_by_hand, view.currency).minor > 0:
        return OWED_BY_HAND
    if view.status == "resolved":
        return RESOLVED_WORDS.get(view.resolution or "", "Closed")
    if policy.mention_supplier_to_customer and view.status in SUPPLIER_WORDS:
        return SUPPLIER_WORDS[view.status]
    return STATUS_WORDS.get(view.status, "In progress")


def next_step(view: CaseView, policy: StorePolicy) -> str:
    """What happens next, in one sentence; nothing once the case is finished."""
    if view.status in FINAL_STATUSES:
        return ""
    if policy.mention_supplier_to_customer and view.status in SUPPLIER_NEXT_STEPS:
        return SUPPLIER_NEXT_STEPS[view.status]
    return NEXT_STEPS.get(view.status, "")
