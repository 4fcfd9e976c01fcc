"""The rule compiler's parse state and entities: amounts, percentages, durations, numbers,
reasons, countries and suppliers become placeholders (``MONEY0``, ``DUR0``, ``SUP0`` ...).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from language.lexicon import (
    CURRENCY_CODES,
    CURRENCY_WORDS,
    DOLLAR_CURRENCIES,
    DURATION_UNITS,
    MONEY_SLANG,
    amount_value,
    currencies_of,
    duration_hours,
)
from language.rules.vocabulary import (
    COMMON_WORD_CODES,
    DEMONYMS,
    FILLER,
    FILLER_PHRASES,
    NUMBER_WORDS,
    REASON_PHRASES,
    country_words,
    phrases,
)
from language.rules.vocabulary import (
    words as word_set,
)
from policies.models import Reason, Store
from policies.money import Money, MoneyError
from policies.rules import (
    Action,
    ActionKind,
    Condition,
    Op,
    RuleError,
    Trigger,
)


class RuleNotUnderstood(RuleError):
    """The owner's text could not be compiled; ``message`` says why, plainly.

    ``recognised`` tells whether any part of it read as a rule (an action, a condition or a
    moment), so the owner console can tell a failed rule from small talk. ``partial`` holds
    the parts that were read (the owner desk pre-fills its rule form with them).
    """

    def __init__(
        self, message: str, recognised: bool = True, partial: PartialReading | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.recognised = recognised
        self.partial = partial


@dataclass(frozen=True)
class PartialReading:
    """What the compiler read of a rule, whether or not it compiled: the moment, the
    conditions and the actions it placed, and the words it skipped as filler."""

    trigger: Trigger | None = None
    wait_hours: int | None = None
    conditions: tuple[Condition, ...] = ()
    actions: tuple[Action, ...] = ()
    skipped: tuple[str, ...] = ()


HINT = (
    'I understand amounts ("under $15"), percentages, days since delivery, reasons '
    '("damaged", "wrong size", "change of mind"), suppliers by name, countries, '
    '"overseas", the customer\'s returns this year, and actions such as "without a return", '
    '"ask for a photo", "needs my approval", "deny", "offer a 30% partial refund", '
    '"an extra 10% on store credit", "notify the supplier" or "refund anyway".'
)

MAX_LENGTH = 500

# -- regex fragments over the placeholder text -----------------------------------------------

M, P, D, N = r"MONEY\d+", r"PCT\d+", r"DUR\d+", r"NUM\d+"
C, S, R, Q = r"CTRY\d+", r"SUP\d+", r"RSN\d+", r"QUOTE\d+"


def listing(item: str) -> str:
    return rf"{item}(?:\s*,?\s*(?:or|and|/|,|&|and/or)\s*{item})*"


def alt(*words: str) -> str:
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"


CMP_WORDS: dict[Op, tuple[str, ...]] = {
    Op.LT: tuple(
        phrases(
            "under | below | less than | lower than | cheaper than | beneath | fewer than | "
            "smaller than | < | sub | south of | shy of | short of | lower than"
        )
    ),
    Op.LE: tuple(
        phrases(
            "at most | up to | no more than | not more than | not over | not above | a "
            "maximum of | maximum | max | max of | <= | ≤ | no higher than | up to and including "
            "| at or below | at or under | less than or equal to | equal to or less than | not "
            "exceeding | no greater than | not greater than | capped at | at or less than"
        )
    ),
    Op.GT: tuple(
        phrases(
            "over | above | more than | greater than | higher than | exceeding | exceeds | "
            "exceed | in excess of | pricier than | bigger than | larger than | beyond | "
            "upwards of | north of | >"
        )
    ),
    Op.GE: tuple(
        phrases(
            "at least | a minimum of | minimum | min | no less than | not less than | >= | ≥ "
            "| or more | at or above | at or over | greater than or equal to | more than or equal "
            "to | equal to or more than | equal to or greater than | starting at | starting from "
            "| from"
        )
    ),
    Op.EQ: tuple(phrases("exactly | equal to | equals | of exactly")),
}
PREFIX_OPS = {word: op for op, words in CMP_WORDS.items() for word in words if word != "or more"}
CMP_PREFIX = alt(*(re.escape(word) for word in PREFIX_OPS))
POSTFIX_LE = r"(?:or|and)\s+(?:less|under|below|lower|fewer|cheaper|smaller)"
POSTFIX_GE = r"(?:(?:or|and)\s+(?:more|over|above|higher|up|greater|upwards|longer)|\+)"


def comparison(value: str) -> str:
    """A comparison with ``value``: 'under X', 'X or more', 'between X and Y', 'X+'."""
    return (
        rf"(?:between\s+{value}\s+and\s+{value}"
        rf"|from\s+{value}\s+to\s+{value}"
        rf"|{CMP_PREFIX}\s+{value}"
        rf"|{value}\s*(?:{POSTFIX_LE}|{POSTFIX_GE})"
        rf"|{value}\s+(?:and|or)\s+(?:up|more|over|above))"
    )


def read_comparison(text: str, placeholder: str) -> list[tuple[Op, str]]:
    """The (op, placeholder) pairs of a comparison matched by ``comparison()``."""
    values = re.findall(placeholder, text)
    if re.search(rf"\b(?:between|from)\s+{placeholder}\s+(?:and|to)\s+{placeholder}", text):
        return [(Op.GE, values[0]), (Op.LE, values[1])]
    head = re.search(rf"(?<![a-z])({CMP_PREFIX})\s+{placeholder}", text)
    if head:
        return [(PREFIX_OPS[head.group(1)], re.findall(placeholder, head.group(0))[0])]
    if re.search(rf"{placeholder}\s*{POSTFIX_LE}", text):
        return [(Op.LE, values[0])]
    return [(Op.GE, values[0])]


DELIVERY = (
    r"(?:the\s+)?(?:delivery|it was delivered|they were delivered|it is delivered|delivered"
    r"|it arrived|they arrived|it arrives|arrival|receipt|receiving(?:\s+it|\s+the\s+item)?"
    r"|the order arrived|the item arrived|the order was delivered|the order is delivered"
    r"|the item was delivered|the parcel arrived|purchase|the return being delivered"
    r"|the return was delivered|the return is delivered|the return arrived|the return arrives"
    r"|the return delivery|return delivery|(?:the\s+(?:return|item|parcel|package)|it)\s+"
    r"(?:arriving|arrives|gets\s+there|getting\s+there|being\s+received|is\s+received"
    r"|was\s+received))"
)
PERIOD = (
    rf"(?:\s+(?:so\s+far\s+)?(?:this|the\s+current)\s+(?:calendar\s+)?year"
    rf"|\s+(?:in|within|over|during)\s+(?:the\s+)?(?:last|past|previous)\s+{D}"
    rf"|\s+(?:in|within|over|during)\s+(?:the\s+)?(?:last|past)\s+year"
    rf"|\s+(?:a|per|each|every|in\s+a)\s+year)?"
)
PERIOD_REQUIRED = PERIOD.removesuffix(")?") + ")"
WHO = (
    r"(?:the\s+)?(?:customers?|buyers?|shoppers?|clients?|people|anyone|anybody|someone"
    r"|somebody|users?|those|he|she|they|them)"
)
KEEP_OBJECT = (
    r"(?:it|them|the\s+items?|the\s+products?|the\s+goods|their\s+items?|the\s+thing"
    r"|the\s+merchandise|the\s+item\s+or\s+items|what\s+they\s+bought|their\s+purchase)"
)
RETURN_VERB = (
    r"(?:ship|shipping|send|sending|mail|mailing|post|posting|return|returning|give|giving"
    r"|bring|bringing|hand|handing|carry|courier)"
)
SUBJ_UNIT = (
    r"(?:items?|products?|things?|stuff|goods|anything|everything|something|pieces?"
    r"|articles?|merchandise|whatever|ones)"
)
LINK = (
    r"(?:\s+(?:that|which))?(?:\s+(?:is|are|was|were|costs?|costing|priced(?:\s+at)?"
    r"|sells?\s+for|sold\s+for|selling\s+for|worth|valued\s+at|with\s+a\s+(?:unit\s+)?price"
    r"(?:\s+of)?|with\s+prices?(?:\s+of)?|of))*"
)
EACH = r"(?:\s+(?:each|apiece|a\s+piece|per\s+item|per\s+unit|a\s+unit))?"
SUBJ_VALUE = (
    r"(?:returns?|refunds?|return\s+requests?|claims?|cases?|the\s+return|the\s+refund"
    r"|return\s+value|refund\s+value|return\s+amount|refund\s+amount|value\s+of\s+the\s+return"
    r"|value\s+of\s+the\s+refund|amount\s+of\s+the\s+refund|amount\s+refunded|total\s+refund"
    r"|refund\s+total)"
)
LINK_VALUE = (
    r"(?:\s+(?:that|which))?(?:\s+(?:is|are|was|were|totall?ing|worth|valued\s+at|of|for"
    r"|amounting\s+to|where\s+the\s+(?:refund|value|amount)\s+is|with\s+a\s+(?:refund|value)"
    r"(?:\s+of)?))*"
)
SUBJ_ORDER = (
    r"(?:orders?|order\s+totals?|order\s+values?|order\s+amounts?|total\s+order\s+value"
    r"|total\s+of\s+the\s+order|baskets?|carts?|the\s+order)"
)
LINK_ORDER = (
    r"(?:\s+(?:that|which))?(?:\s+(?:is|are|was|were|totall?ing|worth|valued\s+at|of"
    r"|with\s+a\s+total(?:\s+of)?|in\s+total))*"
)
SUPPLIER_WORD = r"(?:suppliers?|vendors?|factories|factory|manufacturers?|makers?)"
CUSTOMER_WORD = r"(?:customers?|buyers?|shoppers?|clients?|orders?|shipments?|addresses)"
PLACE_IN = r"(?:in|from|based\s+in|located\s+in|in\s+the|within)"
NOT_IN = r"(?:outside(?:\s+of)?|not\s+(?:in|from|based\s+in)|other\s+than\s+in)"
ACTION_VERBS = (
    r"(?:refund|approve|accept|deny|reject|refuse|decline|require|ask|send|flag|notify|tell"
    r"|let|give|offer|issue|add|alert|email|message|inform|escalate|hold|credit|pay|remind"
    r"|do|never|no|need|needs|route|forward|block|stop|ping|make|then)"
)


# -- the parse --------------------------------------------------------------------------------


@dataclass
class _Entity:
    kind: str
    value: Any
    text: str


@dataclass
class _Parse:
    store: Store
    text: str = ""
    entities: list[_Entity] = field(default_factory=list)
    trigger: Trigger | None = None
    wait_hours: int | None = None
    trigger_at: int = -1
    conditions: list[tuple[int, Condition]] = field(default_factory=list)
    actions: list[tuple[int, Action]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    restore: list[tuple[int, int]] = field(default_factory=list)
    message: str | None = None
    source: str = ""
    bare_refund: int | None = None

    @property
    def currency(self) -> str:
        return self.store.policy.currency

    def put(self, kind: str, value: Any, text: str) -> str:
        self.entities.append(_Entity(kind, value, text))
        return f" {kind}{len(self.entities) - 1} "

    def entity(self, placeholder: str) -> _Entity:
        return self.entities[int(re.sub(r"\D", "", placeholder))]

    def found(self, matched: str, kind: str) -> list[_Entity]:
        return [self.entity(token) for token in re.findall(rf"{kind}\d+", matched)]

    def shown(self, text: str) -> str:
        """``text`` as the owner wrote it, placeholders back to their words."""
        words = re.sub(r"[A-Z]+\d+", lambda m: self.entity(m.group(0)).text, text)
        return " ".join(words.split())

    def refuse(self, message: str) -> None:
        if message not in self.refusals:
            self.refusals.append(message)

    def consume(self, pattern: str, handle: Callable[[re.Match[str]], bool | None]) -> None:
        """Apply ``handle`` to every match and blank the matched text (positions kept).

        A handler that returns False leaves the text; one that fills ``restore`` gets those
        spans of the match back (words inside a phrase that other patterns must read).
        """
        regex = re.compile(pattern)
        position = 0
        while True:
            match = regex.search(self.text, position)
            if match is None:
                return
            start, end = match.span()
            if not match.group(0).strip():
                position = end + 1
                continue
            before = self.text
            self.restore = []
            if handle(match) is False:
                position = end
                continue
            self.text = self.text[:start] + " " * (end - start) + self.text[end:]
            for first, last in self.restore:
                self.text = self.text[:first] + before[first:last] + self.text[last:]
            position = start

    def condition(self, at: int, condition: Condition) -> None:
        self.conditions.append((at, condition))

    def action(self, at: int, kind: ActionKind, **fields: Any) -> None:
        if any(action.kind == kind for _, action in self.actions):
            return
        self.actions.append((at, Action(kind=kind, **fields)))

    def set_trigger(self, at: int, trigger: Trigger, hours: int | None = None) -> None:
        if self.trigger is not None and (self.trigger, self.wait_hours) != (trigger, hours):
            self.refuse("That names two different moments for one rule; write two rules.")
            return
        self.trigger, self.wait_hours, self.trigger_at = trigger, hours, at


def _quotes(parse: _Parse, text: str) -> str:
    def quoted(match: re.Match[str]) -> str:
        inner = (match.group(1) or match.group(2) or "").strip()
        return parse.put("QUOTE", inner, match.group(0))

    return re.sub(r'"([^"]*)"|(?:(?<=\s)|^)\'([^\']+)\'(?=[\s.,;:!?]|$)', quoted, text)


def _iso_codes(parse: _Parse, text: str) -> str:
    """Upper-case ISO codes in a country context ("suppliers in CN", "US customers")."""
    import pycountry

    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) > 0.6 * len(letters):
        return text  # written all in capitals: codes cannot be told from words

    def code(match: re.Match[str]) -> str:
        word = match.group(2)
        if word in COMMON_WORD_CODES:
            return match.group(0)
        country = pycountry.countries.get(alpha_2=word) or pycountry.countries.get(alpha_3=word)
        if country is None:
            return match.group(0)
        return match.group(1) + parse.put("CTRY", country.alpha_2, word)

    before = r"(\b(?i:in|from|to|outside|of|the|not|or|and|than)\s+)([A-Z]{2,3})\b"
    text = re.sub(before, code, text)
    after = (
        r"()\b([A-Z]{2,3})(?=\s*[-\s]?(?:based\s+)?(?:suppliers?|vendors?|customers?|buyers?"
        r"|orders?)\b)"
    )
    return re.sub(after, code, text)


def _currency_of(mark: str, store_currency: str) -> tuple[str | None, str]:
    """The currency a symbol, code or word names, or None and why not."""
    mark = mark.strip().lower()
    family = currencies_of(mark, store_currency)
    if store_currency in family:
        return store_currency, ""
    named = mark.upper() if len(mark) == 3 else repr(mark)
    if len(family) == 1 and named != next(iter(family)):
        named = f"{named} ({next(iter(family))})"
    return None, (
        f"The amount is in {named}, but the store's currency is {store_currency}; I don't "
        f"convert currencies, so write the amount in {store_currency}."
    )


def _money(parse: _Parse, text: str) -> str:
    number = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
    patterns = [
        rf"(?P<mark>(?:us|ca|au|nz|c|a)?\$|€|£|¥)\s?(?P<num>{number})(?P<k>k\b)?",
        rf"(?P<num>{number})(?P<k>k)?\s?(?P<mark>\$|€|£|¥)",
        rf"\b(?P<mark>{CURRENCY_CODES})\s?(?P<num>{number})(?P<k>k\b)?",
        rf"\b(?P<num>{number})(?P<k>k)?\s?(?P<mark>{CURRENCY_CODES})\b",
        rf"\b(?P<num>{number})(?P<k>k)?\s?(?P<mark>{CURRENCY_WORDS})\b",
    ]

    def amount(match: re.Match[str]) -> str:
        currency, why = _currency_of(match.group("mark"), parse.currency)
        if currency is None:
            parse.refuse(why)
            return parse.put("BADMONEY", None, match.group(0))
        raw = match.group("num")
        if re.fullmatch(r"\d+,\d{1,2}", raw) and currency not in DOLLAR_CURRENCIES:
            raw = raw.replace(",", ".")  # "20,50 €"
        value = amount_value(raw)
        if value is None:
            parse.refuse(f"I could not read the amount {match.group(0)!r}.")
            return parse.put("BADMONEY", None, match.group(0))
        if match.group("k"):
            value = value * 1000
        if match.group("mark").lower().startswith("cent"):
            value = value / Decimal(100)
        try:
            money = Money.parse(str(value), currency)
        except MoneyError:
            parse.refuse(f"{match.group(0).strip()} has more decimals than {currency} allows.")
            return parse.put("BADMONEY", None, match.group(0))
        return parse.put("MONEY", money, match.group(0).strip())

    for pattern in patterns:
        text = re.sub(pattern, amount, text)
    return text


def _money_slang(parse: _Parse, text: str) -> str:
    """ "a tenner", "a fiver", "a grand", "half a grand", "2 grand": amounts in the store's
    currency, since they name no currency ("300 quid" names one and is read by ``_money``)."""

    def amount(match: re.Match[str]) -> str:
        word = match.group("word")
        count = Decimal(match.group("num")) if match.group("num") else Decimal(1)
        if match.group("half"):
            count = Decimal("0.5")
        money = Money.parse(str(count * MONEY_SLANG[word]), parse.currency)
        return parse.put("MONEY", money, match.group(0).strip())

    def thousands(match: re.Match[str]) -> str:
        money = Money.parse(str(Decimal(match.group(1)) * 1000), parse.currency)
        return parse.put("MONEY", money, match.group(0).strip())

    # "over 1k": thousands in the store's currency ("1k dollars" is read by ``_money``)
    text = re.sub(
        r"(?<![\w$€£¥.])(\d+(?:\.\d+)?)k\b(?!\s*(?:dollars?|bucks?|euros?|pounds?|quid|yen"
        r"|usd|eur|gbp|[$€£¥]))",
        thousands,
        text,
    )
    return re.sub(
        r"\b(?:(?P<half>half\s+a)|(?P<num>\d+(?:\.\d+)?)|a|one)\s+(?P<word>tenner|fiver|grand)(?!\s+totals?\b)"
        r"(?!\s*(?:dollars?|bucks?|euros?|pounds?|quid|yen|[$€£¥]))\b",
        amount,
        text,
    )


def _percents(parse: _Parse, text: str) -> str:
    text = re.sub(r"\s*(?:percent|per\s+cent|pct)\b", "%", text)
    text = re.sub(
        r"\bhalf\b(?=\s+(?:a\s+|the\s+|of\s+the\s+)?(?:refund|price|back|their\s+money|the\s+money|value))",
        "50%",
        text,
    )
    text = re.sub(r"\b(refund|offer|give|back)\s+half\b", r"\1 50%", text)

    def percent(match: re.Match[str]) -> str:
        raw = match.group(1)
        if "." in raw and Decimal(raw) != Decimal(raw).to_integral_value():
            parse.refuse(f"Percentages are whole numbers; {raw}% is not.")
            return parse.put("BADPCT", None, match.group(0))
        return parse.put("PCT", int(Decimal(raw)), match.group(0).strip())

    return re.sub(r"(\d+(?:\.\d+)?)\s?%", percent, text)


def _durations(parse: _Parse, text: str) -> str:
    def duration(match: re.Match[str]) -> str:
        count, unit = int(match.group(1)), match.group(2)
        if unit.startswith(("business", "working")):
            parse.refuse(
                f"I count calendar days, not {unit}: say how many days in all (for example "
                f"'{count + 2 * (count // 5)} days')."
            )
            return parse.put("BADDUR", None, match.group(0))
        hours = duration_hours(count, unit)
        if hours is None:
            parse.refuse(f"I could not read the duration {match.group(0)!r}.")
            return parse.put("BADDUR", None, match.group(0))
        return parse.put("DUR", hours, match.group(0).strip())

    return re.sub(rf"\b(\d+)\s?({DURATION_UNITS})\b", duration, text)


def _numbers(parse: _Parse, text: str) -> str:
    def number(match: re.Match[str]) -> str:
        if "." in match.group(0):
            parse.refuse(f"I expected a whole number, not {match.group(0)}.")
            return parse.put("BADNUM", None, match.group(0))
        return parse.put("NUM", int(match.group(0)), match.group(0))

    return re.sub(r"(?<![A-Z\d])\d+(?:\.\d+)?(?![\d])", number, text)


WANTING = re.compile(r"\b(?:want|need|like)\b")
WANTED_BACK = re.compile(
    r"\s+(?:it|them|this|that|those|these|anything|items?|products?|(?:the|their)\s+[a-z]+)?"
    r"\s*(?:to\s+(?:be\s+)?)?(?:back|returned|(?:sent|shipped|mailed|posted|come|go)\s+back)\b"
)


def _put_reason(parse: _Parse, reasons: frozenset[Reason], match: re.Match[str]) -> str:
    if WANTING.search(match.group(0)):
        # "we don't want it back" is the store not asking for the item, not the customer's
        # reason ("doesn't want it")
        said_by_store = re.search(r"\b(?:we|i|store)\s+$", match.string[: match.start()])
        if said_by_store or WANTED_BACK.match(match.string, match.end()):
            return match.group(0)
    return parse.put("RSN", reasons, match.group(0))


def _reasons(parse: _Parse, text: str) -> str:
    for phrase, reasons in REASON_PHRASES:
        pattern = r"(?<![\w])" + re.escape(phrase).replace(r"\ ", r"\s+") + r"(?![\w])"
        text = re.sub(pattern, functools.partial(_put_reason, parse, reasons), text)
    return text


def _countries(parse: _Parse, text: str) -> str:
    names = country_words()
    choices = alt(*(re.escape(name).replace(r"\ ", r"\s+") for name in names))
    context_before = (
        r"(?:in|from|to|outside|outside\s+of|based\s+in|located\s+in|shipped\s+to|ships\s+to"
        r"|shipping\s+to|shipping\s+from|shipped\s+from|ships\s+from|made\s+in|sent\s+to"
        r"|going\s+to|delivered\s+to|not|or|and|than|,)"
    )

    def country(match: re.Match[str]) -> str:
        words = re.sub(r"\s+", " ", match.group(2))
        return match.group(1) + parse.put("CTRY", names[words], words)

    text = re.sub(rf"(\b{context_before}\s+)({choices})(?![\w])", country, text)
    demonyms = alt(*DEMONYMS)
    owner = rf"(?=\s*(?:-|\s)?(?:based\s+)?(?:{SUPPLIER_WORD}|{CUSTOMER_WORD})\b)"

    def demonym(match: re.Match[str]) -> str:
        words = re.sub(r"\s+", " ", match.group(2))
        code = DEMONYMS.get(words) or names.get(words)
        return match.group(1) + parse.put("CTRY", code, words)

    return re.sub(rf"(^|[^\w])({demonyms}|{choices}){owner}", demonym, text)


def _suppliers_exact(parse: _Parse, text: str) -> str:
    words: dict[str, str] = {}
    for supplier_id, agreement in parse.store.suppliers.items():
        words[supplier_id.lower()] = supplier_id
        if agreement.name:
            words[agreement.name.lower()] = supplier_id
    if not words:
        return text
    choices = alt(*(re.escape(word).replace(r"\ ", r"\s+") for word in words))

    def supplier(match: re.Match[str]) -> str:
        key = re.sub(r"\s+", " ", match.group(0))
        return parse.put("SUP", words[key], match.group(0))

    return re.sub(rf"(?<![\w-]){choices}(?![\w-])", supplier, text)


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Every word the compiler knows; unknown runs of words are tried as supplier names."""
    # the patterns are built on this module, so they are read only once both are loaded
    from language.rules.patterns import _PATTERN_SOURCES, CMP_WORDS_TEXT

    words: set[str] = set(FILLER)
    for source in (*_PATTERN_SOURCES, *CMP_WORDS_TEXT):
        words.update(re.findall(r"[a-z]+", source))
    for phrase, _ in REASON_PHRASES:
        words.update(phrase.split())
    words.update(NUMBER_WORDS)
    words.update(DEMONYMS)
    for phrase in FILLER_PHRASES:
        words.update(phrase.split())
    return frozenset(words)


# Words of the rule vocabulary that owners mistype ("retruns", "aproval", "recieve"); an
# unknown word this close to one of them, and to no supplier's name, is read as it.
TYPO_TARGETS = word_set(
    "returns return returned approval approve approved receive received receipt refund "
    "refunds refunded delivery delivered supplier suppliers customer customers damaged "
    "defective photo picture without review credit items orders products anything everything "
    "scratched broken faulty replied answered confirmed confirm inspected anyway immediately "
    "require requires"
)


def _typos(parse: _Parse, text: str) -> str:
    """Mistyped vocabulary words corrected, before any pattern reads the text."""
    known = _vocabulary()
    names = [
        _compact(word)
        for supplier_id, agreement in parse.store.suppliers.items()
        for word in (supplier_id, *agreement.name.split())
    ]

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in known or len(word) < 5:
            return word
        if any(fuzz.ratio(word, name) >= 80 for name in names if len(name) >= 4):
            return word
        # one slip (a letter left out, added, changed or two swapped); two in a long word
        allowed = 2 if len(word) >= 8 else 1
        close = {target for target in TYPO_TARGETS if OSA.distance(word, target) <= allowed}
        return close.pop() if len(close) == 1 else word

    return re.sub(r"(?<![\w$€£¥-])[a-z]+(?![\w-])", fix, text)


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _supplier_score(words: str, supplier_id: str, name: str) -> float:
    candidate = _compact(words)
    if len(candidate) < 3:
        return 0.0
    targets = {_compact(supplier_id), _compact(name)}
    parts = name.lower().split()
    for size in range(1, len(parts) + 1):
        prefix = _compact(" ".join(parts[:size]))
        if len(prefix) >= 4:
            targets.add(prefix)
    return max(fuzz.ratio(candidate, target) for target in targets if target)


def _suppliers_fuzzy(parse: _Parse, text: str) -> str:
    """Runs of unknown words that closely match one supplier's name or id."""
    if not parse.store.suppliers:
        return text
    known = _vocabulary()
    tokens = list(re.finditer(r"[a-z][a-z0-9&'-]*(?:\.[a-z0-9]+)*", text))
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for token in tokens:
        unknown = token.group(0) not in known and not re.search(r"[A-Z]", token.group(0))
        adjacent = current and not text[current[-1].end() : token.start()].strip()
        if unknown and (not current or adjacent):
            current.append(token)
        else:
            if current:
                runs.append(current)
            current = [token] if unknown else []
    if current:
        runs.append(current)
    replacements: list[tuple[int, int, str]] = []
    for run in runs:
        words = " ".join(token.group(0) for token in run)
        before = re.search(r"SUP(\d+)\s*$", text[: run[0].start()])
        if before is not None:
            # "acme hme goods": an exact id followed by a misspelt rest of the name
            entity = parse.entities[int(before.group(1))]
            agreement = parse.store.suppliers[entity.value]
            joined = f"{entity.text} {words}"
            if _supplier_score(joined, entity.value, agreement.name) >= 85:
                entity.text = joined
                replacements.append((run[0].start(), run[-1].end(), ""))
                continue
        scored = sorted(
            (
                (_supplier_score(words, supplier_id, agreement.name), supplier_id)
                for supplier_id, agreement in parse.store.suppliers.items()
            ),
            reverse=True,
        )
        best_score, best = scored[0]
        if best_score < 85:
            continue
        if len(scored) > 1 and scored[1][0] >= best_score - 5:
            names = " or ".join(parse.store.suppliers[s].name for _, s in scored[:2])
            parse.refuse(f'"{words}" could be {names}; please write the supplier\'s full name.')
            continue
        replacements.append((run[0].start(), run[-1].end(), best))
    for start, end, supplier_id in reversed(replacements):
        placeholder = parse.put("SUP", supplier_id, text[start:end]) if supplier_id else " "
        text = text[:start] + placeholder + text[end:]
    return text
