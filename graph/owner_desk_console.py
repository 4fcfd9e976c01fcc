"""What the owner types about the inbox and supplier money, in plain words.

- replies: "reply to acme about RB-000002: the blue batch", "tell the customer on 1001 that
  we refund today", "answer the supplier on order 1001 - please send an RMA";
- credit received: "acme paid $24.00, reference CN-77", "credit note CN-9 from acme for 12.50
  on order 1001";
- write-offs: "write off acme's credit on order 1001", "write off RB-000004", "write off $5 of
  acme's credit".

Read before decisions and rules, so "tell the customer on 1001 that we refund it" is a
message, not an approval. ``None`` when the text is none of these.
"""

from __future__ import annotations

import re

from graph.desk import ReturnsDesk
from graph.owner_inbox import reply
from graph.supplier_money import record_credit, write_off
from ledger.repository import find_order, get_case
from tools.errors import ReturnError

_REPLY = re.compile(
    r"^\s*(?:please\s+)?(?:reply|answer|respond|write(?![\s-]*off\b)|tell|message|say)\s+(?:back\s+)?"
    r"(?:to\s+)?(?P<who>.+?)\s+(?:about|on|for|re|regarding|of)\s+(?:the\s+)?"
    r"(?:order\s*(?:number\s*|no\.?\s*)?#?\s*|return\s+|case\s+)?"
    r"(?P<target>RB[-\s]?\d+|#?[A-Za-z0-9][A-Za-z0-9-]*\d[A-Za-z0-9-]*)\s*"
    r"(?:[:,\-—–]\s*(?:that\s+)?|\s+that\s+|\s+saying\s+|\s+)(?P<text>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
_CUSTOMER_WORDS = re.compile(r"\b(?:customer|buyer|shopper|client)\b", re.IGNORECASE)
_SUPPLIER_WORDS = re.compile(r"\b(?:supplier|vendor|manufacturer|factory)\b", re.IGNORECASE)
_CASE = re.compile(r"\bRB[-\s]?0*(\d+)\b", re.IGNORECASE)
_ORDER = re.compile(r"\border\s*(?:number\s*|no\.?\s*)?#?\s*([A-Za-z0-9][A-Za-z0-9-]*)", re.I)
_ON_ORDER = re.compile(r"\b(?:on|for)\s+#?([A-Za-z]{0,4}-?\d[\w-]*)\b", re.IGNORECASE)
_AMOUNT = re.compile(
    r"(?:[$€£¥]\s*)(\d[\d,]*(?:\.\d+)?)|\b(\d[\d,]*\.\d{1,3})\b"
    r"|\b(?:paid|sent|remitted|credited)\s+(?:us\s+)?(\d[\d,]*)\b"
)
_REFERENCE = re.compile(
    r"\b(?:ref(?:erence)?|credit\s+note|invoice|payment)\s*(?:no\.?|number|#|:)?\s*"
    r"(?P<ref>[A-Za-z0-9][A-Za-z0-9/_.-]*\d[A-Za-z0-9/_.-]*)",
    re.IGNORECASE,
)
_RECEIVED = re.compile(
    r"\b(?:paid|pays|sent|remitted|credited|refunded us|credit\s+note|payment|received)\b",
    re.IGNORECASE,
)
_WRITE_OFF = re.compile(r"^\s*(?:please\s+)?write[\s-]*(?:it\s+)?off\b", re.IGNORECASE)


def _case_code(text: str) -> str | None:
    match = _CASE.search(text)
    return f"RB-{int(match.group(1)):06d}" if match else None


def _supplier_named(desk: ReturnsDesk, text: str) -> str | None:
    lowered = f" {text.lower()} "
    for supplier_id, agreement in desk.store.suppliers.items():
        for name in {supplier_id.lower(), agreement.name.lower()}:
            if name and re.search(rf"(?<![a-z0-9]){re.escape(name)}(?:'s)?(?![a-z0-9])", lowered):
                return supplier_id
    return None


def _party(desk: ReturnsDesk, who: str, target: str) -> str | None:
    if _CUSTOMER_WORDS.search(who):
        return "customer"
    if _SUPPLIER_WORDS.search(who) or _supplier_named(desk, who):
        return "supplier"
    with desk.session() as session:
        case = get_case(session, target) if target.upper().startswith("RB") else None
        order = case.order if case is not None else find_order(session, target)
        if order is not None:
            named = {order.customer_name.lower(), *order.customer_name.lower().split()}
            if who.lower().strip() in named | {order.email}:
                return "customer"
    return None


def _order_or_case(text: str) -> tuple[str | None, str | None]:
    code = _case_code(text)
    if code:
        return None, code
    match = _ORDER.search(text) or _ON_ORDER.search(text)
    return (match.group(1), None) if match else (None, None)


def answer_desk(desk: ReturnsDesk, text: str) -> str | None:
    """Carry out a reply, a credit received or a write-off; None when the text is none."""
    if _WRITE_OFF.match(text):
        return _write_off(desk, text)
    match = _REPLY.match(text)
    if match:
        target = match.group("target").lstrip("#")
        if _CASE.fullmatch(target):
            target = _case_code(target) or target
        party = _party(desk, match.group("who"), target)
        if party is not None:
            try:
                return reply(desk, target, party, match.group("text"))  # type: ignore[arg-type]
            except ReturnError as error:
                return error.message
    if _RECEIVED.search(text):
        supplier = _supplier_named(desk, text)
        amount = _AMOUNT.search(text)
        if supplier is not None and amount is not None:
            return _received(
                desk, text, supplier, amount.group(1) or amount.group(2) or amount.group(3)
            )
    return None


def _received(desk: ReturnsDesk, text: str, supplier: str, amount: str) -> str:
    reference = _REFERENCE.search(text)
    if reference is None:
        return (
            f"What is the reference of the credit note or payment from {supplier}? Say for "
            f'example "{supplier} paid {amount}, reference CN-1234".'
        )
    order, code = _order_or_case(text)
    try:
        return record_credit(
            desk, supplier, amount, reference.group("ref"), order=order, case_code=code
        )
    except ReturnError as error:
        return error.message


def _write_off(desk: ReturnsDesk, text: str) -> str:
    order, code = _order_or_case(text)
    supplier = _supplier_named(desk, text)
    if supplier is None and (order or code):
        with desk.session() as session:
            case = get_case(session, code) if code else None
            if case is None and order:
                found = find_order(session, order)
                suppliers = {item.supplier_id for item in found.items} if found else set()
                supplier = next(iter(suppliers)) if len(suppliers) == 1 else None
            elif case is not None:
                supplier = case.supplier_id
    if supplier is None:
        return (
            'Whose credit? Say for example "write off acme\'s credit on order 1001" or '
            '"write off RB-000004".'
        )
    amount = _AMOUNT.search(text)
    note_match = re.search(r"\b(?:because|since|as)\b\s*(.+)$", text, re.IGNORECASE)
    try:
        return write_off(
            desk,
            supplier,
            order=order,
            case_code=code,
            amount=(amount.group(1) or amount.group(2) or amount.group(3)) if amount else None,
            note=note_match.group(1).strip() if note_match else "",
        )
    except ReturnError as error:
        return error.message
