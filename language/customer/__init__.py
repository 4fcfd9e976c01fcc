"""Offline understanding of customer messages: intents and slots from patterns and vocabularies.

``read_message`` turns one message into a :class:`Reading`; ``match_items`` (which needs the
order's items, so only runs after identity is verified) says which line items it names. Both
are deterministic and never guess: what they cannot read stays empty, and the dialogue asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from language.customer.answers import yes_or_no
from language.customer.identifiers import (
    broken_email,
    case_codes,
    emails,
    order_numbers,
    phones,
    without_phones,
)
from language.customer.instructions import without_instructions
from language.customer.intents import read_intents
from language.customer.items import ItemMatch, ItemMention, OrderItem, match_items
from language.customer.quantities import ALL, parse_quantity
from language.customer.reasons import REASON_LABELS, find_reason, reason_from_choice
from language.customer.resolutions import (
    RESOLUTION_LABELS,
    find_resolution,
    resolution_from_choice,
)

__all__ = [
    "ALL",
    "REASON_LABELS",
    "RESOLUTION_LABELS",
    "ItemMatch",
    "ItemMention",
    "OrderItem",
    "Reading",
    "match_items",
    "read_message",
    "reason_from_choice",
    "resolution_from_choice",
]


@dataclass
class Reading:
    """Everything one message says that the dialogue can use."""

    text: str
    order_numbers: list[str] = field(default_factory=list)
    case_codes: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # cash-on-delivery orders identify with one
    broken_email: bool = False
    reason: str | None = None
    resolution: str | None = None
    quantity: int | str | None = None
    answer: str | None = None
    intents: set[str] = field(default_factory=set)
    policy_topics: set[str] = field(default_factory=set)

    @property
    def has_return_details(self) -> bool:
        return bool(self.reason or self.resolution)


def read_message(text: str, expecting: str | None = None) -> Reading:
    """Read one customer message. ``expecting`` names the question the bot just asked
    (``order``, ``email``, ``item``, ``quantity``, ``reason``, ``resolution``, ``confirm``),
    which lets a bare answer ("1001", "2", "yes") count.

    Order numbers, e-mails and phones come from the whole message; everything else from the
    message without its instructions to the bot, which change nothing (``Reading.text``).

    Each call returns a new :class:`Reading`, which the caller may change."""
    # The question matters to the order number and the quantity only: a message read again
    # after another question (the earlier texts once the order is found) is the same reading.
    read = _read(str(text), expecting if expecting in ("order", "quantity") else None)
    return replace(
        read,
        order_numbers=list(read.order_numbers),
        case_codes=list(read.case_codes),
        emails=list(read.emails),
        phones=list(read.phones),
        intents=set(read.intents),
        policy_topics=set(read.policy_topics),
    )


@lru_cache(maxsize=1024)
def _read(text: str, expecting: str | None) -> Reading:
    # A turn reads the customer's earlier messages again once the order is found: the same
    # text is read once (the reading depends on nothing but the text and the question).
    whole = text
    text = without_instructions(text)
    intents, topics = read_intents(text)
    found_emails = emails(whole)
    found_phones = phones(whole)
    numbers_text = without_phones(whole) if found_phones else whole
    reading = Reading(
        text=text,
        order_numbers=order_numbers(
            numbers_text, expecting=expecting == "order" and not found_emails
        ),
        case_codes=case_codes(whole),
        emails=found_emails,
        phones=found_phones,
        broken_email=broken_email(whole),
        reason=find_reason(text),
        resolution=None if intents & {"status", "policy", "human"} else find_resolution(text),
        quantity=parse_quantity(text, expecting=expecting == "quantity"),
        answer=yes_or_no(text),
        intents=intents,
        policy_topics=topics,
    )
    # A stated resolution is a return asked for ("credit is fine", "just want my money",
    # "send another one"), unless the message asks about the policy, a status or a person.
    if reading.resolution and not reading.intents & {"status", "policy", "human"}:
        reading.intents.add("return")
    if reading.reason:
        reading.intents.add("return")
        if intents & {"policy", "human"}:  # "is shipping free if it arrived broken?"
            reading.resolution = find_resolution(text)
    return reading
