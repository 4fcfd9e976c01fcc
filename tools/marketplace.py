"""Orders sold on a marketplace (Amazon, eBay, Etsy, Walmart, ...): the marketplace's rules apply.

The buyer returns through the marketplace, which refunds them; the desk pays nothing itself. A
customer who asks the store is told where to go, with the marketplace's link and window. The
owner records the return request the marketplace passed on, and the desk handles the supplier
side: authorisation within the marketplace's response time, the parcel, the supplier credit.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from ledger import decisions
from ledger.models import CaseRow, OrderRow
from ledger.repository import new_case, units_in_cases
from policies.models import (
    KNOWN_MARKETPLACES,
    MarketplaceRules,
    Reason,
    StorePolicy,
    normalize_channel,
    normalize_order_number,
)
from tools.context import ToolContext
from tools.errors import ActionRefused, CaseNotFound, NotReturnable
from tools.notify import MARKETPLACE as OPENED_VIA


def channel_from_source(source: str | None, policy: StorePolicy | None = None) -> str:
    """An order's channel from where the store's platform says it came from (Shopify's
    ``Source`` column of the orders export, ``sourceName`` in the Admin API): the marketplace
    it names ("amazon", "eBay", "amazon_us", "Etsy Marketplace"), else ``web`` (the store's own
    site, point of sale, draft orders, app ids)."""
    key = normalize_channel(source or "")
    if not key:
        return "web"
    names = set(KNOWN_MARKETPLACES) | set(policy.marketplaces if policy is not None else ())
    if key in names:
        return key
    words = key.split("_")
    for name in sorted(names, key=len, reverse=True):
        if "_" not in name and name in words:
            return name
    return "web"


def marketplace_of(policy: StorePolicy, order: OrderRow) -> MarketplaceRules | None:
    return policy.marketplace_for(getattr(order, "channel", None))


def is_marketplace_case(case: CaseRow) -> bool:
    return case.opened_via == OPENED_VIA


def customer_notice(policy: StorePolicy, order: OrderRow) -> str | None:
    """What a customer of a marketplace order is told instead of opening a return here."""
    rules = marketplace_of(policy, order)
    if rules is None:
        return None
    where = f" at {rules.url}" if rules.url else f" from your {rules.name} account"
    window = f"within {rules.return_window_days} days of delivery"
    if order.delivered_at is not None:
        last = order.delivered_at + dt.timedelta(days=rules.return_window_days)
        window += f" (until {last:%B} {last.day}, {last.year})"
    return (
        f"Order {order.display_number} was bought on {rules.name}, so its return is made "
        f"there: please start it{where}, {window}, as {rules.name}'s return policy says. "
        f"{rules.name} refunds you once the return is accepted; it can't be refunded here."
    )


def refuse_marketplace_order(policy: StorePolicy, order: OrderRow) -> None:
    """Raise ``NotReturnable`` naming the marketplace for an order sold there."""
    notice = customer_notice(policy, order)
    if notice is not None:
        raise NotReturnable(notice, code="marketplace_order")


class MarketplaceReturn(BaseModel):
    """A return request a marketplace passed on, as the owner records it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    order: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=100)
    quantity: int = Field(default=1, ge=1, le=10_000)
    reason: Reason = Reason.OTHER
    note: str = Field(default="", max_length=4000)

    @field_validator("order", mode="before")
    @classmethod
    def _order_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


def open_marketplace_case(ctx: ToolContext, request: MarketplaceReturn) -> CaseRow:
    """Open the case for a marketplace's return request. The marketplace already accepted it
    from its buyer, so the store's window and assessment do not apply; what was sold and how
    much of it is left to return still do. Raises (and writes nothing) otherwise."""
    order = ctx.session.execute(
        select(OrderRow)
        .where(OrderRow.number == normalize_order_number(request.order))
        .with_for_update()  # count the units left with the order locked
    ).scalar_one_or_none()
    if order is None:
        raise CaseNotFound(f"There is no order {request.order!r}.")
    rules = marketplace_of(ctx.store.policy, order)
    if rules is None:
        raise ActionRefused(
            f"Order {order.display_number} was sold on the store's own site "
            f"(channel {order.channel}); its customer returns it through the returns page "
            "or the chat, not as a marketplace return."
        )
    wanted = request.sku.lower()
    item = next((line for line in order.items if line.sku.lower() == wanted), None)
    if item is None:
        raise NotReturnable(
            f"Order {order.display_number} has no item {request.sku!r}.", code="unknown_item"
        )
    left = item.quantity - units_in_cases(ctx.session, item.id)
    if request.quantity > left:
        raise NotReturnable(
            f"Only {max(left, 0)} of {item.name} on order {order.display_number} can still be "
            f"returned; {request.quantity} were asked for.",
            code="quantity_exceeded",
        )
    case = new_case(
        ctx.session,
        order_id=order.id,
        line_item_id=item.id,
        supplier_id=item.supplier_id,
        customer_email=order.email,
        quantity=request.quantity,
        reason=request.reason.value,
        requested_resolution="refund",
        note=request.note,
        status="open",
        photo_count=0,
        opened_via=OPENED_VIA,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="owner",
        action="case_opened",
        data={
            "order": order.display_number,
            "sku": item.sku,
            "quantity": request.quantity,
            "reason": request.reason.value,
            "note": request.note,
            "channel": OPENED_VIA,
            "marketplace": order.channel,
        },
        reason=f"a return request made on {rules.name}, recorded by the owner",
    )
    return case
