"""What the owner types: decisions on cases in review, in plain words.

"approve 1700", "deny the return on order 4040, the tent was used", "cancel RB-000012".
Anything else gets a helpful answer and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from graph.desk import ReturnsDesk
from tools.errors import ReturnError

Verb = Literal["approve", "deny", "cancel"]

_VERBS: tuple[tuple[Verb, tuple[str, ...]], ...] = (
    ("cancel", ("cancel", "cancelled", "withdraw", "void", "drop")),
    (
        "deny",
        (
            "deny",
            "denied",
            "reject",
            "rejected",
            "decline",
            "declined",
            "refuse",
            "refused",
            "don't approve",
            "do not approve",
            "no to",
        ),
    ),
    (
        "approve",
        (
            "approve",
            "approved",
            "accept",
            "accepted",
            "ok",
            "okay",
            "allow",
            "go ahead",
            "yes to",
            "authorise",
            "authorize",
            "grant",
            "fine to refund",
            "refund it",
        ),
    ),
)

_CASE_CODE = re.compile(r"\bRB[-\s]?0*(\d+)\b", re.IGNORECASE)
_ORDER_AFTER_WORD = re.compile(
    r"\border\s*(?:number|no\.?|#)?\s*#?\s*([A-Za-z0-9][A-Za-z0-9-]*)", re.IGNORECASE
)
_NUMBERISH = re.compile(r"#?\b([A-Za-z]{0,4}-?\d[\w-]*)\b")
_NOTE_SPLIT = re.compile(
    r"\s*(?:[,;:]|\s[-—–]\s|\bbecause\b|\bsince\b|\bas\b|\breason\b)\s*", re.IGNORECASE
)


@dataclass(frozen=True)
class OwnerCommand:
    verb: Verb
    case_code: str | None
    order: str | None
    note: str


HELP = (
    'I can decide returns waiting for you: say "approve 1001", '
    '"deny the return on order 1001, it was used" or "cancel RB-000012" '
    "(an order number or a case number)."
)


def _find_verb(text: str) -> tuple[Verb, int] | None:
    """The earliest verb phrase (the longer one at the same place) and where it ends."""
    lowered = text.lower()
    best: tuple[Verb, int, int] | None = None
    for verb, words in _VERBS:
        for word in words:
            match = re.search(rf"(?<![a-z']){re.escape(word)}(?![a-z])", lowered)
            if match and (best is None or (match.start(), -match.end()) < (best[1], -best[2])):
                best = (verb, match.start(), match.end())
    return None if best is None else (best[0], best[2])


def parse_owner_command(text: str) -> OwnerCommand | None:
    """A decision if the text holds a verb and a case or order; ``None`` otherwise."""
    found = _find_verb(text)
    if found is None:
        return None
    verb, end = found
    rest = text[end:]
    code_match = _CASE_CODE.search(text)
    order_first = _ORDER_AFTER_WORD.search(text)
    if code_match and order_first and order_first.start() < code_match.start():
        code_match = None  # "deny order 1005, duplicate of RB-000003": the order is the target
    order: str | None = None
    code: str | None = None
    target_end = 0
    if code_match:
        code = f"RB-{int(code_match.group(1)):06d}"
        target_end = code_match.end() - end if code_match.start() >= end else 0
    else:
        order_match = _ORDER_AFTER_WORD.search(text) or _NUMBERISH.search(rest)
        if order_match is None:
            return None
        order = order_match.group(1)
        if order_match.re is _NUMBERISH:
            target_end = order_match.end()
        else:
            target_end = max(0, order_match.end() - end)
    tail = rest[target_end:]
    parts = _NOTE_SPLIT.split(tail, maxsplit=1)
    note = parts[1] if len(parts) > 1 else tail
    note = note.strip(" .,;:-—–!?")
    return OwnerCommand(verb=verb, case_code=code, order=order, note=note)


def answer_owner(desk: ReturnsDesk, text: str) -> str:
    """Carry out the owner's decision and say what happened, or explain what it can do."""
    command = parse_owner_command(text or "")
    if command is None:
        return "I didn't find a decision in that. " + HELP
    code = command.case_code
    if code is None:
        assert command.order is not None
        cases = desk.cases_for_order(command.order)
        if not cases:
            return f"I found no return on order {command.order}. " + HELP
        wanted = {"approve": ("pending_review",), "deny": ("pending_review",)}.get(
            command.verb,
            ("awaiting_photo", "pending_review", "awaiting_supplier", "awaiting_shipment"),
        )
        waiting = [case for case in cases if case.status in wanted]
        if not waiting:
            latest = cases[-1]
            return (
                f"Return {latest.code} on order {command.order} is "
                f"{latest.status.replace('_', ' ')}; there is nothing to {command.verb}."
            )
        code = waiting[-1].code
    try:
        if command.verb == "cancel":
            view = desk.cancel(code, actor="owner", note=command.note)
        else:
            view = desk.owner_decide(code, command.verb == "approve", command.note)
    except ReturnError as error:
        return error.message
    done = {"approve": "Approved", "deny": "Denied", "cancel": "Cancelled"}[command.verb]
    status = view.status.replace("_", " ")
    return f"{done} return {view.code} (order {view.order}). It is now {status}."
