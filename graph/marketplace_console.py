"""The owner records a marketplace's return request in plain words, in the owner console:
"Amazon return on order 114-3941689-8772232: the mug, arrived broken", "eBay return 27-11473
2 x KITE-1 changed mind". The text must name the marketplace, the word return, and an order
sold there; the item is read as the chat reads it, the reason from the shared lexicon
(``other`` when none is named), the quantity when one is said next to the item (else 1)."""

from __future__ import annotations

import re

from graph.desk import ReturnsDesk
from language.customer.items import OrderItem, match_items
from language.customer.reasons import find_reason
from ledger.repository import find_order
from policies.models import KNOWN_MARKETPLACES, Reason
from tools.errors import ReturnError
from tools.marketplace import MarketplaceReturn

_ORDER_TOKEN = re.compile(r"#?([A-Za-z0-9][A-Za-z0-9-]*\d[A-Za-z0-9-]*)")


def record_from_words(desk: ReturnsDesk, text: str) -> str | None:
    """The answer when the text records a marketplace return; None when it does not."""
    lowered = text.lower()
    if not re.search(r"\breturn", lowered):
        return None
    policy = desk.store.policy
    with desk.session() as session:
        for token in _ORDER_TOKEN.findall(text):
            order = find_order(session, token)
            rules = policy.marketplace_for(order.channel) if order is not None else None
            if order is not None and rules is not None:
                break
        else:
            return None
        names = {order.channel.replace("_", " "), rules.name.lower()}
        names |= {name.lower() for key, name in KNOWN_MARKETPLACES.items() if key == order.channel}
        if not any(re.search(rf"\b{re.escape(name)}\b", lowered) for name in names):
            return None  # an order number alone is a decision's, not a new return
        number = order.display_number
        items = [
            OrderItem(sku=item.sku, name=item.name, quantity=item.quantity, position=item.position)
            for item in order.items
        ]
    rest = text.replace(number, " ")
    found = match_items(rest, items).found
    if not found and len(items) == 1:
        found_sku, quantity = items[0].sku, 1
    elif len(found) == 1:
        said = found[0].quantity
        found_sku = found[0].item.sku
        quantity = said if isinstance(said, int) else (found[0].item.quantity if said else 1)
    else:
        names_list = ", ".join(f"{item.name} ({item.sku})" for item in items)
        return (
            f"Which item of {rules.name} order {number} is returned: {names_list}? "
            "Nothing was recorded."
        )
    reason = find_reason(rest) or Reason.OTHER.value
    try:
        view = desk.record_marketplace_return(
            MarketplaceReturn(
                order=number,
                sku=found_sku,
                quantity=quantity,
                reason=Reason(reason),
                note=text[:4000],
            )
        )
    except ReturnError as error:
        return f"{error.message} Nothing was recorded."
    hours = rules.response_hours
    return (
        f"Recorded {rules.name}'s return of {view.quantity} x {view.item} on order {number} "
        f"({reason.replace('_', ' ')}) as {view.code}: {view.supplier_id} is asked to authorise "
        f"it within {hours} hours. The buyer's refund is {rules.name}'s; the desk pays nothing."
    )
