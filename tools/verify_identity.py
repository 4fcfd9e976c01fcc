"""Verify that an order number and an email (or the order's phone) belong together."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ledger.models import OrderRow
from ledger.repository import find_order
from policies.models import normalize_email, phones_match
from tools.errors import IdentityError


def is_email(contact: str) -> bool:
    return "@" in (contact or "")


def verify_identity(session: Session, order_number: str, contact: str) -> OrderRow:
    """The order, if the email matches it, or the phone does (digits compared, at least the
    last 8 equal: a cash-on-delivery order may have no email). The same error for an unknown
    order and a wrong email or phone."""
    order = find_order(session, order_number or "")
    if order is None:
        raise IdentityError()
    if is_email(contact):
        if order.email and order.email == normalize_email(contact):
            return order
    elif order.phone and phones_match(contact or "", order.phone):
        return order
    raise IdentityError()


def customer_contact(order: OrderRow, contact: str) -> str:
    """What the customer is known by on the case: the email given, else the order's email,
    else the order's phone."""
    if is_email(contact):
        return normalize_email(contact)
    return order.email or order.phone.strip()
