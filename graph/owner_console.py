"""What the owner types: decisions on cases in review, and owner rules, in plain words.

"approve 1700", "deny the return on order 4040, the tent was used", "cancel RB-000012".
A rule in plain English ("refund items under $10 without a return") becomes a draft shown
as its canonical sentence with its conflicts and a backtest; "yes" switches it on, "no"
drops it. "list rules", "retire rule 2", "change rule 2 to ...", "why was order 1001
denied?". Anything else gets a helpful answer and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from graph.desk import ReturnsDesk
from graph.marketplace_console import record_from_words
from graph.rulebook import Rulebook
from language.rules.compiler import RuleNotUnderstood
from ledger.repository import list_cases
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
            "don't refund",
            "do not refund",
            "no to",
            "no on",
            "no for",
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
            "refund",
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


_AMOUNT_BEFORE = re.compile(
    r"(?:[$€£¥]|\b(?:under|over|below|above|than|to|least|most|max|min|maximum|minimum|upto"
    r"|within|after|before|exceeding|about|around|between|and|usd|eur|gbp)\s*)$",
    re.IGNORECASE,
)
_AMOUNT_AFTER = re.compile(
    r"^\s*(?:%|\+|percent|k\b|dollars?|bucks?|euros?|pounds?|usd|eur|gbp|days?|hours?|weeks?"
    r"|months?|years?|units?|items?|pieces?|returns?|times|or\s+(?:more|less|under|over|above"
    r"|below))",
    re.IGNORECASE,
)


def _is_quantity(rest: str, match: re.Match[str]) -> bool:
    """A bare number that reads as an amount, a count or a duration, not an order number."""
    before, after = rest[: match.start(1)], rest[match.end(1) :]
    return bool(_AMOUNT_BEFORE.search(before.rstrip("# ")) or _AMOUNT_AFTER.match(after))


@dataclass(frozen=True)
class OwnerCommand:
    verb: Verb
    case_code: str | None
    order: str | None
    note: str


HELP = (
    'I can decide returns waiting for you: say "approve 1001", '
    '"deny the return on order 1001, it was used" or "cancel RB-000012" '
    "(an order number or a case number). I pass your answers on: "
    '"tell the customer on 1001 that ...", "reply to acme about RB-000002: ...". '
    'I keep supplier money: "acme paid $24.00, reference CN-77", '
    '"write off acme\'s credit on order 1001". I also keep your rules: tell me one '
    '("refund items under $10 without a return"), or say "list rules", "retire rule 2" or '
    '"why was order 1001 denied?".'
)


def _vocab(words: str) -> frozenset[str]:
    return frozenset(words.split())


_YES_FIRST = _vocab(
    "yes y yep yeah yup ya yea sure ok okay k confirm confirmed activate enable switch turn do go "
    "sounds correct that's thats right please looks perfect great fine save approve approved "
    "accept agreed agree absolutely definitely exactly lgtm make ship publish apply"
)
_YES_WORDS = _YES_FIRST | _vocab(
    "it on ahead good thanks thank you the rule this that is do go for live so thing "
    "what i meant mean exactly all set now"
)
_NO_FIRST = _vocab(
    "no n nope nah cancel discard drop never forget scrap don't dont do not wrong hmm"
)
_NO_WORDS = _NO_FIRST | _vocab(
    "it that this the rule draft mind thanks thank you please not activate it is that's quite "
    "right what i meant mean"
)
_LIST_WORDS = _vocab(
    "list show me my the all active current rules rule what which are is do i have on see "
    "please there any"
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+|\d+", text.lower().replace("\u2019", "'"))


def _is_yes(text: str) -> bool:
    """A short yes: "yes", "Yes please", "ok, switch it on", "sounds good"."""
    words = _words(text)
    return bool(words) and len(words) <= 8 and words[0] in _YES_FIRST and set(words) <= _YES_WORDS


def _is_no(text: str) -> bool:
    """A short no: "no", "no thanks", "drop it", "don't activate it"."""
    words = _words(text)
    return bool(words) and len(words) <= 8 and words[0] in _NO_FIRST and set(words) <= _NO_WORDS


def _is_list(text: str) -> bool:
    """ "list rules", "what rules are on?", "show me my rules"."""
    words = _words(text)
    return "rules" in words and len(words) <= 8 and set(words) <= _LIST_WORDS


_RETIRE = re.compile(
    r"\b(?:retire|remove|delete|disable|deactivate|turn\s+off|switch\s+off|stop|drop|kill)\s+"
    r"(?:the\s+)?rule\s*(?:number\s*|no\.?\s*|#\s*)?(\d+)\b",
    re.IGNORECASE,
)
_CHANGE = re.compile(
    r"^\s*(?:change|edit|update|replace|amend)\s+rule\s*(?:number\s*|#\s*)?(\d+)\s*"
    r"(?:to\s+say|to|:|with|so\s+that|so\s+it\s+says)\s*:?\s*(.+)$",
    re.IGNORECASE | re.DOTALL,
)
_EXPLAIN = re.compile(r"^\s*(?:why|explain|how\s+come|what\s+happened)\b", re.IGNORECASE)
_EXPLAIN_STATUS = (
    ("denied", ("denied", "rejected", "refused", "declined")),
    ("pending_review", ("review", "waiting for me", "flagged", "held")),
    ("resolved", ("refunded", "resolved", "credited", "paid")),
    ("cancelled", ("cancelled", "canceled")),
)


def _find_verb(text: str) -> tuple[Verb, int, int] | None:
    """The earliest verb phrase (the longer one at the same place) and where it ends."""
    lowered = text.lower()
    best: tuple[Verb, int, int] | None = None
    for verb, words in _VERBS:
        for word in words:
            match = re.search(rf"(?<![a-z']){re.escape(word)}(?![a-z])", lowered)
            if match and (best is None or (match.start(), -match.end()) < (best[1], -best[2])):
                best = (verb, match.start(), match.end())
    return best


def parse_owner_command(text: str) -> OwnerCommand | None:
    """A decision if the text holds a verb and a case or order; ``None`` otherwise."""
    found = _find_verb(text)
    if found is None:
        return None
    verb, start, end = found
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
        before = _NUMBERISH.search(text[:start]) if order_match is None else None
        if before is not None and _is_quantity(text[:start], before):
            return None  # "under $15 refund ...": an amount in a rule, not order 15
        if before is not None:
            # "1001 ok", "#1001 - deny, it was used": the order named before the verb
            order, target_end = before.group(1), 0
        elif order_match is None:
            return None
        elif order_match.re is _NUMBERISH and _is_quantity(rest, order_match):
            return None  # "approve anything under 15": an amount in a rule, not order 15
        else:
            order = order_match.group(1)
            if order_match.re is _NUMBERISH:
                target_end = order_match.end()
            else:
                target_end = max(0, order_match.end() - end)
    tail = rest[target_end:]
    parts = _NOTE_SPLIT.split(tail, maxsplit=1)
    note = parts[1] if len(parts) > 1 else tail
    note = note.strip(" .,;:-—–!?")
    if note.lower() in ("it", "this", "that", "this one", "that one"):
        note = ""  # "7001 is fine, approve it": "it" is the order, not a note
    return OwnerCommand(verb=verb, case_code=code, order=order, note=note)


def _sole_waiting(desk: ReturnsDesk, text: str) -> OwnerCommand | None:
    """ "approve it" with no case named: the one case waiting for the owner, if there is one."""
    found = _find_verb(text)
    if found is None or found[0] == "cancel" or re.search(r"\d", text):
        return None
    with desk.session() as session:
        waiting = [case.code for case in list_cases(session, "pending_review")]
    if len(waiting) != 1:
        return None
    note = text[found[2] :]
    parts = _NOTE_SPLIT.split(note, maxsplit=1)
    note = (parts[1] if len(parts) > 1 else "").strip(" .,;:-—–!?")
    return OwnerCommand(verb=found[0], case_code=waiting[0], order=None, note=note)


def answer_owner(desk: ReturnsDesk, text: str, rulebook: Rulebook | None = None) -> str:
    """Carry out the owner's decision or rule and say what happened, or explain what it can do.

    Order: a yes/no to the waiting rule draft; list, retire, change or explain; a new rule
    (a draft, when the text compiles); a decision on a case; help. A text that is both a
    possible decision and a rule that does not compile ("deny 1017") is a decision.
    """
    text = (text or "").strip()
    book = rulebook or Rulebook(desk)
    waiting = book.pending()
    if waiting is not None and _is_yes(text):
        return book.confirm()
    if waiting is not None and _is_no(text):
        return book.discard()
    from graph.owner_desk_console import answer_desk

    handled = answer_desk(desk, text)  # a reply, a supplier payment or a write-off
    if handled is not None:
        return handled
    if _is_list(text):
        return book.listing()
    retire = _RETIRE.search(text)
    if retire:
        return book.retire(int(retire.group(1)))
    change = _CHANGE.match(text)
    if change:
        try:
            return book.draft(change.group(2), replaces=int(change.group(1))).words()
        except RuleNotUnderstood as refusal:
            return f"I couldn't make that into a rule, so rule {change.group(1)} is unchanged. " + (
                refusal.message
            )
    if _EXPLAIN.match(text):
        return explain(desk, book, text)
    command = parse_owner_command(text)
    if command is None:  # "Amazon return on order 114-…: the mug, broken"
        recorded = record_from_words(desk, text)
        if recorded is not None:
            return recorded
    try:
        draft = book.draft(text)
    except RuleNotUnderstood as refusal:
        command = command or _sole_waiting(desk, text)
        if command is not None:
            return decide(desk, command)
        if refusal.recognised:
            return "I couldn't make that into a rule; nothing was changed. " + refusal.message
        if _is_yes(text) or _is_no(text):
            return "There is no rule draft waiting for a yes or a no. " + HELP
        return "I didn't find a decision or a rule in that. " + HELP
    return draft.words()


def explain(desk: ReturnsDesk, book: Rulebook, text: str) -> str:
    """ "Why was order 1001 denied?": the case's story from the ledger."""
    code_match = _CASE_CODE.search(text)
    if code_match:
        code = f"RB-{int(code_match.group(1)):06d}"
        try:
            desk.case_view(code)
        except ReturnError:
            return f"There is no return {code}."
        return book.explain(code)
    order_match = _ORDER_AFTER_WORD.search(text) or _NUMBERISH.search(text)
    if order_match is None:
        return 'Which return? Say for example "why was order 1001 denied?".'
    number = order_match.group(1)
    cases = desk.cases_for_order(number)
    if not cases:
        return f"I found no return on order {number}."
    lowered = text.lower()
    wanted = next(
        (status for status, words in _EXPLAIN_STATUS if any(w in lowered for w in words)), None
    )
    chosen = [case for case in cases if case.status == wanted] or cases
    return book.explain(chosen[-1].code)


def decide(desk: ReturnsDesk, command: OwnerCommand) -> str:
    """Carry out one decision on a case."""
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
