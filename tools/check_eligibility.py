"""Is this line item returnable now, and how many units of it are left?"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy.orm import Session

from ledger.models import LineItemRow, OrderRow
from ledger.repository import units_in_cases
from policies.models import StorePolicy
from tools.errors import NotReturnable
from tools.marketplace import refuse_marketplace_order


class Eligibility(BaseModel):
    line_item_id: int
    quantity: int
    units_left: int
    days_since_delivery: int
    within_window: bool
    final_sale: bool

    def clause(self, policy: StorePolicy) -> str:
        if self.final_sale:
            return "final_sale"
        if not self.within_window:
            return f"return_window_days={policy.return_window_days}"
        return "eligible"


def find_line_item(order: OrderRow, sku: str) -> LineItemRow:
    wanted = (sku or "").strip().lower()
    for item in order.items:
        if item.sku.lower() == wanted:
            return item
    raise NotReturnable(
        f"Order {order.display_number} has no item {sku!r}. Please pick an item from the order.",
        code="unknown_item",
    )


def whole_days(start: dt.datetime, end: dt.datetime) -> int:
    return (end - start) // dt.timedelta(days=1)


def check_eligibility(
    session: Session,
    policy: StorePolicy,
    order: OrderRow,
    item: LineItemRow,
    quantity: int,
    now: dt.datetime,
) -> Eligibility:
    """Raise ``NotReturnable`` for a request that must open no case."""
    refuse_marketplace_order(policy, order)  # its buyer returns through the marketplace
    if quantity < 1:
        raise NotReturnable("The quantity to return must be at least 1.", code="bad_quantity")
    if order.delivered_at is None or order.delivered_at > now:
        raise NotReturnable(
            f"Order {order.display_number} has not been delivered yet. "
            "You can start a return once it arrives.",
            code="not_delivered",
        )
    if not item.delivered:
        raise NotReturnable(
            f"The {item.name} on order {order.display_number} has not been shipped yet. "
            "You can start a return once it arrives.",
            code="not_delivered",
        )
    left = item.quantity - units_in_cases(session, item.id)
    if quantity > left:
        if left <= 0:
            message = (
                f"The quantity asked for can't be returned: every unit of {item.name} "
                "on this order is already in a return."
            )
        else:
            message = (
                f"The quantity asked for ({quantity}) is more than is left to return: "
                f"only {left} of {item.name} can still be returned on this order."
            )
        raise NotReturnable(message, code="quantity_exceeded")
    days = whole_days(order.delivered_at, now)
    return Eligibility(
        line_item_id=item.id,
        quantity=quantity,
        units_left=left,
        days_since_delivery=days,
        within_window=days <= policy.return_window_days,
        final_sale=item.final_sale,
    )
