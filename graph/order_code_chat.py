"""The chat's "I don't have my order number" path: e-mail (or phone) -> one-time code -> the
customer's orders as buttons -> the picked one is checked like a typed order number.

It runs only while no order is verified; it answers nothing about any order before the code
matched, and "send me a code" gets the same answer whether or not the address has orders.
State (graph/chat_state.py): ``expecting`` is ``code_contact`` or ``code`` while it runs,
``code_contact`` holds the address the code went to, ``code_listed`` marks a listed pick.
"""

from __future__ import annotations

import re
from typing import Any

from graph.chat_state import DialogueState
from graph.desk import ReturnsDesk
from graph.order_codes import ask_for_code, orders_by_code
from language.customer import Reading
from tools.errors import ReturnError

Reply = dict[str, Any]

ASKING = ("code_contact", "code")
NO_NUMBER_BUTTON = {
    "label": "I don't have my order number",
    "value": "I don't have my order number",
}
NEW_CODE_BUTTON = {"label": "Send me a new code", "value": "send me a new code"}

# "I don't have / know / remember / can't find my order number", "lost the order number",
# "no order number", "where do I find my order number?"
_NO_NUMBER = re.compile(
    r"\b(?:(?:do ?n[o']?t|dont|didn'?t|did not|never) (?:have|know|remember|recall|got|get|"
    r"see|keep)|(?:can'?t|cannot|can not|could ?n'?t|unable to) (?:find|remember|recall|locate|"
    r"see)|lost|forgot(?:ten)?|no|without|missing|deleted|where (?:do|can) i (?:find|get|see)|"
    r"what(?:'s| is) my)\b[^.?!]{0,25}\border (?:number|no|num|#|id|confirmation)\b"
    r"|\bno idea (?:what|which) (?:my|the) order\b"
)
_NEW_CODE = re.compile(r"\b(?:new|another|again|resend|re-send|didn'?t (?:get|receive))\b")
_CODE = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})(?!\d)")


def wants_code(text: str) -> bool:
    return bool(_NO_NUMBER.search(" ".join(text.lower().replace("’", "'").split())))


def code_path(st: DialogueState, text: str) -> bool:
    """Does this turn belong to the code path (asked for, under way, or picking an order it
    listed)?"""
    return bool(st.expecting in ASKING or st.code_listed or wants_code(text))


def reply(text: str, quick_replies: list[dict[str, str]] | None = None) -> Reply:
    return {"text": text, "quick_replies": quick_replies or [], "payload": {}}


def code_turn(
    desk: ReturnsDesk, st: DialogueState, text: str, reading: Reading
) -> list[Reply] | None:
    """Replies when this turn belongs to the code path, else None (the dialogue goes on)."""
    expecting = st.expecting
    if expecting in ASKING and (
        reading.intents & {"human", "cancel", "restart"}
        or (reading.order_numbers and expecting == "code_contact")
    ):
        _leave(st)  # a person, never mind, or the number after all: the usual path
        return None
    if expecting == "code_contact":
        return _take_contact(desk, st, reading)
    if expecting == "code":
        return _take_code(desk, st, text)
    if reading.order_numbers or not wants_code(text):
        return None
    st.goal = st.goal or "identify"
    if reading.emails or reading.phones:
        return _take_contact(desk, st, reading)
    st.expecting = "code_contact"
    return [
        reply(
            "No problem. What's the email address you ordered with? (For an order without "
            "email, the phone number on it.) I'll send you a 6-digit code that shows your orders."
        )
    ]


def _leave(st: DialogueState) -> None:
    st.expecting = None
    st.code_contact = None


def _take_contact(desk: ReturnsDesk, st: DialogueState, reading: Reading) -> list[Reply]:
    contacts = reading.emails or reading.phones
    if not contacts:
        st.expecting = "code_contact"
        if reading.broken_email:
            return [reply("That email address doesn't look complete. Could you type it again?")]
        return [reply("Which email address (or phone, for an order without email) should I use?")]
    return _send(desk, st, contacts[0])


def _send(desk: ReturnsDesk, st: DialogueState, contact: str) -> list[Reply]:
    try:
        said = ask_for_code(desk, contact)
    except ReturnError as error:
        st.expecting = "code_contact"
        return [reply(error.message)]
    st.code_contact = contact
    st.expecting = "code"
    return [reply(said, [NEW_CODE_BUTTON])]


def _take_code(desk: ReturnsDesk, st: DialogueState, text: str) -> list[Reply]:
    contact = str(st.code_contact or "")
    found = _CODE.search(text)
    if found is None:
        if _NEW_CODE.search(text.lower()) and contact:
            return _send(desk, st, contact)
        return [reply("Please type the 6-digit code we sent you.", [NEW_CODE_BUTTON])]
    try:
        orders = orders_by_code(desk, contact, found.group(1) + found.group(2))
    except ReturnError as error:
        return [reply(error.message, [NEW_CODE_BUTTON])]
    _leave(st)
    if not orders:
        st.expecting = "order"
        return [reply("There are no orders for that address. What's your order number?")]
    st.pending_email = contact
    st.expecting = "order"
    st.code_listed = True  # the pick is checked here too, not by a model
    buttons = [
        {
            "label": f"Order {order.number} ({order.placed_at:%b %d}): {', '.join(order.items)}"[
                :75
            ],
            "value": order.number,
        }
        for order in orders[-8:]
    ]
    listed = "; ".join(
        f"order {order.number} of {order.placed_at:%Y-%m-%d} ({', '.join(order.items)})"
        for order in orders[-8:]
    )
    return [reply(f"Thanks, that's right. Your orders: {listed}. Which one is it about?", buttons)]
