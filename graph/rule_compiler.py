"""The offline rule compiler: an owner's controlled English into a ``RuleSpec``.

It reads the phrases owners use for triggers, conditions and actions (amounts, percentages,
durations, reasons, suppliers by name, countries, comparisons) and must account for every
word: whatever it cannot place is named back to the owner and nothing is compiled. It never
guesses: an amount without a subject ("under $15" of what?), a country without an owner
(the supplier's or the customer's?), "or" between different conditions, or two rules in one
sentence are refused with the reason.

How it works: the text is normalised (lower case, contractions, number words), entities
are replaced by placeholders (``MONEY0``, ``PCT0``, ``DUR0``, ``NUM0``, ``CTRY0``, ``SUP0``,
``RSN0``, ``QUOTE0``), then phrase patterns consume spans and emit the trigger, conditions
and actions. What is left must be filler words only.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from price_parser import Price
from pydantic import ValidationError
from pytimeparse import parse as parse_duration
from rapidfuzz import fuzz

from graph.rule_vocabulary import (
    COMMON_WORD_CODES,
    CONTRACTIONS,
    DEMONYMS,
    FILLER,
    NUMBER_WORDS,
    REASON_PHRASES,
    UNIT_WORDS,
    country_words,
    phrases,
)
from policies.models import Reason, Store
from policies.money import Amount, Money, MoneyError
from policies.rules import (
    Action,
    ActionKind,
    Condition,
    FlagCondition,
    InCondition,
    MoneyCondition,
    NumberCondition,
    Op,
    ReturnsCondition,
    RuleError,
    RuleSpec,
    Trigger,
    country_name,
)


class RuleNotUnderstood(RuleError):
    """The owner's text could not be compiled; ``message`` says why, plainly.

    ``recognised`` tells whether any part of it read as a rule (an action, a condition or a
    moment), so the owner console can tell a failed rule from small talk.
    """

    def __init__(self, message: str, recognised: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.recognised = recognised


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
            "smaller than | < | sub"
        )
    ),
    Op.LE: tuple(
        phrases(
            "at most | up to | no more than | not more than | not over | not above | a "
            "maximum of | maximum | max | max of | <= | ≤ | no higher than"
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
            "| or more"
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
    r"|the return delivery|return delivery)"
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
    r"|articles?|merchandise|whatever)"
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


# -- normalising and entities -----------------------------------------------------------------


def _normalise(text: str) -> str:
    text = (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u00a0", " ")
    )
    return text


def _lower_outside_placeholders(text: str) -> str:
    return re.sub(
        r"\S+",
        lambda m: (
            m.group(0) if re.fullmatch(r"(?:QUOTE|CTRY)\d+", m.group(0)) else m.group(0).lower()
        ),
        text,
    )


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


def _contractions(text: str) -> str:
    for pattern, replacement in CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    return text


def _number_words(text: str) -> str:
    tens = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    units = "one|two|three|four|five|six|seven|eight|nine"

    def compound(match: re.Match[str]) -> str:
        ones = {"one": 1, **NUMBER_WORDS}
        return str(NUMBER_WORDS[match.group(1)] + ones[match.group(2)])

    text = re.sub(rf"\b({tens})[\s-]({units})\b", compound, text)
    words = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    text = re.sub(rf"\b({words})\b", lambda m: str(NUMBER_WORDS[m.group(1)]), text)
    text = re.sub(
        r"\b(?:a|an|one|a\s+single)\s+(?=(?:hours?|days?|weeks?|months?|years?)\b)", "1 ", text
    )
    text = re.sub(rf"\bone\s+(?={UNIT_WORDS}\b)", "1 ", text)
    text = re.sub(r"\ba\s+fortnight\b", "14 days", text)
    text = re.sub(r"\ba\s+dozen\b", "12", text)
    text = re.sub(r"\b(?:a\s+)?couple\s+of\b", "COUPLE", text)
    return text


DOLLAR_CURRENCIES = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"})
CURRENCY_CODES = (
    "usd|eur|gbp|cad|aud|nzd|jpy|chf|sek|nok|dkk|pln|cny|inr|mxn|brl|sgd|hkd|czk|huf|krw"
)


def _currency_of(mark: str, store_currency: str) -> tuple[str | None, str]:
    """The currency a symbol, code or word names, or None and why not."""
    mark = mark.strip().lower()
    family: set[str]
    if mark in ("$", "dollar", "dollars", "buck", "bucks"):
        family = set(DOLLAR_CURRENCIES)
    elif mark in ("us$",):
        family = {"USD"}
    elif mark in ("ca$", "c$"):
        family = {"CAD"}
    elif mark in ("au$", "a$"):
        family = {"AUD"}
    elif mark in ("nz$",):
        family = {"NZD"}
    elif mark in ("€", "euro", "euros"):
        family = {"EUR"}
    elif mark in ("£", "pound", "pounds", "quid"):
        family = {"GBP"}
    elif mark in ("¥", "yen"):
        family = {"JPY", "CNY"}
    elif mark in ("cent", "cents"):
        family = {store_currency}
    else:
        family = {mark.upper()}
    if store_currency in family:
        return store_currency, ""
    return None, (
        f"The amount is in {mark.upper() if len(mark) == 3 else repr(mark)}, but the store's "
        f"currency is {store_currency}."
    )


def _money(parse: _Parse, text: str) -> str:
    number = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
    patterns = [
        rf"(?P<mark>(?:us|ca|au|nz|c|a)?\$|€|£|¥)\s?(?P<num>{number})(?P<k>k\b)?",
        rf"(?P<num>{number})(?P<k>k)?\s?(?P<mark>\$|€|£|¥)",
        rf"\b(?P<mark>{CURRENCY_CODES})\s?(?P<num>{number})(?P<k>k\b)?",
        rf"\b(?P<num>{number})(?P<k>k)?\s?(?P<mark>{CURRENCY_CODES})\b",
        rf"\b(?P<num>{number})(?P<k>k)?\s?(?P<mark>dollars?|bucks?|euros?|pounds?|quid|yen|cents?)\b",
    ]

    def amount(match: re.Match[str]) -> str:
        currency, why = _currency_of(match.group("mark"), parse.currency)
        if currency is None:
            parse.refuse(why)
            return parse.put("BADMONEY", None, match.group(0))
        raw = match.group("num")
        if re.fullmatch(r"\d+,\d{1,2}", raw) and currency not in DOLLAR_CURRENCIES:
            raw = raw.replace(",", ".")  # "20,50 €"
        price = Price.fromstring(raw, decimal_separator=".")
        value = price.amount
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
    units = (
        r"hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|fortnights?"
        r"|business\s+days?|working\s+days?"
    )

    def duration(match: re.Match[str]) -> str:
        count, unit = int(match.group(1)), match.group(2)
        if unit.startswith(("business", "working")):
            parse.refuse(
                f"I count calendar days, not {unit}: say how many days in all (for example "
                f"'{count + 2 * (count // 5)} days')."
            )
            return parse.put("BADDUR", None, match.group(0))
        if unit.startswith("fortnight"):
            hours = count * 14 * 24
        elif unit.startswith("mo"):
            hours = int(count * 365 / 12 + 0.5) * 24
        elif unit.startswith("y"):
            hours = count * 365 * 24
        else:
            seconds = parse_duration(f"{count} {unit}")
            if seconds is None:
                parse.refuse(f"I could not read the duration {match.group(0)!r}.")
                return parse.put("BADDUR", None, match.group(0))
            hours = int(seconds) // 3600
        return parse.put("DUR", hours, match.group(0).strip())

    return re.sub(rf"\b(\d+)\s?({units})\b", duration, text)


def _numbers(parse: _Parse, text: str) -> str:
    def number(match: re.Match[str]) -> str:
        if "." in match.group(0):
            parse.refuse(f"I expected a whole number, not {match.group(0)}.")
            return parse.put("BADNUM", None, match.group(0))
        return parse.put("NUM", int(match.group(0)), match.group(0))

    return re.sub(r"(?<![A-Z\d])\d+(?:\.\d+)?(?![\d])", number, text)


def _put_reason(parse: _Parse, reasons: frozenset[Reason], match: re.Match[str]) -> str:
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
    words: set[str] = set(FILLER)
    for source in (*_PATTERN_SOURCES, *CMP_WORDS_TEXT):
        words.update(re.findall(r"[a-z]+", source))
    for phrase, _ in REASON_PHRASES:
        words.update(phrase.split())
    words.update(NUMBER_WORDS)
    words.update(DEMONYMS)
    return frozenset(words)


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


# -- patterns ---------------------------------------------------------------------------------


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
    earlier = bool(re.search(r"\b(?:earlier|previous|prior|past|other|before)\b", text))
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
    r"|is\s+not|has\s+yet\s+to|still\s+has\s+not)"
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
    r"\s+arrived|it\s+arrived|the\s+item\s+arrived)"
    r"|\s+(?:that\s+)?(?:they|it)\s+(?:received|got|have|has)\s+(?:the\s+|it|them)?\s*(?:return"
    r"|returned\s+item|item|parcel|package|goods)?"
    r"|\s+(?:receiving|getting)\s+(?:the\s+)?(?:return|returned\s+item|item|parcel|package|goods|it))?"
)
WITHIN = r"(?:within|in|after|for|by|inside)"
TRIGGER_SUBJECT = rf"(?:{SUPPLIER_SUBJECT}|they|{S})"
SINCE_DELIVERY = r"(?:(?:of|after|from|since|following)\s+" + DELIVERY + r")"


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
    rf"|(?:\b(?:if|when)\s+)?{SUPPLIER_SUBJECT}\s+(?:is|stays|remains|goes|has\s+been)\s+"
    rf"(?:silent|quiet|unresponsive)(?:\s+for)?\s+(?P<f>{D})"
)
def _supplier_silent(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "supplier", "SUP", negated=False)
    which = match.group("d") or match.group("e") or match.group("f")
    parse.set_trigger(match.start(), Trigger.SUPPLIER_SILENT, parse.entity(which).value)


@pattern(
    r"\b(?:when|whenever|once|after|if|as\s+soon\s+as)\s+(?:a|the|any|an)?\s*(?:return"
    r"(?:\s+request)?|request|refund|case|claim)\s+(?:is|has\s+been|gets|got|was|becomes)\s+"
    r"approved|\b(?:when|whenever|once|after|if)\s+(?:we|i|you|the\s+store)\s+approves?\s+"
    r"(?:a|the|any)?\s*(?:return(?:\s+request)?|request)"
    r"|\bon\s+approval|\bupon\s+approval|\bapproved\s+returns(?:\s+requests)?"
)
def _approved(parse: _Parse, match: re.Match[str]) -> None:
    parse.set_trigger(match.start(), Trigger.RETURN_APPROVED)


STORE_CREDIT = (
    r"(?:store\s+credit|store-credit|shop\s+credit|a\s+credit\s+note|credit\s+note|a\s+voucher"
    r"|voucher|gift\s+card|a\s+gift\s+card)"
)
INSTEAD_OF_REFUND = (
    r"(?:\s+(?:instead\s+of|rather\s+than|over|not|in\s+place\s+of)\s+(?:a\s+|the\s+|their\s+)?"
    r"(?:cash\s+|money\s+|full\s+)?(?:refunds?|refunding|money\s+back|cash))?"
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
    """ "Store credit instead of a refund? Add 10%": a heading, not an instruction."""
    if parse.text[: match.start()].strip(" ,.;:!?"):
        return False
    parse.set_trigger(match.start(), Trigger.STORE_CREDIT_CHOSEN)
    return None


# Actions ---------------------------------------------------------------------------------------

BONUS = r"(?:extra|additional|bonus|more|added|top\s+up|top-up)"


@pattern(
    rf"\b(?:give|add|offer|pay|include|throw\s+in|grant|provide|award|get|gets|receive|receives"
    rf"|earn|earns)?\s*(?:them|the\s+customer"
    rf"|customers)?\s*(?:an?\s+)?(?:{BONUS}\s+(?:of\s+)?(?P<a>{P})|(?P<b>{P})\s+(?:{BONUS}|bonus"
    rf"\s+credit)|bonus\s+of\s+(?P<c>{P}))(?:\s+(?:bonus|extra|more))?(?:\s+(?:(?:in|on|of|to"
    rf"|as|for)\s+)?(?:the\s+|their\s+)?(?:{STORE_CREDIT}|credit|value))?(?:\s+(?:bonus"
    rf"|on\s+top))?"
    rf"|\b(?:increase|boost|raise|bump|top\s+up)\s+(?:the\s+|their\s+)?(?:store\s+)?credit\s+by\s+"
    rf"(?P<d>{P})"
    rf"|\b(?P<e>{P})\s+(?:store\s+credit|credit)\s+bonus"
    rf"|\b(?:{STORE_CREDIT}|credit)\s+(?:gets?|earns?|comes\s+with|receives?|has)\s+(?:an?\s+)?"
    rf"(?P<g>{P})\s+(?:bonus|extra|more|on\s+top)"
    rf"|\b(?:store\s+credit|credit)\s+bonus\s+of\s+(?P<f>{P})"
)
def _bonus(parse: _Parse, match: re.Match[str]) -> None:
    which = next(g for g in (match.group(x) for x in "abcdefg") if g)
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
    r"\b(?:refund|approve|accept)\s+(?:it\s+|them\s+)?without\s+(?:a\s+)?returns?",
]
KEEP = "(?:" + "|".join(f"(?:{phrase})" for phrase in KEEP_PHRASES) + ")"


@pattern(
    rf"\b(?:offer|give|issue|refund|pay|propose|make|grant|send)?\s*(?:them|the\s+customer"
    rf"|customers|back)?\s*(?:an?\s+|with\s+an?\s+)?(?:partial\s+refund\s+of\s+(?P<a>{P})"
    rf"|(?P<b>{P})\s+(?:partial\s+)?(?:refund|back|of\s+(?:the\s+|their\s+)?(?:item\s+|unit\s+)?"
    rf"(?:price|value|amount|money)(?:\s+back)?|compensation|partial)(?:\s+refund)?"
    rf"|(?P<c>{P})(?=\s))(?:\s+(?:refund|back))?(?:\s*(?:,|and)?\s*(?:{KEEP}))?"
)
def _partial(parse: _Parse, match: re.Match[str]) -> None:
    which = next(g for g in (match.group(x) for x in "abc") if g)
    text = match.group(0)
    if match.group("c") and not re.search(r"\b(?:refund|keep|back)\b", text):
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
    r"(?:photos?|pictures?|pics?|images?|photographs?|snapshots?|proof\s+photos?"
    r"|a\s+photo\s+of\s+the\s+(?:damage|item|problem|issue|defect))"
)


@pattern(
    rf"\b(?:require|request|ask\s+for|demand|need|insist\s+on|get|want|must\s+(?:send|upload"
    rf"|include|provide|attach)|ask\s+(?:{WHO}\s+)?(?:to\s+)?(?:send|upload|provide|attach)"
    rf"|make\s+{WHO}\s+(?:send|upload))\s+(?:us\s+)?(?:an?\s+)?(?:the\s+)?{PHOTO}(?:\s+of\s+(?:the\s+)?"
    rf"(?:damage|item|problem|issue|defect|it|product))?(?:\s+first|\s+before\s+(?:approving"
    rf"|anything|refunding|we\s+refund))?"
    rf"|\b{PHOTO}\s+(?:is\s+|are\s+)?(?:required|needed|mandatory|compulsory|a\s+must)"
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


@pattern(
    rf"\b(?:need|needs|require|requires|must\s+(?:have|get)|should\s+get|get|go\s+through"
    rf"|goes\s+through|wait\s+for|waits\s+for|have\s+to\s+get|has\s+to\s+get)\s+(?:my|the\s+owner|"
    rf"an?\s+owner|owner|manual|human|a\s+manual|a\s+human|a|an)?\s*{APPROVAL_NOUN}(?:\s+first)?"
    rf"|\b(?:send|route|pass|hand|forward|refer|kick|queue|put|move|bring)\s+(?:it|them|those"
    rf"|these|the\s+case|the\s+return|the\s+returns)?\s*(?:to|for|up\s+to|into|in)\s+(?:me|the\s+owner"
    rf"|review|manual\s+review|owner\s+review|my\s+review|my\s+approval|a\s+human|the\s+review"
    rf"\s+queue|my\s+queue|pending\s+review)(?:\s+for\s+(?:review|approval|a\s+decision))?"
    rf"|\b(?:flag|hold)(?:\s+(?:it|them|those|these|the\s+case|the\s+return|the\s+returns))?"
    rf"(?:\s+for\s+(?:review|me|my\s+review|approval|my\s+approval|manual\s+review))?"
    rf"|\b(?:let\s+me|i\s+want\s+to|i\s+will|i\s+would\s+like\s+to|i\s+need\s+to|i\s+must"
    rf"|i\s+should|i\s+have\s+to)\s+(?:review|approve|decide|check|see|look\s+at|sign\s+off\s+on"
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
    rf"|take|accepting|allowing|taking)(?:\s+(?:it|them|those|these))?"
    rf"|\b(?:is|are)\s+(?:not|no\s+longer)\s+(?:accepted|allowed|returnable|refundable|eligible)"
    rf""
    rf"|\b(?:can\s+not|may\s+not)\s+be\s+(?:returned|refunded)"
    rf"|\b(?:not|no\s+longer)\s+(?:accepted|allowed|returnable|refundable)"
    rf"|\b(?:non|not)[\s-]?returnable"
    rf"|(?:^|(?<=[\s,.;:]))no(?=\s+(?:(?:{R}|{S}|{C})\s*(?:,|or|and|/)?\s*)*(?:returns|refunds"
    rf"|exchanges)\b)"
)
def _deny(parse: _Parse, match: re.Match[str]) -> None:
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
)
def _resolve_credit(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.RESOLVE_WITH_STORE_CREDIT)


@pattern(
    rf"\b(?:notify|tell|inform|message|ping|email|e-mail|alert|contact|remind|nudge|chase"
    rf"|warn|text|slack)\s+{SUPPLIER_SUBJECT}"
    rf"|\blet\s+{SUPPLIER_SUBJECT}\s+know"
    rf"|\bsend\s+{SUPPLIER_SUBJECT}\s+an?\s+(?:reminder|message|note|notice|notification)"
    rf"|\bsend\s+an?\s+(?:reminder|message|note|notice|notification)\s+to\s+{SUPPLIER_SUBJECT}"
)
def _notify_supplier(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.NOTIFY_SUPPLIER)


@pattern(r"\b(?:remind|nudge|chase)\s+them\b")
def _remind_them(parse: _Parse, match: re.Match[str]) -> None:
    if parse.trigger == Trigger.SUPPLIER_SILENT:
        parse.action(match.start(), ActionKind.NOTIFY_SUPPLIER)
    else:
        parse.refuse(f'I can\'t tell who "{match.group(0)}" means; name the supplier.')


@pattern(
    r"\b(?:notify|tell|inform|message|ping|email|e-mail|alert|warn|text|slack)\s+(?:me|us|the"
    r"\s+owner|the\s+store\s+owner|myself)"
    r"|\blet\s+(?:me|us|the\s+owner)\s+know"
    r"|\bsend\s+(?:me|us)\s+an?\s+(?:alert|email|message|note|notification|reminder)"
    r"|\b(?:give\s+me\s+a\s+heads\s+up)"
)
def _notify_owner(parse: _Parse, match: re.Match[str]) -> None:
    parse.action(match.start(), ActionKind.NOTIFY_OWNER)


# Conditions ------------------------------------------------------------------------------------


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


@pattern(rf"\b{SUBJ_ORDER}{LINK_ORDER}\s+{comparison(M)}")
def _order_total(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "order_total")


@pattern(rf"\b{SUBJ_VALUE}{LINK_VALUE}\s+{comparison(M)}")
def _value(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "refund_value")


@pattern(rf"\b{SUBJ_UNIT}{LINK}\s+{comparison(M)}{EACH}")
def _unit_price(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "unit_price")


@pattern(
    rf"\b(?:priced|costing|that\s+costs?|which\s+costs?|costs?|selling\s+for|sold\s+for"
    rf"|that\s+sells?\s+for|with\s+a\s+(?:unit\s+)?price\s+of|with\s+prices?)\s+(?:at\s+)?"
    rf"{comparison(M)}{EACH}"
    rf"|{comparison(M)}\s+(?:items?|products?|goods|things|stuff|purchases)"
)
def _unit_price_verb(parse: _Parse, match: re.Match[str]) -> None:
    _add_money(parse, match, "unit_price")


@pattern(rf"\b(?:worth|valued\s+at)\s+{comparison(M)}")
def _worth(parse: _Parse, match: re.Match[str]) -> None:
    parse.refuse(
        f"\"{match.group(0).strip()}\" could be the item's price or the whole return's value: "
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
)
def _quantity(parse: _Parse, match: re.Match[str]) -> None:
    _add_quantity(parse, match)


@pattern(
    rf"\b(?:it\s+was\s+|they\s+were\s+|was\s+|were\s+|items?\s+|orders?\s+)?(?:delivered"
    rf"|received|arrived)\s+{comparison(D)}\s+ago"
    rf"|\b{comparison(D)}\s+(?:after|since|from|past|of)\s+{DELIVERY}"
    rf"|\b{comparison(D)}\s+old"
)
def _days_compared(parse: _Parse, match: re.Match[str]) -> None:
    _add_days(parse, match)


@pattern(
    rf"\b(?:after|later\s+than|past|beyond|older\s+than|outside(?:\s+of)?(?:\s+the)?(?:\s+first)?"
    rf")\s+(?:the\s+first\s+)?{D}(?:\s+(?:after|since|from|of|following)\s+{DELIVERY})?"
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
    _add_days(parse, match, Op.LE)


@pattern(
    rf"\b(?:{SUPPLIER_WORD}|the\s+supplier\s+is)\s+(?:(?:is|are)\s+)?{NOT_IN}\s+(?:the\s+)?"
    rf"(?:{listing(C)})"
    rf"|\bnon[\s-]*(?:{listing(C)})\s*(?:-|\s)?(?:based\s+)?{SUPPLIER_WORD}"
)
def _supplier_country_not(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "supplier_country", "CTRY", negated=True)


@pattern(
    rf"\b(?:{SUPPLIER_WORD}|the\s+supplier\s+is)\s+(?:(?:is|are)\s+)?(?:{PLACE_IN}\s+)"
    rf"(?:the\s+)?(?P<l>{listing(C)})"
    rf"|\b(?:items?|products?|goods|things|stuff)\s+(?:from|made\s+in|shipped\s+from|sourced\s+"
    rf"from|coming\s+from)\s+(?P<m>{listing(C)})"
    rf"|\b(?P<n>{listing(C)})\s*(?:-|\s)?(?:based\s+)?{SUPPLIER_WORD}"
)
def _supplier_country(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "supplier_country", "CTRY", negated=False)


@pattern(
    rf"\b(?:customers?|buyers?|shoppers?|clients?|orders?|the\s+customer\s+is)\s+(?:(?:is|are)"
    rf"\s+)?{NOT_IN}\s+(?:the\s+)?(?:{listing(C)})"
    rf"|\bnon[\s-]*(?:{listing(C)})\s*(?:-|\s)?(?:based\s+)?(?:customers?|buyers?|orders?)"
)
def _customer_country_not(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "customer_country", "CTRY", negated=True)


@pattern(
    rf"\b(?:customers?|buyers?|shoppers?|clients?|the\s+customer\s+is)\s+(?:(?:is|are)\s+)?"
    rf"(?:{PLACE_IN}|who\s+live\s+in|living\s+in)\s+(?:the\s+)?(?:{listing(C)})"
    rf"|\b(?:orders?|shipments?|returns?)?\s*(?:shipped\s+to|going\s+to|delivered\s+to|sent\s+to"
    rf"|to)\s+(?:the\s+)?(?:{listing(C)})"
    rf"|\b(?:{listing(C)})\s*(?:-|\s)?(?:based\s+)?(?:customers?|buyers?|shoppers?|clients?"
    rf"|orders?|addresses)"
)
def _customer_country(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "customer_country", "CTRY", negated=False)


ABROAD = r"(?:overseas|international|internationally|foreign|abroad|offshore|cross[\s-]border)"


@pattern(
    rf"\b{ABROAD}\s+(?:{SUPPLIER_WORD}|returns?|orders?|customers?|buyers?|shipments?|items?"
    rf"|products?|cases?)"
    rf"|\b(?:{SUPPLIER_WORD}|the\s+supplier\s+is|customers?|the\s+customer\s+is)\s+(?:(?:is|are)"
    rf"\s+)?(?:{ABROAD}|in\s+(?:another|a\s+different|other|different)\s+countr(?:y|ies)"
    rf"|outside\s+(?:of\s+)?the\s+(?:customer|supplier)\s+country)"
    rf"|\b(?:ships?|shipped|shipping|sent|coming)\s+from\s+{ABROAD}"
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
def _supplier_not(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "supplier", "SUP", negated=True)


@pattern(rf"(?:\bthe\s+supplier\s+is\s+)?{listing(S)}")
def _supplier(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "supplier", "SUP", negated=False)


@pattern(
    rf"\b(?:{WHO}\s+)?(?:says?|said|claims?|claimed|reports?|reported|complains?|complained"
    rf"|gives?\s+the\s+reason|picks?\s+the\s+reason|chooses?\s+the\s+reason)\s+(?:that\s+)?"
    rf"(?:it\s+(?:is|was|arrived|came)\s+|the\s+item\s+(?:is|was|arrived)\s+|about\s+(?:a\s+|an\s+)?"
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
def _reason_not(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "reason", "RSN", negated=True)


@pattern(rf"(?:\bthe\s+reason\s+is\s+|\b(?:because|reason)\s+(?:of\s+)?)?{listing(R)}")
def _reason(parse: _Parse, match: re.Match[str]) -> None:
    _add_set(parse, match, "reason", "RSN", negated=False)


@pattern(
    r"\b(?:refund|reimburse|pay(?:\s+back)?|issue\s+(?:the\s+|a\s+)?refund(?:\s+to)?|give\s+"
    r"(?:them\s+|the\s+customer\s+)?(?:their\s+|the\s+)?money\s+back(?:\s+to)?)(?:\s+(?:the\s+"
    r"customer|them|the\s+buyer|customers|it))?(?:\s+(?:anyway|regardless|anyhow|in\s+any\s+case"
    r"|all\s+the\s+same|automatically|in\s+full|now))*"
)
def _refund(parse: _Parse, match: re.Match[str]) -> None:
    if parse.trigger == Trigger.NOT_INSPECTED:
        parse.action(match.start(), ActionKind.REFUND)
    elif parse.trigger == Trigger.SUPPLIER_SILENT:
        parse.refuse(
            "Refunding while the supplier has not answered is not a rule I can set; I can "
            "notify you or the supplier, or refund when the inspection does not come."
        )
    elif not any(
        a.kind in (ActionKind.APPROVE_WITHOUT_RETURN, ActionKind.PARTIAL_REFUND)
        for _, a in parse.actions
    ):
        parse.refuse(
            '"Refund" alone is what already happens after the return; say "without a return" '
            "to refund and let the customer keep the item, or what else should change."
        )


@pattern(
    r"\bfor\s+returns\s+where\b|\bfor\s+every\s+return\b|\bwhen\s+a\s+return\s+is\s+assessed\b"
)
def _assessed(parse: _Parse, match: re.Match[str]) -> None:
    parse.set_trigger(match.start(), Trigger.CASE_ASSESSED)


_PATTERN_SOURCES = [regex for regex, _ in PATTERNS]
CMP_WORDS_TEXT = [word for words in CMP_WORDS.values() for word in words]


# -- putting it together ----------------------------------------------------------------------


def _chunks(text: str) -> list[tuple[int, int]]:
    """Spans of the text between sentence marks and the joints before a new action."""
    cuts = [0]
    for match in re.finditer(r"[.;!?](?=\s|$)", text):
        cuts.append(match.end())
    joint = (
        rf"(?:,|\band\b|\bthen\b|\balso\b|\bbut\b)\s+(?:then\s+|also\s+|please\s+)?"
        rf"(?={ACTION_VERBS}\b)"
    )
    for match in re.finditer(joint, text):
        cuts.append(match.start())
    cuts.append(len(text))
    cuts = sorted(set(cuts))
    return list(itertools.pairwise(cuts))


def _leftovers(parse: _Parse) -> list[str]:
    words = re.findall(r"[A-Z]+\d+|[^\s]+", parse.text)
    left: list[str] = []
    for word in words:
        if re.fullmatch(r"[A-Z]+\d+", word):
            entity = parse.entity(word)
            if entity.kind not in ("BADMONEY", "BADPCT", "BADDUR", "BADNUM"):
                left.append(entity.text)
            continue
        if word == "COUPLE":
            left.append("a couple of")
            continue
        bare = word.strip(",:;.!?()\"'")
        if bare and bare not in FILLER and word not in FILLER:
            left.append(bare)
    return left


def _explain_leftover(parse: _Parse, left: list[str]) -> str:
    money = [e.text for e in parse.entities if e.kind == "MONEY" and e.text in left]
    if money:
        return (
            f"I can't tell what {money[0]} refers to: the item's price (\"items under "
            f'{money[0]}"), the whole return ("returns over {money[0]}") or the order total '
            f'("orders over {money[0]}")?'
        )
    numbers = [e.text for e in parse.entities if e.kind == "NUM" and e.text in left]
    if numbers:
        return (
            f"I can't tell what {numbers[0]} is: write an amount with its currency "
            f'("${numbers[0]}"), days ("{numbers[0]} days") or a count ("{numbers[0]} units").'
        )
    countries = [e for e in parse.entities if e.kind == "CTRY" and e.text in left]
    if countries:
        name = country_name(countries[0].value)
        return (
            f"I can't tell whether {name} is where the supplier or the customer is: "
            f'say "suppliers in {name}" or "customers in {name}".'
        )
    if "or" in left:
        return 'I can only combine different conditions with "and". For "or", write two rules.'
    if "unless" in left:
        return 'I can\'t read "unless" there; say the condition the other way round.'
    shown = ", ".join(f'"{word}"' for word in dict.fromkeys(left[:6]))
    return f"I did not understand {shown} in that rule. {HINT}"


def compile_rule(text: str, store: Store) -> RuleSpec:
    """Compile the owner's words into a rule, or raise ``RuleNotUnderstood`` saying why."""
    raw = " ".join((text or "").split())
    if not raw:
        raise RuleNotUnderstood("There is no rule in an empty message. " + HINT, False)
    if len(raw) > MAX_LENGTH:
        raise RuleNotUnderstood(
            f"That is longer than {MAX_LENGTH} characters; please write one short rule at a time."
        )
    parse = _Parse(store=store)
    working = _normalise(raw)
    working = _quotes(parse, working)
    working = _iso_codes(parse, working)
    working = _lower_outside_placeholders(working)
    working = _contractions(working)
    working = re.sub(
        r"^\s*(?:please\s+)?(?:(?:add|create|make|set\s+up|new)\s+)?(?:a\s+)?(?:new\s+)?rule"
        r"(?:\s*(?::|that|to|where|for|saying))?\s*",
        "",
        working,
    )
    working = re.sub(r"\be-mail\b", "email", working)
    working = _number_words(working)
    working = _money(parse, working)
    working = _suppliers_exact(parse, working)
    working = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", working)
    working = _percents(parse, working)
    working = _durations(parse, working)
    working = _numbers(parse, working)
    working = _reasons(parse, working)
    working = _countries(parse, working)
    working = re.sub(r"([,.;:!?()])(?=\s|$)", r" \1 ", working)
    working = _suppliers_fuzzy(parse, working)
    working = re.sub(r"\s+", " ", working).strip()
    parse.text = " " + working + " "
    chunks = _chunks(parse.text)
    for regex, handle in PATTERNS:
        parse.consume(regex, functools.partial(handle, parse))
    left = _leftovers(parse)
    # an action without anything a rule is about is small talk ("I'll look at this later")
    about = re.search(
        r"\b(?:items?|returns?|refunds?|orders?|suppliers?|customers?|anything|everything"
        r"|products?|photos?|store\s+credit)\b",
        working,
    )
    recognised = bool(parse.conditions or parse.trigger or parse.refusals) or (
        bool(parse.actions) and (about is not None or len(left) <= 1)
    )
    if parse.refusals:
        raise RuleNotUnderstood(" ".join(parse.refusals), recognised)
    if left:
        raise RuleNotUnderstood(_explain_leftover(parse, left), recognised)
    return _build(parse, chunks)


def _build(parse: _Parse, chunks: list[tuple[int, int]]) -> RuleSpec:
    if not parse.actions:
        raise RuleNotUnderstood(
            "I found no action in that: say what should happen (for example approve without a "
            "return, ask for a photo, send it to me for review, deny it, offer a partial refund)."
        )
    kinds = {action.kind for _, action in parse.actions}
    if ActionKind.PARTIAL_REFUND in kinds:
        kinds.discard(ActionKind.APPROVE_WITHOUT_RETURN)
    trigger = parse.trigger
    if trigger is None:
        only_at = {
            ActionKind.STORE_CREDIT_BONUS: Trigger.STORE_CREDIT_CHOSEN,
            ActionKind.RESOLVE_WITH_STORE_CREDIT: Trigger.RETURN_APPROVED,
        }
        implied = {only_at[kind] for kind in kinds if kind in only_at}
        trigger = implied.pop() if len(implied) == 1 else Trigger.CASE_ASSESSED
    with_conditions = 0
    for start, end in chunks:
        acts = any(start <= at < end for at, action in parse.actions if action.kind in kinds)
        conds = any(start <= at < end for at, _ in parse.conditions)
        with_conditions += acts and conds
    if with_conditions > 1:
        raise RuleNotUnderstood(
            "That reads like two rules, each with its own conditions; please send them one "
            "at a time."
        )
    conditions = _merge(condition for _, condition in parse.conditions)
    actions = [action for _, action in parse.actions if action.kind in kinds]
    if parse.message is not None:
        if ActionKind.DENY not in kinds:
            raise RuleNotUnderstood(
                'A quoted message goes with a denial (deny ... with the message "..."); '
                "this rule denies nothing."
            )
        actions = [
            Action(kind=ActionKind.DENY, message=parse.message) if a.kind == ActionKind.DENY else a
            for a in actions
        ]
    try:
        return RuleSpec(
            trigger=trigger,
            wait_hours=parse.wait_hours if trigger == parse.trigger else None,
            conditions=tuple(conditions),
            actions=tuple(actions),
        )
    except ValidationError as error:
        problem = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise RuleNotUnderstood(f"That rule does not hold together: {problem}.") from None


def _merge(conditions: Iterable[Condition]) -> list[Condition]:
    """One condition per set field and sign (reasons named apart are one set); no repeats."""
    merged: dict[tuple[str, bool], InCondition] = {}
    others: list[Condition] = []
    for condition in conditions:
        if isinstance(condition, InCondition):
            key = (condition.field, condition.negated)
            if key in merged:
                values = merged[key].values + condition.values
                condition = InCondition(
                    field=condition.field, values=values, negated=condition.negated
                )
            merged[key] = condition
        elif condition not in others:
            others.append(condition)
    return [*merged.values(), *others]
