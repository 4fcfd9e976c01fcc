"""Verify that an order number and an email belong together."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ledger.models import OrderRow
from ledger.repository import find_order
from policies.models import normalize_email
from tools.errors import IdentityError


def verify_identity(session: Session, order_number: str, email: str) -> OrderRow:
    """The order, if its email matches; the same error for an unknown order and a wrong email."""
    order = find_order(session, order_number or "")
    if order is None or order.email != normalize_email(email or ""):
        raise IdentityError()
    return order
