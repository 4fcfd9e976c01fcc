"""One customer message read on its own, as a plain dict: the measuring point of the readers.

``read_customer`` needs no database and no dialogue: it is what the offline understanding
makes of a message given the names of the order's items. The keys are only those read.
"""

from __future__ import annotations

from typing import Any

from language.customer import ALL, OrderItem, match_items, read_message

# When a message carries several intents, the one the dialogue acts on first.
_INTENT_ORDER = ("human", "cancel", "status", "policy", "return")


def read_customer(text: str, items: list[str]) -> dict[str, Any]:
    """The intent, order, email, item, quantity (int or "all"), reason and resolution that
    ``text`` states, given the order's item names; a field not read is left out."""
    reading = read_message(text)
    found: dict[str, Any] = {}
    for intent in _INTENT_ORDER:
        if intent in reading.intents:
            found["intent"] = intent
            break
    if reading.order_numbers:
        found["order"] = reading.order_numbers[0]
    if reading.emails:
        found["email"] = reading.emails[0]
    quantity = reading.quantity
    if items:
        order_items = [
            OrderItem(sku=f"item-{n}", name=name, quantity=1, position=n)
            for n, name in enumerate(items, start=1)
        ]
        match = match_items(reading.text, order_items, whole_order=True)
        if match.found:
            names = [mention.item.name for mention in match.found]
            found["item"] = names[0] if len(names) == 1 else names
            said = [m.quantity for m in match.found if m.quantity is not None]
            if quantity is None and len(match.found) == 1 and said:
                quantity = said[0]
            if match.whole_order and quantity is None:
                quantity = ALL
        elif len(items) == 1 and "return" in reading.intents:
            # An order of one item: "it", "them", "the thing" can only be that item, as the
            # dialogue takes it without asking.
            found["item"] = items[0]
    if quantity is not None:
        found["quantity"] = quantity
    # A yes or a no with no facts in it answers the bot's last question ("nah dont", "never
    # mind, don't return it"), whatever verbs it uses.
    facts = reading.order_numbers or reading.emails or reading.reason or "item" in found
    if reading.answer and not facts and found.get("intent") not in ("human", "status", "policy"):
        found["intent"] = reading.answer
    if reading.reason:
        found["reason"] = reading.reason
    if reading.resolution:
        found["resolution"] = reading.resolution
    return found
