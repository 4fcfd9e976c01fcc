"""The returns form's preview: which reasons need a photo, and what the customer will get.

``POST /api/returns/quote`` takes the order number and e-mail (or phone) the form already
holds, so it tells nothing to someone who does not know both; it counts a pair that does not
match in the same guessing throttle as the lookup. The figures come from
``tools/return_quote.py``: the desk's own assessment and ``compute_amounts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from graph.desk import ReturnsDesk
from graph.identity_guard import guessing_guard
from ledger.models import OrderRow
from ledger.rules_models import active_rules
from policies.models import Reason
from policies.money import Money
from policies.rules import ActionKind, Rule
from tools.check_eligibility import check_eligibility, find_line_item
from tools.errors import NotReturnable
from tools.return_quote import ReturnQuote, photo_needed, quote_return
from tools.verify_identity import verify_identity


class QuoteRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    order: str = Field(min_length=1, max_length=64)
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=40)
    sku: str = Field(min_length=1, max_length=100)
    quantity: int = Field(default=1, ge=1, le=10_000)
    reason: Reason
    resolution: Literal["refund", "store_credit", "replacement"] = "refund"


def photo_reasons(
    desk: ReturnsDesk, session: Session, order: OrderRow, rules: Sequence[Rule]
) -> dict[str, list[str]]:
    """Per SKU of the order, the reasons whose return would wait for a photo (one unit)."""
    now = desk.clock.now()
    return {
        item.sku: [
            reason.value
            for reason in Reason
            if photo_needed(desk.store, rules, session, order, item, 1, reason, now)
        ]
        for item in order.items
    }


# How a shopper reads an amount in the few currencies with a well-known sign; others keep
# their code ("40.00 SEK").
SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}


def _money(minor: int, currency: str) -> str:
    return Money(minor=minor, currency=currency).amount_str()


def _shown(minor: int, currency: str) -> str:
    amount = _money(minor, currency)
    sign = SIGNS.get(currency)
    return f"{sign}{amount}" if sign else f"{amount} {currency}"


def you_get(quote: ReturnQuote, resolution: str) -> str:
    """One sentence for the customer: what this return would give them."""
    a = quote.amounts
    cur = a.currency
    if quote.outcome == "deny":
        return "This item can't be returned, so the store would not accept this return."
    if quote.outcome == "partial_refund":
        return (
            f"A partial refund of {_shown(a.refund, cur)} to your original payment; "
            "you keep the item."
        )
    if resolution == "replacement":
        words = "A replacement of the item."
    elif resolution == "store_credit":
        words = f"{_shown(a.store_credit, cur)} in store credit"
        if a.store_credit_bonus:
            base = a.store_credit - a.store_credit_bonus
            words += f" ({_shown(base, cur)} plus a {_shown(a.store_credit_bonus, cur)} bonus)"
        words += "."
        if a.label_deduction:
            words += f" The return label ({_shown(a.label_deduction, cur)}) is taken off first."
    else:
        words = f"A refund of {_shown(a.refund, cur)} to your original payment"
        if a.label_deduction:
            words += f" ({_shown(a.label_deduction, cur)} for the return label taken off)"
        words += "."
    if quote.outcome == "keep_it":
        words += " You keep the item: nothing to send back."
    elif quote.return_required:
        words += " You send the item back with a label we give you."
    if quote.outcome == "review":
        words = "The store looks at this return before deciding. If it is accepted: " + words
    return words


def quote_payload(desk: ReturnsDesk, body: QuoteRequest) -> dict[str, Any]:
    with guessing_guard(desk, body.order, "quote"), desk.session() as session:
        order = verify_identity(session, body.order, body.email.strip() or body.phone)
        item = find_line_item(order, body.sku)
        rules = active_rules(session)
        quote = quote_return(
            desk.store, rules, session, order, item, body.quantity, body.reason, desk.clock.now()
        )
    amounts = quote.amounts
    cur = amounts.currency
    return {
        "photo_required": quote.photo_required,
        "outcome": quote.outcome,
        "return_required": quote.return_required,
        "currency": cur,
        "value": _money(amounts.value, cur),
        "refund": _money(amounts.refund, cur),
        "label_deduction": _money(amounts.label_deduction, cur),
        "store_credit": _money(amounts.store_credit, cur),
        "store_credit_bonus": _money(amounts.store_credit_bonus, cur),
        "resolution": body.resolution,
        "you_get": you_get(quote, body.resolution),
    }


def refuse_missing_photo(
    desk: ReturnsDesk, order: str, contact: str, sku: str, quantity: int, reason: Reason
) -> None:
    """The form was sent without a photo its reason needs: refused before any case opens.
    The form's own refusals (not delivered, too many units, marketplace) come first."""
    with desk.session() as session:
        rules = active_rules(session)
        if reason not in desk.store.policy.photo_required_reasons and not any(
            rule.action(ActionKind.REQUIRE_PHOTO) for rule in rules
        ):
            return  # no photo can be needed: the desk checks the rest as it opens the case
        found = verify_identity(session, order, contact)
        item = find_line_item(found, sku)
        check_eligibility(session, desk.store.policy, found, item, quantity, desk.clock.now())
        needed = photo_needed(
            desk.store,
            rules,
            session,
            found,
            item,
            quantity,
            reason,
            desk.clock.now(),
        )
    if needed:
        raise NotReturnable(
            f"A photo is needed for this reason ({reason.value.replace('_', ' ')}). "
            "Please add a photo of the item and send the form again.",
            code="photo_required",
        )
