"""The rule compiler's phrase patterns: each reads a trigger, a condition or an action from
the placeholder text and blanks what it read (``PATTERNS``, in order).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from language.rules.entities import (
    CMP_WORDS,
    DELIVERY,
    EACH,
    KEEP_OBJECT,
    LINK,
    LINK_ORDER,
    LINK_VALUE,
    NOT_IN,
    PERIOD,
    PERIOD_REQUIRED,
    PLACE_IN,
    POSTFIX_GE,
    POSTFIX_LE,
    RETURN_VERB,
    SUBJ_ORDER,
    SUBJ_UNIT,
    SUBJ_VALUE,
    SUPPLIER_WORD,
    WHO,
    C,
    D,
    M,
    N,
    P,
    Q,
    R,
    RuleNotUnderstood,
    S,
    _Parse,
    comparison,
    listing,
    read_comparison,
)
from policies.money import Amount, Money
from policies.rules import (
    DECISIVE,
    TIMED_TRIGGERS,
    Action,
    ActionKind,
    Condition,
    FlagCondition,
    InCondition,
    MoneyCondition,
    NumberCondition,
    Op,
    ReturnsCondition,
    Trigger,
)


def _reasons_of(parse: _Parse, matched: str) -> tuple[str, ...]:
    found: set[str] = set()
    for entity in parse.found(matched, "RSN"):
        found.update(reason.value for reason in entity.value)
    return tuple(sorted(found))


def _days(parse: _Parse, placeholder: str) -> int | None:
    hours = int(parse.entity(placeholder).value)
    if hours % 24:
        parse.refuse(
            f"Days since delivery are counted in whole days; "
            f"{parse.entity(placeholder).text} is not a whole number of days."
        )
        return None
    return hours // 24


def _add_money(parse: _Parse, match: re.Match[str], field_name: str) -> None:
    for op, placeholder in read_comparison(match.group(0), M):
        money: Money = parse.entity(placeholder).value
        parse.condition(
            match.start(),
            MoneyCondition(
                field=field_name,  # type: ignore[arg-type]
                op=op,
                amount=Amount(money.amount_str()),
                currency=money.currency,
            ),
        )


def _add_quantity(parse: _Parse, match: re.Match[str]) -> None:
    for op, placeholder in read_comparison(match.group(0), N):
        value = int(parse.entity(placeholder).value)
        parse.condition(match.start(), NumberCondition(field="quantity", op=op, value=value))


def _add_days(parse: _Parse, match: re.Match[str], op: Op | None = None) -> None:
    pairs = [(op, p) for p in re.findall(D, match.group(0))[:1]] if op else []
    if not pairs:
        pairs = [(o, p) for o, p in read_comparison(match.group(0), D)]
    for found_op, placeholder in pairs:
        days = _days(parse, placeholder)
        if days is not None and found_op is not None:
            parse.condition(
                match.start(),
                NumberCondition(field="days_since_delivery", op=found_op, value=days),
            )


def _add_returns(parse: _Parse, match: re.Match[str]) -> None:
    text = match.group(0)
    earlier = bool(
        re.search(
            r"\b(?:earlier|previous|prior|past|other)\s+(?:returns?|return\s+requests?|refunds?)"
            # "who returned 4+ times", "has sent back 5 things": returns made before this one
            r"|\bbefore\b|\breturned\b",
            text,
        )
    )
    if re.search(r"\b(?:this|current)\s+(?:calendar\s+)?year\b", text):
        period, days = "this_year", None
    elif re.search(rf"(?:last|past|previous)\s+{D}", text):
        hours = int(parse.found(text, "DUR")[-1].value)
        period, days = "days", max(1, hours // 24)
    elif re.search(r"\b(?:last|past)\s+year\b|\b(?:a|per|each|every|in\s+a)\s+year\b", text):
        period, days = "days", 365
    else:
        period, days = "ever", None
    counted = text
    if period == "days":
        counted = re.sub(rf"(?:last|past|previous)\s+{D}", "", text)
    for op, placeholder in read_comparison(counted, N):
        parse.condition(
            match.start(),
            ReturnsCondition(
                op=op,
                value=int(parse.entity(placeholder).value),
                period=period,  # type: ignore[arg-type]
                days=days,
                include_current=not earlier,
            ),
        )


def _spans_gap(match: re.Match[str]) -> bool:
    """Whether a match runs across words another pattern already took.

    The text is single-spaced before the patterns run, so a run of spaces inside a match is
    a phrase already read: in "don't deny change-of-mind returns" the "not" belongs to "deny",
    and must not turn into "the reason is not changed mind".
    """
    return re.search(r"\S\s{2,}\S", match.group(0).strip()) is not None


def _add_set(
    parse: _Parse, match: re.Match[str], field_name: str, kind: str, negated: bool
) -> None:
    if kind == "RSN":
        values = _reasons_of(parse, match.group(0))
    else:
        values = tuple(sorted({str(e.value) for e in parse.found(match.group(0), kind)}))
    if values:
        parse.condition(
            match.start(),
            InCondition(field=field_name, values=values, negated=negated),  # type: ignore[arg-type]
        )


Handler = Callable[[_Parse, re.Match[str]], bool | None]
PATTERNS: list[tuple[str, Handler]] = []


def pattern(regex: str) -> Callable[[Handler], Handler]:
    """Register a phrase pattern; it matches whole words only, in registration order."""

    def register(handler: Handler) -> Handler:
        PATTERNS.append((rf"(?<![a-z0-9])(?:{regex})(?![a-z0-9])", handler))
        return handler

    return register


# Triggers --------------------------------------------------------------------------------------

SUPPLIER_SUBJECT = r"(?:the\s+|a\s+|our\s+)?(?:supplier|vendor|factory|manufacturer)"
NOT_DONE = (
    r"(?:has\s+not|have\s+not|does\s+not|did\s+not|do\s+not|fails?\s+to|failed\s+to|never"
    r"|is\s+not|has\s+yet\s+to|still\s+has\s+not|not)"
)
ANSWERED = (
    r"(?:answered|answer|responded|respond|replied|reply|gotten\s+back|get\s+back|got\s+back"
    r"|reacted|react|approved|approve|acted|act|said\s+anything|come\s+back|came\s+back)"
)
INSPECTED = (
    r"(?:confirmed|confirm|inspected|inspect|checked|check|acknowledged|acknowledge"
    r"|verified|verify|processed|process)"
)
INSPECTION_OBJECT = (
    r"(?:\s+(?:the\s+|its\s+)?(?:receipt|inspection|return|returned\s+item|item|items|parcel"
    r"|package|delivery|goods|product|arrival)(?:\s+(?:of|for)\s+(?:the\s+)?(?:return|item"
    r"|parcel|package|goods|returned\s+item))?(?:\s+is\s+ok|\s+was\s+ok)?|\s+(?:it|that\s+it"
    r"\s+arrived|it\s+arrived|the\s+item\s+arrived|(?:that\s+)?(?:the\s+)?(?:return|item|parcel"
    r"|package)\s+(?:arrived|came\s+back|got\s+there|was\s+received))"
    r"|\s+(?:that\s+)?(?:they|it)\s+(?:received|receive|got|have|has)\s+(?:the\s+|it|them)?\s*(?:return"
    r"|returned\s+item|item|parcel|package|goods)?"
    r"|\s+(?:receiving|getting)\s+(?:the\s+)?(?:return|returned\s+item|item|parcel|package|goods|it))?"
)
WITHIN = r"(?:within|in|after|for|by|inside)"
TRIGGER_SUBJECT = rf"(?:{SUPPLIER_SUBJECT}|they|{S})"
SINCE_DELIVERY = r"(?:(?:of|after|from|since|following)\s+" + DELIVERY + r")"


RETURN_ARRIVED = (
    r"(?:of|after)\s+(?:it|the\s+return|the\s+item|the\s+parcel|the\s+package)\s+(?:arriving"
    r"|arrived|arrives|being\s+delivered|was\s+delivered|is\s+delivered|gets\s+there|got\s+there)"
)


@pattern(
    rf"(?:\b(?:if|when|whenever|once|in\s+case)\s+)?(?:we|i|you)\s+(?:still\s+)?{NOT_DONE}\s+"
    rf"(?:heard|hear|gotten|got|get|received|had)\s+(?:back\s+)?(?:anything\s+|a\s+(?:word|reply"
    rf"|response|answer)\s+|an\s+answer\s+)?(?:back\s+)?from\s+(?:{SUPPLIER_SUBJECT}|{S})"
    rf"\s+(?:{WITHIN}\s+(?:the\s+first\s+)?)?(?P<d>{D})(?P<after>\s+{SINCE_DELIVERY}"
    rf"|\s+{RETURN_ARRIVED})?"
    rf"|(?:\b(?:if|when|whenever|once|in\s+case)\s+)?{TRIGGER_SUBJECT}\s+(?:takes|took|taking|needs"
    rf"|is\s+taking|has\s+taken)\s+(?:longer|more)\s+than\s+(?P<e>{D})(?P<after2>\s+"
    rf"{SINCE_DELIVERY}|\s+{RETURN_ARRIVED})?\s+to\s+(?:(?P<inspect>{INSPECTED}{INSPECTION_OBJECT})"
    rf"|{ANSWERED}(?:\s+(?:to\s+)?(?:a|the|our|my)?\s*(?:return\s+requests?|requests?|it|us"
    rf"|me))?)"
)
def _supplier_slow(parse: _Parse, match: re.Match[str]) -> None:
    """ "if we haven't heard from the supplier in 2 days", "if the supplier takes longer than
    7 days after delivery to confirm": counted from the return's delivery, the inspection
    wait; otherwise the wait for an answer."""
    _add_set(parse, match, "supplier", "SUP", negated=False)
    hours = parse.entity(match.group("d") or match.group("e")).value
    inspection = match.group("after") or match.group("after2") or match.group("inspect")
    trigger = Trigger.NOT_INSPECTED if inspection else Trigger.SUPPLIER_SILENT
    parse.set_trigger(match.start(), trigger, hours)


@pattern(
    rf"\b(?:after|in|once)\s+(?P<a>{D})(?:\s+{SINCE_DELIVERY})?\s*,?\s*(?:if|when|in\s+case)\s+"
    rf"{TRIGGER_SUBJECT}\s+(?:still\s+)?{NOT_DONE}\s+(?:yet\s+)?{INSPECTED}{INSPECTION_OBJECT}"
    rf"|\b(?:if|when|once)\s+(?:it\s+(?:is|has)\s+been\s+(?P<b>{D})\s+(?:since|after)\s+{DELIVERY}"
    rf"|{DELIVERY}\s+(?:was\s+|is\s+)?(?:(?P<c>{D})\s+ago|for\s+(?P<g>{D}))"
    rf"|(?:the\s+)?(?:return|item|parcel|package)\s+(?:has\s+been|was|is)\s+(?:delivered|back"
    rf"|received)\s+(?:for\s+)?(?P<e>{D})(?:\s+ago)?)\s+(?:and|but)\s+{TRIGGER_SUBJECT}\s+"
    rf"(?:still\s+)?{NOT_DONE}\s+(?:yet\s+)?{INSPECTED}{INSPECTION_OBJECT}"
)
def _not_inspected_time_first(parse: _Parse, match: re.Match[str]) -> None:
    """ "refund after 10 days if the supplier hasn't inspected it", "if it's been a week
    since the return arrived and the supplier hasn't confirmed"."""
    _add_set(parse, match, "supplier", "SUP", negated=False)
    which = next(g for g in (match.group(x) for x in "abceg") if g)
    parse.set_trigger(match.start(), Trigger.NOT_INSPECTED, parse.entity(which).value)


@pattern(
    rf"(?:\b(?:if|when|whenever|once|in\s+case)\s+)?{TRIGGER_SUBJECT}\s+{NOT_DONE}\s+"
    rf"{INSPECTED}{INSPECTION_OBJECT}\s+(?:{WITHIN}\s+(?:the\s+first\s+)?(?P<d>{D})"
    rf"(?:\s+{SINCE_DELIVERY})?(?:\s+(?:of|after)\s+(?:it|the\s+return|the\s+item)\s+"
    rf"(?:arriving|arrived|being\s+delivered|was\s+delivered))?|(?P<e>{D})\s+{SINCE_DELIVERY})"
)
def _not_inspected(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "supplier", "SUP", negated=False)
    which = match.group("d") or match.group("e")
    parse.set_trigger(match.start(), Trigger.NOT_INSPECTED, parse.entity(which).value)


@pattern(
    rf"(?:\b(?:if|when|whenever|once)\s+)?(?:the\s+|a\s+)?(?:return|returned\s+item|item|parcel"
    rf"|package)\s+(?:is\s+|was\s+|has\s+been\s+)?(?:delivered|received|back)\s+(?:to\s+the\s+"
    rf"supplier\s+)?(?:but|and)\s+(?:is\s+|was\s+|has\s+)?(?:not|never|still\s+not)\s+(?:been\s+)?"
    rf"(?:inspected|checked|confirmed)\s+{WITHIN}\s+(?P<d>{D})(?:\s+{SINCE_DELIVERY})?"
    rf"|\b(?:not|no)\s+(?:inspected|inspection|checked|confirmed)\s+{WITHIN}\s+(?P<e>{D})"
    rf"\s+{SINCE_DELIVERY}"
    rf"|\b(?:there\s+is\s+)?(?:no|without\s+an?)\s+(?:inspection|confirmation|inspection\s+result)"
    rf"\s+(?:from\s+{SUPPLIER_SUBJECT}\s+)?{WITHIN}\s+(?P<g>{D})\s+{SINCE_DELIVERY}"
    rf"|(?P<f>{D})\s+{SINCE_DELIVERY}\s+(?:without|with\s+no)\s+(?:an?\s+)?(?:inspection"
    r"|confirmation)(?:\s+from\s+the\s+supplier)?"
)
def _not_inspected_passive(parse: _Parse, match: re.Match[str]) -> None:
    which = match.group("d") or match.group("e") or match.group("f") or match.group("g")
    parse.set_trigger(match.start(), Trigger.NOT_INSPECTED, parse.entity(which).value)


@pattern(
    rf"(?:\b(?:if|when|whenever|once|in\s+case)\s+)?{TRIGGER_SUBJECT}\s+(?:{NOT_DONE}\s+"
    rf"{ANSWERED}|(?:is|stays|remains|goes|has\s+been|keeps|went|was)\s+(?:silent|quiet"
    rf"|unresponsive)|ignores?|ignored)(?:\s+(?:to\s+)?(?:a|the|our|my)?\s*(?:return\s+"
    rf"requests?|requests?|returns?|authori[sz]ation\s+requests?|message|messages|it|us|me))?"
    rf"\s+{WITHIN}\s+(?P<d>{D})(?:\s+(?:of\s+being\s+asked|after\s+being\s+asked|of\s+the\s+"
    r"request|after\s+the\s+request|after\s+we\s+ask|of\s+our\s+request))?"
    rf"|(?:\b(?:if|when)\s+)?(?:there\s+is\s+)?(?:no|without\s+an?)\s+(?:answer|response|reply"
    rf"|word)\s+from\s+{SUPPLIER_SUBJECT}\s+{WITHIN}\s+(?P<e>{D})"
    rf"|(?:\b(?:if|when)\s+)?{SUPPLIER_SUBJECT}\s+(?:(?:is|stays|remains|goes|has\s+been|went"
    rf"|was|been|keeps)\s+)?(?:silent|quiet|unresponsive)(?:\s+for)?\s+(?P<f>{D})"
)
def _supplier_silent(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "supplier", "SUP", negated=False)
    which = match.group("d") or match.group("e") or match.group("f")
    parse.set_trigger(match.start(), Trigger.SUPPLIER_SILENT, parse.entity(which).value)


@pattern(
    r"\b(?:when|whenever|once|after|if|as\s+soon\s+as|every\s+time|each\s+time|any\s+time"
    r"|anytime)\s+(?:a|the|any|an)?\s*(?:returns?(?:\s+requests?)?|requests?|refunds?|cases?"
    r"|claims?)\s+(?:is|are|has\s+been|have\s+been|gets|get|got|was|were|becomes?)\s+approved|\b(?:when|whenever|once|after|if"
    r"|as\s+soon\s+as|every\s+time|each\s+time)\s+(?:we|i|you|the\s+store)\s+(?:approves?|ok|okay"
    r"|accept|accepts)\s+(?:a|the|any|an)?\s*(?:return(?:\s+request)?|request|refund|case|claim)"
    r"|\b(?:on|upon|after)\s+approval|\bapproved\s+returns?(?:\s+requests?)?"
)
def _approved(parse: _Parse, match: re.Match[str]) -> None:
    parse.set_trigger(match.start(), Trigger.RETURN_APPROVED)


STORE_CREDIT = (
    r"(?:store\s+credit|store-credit|shop\s+credit|a\s+credit\s+note|credit\s+note|a\s+voucher"
    r"|voucher|gift\s+card|a\s+gift\s+card)"
)
INSTEAD_OF_REFUND = (
    r"(?:\s+(?:instead\s+of|rather\s+than|over|not|in\s+place\s+of)\s+(?:a\s+|the\s+|their\s+)?"
    r"(?:cash\s+|money\s+|full\s+)?(?:refunds?|refunding|money\s+back|cash|money))?"
)


@pattern(
    rf"\b(?:when|whenever|if|once|for|where)?\s*{WHO}?\s*(?:who\s+|that\s+)?(?:picks?|picked|chooses?|chose"
    rf"|choosing|selects?|selected|opts?\s+for|opted\s+for|go(?:es)?\s+for|went\s+for|takes?"
    rf"|took|wants?|wanted|prefers?|asks?\s+for|asked\s+for|accepts?|accepted|elects?|requests?"
    rf"|requested|choose)\s+(?:for\s+)?(?:to\s+(?:get|take|receive)\s+)?{STORE_CREDIT}"
    rf"{INSTEAD_OF_REFUND}"
    rf"|\b(?:for|on)\s+(?:all\s+)?{STORE_CREDIT}\s+(?:returns|refunds|payouts|cases)"
    rf"|\b(?:if|when)\s+(?:it\s+is|they\s+take\s+it\s+as|paid\s+(?:out\s+)?(?:as|in))\s+"
    rf"{STORE_CREDIT}"
)
def _credit_chosen(parse: _Parse, match: re.Match[str]) -> None:
    parse.set_trigger(match.start(), Trigger.STORE_CREDIT_CHOSEN)


@pattern(
    rf"{STORE_CREDIT}\s+(?:instead\s+of|rather\s+than)\s+(?:a\s+|the\s+)?(?:cash\s+|money\s+)?"
    rf"(?:refunds?|money\s+back)"
)
def _credit_chosen_heading(parse: _Parse, match: re.Match[str]) -> bool | None:
    """ "Store credit instead of a refund? Add 10%": a heading, not an instruction; without a
    percentage after it, it is the instruction ("store credit instead of money for ...")."""
    if parse.text[: match.start()].strip(" ,.;:!?"):
        return False
    if not re.search(P, parse.text[match.end() :]):
        return False
    parse.set_trigger(match.start(), Trigger.STORE_CREDIT_CHOSEN)
    return None


# Actions ---------------------------------------------------------------------------------------

BONUS = r"(?:extra|additional|bonus|more|added|top\s+up|top-up)"


@pattern(
    rf"\b(?:give|add|offer|pay|include|throw\s+in|grant|provide|award|get|gets|receive|receives"
    rf"|earn|earns)?\s*(?:them|the\s+customer"
    rf"|customers)?\s*(?:an?\s+)?(?:{BONUS}\s+(?:of\s+)?(?P<a>{P})|(?P<b>{P})\s+(?:{BONUS}|bonus"
    rf"\s+credit|on\s+top)|bonus\s+of\s+(?P<c>{P}))(?:\s+(?:bonus|extra|more))?(?:\s+(?:(?:in|on|of|to"
    rf"|as|for)\s+)?(?:the\s+|their\s+)?(?:{STORE_CREDIT}|credit|value))?(?:\s+(?:bonus"
    rf"|on\s+top))?"
    rf"|\b(?:increase|boost|raise|bump|top\s+up|sweeten|pad|up)\s+(?:(?:the\s+|their\s+)?"
    rf"(?:store\s+)?credit|it|that|them|the\s+amount|the\s+value)\s+(?:up\s+)?by\s+(?P<d>{P})"
    rf"|\b(?P<e>{P})\s+(?:store\s+credit|credit)\s+bonus"
    rf"|\b(?:{STORE_CREDIT}|credit)\s+(?:(?:should|will|must|shall|would|can)\s+(?:always\s+)?)?"
    rf"(?:gets?|earns?|comes?\s+with|receives?|has|have|carry|carries)\s+(?:an?\s+)?"
    rf"(?P<g>{P})\s+(?:bonus|extra|more|on\s+top)"
    rf"|\b(?:store\s+credit|credit)\s+bonus\s+of\s+(?P<f>{P})"
    rf"|\b{STORE_CREDIT}\s*:\s*(?:an?\s+)?(?:{BONUS}\s+(?:of\s+)?(?P<h>{P})|(?P<i>{P})\s+(?:{BONUS}"
    rf"|bonus|on\s+top))"
)
def _bonus(parse: _Parse, match: re.Match[str]) -> None:
    which = next(g for g in (match.group(x) for x in "abcdefghi") if g)
    parse.action(match.start(), ActionKind.STORE_CREDIT_BONUS, percent=parse.entity(which).value)


KEEP_PHRASES = [
    r"\bwithout\s+(?:a\s+|any\s+)?(?:physical\s+)?returns?(?:\s+(?:shipment|shipping|label"
    r"|needed|required))?",
    rf"\bwithout\s+(?:asking|requiring|requesting|making|having|getting|needing|demanding"
    rf"|forcing|telling|expecting)\s+(?:for\s+)?(?:{WHO}\s+|{KEEP_OBJECT}\s+)?(?:for\s+)?"
    rf"(?:to\s+)?(?:{RETURN_VERB}\s+)?(?:{KEEP_OBJECT}\s+)?back",
    r"\bwithout\s+(?:asking|requiring|requesting|needing|demanding|expecting)\s+"
    r"(?:for\s+)?(?:an?\s+)?(?:the\s+)?returns?",
    rf"\bwithout\s+(?:{WHO}\s+)?(?:having\s+to\s+|needing\s+to\s+)?{RETURN_VERB}\s+"
    rf"(?:{KEEP_OBJECT}\s+)?back",
    rf"\b(?:with\s+)?no\s+need\s+(?:for\s+(?:{WHO}|an?\s+return|returns?)\s+)?(?:to\s+{RETURN_VERB}"
    rf"(?:\s+{KEEP_OBJECT})?(?:\s+back)?)?",
    rf"\b(?:let|allow)\s+{WHO}?\s*(?:to\s+)?keep\s+{KEEP_OBJECT}",
    rf"\b{WHO}\s+(?:can\s+|may\s+|gets?\s+to\s+|should\s+|will\s+)?keeps?\s+{KEEP_OBJECT}",
    rf"\b(?:do\s+not|never|no\s+need\s+to|don't)\s+(?:ask|require|request|make\s+{WHO})\s+"
    rf"(?:{WHO}\s+)?(?:for\s+)?(?:(?:to\s+)?{RETURN_VERB}\s+)?(?:{KEEP_OBJECT}\s+|an?\s+return\s*)"
    rf"(?:back)?",
    r"\b(?:no|skip\s+the|skip|without\s+the)\s+returns?\s+(?:is\s+|are\s+)?(?:needed|required"
    r"|necessary|shipping|shipment)",
    r"\bskip\s+the\s+return",
    rf"\b(?:they|{WHO})\s+(?:do\s+not|does\s+not)\s+(?:need|have)\s+to\s+{RETURN_VERB}\s+"
    rf"(?:{KEEP_OBJECT}\s+)?(?:back)?",
    r"\bkeep\s+it\b",
    rf"\b(?:and\s+)?keep\s+{KEEP_OBJECT}",
    r"\bno\s+returns?\s+needed",
    rf"\bno\s+need\s+(?:for\s+)?(?:{KEEP_OBJECT}|the\s+item|item|items)\s+(?:to\s+come\s+)?back",
    rf"\b(?:do\s+not|no\s+need\s+to)\s+{RETURN_VERB}\s+{KEEP_OBJECT}\s+back",
    r"\b(?:refund|approve|accept)\s+(?:it\s+|them\s+)?without\s+(?:a\s+)?returns?",
    # "let them keep anything under $5": the noun stays for the condition that follows
    rf"\b(?:let|allow)\s+{WHO}?\s*(?:to\s+)?keep(?=\s+{SUBJ_UNIT}\b)",
    rf"\b{WHO}\s+(?:can\s+|may\s+|gets?\s+to\s+|should\s+|will\s+)?keeps?(?=\s+{SUBJ_UNIT}\b)",
    rf"\b(?:can|may|will|should|get\s+to|gets\s+to)\s+be\s+kept(?:\s+by\s+{WHO})?",
    rf"\b(?:do\s+not|never|no\s+longer)\s+(?:want|need)\s+(?:{KEEP_OBJECT}\s+|{SUBJ_UNIT}\s+)?"
    rf"(?:back|returned|shipped\s+back|sent\s+back)",
    r"\b(?:do\s+not|never)\s+need\s+(?:an?\s+)?(?:physical\s+)?return\b(?!s)",
    rf"\b(?:do\s+not|never)\s+(?:even\s+)?bother\s+(?:with\s+(?:the\s+|a\s+)?returns?(?:\s+shipping)?"
    rf"|(?:asking\s+(?:for\s+)?|having\s+{WHO}\s+|making\s+{WHO}\s+|getting\s+)?(?:{KEEP_OBJECT}\s+)?"
    rf"(?:{RETURN_VERB})?(?:\s+{KEEP_OBJECT})?(?:\s+back)?(?:\s+{KEEP_OBJECT})?)",
    # "don't bother getting it back", "never bother having them send it back"
    rf"\b(?:do\s+not|never|no\s+need\s+to)\s+bother\s+(?:getting|bringing|fetching|asking\s+for"
    rf"|(?:having|making|asking)\s+{WHO}\s+(?:to\s+)?{RETURN_VERB})\s+(?:{KEEP_OBJECT}\s+)?back",
    rf"\b(?:it\s+is\s+)?not\s+worth\s+(?:the\s+)?(?:{RETURN_VERB}|return\s+shipping|return)"
    rf"(?:\s+{KEEP_OBJECT})?(?:\s+back)?(?:\s+{KEEP_OBJECT})?",
    r"\breturn\s?less(?:\s+refunds?)?|\breturn\s+free\s+refunds?|\bno\s+return\s+refunds?",
    r"\b(?:refund|refunded|refunds)\s*(?:,|-|and|but|with)?\s*no\s+returns?\b",
    rf"\bwithout\s+(?:{WHO}\s+)?(?:having\s+to\s+|needing\s+to\s+)?(?:returning|shipping\s+back"
    rf"|sending\s+back|mailing\s+back)(?:\s+{KEEP_OBJECT})?",
    rf"\b(?:do\s+not|never)\s+(?:make|ask|require|have|force|get)\s+{WHO}\s+(?:to\s+)?"
    rf"(?:ship|send|return|mail|post)(?:\s+back)?(?:\s+{KEEP_OBJECT})?(?:\s+back)?"
    rf"(?!\s+(?:[a-z]+\s+){{0,3}}back\b)",
    r"\bskip\s+(?:the\s+)?(?:returns?(?:\s+shipping)?|return\s+step|shipping\s+(?:it|them)"
    r"\s+back)",
    r"\b(?:do\s+not|does\s+not|never|no\s+need\s+to|need\s+not|should\s+not)\s+(?:need\s+to\s+"
    r"|have\s+to\s+)?(?:come\s+back|go\s+back|be\s+(?:sent|shipped|mailed|posted)\s+back"
    r"|be\s+returned)",
    r"\bno\s+returns?\s*(?:,|-|and|but|:)?\s*(?:just\s+)?(?:refund|refunded)\b",
]
KEEP = "(?:" + "|".join(f"(?:{phrase})" for phrase in KEEP_PHRASES) + ")"


@pattern(
    rf"\b(?:offer|give|issue|refund|pay|propose|make|grant|send|get|gets|receive|receives"
    rf"|deserve|deserves|should\s+get|can\s+get)?\s*(?:them|the\s+customer"
    rf"|customers|back)?\s*(?:an?\s+|with\s+an?\s+)?(?:partial\s+refund\s+of\s+(?P<a>{P})"
    rf"|(?P<b>{P})\s+(?:partial\s+)?(?:refund|back|of\s+(?:the\s+|their\s+)?(?:item\s+|unit\s+)?"
    rf"(?:price|value|amount|money)(?:\s+back)?|compensation|partial|refunded|off(?:\s+(?:the\s+)?"
    rf"(?:price|item|purchase))?|discount)(?:\s+refund)?"
    rf"|(?P<c>{P})(?=\s))(?:\s+(?:refund|back))?(?:\s*(?:,|and)?\s*(?:{KEEP}))?"
)
def _partial(parse: _Parse, match: re.Match[str]) -> None:
    which = next(g for g in (match.group(x) for x in "abc") if g)
    text = match.group(0)
    if match.group("c") and not re.search(r"\b(?:refund|keep|back)\b", text):
        if parse.trigger == Trigger.STORE_CREDIT_CHOSEN:
            # "if they pick store credit, add 10%": at that moment a percent is the bonus
            percent = parse.entity(which).value
            parse.action(match.start(), ActionKind.STORE_CREDIT_BONUS, percent=percent)
            return
        parse.refuse(
            f"I can't tell what {parse.entity(which).text} is for: a partial refund "
            "('offer a 30% partial refund') or a store-credit bonus ('an extra 10%')?"
        )
        return
    parse.action(match.start(), ActionKind.PARTIAL_REFUND, percent=parse.entity(which).value)


@pattern(r"\bpartial\s+refunds?\b")
def _partial_without_percent(parse: _Parse, match: re.Match[str]) -> None:
    if not any(action.kind == ActionKind.PARTIAL_REFUND for _, action in parse.actions):
        parse.refuse("A partial refund needs a percentage, for example 'a 30% partial refund'.")


@pattern(
    rf"(?:\b(?:refund|approve|accept|reimburse|credit|pay(?:\s+back)?|process|issue\s+(?:a\s+)?"
    rf"(?:full\s+)?refund(?:\s+for)?|(?:get|gets|are|is|be)\s+refunded)\s+(?:(?:it|them|in\s+full"
    rf"|fully|the\s+customer|customers|right\s+away)\s+)?(?P<inner>.{{0,80}}?)\s*,?\s*(?:but\s+|and\s+)?)?{KEEP}"
)
def _keep(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.APPROVE_WITHOUT_RETURN)
    if match.group("inner"):
        # the words between the verb and the keep phrase hold conditions: give them back
        parse.restore.append(match.span("inner"))


@pattern(
    rf"\b(?:do\s+not|never)\s+(?:ask|require|make|get|have|force|expect)\s+(?:{WHO}\s+)?(?:to\s+)?"
    rf"{RETURN_VERB}\s+back"
    rf"|\b(?:do\s+not|never|no\s+need\s+to|never\s+ask\s+to)\s+(?:ask|require|request|demand|make"
    rf"|get|have|force|expect)\s+(?:for\s+)?(?:{WHO}\s+)?(?:to\s+)?(?:{RETURN_VERB}\s+)?"
    rf"(?P<inner>.{{1,80}}?)\s+(?:to\s+be\s+(?:sent|shipped|returned)\s+)?back"
)
def _keep_object(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.APPROVE_WITHOUT_RETURN)
    if match.group("inner"):
        parse.restore.append(match.span("inner"))


PHOTO = (
    r"(?:(?:photo|picture|photographic|visual)\s+(?:evidence|proof)|proof\s+photos?"
    r"|photos?|pictures?|pics?|images?|photographs?|snapshots?|snaps?|proof|evidence"
    r"|a\s+photo\s+of\s+the\s+(?:damage|item|problem|issue|defect))"
)


@pattern(
    rf"\b(?:require|requires|request|ask\s+(?:{WHO}\s+)?for|demand|need|needs|insist\s+on|get|want|see"
    rf"|need\s+to\s+see|want\s+to\s+see|must\s+(?:send|upload|include|provide|attach|show)"
    rf"|(?:ask|get|tell|have)\s+(?:{WHO}\s+)?(?:to\s+)?(?:send|upload|provide|attach|show|take)"
    rf"|make\s+{WHO}\s+(?:send|upload|provide|attach|show|take)"
    rf"|(?:should|must|has\s+to|have\s+to|needs?\s+to)\s+(?:send|upload|provide|attach|show"
    rf"|include))\s+(?:us\s+|me\s+)?(?:an?\s+|some\s+)?(?:the\s+)?{PHOTO}(?:\s+of\s+(?:the\s+)?"
    rf"(?:damage|item|problem|issue|defect|it|product|size|fit))?(?:\s+first|\s+before\s+(?:approving"
    rf"|anything|refunding|we\s+refund))?"
    rf"|\b{PHOTO}\s+(?:is\s+|are\s+|should\s+be\s+|must\s+be\s+)?(?:required|needed|mandatory"
    rf"|compulsory|a\s+must|necessary|first|requested|asked\s+for|demanded)"
    # "wrong size returns - photo please": the photo alone ends the clause
    rf"|(?<=[,:;\-]\s)(?:an?\s+)?{PHOTO}(?=\s*(?:please\s*)?(?:[.!]\s*)?$)"
    rf"|\bonly\s+with\s+(?:an?\s+)?{PHOTO}"
)
def _photo(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.REQUIRE_PHOTO)


@pattern(
    rf"\b(?:need|needs|require|requires)\s+(?:my\s+|owner\s+)?(?:approval|ok|okay|review"
    rf"|sign\s+off)\s+and\s+(?:an?\s+)?{PHOTO}"
)
def _review_and_photo(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.SEND_TO_REVIEW)
    parse.action(match.start(), ActionKind.REQUIRE_PHOTO)


APPROVAL_NOUN = (
    r"(?:approval|ok|okay|o\.k\.|sign\s+off|sign-off|signoff|review|go\s+ahead|go-ahead"
    r"|green\s+light|decision|confirmation|permission|say\s+so|check|eyes|attention)"
)
REVIEW_FOR = r"(?:me|review|my\s+review|approval|my\s+approval|manual\s+review|a\s+decision)"
OWNER_LOOKS = (
    r"(?:sign\s+off(?:\s+on)?|approve|ok|okay|review|look\s+at|look|check|see|decide(?:\s+on)?"
    r"|confirm)"
)


def _clause_opened_by_if(parse: _Parse, at: int) -> bool:
    clause = re.split(r"[,.;:!?]", parse.source[:at])[-1]
    return re.search(r"\b(?:if|when|whenever|once|as\s+soon\s+as)\b", clause) is not None


def _in_condition_clause(parse: _Parse, match: re.Match[str]) -> bool:
    """ "if a return is denied": a passive verb after "if"/"when" in the same clause states a
    condition, not what the rule does."""
    if not re.match(r"\s*(?:is|are|was|were|gets?|got|has\s+been|have\s+been)\b", match.group(0)):
        return False
    return _clause_opened_by_if(parse, match.start())


NO_MOMENT = (
    "I can't set a rule for the moment a return is {}; I act when a return is assessed or "
    "approved, when the customer picks store credit, or when the supplier is silent."
)


@pattern(
    rf"\b(?:hold|park|flag|keep)\s+(?P<ia>.{{1,80}}?)\s+for\s+{REVIEW_FOR}(?:\s+first)?"
    rf"|\b(?:put|place|keep|park)\s+(?:(?P<ib>.{{1,80}}?)\s+)?on\s+hold(?:\s+for\s+{REVIEW_FOR})?"
    rf"|\b(?:run|pass)\s+(?:(?P<ic>.{{1,80}}?)\s+)?(?:by|past)\s+me(?:\s+first)?"
    rf"|\bsend\s+me\s+(?P<id>.{{1,80}}?)\s+(?:to\s+{OWNER_LOOKS}|for\s+{REVIEW_FOR}"
    rf"|for\s+sign\s+off)(?:\s+first)?"
    rf"|\b(?:do\s+not|never)\s+(?:auto\s+)?(?:approve|refund|accept|process|pay\s+out|pay)"
    rf"\s+(?:(?P<ie>.{{1,80}}?)\s+)?without\s+(?:me|my\s+{APPROVAL_NOUN}|asking\s+me"
    rf"|checking\s+with\s+me|me\s+(?:seeing|checking|approving|okaying)(?:\s+(?:it|them))?)"
    rf"(?:\s+first)?"
    rf"|\b(?:should\s+|must\s+|will\s+)?(?:wait|waits|be\s+held|be\s+parked|sit)\s+for\s+(?:me"
    rf"|the\s+owner|my\s+{APPROVAL_NOUN})(?:\s+first)?"
    rf"|\b(?:should\s+|must\s+|has\s+to\s+|have\s+to\s+|needs?\s+to\s+)?(?:go|goes|pass|passes"
    rf"|come|comes|run|runs)\s+(?:through|past|by)\s+me(?:\s+first)?"
    rf"|\b(?:it\s+is\s+|that\s+is\s+)?(?:my\s+call|my\s+decision|up\s+to\s+me|for\s+me\s+to"
    rf"\s+decide|i\s+(?:will\s+)?decide(?:\s+on\s+(?:it|them|those|these))?|i\s+(?:will\s+)?make"
    rf"\s+the\s+call|leave\s+(?:it|them|that|those|these)\s+(?:up\s+)?to\s+me)"
    rf"|\b(?:need|needs|require|requires|want|wants)\s+me\s+to\s+{OWNER_LOOKS}(?:\s+(?:on\s+)?"
    rf"(?:it|them|at\s+it|at\s+them))?(?:\s+first)?"
    rf"|\b(?:(?:should|must|will|has\s+to|have\s+to|needs?\s+to)\s+)?(?:be\s+|get\s+|gets\s+)?"
    rf"(?:checked|looked\s+at|seen|okayed|cleared|signed\s+off)\s+(?:with|by)\s+me(?:\s+first)?"
    rf"|\bso\s+(?:that\s+)?i\s+can\s+{OWNER_LOOKS}(?:\s+(?:it|them|those|these))?(?:\s+first)?"
    rf"|\b(?:my|owner|manual|human)\s+(?:approval|review|sign\s+off|ok|okay|check)\s+(?:is\s+|are\s+)?"
    rf"(?:needed|required|necessary)"
    rf"|\b(?:(?:need|needs|require|requires|get|gets|go\s+to|goes\s+to|go\s+for|for)\s+)?(?:an?\s+)?"
    rf"(?:manual|owner)\s+(?:approval|check|sign\s+off|review)"
    rf"|\bi\s+(?:(?:want|would\s+like|need)\s+to\s+|will\s+|should\s+|must\s+)?be\s+the\s+one\s+"
    rf"(?:who|to|that)\s+(?:approves?|decides?|signs?\s+off|reviews?|checks?|okays?)"
    rf"(?:\s+(?:it|them|those|these))?"
    rf"|(?:(?<=:\s)|(?<=,\s))my\s+(?:approval|sign\s+off|ok|okay|review|go\s+ahead)(?=\s*(?:[.,;!?]"
    rf"|$))"
    rf"|\b(?:needs?|requires?|gets?)\s+(?:a\s+)?(?:human|second\s+look|closer\s+look|human\s+touch"
    rf"|manual\s+look|manual\s+check|look)"
    rf"|\b(?:hold|park)\s+(?:it\s+|them\s+)?for\s+{REVIEW_FOR}"
)
def _review_more(parse: _Parse, match: re.Match[str]) -> None:
    for name in ("ia", "ib", "ic", "id", "ie"):
        if match.group(name):
            parse.restore.append(match.span(name))
    parse.action(match.start(), ActionKind.SEND_TO_REVIEW)


@pattern(
    r"\b(?:(?:should|must|will|to)\s+)?(?:be|get|gets|is|are|was|were)\s+(?:flagged|held|escalated"
    rf"|reviewed|parked|queued)(?:\s+for\s+{REVIEW_FOR})?(?:\s+by\s+me)?"
    rf"(?:\s+to\s+(?:me|myself|the\s+owner))?(?:\s+for\s+(?:my\s+)?(?:sign\s+off|approval"
    rf"|review))?"
    rf"|(?<=\s)(?:flagged|held\s+for\s+{REVIEW_FOR}|escalated)(?:\s+(?:for\s+{REVIEW_FOR}|to\s+me))?"
    rf"(?=\s*(?:[.,;!?]|$))"
)
def _review_passive(parse: _Parse, match: re.Match[str]) -> None:
    if _in_condition_clause(parse, match):
        parse.refuse(NO_MOMENT.format("flagged"))
        return
    if "escalated" in match.group(0) and parse.trigger in TIMED_TRIGGERS:
        parse.action(match.start(), ActionKind.NOTIFY_OWNER)
        return
    parse.action(match.start(), ActionKind.SEND_TO_REVIEW)


@pattern(
    rf"\b(?:need|needs|require|requires|must\s+(?:have|get)|should\s+get|get|go\s+through"
    rf"|goes\s+through|wait\s+for|waits\s+for|have\s+to\s+get|has\s+to\s+get)\s+(?:my|the\s+owner|"
    rf"an?\s+owner|owner|manual|human|a\s+manual|a\s+human|a|an)?\s*{APPROVAL_NOUN}"
    rf"(?:\s+(?:from|by)\s+(?:me|the\s+owner))?(?:\s+first)?"
    rf"|\b(?:send|route|pass|hand|forward|refer|kick|queue|put|move|bring)\s+(?:it|them|those"
    rf"|these|the\s+case|the\s+return|the\s+returns)?\s*(?:to|for|up\s+to|into|in)\s+(?:me|the\s+owner"
    rf"|review|manual\s+review|owner\s+review|my\s+review|my\s+approval|a\s+human|the\s+review"
    rf"\s+queue|my\s+queue|pending\s+review)(?:\s+for\s+(?:review|approval|a\s+decision))?"
    rf"|\b(?:flag|hold)(?:\s+(?:it|them|those|these|the\s+case|the\s+return|the\s+returns))?"
    rf"(?:\s+for\s+(?:review|me|my\s+review|approval|my\s+approval|manual\s+review))?"
    rf"|\b(?:let\s+me|i\s+want\s+to|i\s+will|i\s+would\s+like\s+to|i\s+need\s+to|i\s+must"
    rf"|i\s+should|i\s+have\s+to)\s+(?:personally\s+|myself\s+)?(?:review|approve|decide|check|see|look\s+at|sign\s+off\s+on"
    rf"|sign\s+off|okay|ok)(?:\s+(?:it|them|those|these|on\s+them|on\s+it))?(?:\s+first)?"
    rf"|\b(?:ask|check\s+with)\s+me(?:\s+first)?"
    rf"|\b(?:manual|owner)\s+review"
    rf"|\b(?:need|needs|require|requires)\s+(?:to\s+be\s+)?(?:reviewed|approved)(?:\s+by\s+me"
    rf"|\s+by\s+the\s+owner)?"
    rf"|\bescalate(?:\s+(?:it|them))?(?:\s+to\s+(?:me|the\s+owner))?"
    rf"|\b(?:(?:has|have|needs?)\s+to|must|should)\s+be\s+(?:approved|reviewed|okayed|signed\s+off)"
    rf"(?:\s+by\s+(?:me|the\s+owner))?(?:\s+first)?"
    rf"|\b(?:should\s+|must\s+)?(?:come|comes|go|goes|be\s+sent)\s+to\s+(?:me|review|manual\s+review"
    rf"|the\s+owner)(?:\s+first)?(?:\s+for"
    rf"\s+(?:review|approval|a\s+decision|my\s+approval))?"
    rf"|\bfor\s+(?:my|the\s+owner|owner|manual)\s+(?:approval|review|ok|okay|sign\s+off|decision)"
    rf"|\b(?:send|route|forward|pass|refer)\s+(?P<inner>.{{1,80}}?)\s+(?:to|up\s+to)\s+(?:me"
    rf"|the\s+owner)(?:\s+for\s+(?:review|approval|a\s+decision))?(?:\s+first)?"
)
def _review(parse: _Parse, match: re.Match[str]) -> None:
    if match.group("inner"):
        parse.restore.append(match.span("inner"))
    if match.group(0).startswith("escalate") and parse.trigger in (
        Trigger.SUPPLIER_SILENT,
        Trigger.NOT_INSPECTED,
    ):
        parse.action(match.start(), ActionKind.NOTIFY_OWNER)
        return
    parse.action(match.start(), ActionKind.SEND_TO_REVIEW)


def message(number: int) -> str:
    return (
        rf"(?:\s*,?\s*(?:with\s+(?:the\s+)?message|with\s+(?:the\s+)?note|saying|and\s+say"
        rf"|and\s+tell\s+them|telling\s+them|and\s+reply|replying|with|and\s+explain)?\s*:?"
        rf"\s*(?P<q{number}>{Q}))?"
    )


@pattern(
    rf"\b(?:deny|reject|refuse|decline|block|disallow|turn\s+down)(?:\s+(?:it|them|those|these"
    rf"|the\s+return|the\s+returns|the\s+request|the\s+refund))?"
    rf"|\b(?:do\s+not|never|will\s+not|we\s+do\s+not|we\s+will\s+not|stop)\s+(?:accept|allow"
    rf"|take|accepting|allowing|taking)(?:\s+back)?(?:\s+(?:it|them|those|these))?(?:\s+back)?"
    rf"|\b(?:is|are)\s+(?:not|no\s+longer)\s+(?:accepted|allowed|returnable|refundable|eligible)"
    rf""
    rf"|\b(?:can\s+not|may\s+not)\s+be\s+(?:returned|refunded)"
    rf"|\b(?:not|no\s+longer)\s+(?:accepted|allowed|returnable|refundable)"
    rf"|\b(?:non|not)[\s-]?returnable"
    rf"|\bsay\s+no\s+to"
    rf"|\b(?:we\s+)?no\s+longer\s+(?:accept|allow|take|refund)"
    rf"|\b(?:do\s+not|never|will\s+not)\s+(?:refund|approve)\s+(?:it|them|those|these)\s+at\s+all"
    rf"|(?:^|(?<=[\s,.;:]))no(?:\s+more)?(?=\s+(?:(?:{R}|{S}|{C})\s*(?:,|or|and|/)?\s*)*"
    rf"(?:returns|refunds?|exchanges)\b)"
    # "no change of mind after 14 days": a reason refused from some moment on
    rf"|(?:^|(?<=[\s,.;:]))no(?:\s+more)?(?=\s+(?:{R}\s*(?:,|or|and|/)?\s*)+(?:after|past|beyond"
    rf"|once|outside|later\s+than|older\s+than)\b)"
    # "after two weeks, no more change of mind": the reason refused ends the clause
    rf"|(?:^|(?<=[\s,.;:]))no(?:\s+more)?(?=\s+(?:{R}\s*(?:or|and|/)?\s*)+(?:[,.;!?]|$))"
)
def _deny(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.DENY)


@pattern(
    r"\b(?:(?:should|must|will|to|can)\s+)?(?:be|get|gets|is|are|was|were)\s+(?:automatically\s+"
    r"|auto\s+|just\s+|simply\s+)?(?:rejected|denied|refused|declined|turned\s+down|blocked)"
    # "I want change-of-mind returns after 14 days denied": the participle ends the clause
    r"|(?<=\s)(?:rejected|denied|refused|declined|turned\s+down|blocked)(?=\s*(?:[.,;!?]|$))"
)
def _deny_passive(parse: _Parse, match: re.Match[str]) -> None:
    if _in_condition_clause(parse, match):
        parse.refuse(NO_MOMENT.format("denied"))
        return
    parse.action(match.start(), ActionKind.DENY)


@pattern(
    rf"(?:\s*,?\s*(?:with\s+(?:the\s+)?(?:message|note|reply|words|text)|saying|and\s+say"
    rf"|and\s+tell\s+them|telling\s+them|and\s+reply|replying|with|and\s+explain|tell\s+them"
    rf"|say)\s*:?)?\s*(?P<q>{Q})"
)
def _quoted_message(parse: _Parse, match: re.Match[str]) -> None:
    if parse.message is not None:
        parse.refuse("Give one message, in one pair of quotes.")
    parse.message = str(parse.entity(match.group("q")).value)


@pattern(
    rf"\b(?:issue|give|pay|offer|grant|provide|refund|resolve|settle|pay\s+out)(?:\s+(?:it|them"
    rf"|the\s+customer|customers))?\s+(?:(?:in|with|as)\s+)?{STORE_CREDIT}(?:\s+to\s+(?:the\s+)?"
    rf"(?:customer|customers|them|buyer))?{INSTEAD_OF_REFUND}"
    rf"|\b(?:make\s+it|pay\s+it\s+out\s+as|only)\s+{STORE_CREDIT}(?:\s+only)?"
    rf"|(?<!who\s)(?<!that\s)\b(?:(?:should|will|must|shall)\s+)?(?:get|gets|receive|receives)"
    rf"\s+{STORE_CREDIT}{INSTEAD_OF_REFUND}"
    rf"|(?:^|(?<=[\s,.;:]))(?:in\s+)?{STORE_CREDIT}\s+(?:to|for)\s+(?:the\s+)?(?:customer|customers"
    rf"|them|buyer|buyers)(?:{INSTEAD_OF_REFUND})"
    rf"|\b(?:refund|pay)\s+(?:it\s+|them\s+)?in\s+{STORE_CREDIT}"
    rf"|(?:^|(?<=[\s,.;:]))(?:only\s+)?{STORE_CREDIT}\s+(?:instead\s+of|rather\s+than|not)\s+"
    rf"(?:a\s+|the\s+)?(?:cash\s+|money\s+)?(?:refunds?|money\s+back|money|cash)"
)
def _resolve_credit(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.RESOLVE_WITH_STORE_CREDIT)


@pattern(
    rf"\b(?:notify|tell|inform|message|ping|email|e-mail|alert|contact|remind|nudge|chase"
    rf"|warn|text|slack)\s+(?:{SUPPLIER_SUBJECT}|{S}(?!\s+(?:items?|products?|goods|returns?)\b))"
    rf"|\blet\s+{SUPPLIER_SUBJECT}\s+know"
    rf"|\bsend\s+{SUPPLIER_SUBJECT}\s+an?\s+(?:reminder|message|note|notice|notification)"
    rf"|\bsend\s+an?\s+(?:reminder|message|note|notice|notification)\s+to\s+{SUPPLIER_SUBJECT}"
    rf"|\b(?:follow\s+up\s+with|poke|give)\s+{SUPPLIER_SUBJECT}(?:\s+a\s+(?:nudge|heads[\s-]?up"
    rf"|reminder|shout))?"
    rf"|\b{SUPPLIER_SUBJECT}\s+(?:(?:should|must|will|needs\s+to|has\s+to|shall)\s+)?(?:be|gets?)"
    rf"\s+(?:notified|told|informed|alerted|messaged|pinged|emailed|contacted|reminded|nudged"
    rf"|a\s+heads[\s-]?up|a\s+message|a\s+notification|a\s+reminder)"
)
def _notify_supplier(parse: _Parse, match: re.Match[str]) -> None:
    told = re.search(r"\s(?:is|are|gets?)\s+\S", match.group(0))
    if told and _clause_opened_by_if(parse, match.start()):
        parse.refuse(
            "I can't set a rule for the moment the supplier is told something; say what "
            "should happen, and when."
        )
        return
    _add_set(parse, match, "supplier", "SUP", negated=False)  # "tell Acme ...": its returns
    parse.action(match.start(), ActionKind.NOTIFY_SUPPLIER)


@pattern(
    r"\b(?:remind|nudge|chase|poke|ping)\s+them\b|\bfollow\s+up\s+with\s+them\b"
    r"|\bsend\s+them\s+an?\s+(?:reminder|nudge|follow[\s-]?up|chaser|message|note)"
)
def _remind_them(parse: _Parse, match: re.Match[str]) -> None:
    if parse.trigger in TIMED_TRIGGERS:
        parse.action(match.start(), ActionKind.NOTIFY_SUPPLIER)
    else:
        parse.refuse(f'I can\'t tell who "{match.group(0)}" means; name the supplier.')


@pattern(
    r"\b(?:notify|tell|inform|message|ping|email|e-mail|alert|warn|text|slack)\s+(?:me|us|the"
    r"\s+owner|the\s+store\s+owner|myself)"
    r"|\blet\s+(?:me|us|the\s+owner)\s+know"
    r"|\bsend\s+(?:me|us)\s+an?\s+(?:alert|email|message|note|notification|reminder)"
    r"|\b(?:give\s+me\s+a\s+heads\s+up)"
    r"|\bkeep\s+me\s+(?:posted|informed|updated|in\s+the\s+loop)|\bloop\s+me\s+in"
    r"|\b(?:cc|copy)\s+me(?:\s+in)?|\bdrop\s+me\s+an?\s+(?:line|note|message|email)"
    r"|\b(?:i|we)\s+(?:(?:want|would\s+like|need|wish)\s+to\s+|should\s+|must\s+|will\s+)?"
    r"(?:be|get)\s+(?:notified|told|informed|alerted|emailed|pinged|messaged|a\s+heads\s+up)"
)
def _notify_owner(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.NOTIFY_OWNER)


# Conditions ------------------------------------------------------------------------------------

ABROAD = r"(?:overseas|international|internationally|foreign|abroad|offshore|cross[\s-]border)"


@pattern(
    rf"\b{ABROAD}(?=\s+(?:{SUPPLIER_WORD}|returns?|return\s+requests?|orders?|customers?|buyers?"
    rf"|shipments?|items?|products?|cases?|goods|purchases?|refunds?|claims?)\b)"
)
def _international_adjective(parse: _Parse, match: re.Match[str]) -> None:
    """ "international orders over $100": the adjective alone, so the noun stays the subject
    of the amount that follows."""
    parse.condition(match.start(), FlagCondition(value=True))


@pattern(
    rf"\b(?:the\s+)?(?:unit\s+price|item\s+price|price\s+per\s+(?:item|unit)|price\s+of\s+"
    rf"(?:the|an|each)?\s*item|item\s+cost|price|cost)\s+(?:is\s+|of\s+)?{comparison(M)}{EACH}"
)
def _unit_price_named(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "unit_price")


@pattern(
    rf"\b(?:the\s+)?(?:return\s+value|refund\s+value|refund\s+amount|return\s+amount|value\s+of"
    rf"\s+the\s+(?:return|refund)|amount\s+of\s+the\s+refund|amount\s+refunded|total\s+refund"
    rf"|refund\s+total|value)\s+(?:is\s+|of\s+)?{comparison(M)}"
)
def _value_named(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "refund_value")


@pattern(
    rf"\b(?:the\s+)?(?:order\s+total|order\s+value|order\s+amount|total\s+order\s+value|total\s+"
    rf"of\s+the\s+order|basket\s+total|cart\s+total)\s+(?:is\s+|of\s+)?{comparison(M)}"
)
def _order_named(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "order_total")


# Words between a subject and its amount that other patterns read: "returns from Acme over
# $500", "anything damaged in transit under $25", "returns to Canada over $50".
QUALIFIER = (
    rf"(?P<inner>\s+(?:(?:from|by|of|for|to|shipped\s+to|sent\s+to|going\s+to|made\s+by"
    rf"|supplied\s+by|with)\s+(?:the\s+)?(?:supplier\s+|vendor\s+)?)?(?:{listing(S)}|{listing(C)}"
    rf"|{listing(R)})(?:\s+(?:items?|products?|goods|returns?))?"
    rf"|\s+(?:from|shipped\s+from|coming\s+from)\s+(?:abroad|overseas|offshore))?"
)


def _add_qualified_money(parse: _Parse, match: re.Match[str], field_name: str) -> None:
    inner = match.group("inner") or ""
    made_in = rf"\s*(?:from|made\s+in|shipped\s+from|sourced\s+from)\s+(?:the\s+)?{listing(C)}\s*"
    vague = re.match(
        r"\s*(?:stuff|anything|everything|something|whatever|things?)\b", match.group(0)
    )
    if field_name == "unit_price" and re.fullmatch(made_in, inner) and vague:
        # "stuff from China under $10": the goods' supplier there, or a customer there?
        name = parse.found(inner, "CTRY")[0].text
        parse.refuse(
            f'I can\'t tell whether "{parse.shown(match.group(0)).split()[0]} from {name}" means '
            f'the supplier or the customer is there: say "items from suppliers in {name}" or '
            f'"customers in {name}".'
        )
    elif field_name == "unit_price" and re.fullmatch(made_in, inner):
        # "items from China over $50": goods come from where their supplier is
        _add_set(parse, match, "supplier_country", "CTRY", negated=False)
    elif inner:
        parse.restore.append(match.span("inner"))
    _add_money(parse, match, field_name)


@pattern(rf"\b{SUBJ_ORDER}{QUALIFIER}{LINK_ORDER}\s+{comparison(M)}")
def _order_total(parse: _Parse, match: re.Match[str]) -> None:
    _add_qualified_money(parse, match, "order_total")


@pattern(rf"\b{SUBJ_VALUE}{QUALIFIER}{LINK_VALUE}\s+{comparison(M)}")
def _value(parse: _Parse, match: re.Match[str]) -> None:
    _add_qualified_money(parse, match, "refund_value")


@pattern(rf"\b{SUBJ_UNIT}{QUALIFIER}{LINK}\s+{comparison(M)}{EACH}")
def _unit_price(parse: _Parse, match: re.Match[str]) -> None:
    _add_qualified_money(parse, match, "unit_price")


# The amount first: "$200+ returns", "$500 and up orders" (after the subject-first forms, so
# "items $10 or less refund ..." stays the item's price).
MONEY_FIRST = rf"{M}\s*(?:{POSTFIX_LE}|{POSTFIX_GE})"


@pattern(rf"\b{MONEY_FIRST}\s+(?:returns?|return\s+requests?|claims?|refund\s+requests?)")
def _value_after_amount(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "refund_value")


@pattern(rf"\b{MONEY_FIRST}\s+(?:orders?|baskets?|carts?)")
def _order_after_amount(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "order_total")


PRONOUN_LINK = (
    r"(?:is|are|was|were|costs?|sells?\s+for|sold\s+for|comes?\s+to|totals?|adds?\s+up\s+to)"
    r"(?:\s+(?:priced(?:\s+at)?|worth|valued\s+at|only))?"
)
UNIT_NOUNS = (
    r"(?:items?|products?|things?|anything|something|everything|stuff|goods|pieces?|articles?"
    r"|merchandise|whatever)"
)
VALUE_NOUNS = r"(?:returns?|refunds|claims?|cases?|requests?)"


@pattern(
    rf"\b(?:it|they|that|this)\s+{PRONOUN_LINK}\s+{comparison(M)}{EACH}"
    rf"|(?<=\bif\s)(?:only\s+)?{comparison(M)}{EACH}|(?<=\bwhen\s){comparison(M)}{EACH}"
)
def _pronoun_amount(parse: _Parse, match: re.Match[str]) -> None:
    """ "if it's under $12": the amount of what "it" stands for, the nearest noun before.

    A return named only as what is not asked ("without a return") does not count; with no
    noun before, "it" is the item the rule is about.
    """
    before = re.sub(
        rf"\b(?:without|no|skip|not|any|to)\s+(?:an?\s+|the\s+|any\s+)?(?:physical\s+)?"
        rf"{VALUE_NOUNS}",
        " ",
        parse.source[: match.start()],
    )
    # a count is not what "it" stands for: "fewer than 3 returns this year and it's under $20"
    before = re.sub(rf"{N}\s+(?:[a-z]+\s+)?{VALUE_NOUNS}", " ", before)
    nouns = re.findall(rf"\b(?:{UNIT_NOUNS}|{VALUE_NOUNS}|{SUBJ_ORDER})\b", before)
    last = nouns[-1] if nouns else "item"
    if re.fullmatch(VALUE_NOUNS, last):
        _add_money(parse, match, "refund_value")
    elif re.fullmatch(UNIT_NOUNS, last):
        _add_money(parse, match, "unit_price")
    else:
        _add_money(parse, match, "order_total")


@pattern(
    rf"\b(?:priced|costing|that\s+costs?|which\s+costs?|costs?|selling\s+for|sold\s+for"
    rf"|that\s+sells?\s+for|with\s+a\s+(?:unit\s+)?price\s+of|with\s+prices?)\s+(?:at\s+)?"
    rf"{comparison(M)}{EACH}"
    rf"|{comparison(M)}\s+(?:items?|products?|goods|things|stuff|purchases)"
)
def _unit_price_verb(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "unit_price")


@pattern(
    rf"\b(?:returning|sending\s+back|send\s+back|return)\s+{comparison(M)}(?:\s+worth)?"
    rf"(?:\s+of\s+(?:stuff|items|goods|things|products))?"
    rf"|\b{comparison(M)}\s+worth\s+of\s+(?:stuff|items|goods|things|products)"
)
def _value_returned(parse: _Parse, match: re.Match[str]) -> None:
    """ "returning more than $100 worth": what is sent back, the return's value."""
    _add_money(parse, match, "refund_value")


@pattern(rf"\b(?:worth|valued\s+at)\s+{comparison(M)}")
def _worth(parse: _Parse, match: re.Match[str]) -> None:
    parse.refuse(
        f"\"{parse.shown(match.group(0))}\" could be the item's price or the whole return's value: "
        'say "items under $15" or "returns over $200".'
    )


@pattern(
    rf"(?:(?:\b{WHO}\s+)?(?:\b(?:who|that)\s+)?(?:\b(?:has|have|had|made|make|makes|did|with"
    rf"|has\s+made|have\s+made|having\s+made|having|already\s+has|already\s+made))\s+"
    rf"{comparison(N)}\s+(?:(?:earlier|previous|prior|past|other)\s+)?(?:returns?|return\s+"
    rf"requests?|refunds?)(?:\s+before)?{PERIOD}"
    rf"|(?:\b{WHO}\s+)?(?:\b(?:who|that)\s+)?\b(?:has\s+|have\s+)?returned\s+(?:something\s+|"
    rf"items?\s+|things\s+)?{comparison(N)}\s+(?:times|items|things|orders)(?:\s+before)?{PERIOD}"
    rf"|\b{comparison(N)}\s+(?:(?:earlier|previous|prior|past|other)\s+)?returns?(?:\s+before)?"
    rf"{PERIOD}"
    rf"|\b(?:who\s+(?:is|are)\s+)?returning\s+{comparison(N)}\s+(?:things|items|times|orders"
    rf"|products){PERIOD_REQUIRED}"
    rf"|(?:\b{WHO}\s+)?\b(?:who|that)\s+(?:return|returns)\s+(?:something\s+|items?\s+|things\s+)?"
    rf"{comparison(N)}\s+(?:times|items|things|orders){PERIOD}"
    rf")(?:\s*,?\s*(?:this\s+one\s+included|including\s+this\s+one|counting\s+this\s+one))?"
)
def _customer_returns(parse: _Parse, match: re.Match[str]) -> None:
    _add_returns(parse, match)


@pattern(
    rf"\b(?:the\s+)?(?:quantity|number\s+of\s+(?:units|items)|units?\s+returned)\s+(?:is\s+|of\s+)?"
    rf"{comparison(N)}(?:\s+(?:units?|items?|pieces?))?"
    rf"|(?:\b(?:returning|returns?\s+of|return\s+of|for)\s+)?{comparison(N)}\s+(?:units?|items?"
    rf"|pieces?|pcs|of\s+the\s+same\s+(?:item|product)|copies)(?:\s+(?:at\s+once|in\s+one"
    rf"\s+return|of\s+one\s+item))?(?:\s+(?:are|is|were|get|being)\s+(?:returned|sent\s+back))?"
    rf"(?:\s+(?:are\s+|is\s+)?(?:coming|come|comes|sent|being\s+sent)\s+back)?"
    rf"(?:\s+(?:at\s+once|in\s+one\s+go|in\s+one\s+return|together))?"
)
def _quantity(parse: _Parse, match: re.Match[str]) -> None:
    _add_quantity(parse, match)


@pattern(
    rf"\b(?:it\s+was\s+|they\s+were\s+|was\s+|were\s+|items?\s+|orders?\s+)?(?:delivered"
    rf"|received|arrived)\s+{comparison(D)}\s+ago"
    rf"|\b{comparison(D)}\s+(?:after|since|from|past|of)\s+{DELIVERY}"
    rf"|\b{comparison(D)}\s+old"
    rf"|\b(?:it|that)\s+(?:is|has)\s+been\s+{comparison(D)}(?:\s+(?:after|since|from|past|of)"
    rf"\s+{DELIVERY})?"
)
def _days_compared(parse: _Parse, match: re.Match[str]) -> None:
    _add_days(parse, match)


@pattern(
    rf"\b(?:(?:submitted|requested|made|filed|opened|started|initiated|sent|asked\s+for"
    rf"|coming\s+in|that\s+come\s+in)\s+)?(?:after|later\s+than|past|beyond|older\s+than"
    rf"|outside(?:\s+of)?(?:\s+the)?(?:\s+first)?)\s+(?:the\s+first\s+)?{D}(?:\s+(?:after|since|from|of|following)\s+{DELIVERY})?"
    rf"(?:\s+have\s+passed|\s+has\s+passed)?"
)
def _days_after(parse: _Parse, match: re.Match[str]) -> None:
    _add_days(parse, match, Op.GT)


@pattern(
    rf"\b(?:once|after|when|if)\s+(?:more\s+than\s+)?{D}\s+(?:have|has)\s+(?:passed|gone\s+by"
    rf"|elapsed)(?:\s+(?:since|after|from)\s+{DELIVERY})?"
)
def _days_passed(parse: _Parse, match: re.Match[str]) -> None:
    _add_days(parse, match, Op.GT)


@pattern(
    rf"\b(?:within|in|during)\s+(?:the\s+)?(?:first\s+)?{D}(?:\s+(?:of|after|from|since"
    rf"|following)\s+{DELIVERY})?"
)
def _days_within(parse: _Parse, match: re.Match[str]) -> None:
    said_of_return = re.search(
        r"\b(?:returns?|returned|requests?|requested|claims?|claimed|made|opened|filed|submitted"
        r"|sent\s+back|comes?\s+in|came\s+in|is|are|was|were|it|they|ones?|only|but)\s*$",
        parse.source[: match.start()],
    )
    if not re.search(DELIVERY, match.group(0)) and not said_of_return:
        parse.refuse(
            f'I can\'t tell what "{parse.shown(match.group(0))}" counts from: say "within '
            f'{parse.found(match.group(0), "DUR")[0].text} of delivery" for days since delivery.'
        )
        return
    _add_days(parse, match, Op.LE)


@pattern(
    rf"\b(?:{SUPPLIER_WORD}|the\s+supplier\s+is)\s+(?:(?:is|are)\s+)?{NOT_IN}\s+(?:the\s+)?"
    rf"(?:{listing(C)})"
    rf"|\bnon[\s-]*(?:{listing(C)})\s*(?:-|\s)?(?:based\s+)?{SUPPLIER_WORD}"
)
def _supplier_country_not(parse: _Parse, match: re.Match[str]) -> bool | None:
    if _spans_gap(match):
        return False
    _add_set(parse, match, "supplier_country", "CTRY", negated=True)
    return None


@pattern(
    rf"\b(?:{SUPPLIER_WORD}|the\s+supplier\s+is)\s+(?:(?:is|are)\s+)?(?:{PLACE_IN}\s+)"
    rf"(?:the\s+)?(?P<l>{listing(C)})"
    rf"|\b(?:items?|products?|goods|things|stuff|anything|everything|something|whatever"
    rf"|merchandise|articles?)\s+(?:that\s+(?:is|are|was|were)\s+|that\s+comes?\s+)?(?:made"
    rf"\s+in|shipped\s+from|sourced\s+from|ships\s+from|manufactured\s+in)\s+"
    rf"(?P<m>{listing(C)})"
    # "anything from China" may be a return from a customer there: only goods come from a place
    rf"|\b(?:items?|products?|goods|merchandise|articles?)\s+(?:that\s+(?:is|are|was|were)\s+"
    rf"|that\s+comes?\s+)?(?:from|coming\s+from)\s+(?P<o>{listing(C)})"
    rf"|\b(?P<n>{listing(C)})\s*(?:-|\s)?(?:based\s+)?{SUPPLIER_WORD}"
)
def _supplier_country(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "supplier_country", "CTRY", negated=False)


@pattern(
    rf"\b(?:customers?|buyers?|shoppers?|clients?|people|anyone|anybody|someone|somebody|orders?|the\s+customer\s+is)\s+(?:(?:is|are)"
    rf"\s+)?(?:(?:shipped|going|delivered|sent|shipping)\s+)?{NOT_IN}\s+(?:the\s+)?(?:{listing(C)})"
    rf"|\bnon[\s-]*(?:{listing(C)})\s*(?:-|\s)?(?:based\s+)?(?:customers?|buyers?|orders?)"
)
def _customer_country_not(parse: _Parse, match: re.Match[str]) -> bool | None:
    if _spans_gap(match):
        return False
    _add_set(parse, match, "customer_country", "CTRY", negated=True)
    return None


@pattern(
    rf"\b(?:customers?|buyers?|shoppers?|clients?|people|anyone|anybody|someone|somebody|the\s+customer\s+is)\s+(?:(?:is|are)\s+)?"
    rf"(?:{PLACE_IN}|who\s+live\s+in|living\s+in)\s+(?:the\s+)?(?:{listing(C)})"
    rf"|\b(?:orders?|shipments?|returns?)?\s*(?:shipped\s+to|going\s+to|delivered\s+to|sent\s+to"
    rf"|to)\s+(?:the\s+)?(?:{listing(C)})"
    rf"|\b(?:{listing(C)})\s*(?:-|\s)?(?:based\s+)?(?:customers?|buyers?|shoppers?|clients?"
    rf"|orders?|addresses)"
)
def _customer_country(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "customer_country", "CTRY", negated=False)


@pattern(
    rf"\b{ABROAD}\s+(?:{SUPPLIER_WORD}|returns?|orders?|customers?|buyers?|shipments?|items?"
    rf"|products?|cases?)"
    rf"|\b(?:{SUPPLIER_WORD}|the\s+supplier\s+is|customers?|the\s+customer\s+is)\s+(?:(?:is|are)"
    rf"\s+)?(?:{ABROAD}|in\s+(?:another|a\s+different|other|different)\s+countr(?:y|ies)"
    rf"|outside\s+(?:of\s+)?the\s+(?:customer|supplier)\s+country)"
    rf"|\b(?:ships?|shipped|shipping|sent|coming)\s+from\s+{ABROAD}"
    rf"|\bfrom\s+(?:overseas|abroad|offshore)"
    rf"|\bthe\s+supplier\s+and\s+the\s+customer\s+are\s+in\s+different\s+countries"
    rf"|\b(?:when|if)\s+(?:the\s+)?(?:supplier|item)\s+(?:is\s+)?{ABROAD}"
)
def _international(parse: _Parse, match: re.Match[str]) -> None:
    parse.condition(match.start(), FlagCondition(value=True))


@pattern(
    rf"\b(?:domestic|local|national)\s+(?:{SUPPLIER_WORD}|returns?|orders?|customers?|shipments?)"
    rf"|\bthe\s+supplier\s+and\s+the\s+customer\s+are\s+in\s+the\s+same\s+country"
    rf"|\b(?:{SUPPLIER_WORD}|customers?)\s+in\s+the\s+same\s+country"
)
def _domestic(parse: _Parse, match: re.Match[str]) -> None:
    parse.condition(match.start(), FlagCondition(value=False))


@pattern(
    rf"\bthe\s+supplier\s+is\s+(?:logistical|financial)"
    rf"|\b(?:logistical|financial|credit\s+only)\s+{SUPPLIER_WORD}"
)
def _role(parse: _Parse, match: re.Match[str]) -> None:
    text = match.group(0)
    role = "logistical" if "logistical" in text else "financial"
    parse.condition(match.start(), InCondition(field="supplier_role", values=(role,)))


@pattern(
    rf"\b(?:not\s+(?:from|by|supplied\s+by)?|except(?:\s+for)?(?:\s+(?:from|by))?|other\s+than"
    rf"|excluding|apart\s+from|but\s+not(?:\s+from)?|unless\s+(?:it\s+is\s+)?from)\s+(?:the\s+)?"
    rf"(?:supplier\s+|vendor\s+)?(?:{listing(S)})(?:\s+(?:items?|products?|goods|returns?))?"
    rf"|\bthe\s+supplier\s+is\s+not\s+(?:{listing(S)})"
)
def _supplier_not(parse: _Parse, match: re.Match[str]) -> bool | None:
    if _spans_gap(match):
        return False
    _add_set(parse, match, "supplier", "SUP", negated=True)
    return None


@pattern(rf"(?:\bthe\s+supplier\s+is\s+)?{listing(S)}")
def _supplier(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "supplier", "SUP", negated=False)


@pattern(
    rf"\b(?:{WHO}\s+)?(?:says?|said|claims?|claimed|reports?|reported|complains?|complained"
    rf"|gives?\s+the\s+reason|picks?\s+the\s+reason|chooses?\s+the\s+reason)\s+(?:that\s+)?"
    rf"(?:(?:it|they|(?:the\s+|their\s+)?item|(?:the\s+|their\s+)?product)\s+"
    rf"(?:(?:is|are|was|were|arrived|came)\s+)?|about\s+(?:a\s+|an\s+)?"
    rf"|of\s+(?:a\s+|an\s+)?)?(?:(?:the|a|an)\s+)?(?=(?:not\s+|{R}))"
)
def _customer_says(parse: _Parse, match: re.Match[str]) -> None:
    """'if they say it is damaged': the reason the customer gives; the reason reads it."""


@pattern(
    rf"\b(?:has|have|had|shows?|showing|with)\s+(?:an?\s+|some\s+)?(?=(?:{R}))"
    r"|\b(?:comes?\s+in|came\s+in|is\s+(?:opened|made|requested|submitted|created|filed)"
    r"|gets\s+(?:opened|submitted|made))"
)
def _linking_words(parse: _Parse, match: re.Match[str]) -> None:
    """Words that only link: "an item that has a scratch", "when a return comes in"."""


@pattern(
    rf"\b(?:not|except(?:\s+for)?|other\s+than|excluding|apart\s+from|but\s+not|unless"
    rf"(?:\s+(?:it\s+is|the\s+reason\s+is))?|the\s+reason\s+is\s+not)\s+(?:for\s+)?(?:{listing(R)})"
)
def _reason_not(parse: _Parse, match: re.Match[str]) -> bool | None:
    if _spans_gap(match):
        return False
    _add_set(parse, match, "reason", "RSN", negated=True)
    return None


@pattern(
    rf"(?:\bthe\s+reason\s+(?:is|was|given\s+is)\s+|\b(?:because|reason|due\s+to|owing\s+to)"
    rf"\s+(?:of\s+)?(?:an?\s+|the\s+)?)?(?:(?:small|minor|slight|tiny|little|light)\s+)?"
    rf"{listing(R)}"
)
def _reason(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "reason", "RSN", negated=False)


IMMEDIATELY = (
    r"(?:immediately|instantly|right\s+away|straight\s+away|straightaway|at\s+once|on\s+the"
    r"\s+spot|without\s+waiting|asap|as\s+soon\s+as\s+possible|then\s+and\s+there)"
)
REFUND_ADVERBS = (
    rf"(?:anyway|regardless|anyhow|in\s+any\s+case|all\s+the\s+same|automatically|auto"
    rf"|in\s+full|fully|now|{IMMEDIATELY})"
)


@pattern(
    rf"\b(?:(?:auto[\s-]?)?refund|reimburse|pay(?:\s+back)?|issue\s+(?:the\s+|a\s+)?(?:full\s+)?"
    rf"refund(?:\s+to)?|give\s+(?:them\s+|the\s+customer\s+)?(?:their\s+|the\s+|a\s+full\s+)?"
    rf"(?:money\s+back|money|refund)(?:\s+to)?"
    rf"|(?:(?:should|will|must|can|to)\s+)?(?:(?:be|get|gets|are|is|being|got)\s+)?"
    rf"(?:{REFUND_ADVERBS}\s+)*refunded"
    rf"|(?:get|gets|receive|receives)\s+(?:their\s+money\s+back|(?:a\s+)?(?:full\s+)?refunds?))"
    rf"(?:\s+(?:the\s+customer|them|the\s+buyer|customers?|it))?(?:\s+{REFUND_ADVERBS})*"
)
def _refund(parse: _Parse, match: re.Match[str]) -> None:
    if _in_condition_clause(parse, match):
        parse.refuse(NO_MOMENT.format("refunded"))
        return
    if parse.trigger == Trigger.NOT_INSPECTED:
        parse.action(match.start(), ActionKind.REFUND)
    elif parse.trigger == Trigger.SUPPLIER_SILENT:
        parse.refuse(
            "Refunding while the supplier has not answered is not a rule I can set; I can "
            "notify you or the supplier, or refund when the inspection does not come."
        )
    elif parse.trigger in (None, Trigger.CASE_ASSESSED):
        # weighed in _build, once every condition is known ("refund anything under $15")
        parse.bare_refund = match.start()
    elif not any(
        a.kind in (ActionKind.APPROVE_WITHOUT_RETURN, ActionKind.PARTIAL_REFUND)
        for _, a in parse.actions
    ):
        parse.refuse(BARE_REFUND)


BARE_REFUND = (
    '"Refund" alone is what already happens after the return; say "without a return" to '
    "refund and let the customer keep the item, or what else should change."
)


def _refund_now(parse: _Parse, kinds: set[ActionKind], conditions: list[Condition]) -> bool:
    """Whether a plain "refund" at the assessment means refunding without the item back.

    An automation rule that refunds at the assessment can only mean refunding at once, which
    is refunding without a return: so when it says so ("refund immediately") or when it is
    about cheap items or returns ("refund anything under $15": not worth shipping back, the
    trade's usual no-return rule). Any other plain "refund" is refused.
    """
    if parse.bare_refund is None or kinds & {
        ActionKind.APPROVE_WITHOUT_RETURN,
        ActionKind.PARTIAL_REFUND,
    }:
        return False
    if kinds & DECISIVE:
        raise RuleNotUnderstood(BARE_REFUND)
    cheap = any(
        isinstance(condition, MoneyCondition) and condition.op in (Op.LT, Op.LE)
        for condition in conditions
    )
    if cheap or re.search(rf"\b{IMMEDIATELY}\b", parse.source):
        return True
    raise RuleNotUnderstood(BARE_REFUND)


@pattern(
    r"\b(?:first\s+)?before\s+(?:approving|refunding|accepting|processing|paying(?:\s+out)?|approval"
    r"|the\s+refund|a\s+refund|anything\s+(?:is\s+done|happens)|(?:it|they)\s+(?:goes|go|is|are"
    r"|gets?)\s+(?:through|approved|refunded|processed)|(?:we|you|i)\s+(?:approve|refund|accept"
    r"|process|pay))(?:\s+(?:it|them|anything))?"
)
def _before_approving(parse: _Parse, match: re.Match[str]) -> bool | None:
    """ "ask me before approving": what review and photo rules mean already."""
    kinds = {action.kind for _, action in parse.actions}
    if kinds & {ActionKind.SEND_TO_REVIEW, ActionKind.REQUIRE_PHOTO}:
        return None
    if ActionKind.NOTIFY_OWNER in kinds and parse.trigger in (None, Trigger.CASE_ASSESSED):
        # "ping me before approving": hearing of it before the approval is the owner's review
        parse.actions = [
            (at, Action(kind=ActionKind.SEND_TO_REVIEW))
            if action.kind == ActionKind.NOTIFY_OWNER
            else (at, action)
            for at, action in parse.actions
        ]
        return None
    return False


@pattern(
    r"\b(?:frequent|repeat|serial|habitual|chronic)(?:\s+(?:returners?|customers?|buyers?"
    r"|shoppers?|refunders?|clients?)|(?=\s{2,}))"
)
def _frequent_returners(parse: _Parse, match: re.Match[str]) -> None:
    """ "repeat customers with more than 3 returns": the count says how frequent; alone,
    "frequent returners" says no number and is refused."""
    if not any(isinstance(condition, ReturnsCondition) for _, condition in parse.conditions):
        parse.refuse(
            f'"{parse.shown(match.group(0))}": say how many returns, for example "customers with '
            'more than 3 returns this year".'
        )


@pattern(rf"\b(?:(?:it\s+is|it\s+has\s+been|if)\s+)?{comparison(D)}(?!\s+(?:after|of|from|since))")
def _days_bare(parse: _Parse, match: re.Match[str]) -> None:
    """ "change of mind and more than 14 days": a rule's days count from delivery."""
    _add_days(parse, match)


@pattern(
    rf"\b{D}\s+(?:after|since|from|following)\s+(?:the\s+)?(?:delivery|it\s+was\s+delivered"
    rf"|they\s+were\s+delivered|the\s+order\s+arrived|it\s+arrived|they\s+arrived)"
)
def _days_since_delivery_first(parse: _Parse, match: re.Match[str]) -> None:
    """ "a fortnight after delivery, no change of mind": once that time has passed."""
    _add_days(parse, match, Op.GT)


QUALITY_WORDS = {
    "low": r"cheap|cheaper|inexpensive|low\s+value|low\s+cost|low\s+priced|small",
    "high": r"expensive|pricey|costly|high\s+value|high\s+priced|big\s+ticket|big|large|valuable",
}


@pattern(rf"\b(?:{QUALITY_WORDS['low']}|{QUALITY_WORDS['high']})\b")
def _quality_words(parse: _Parse, match: re.Match[str]) -> None:
    """ "cheap items under $10": the amount says how cheap; alone, "cheap" is refused."""
    if any(entity.kind == "BADMONEY" for entity in parse.entities):
        return  # the amount was refused already, with its reason
    low = re.fullmatch(QUALITY_WORDS["low"], match.group(0)) is not None
    wanted = (Op.LT, Op.LE) if low else (Op.GT, Op.GE)
    if not any(
        isinstance(condition, MoneyCondition) and condition.op in wanted
        for _, condition in parse.conditions
    ):
        word = match.group(0)
        example = "items under $15" if low else "returns over $200"
        parse.refuse(f'"{word}": say how {word} with an amount, for example "{example}".')


@pattern(
    r"\bfor\s+returns\s+where\b|\bfor\s+every\s+return\b|\bwhen\s+a\s+return\s+is\s+assessed\b"
)
def _assessed(parse: _Parse, match: re.Match[str]) -> None:
    parse.set_trigger(match.start(), Trigger.CASE_ASSESSED)


_PATTERN_SOURCES = [regex for regex, _ in PATTERNS]
CMP_WORDS_TEXT = [word for words in CMP_WORDS.values() for word in words]
