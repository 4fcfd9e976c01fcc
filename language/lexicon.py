"""The word knowledge every reader shares: numbers, units of time and measure, amounts, reason
and resolution codes, yes and no.

One definition each; the customer reader (``language.customer``), the supplier reader
(``language.supplier``) and the owner-rule reader (``language.rules``) import what they need
and narrow it where their speakers use a word differently (an owner's "one" is filler, a
customer's "a" counts one unit). The phrase tables a reader is tuned on (how a customer
describes a fault, how an owner names a reason) stay with that reader: the same words mean
different things to different speakers ("other" is a reason to a customer and part of
"other than in" to an owner), so merging them would change what is read.

Nothing here reads a file, a database or the clock.
"""

from __future__ import annotations

import re
from decimal import Decimal

from price_parser import Price
from pytimeparse import parse as parse_duration

# -- numbers ----------------------------------------------------------------------------------

# Number words as written out, zero to ninety (compounds such as "twenty five" are read by the
# reader that needs them).
CARDINALS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}

# Words that count units without being numbers: "a mug", "both", "a pair", "a dozen".
COUNT_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "single": 1,
    "both": 2,
    "pair": 2,
    "couple": 2,
    "dozen": 12,
}


def cardinals(low: int, high: int, *, without: tuple[str, ...] = ()) -> dict[str, int]:
    """The number words from ``low`` to ``high`` (inclusive), less the words ``without``."""
    return {
        word: value
        for word, value in CARDINALS.items()
        if low <= value <= high and word not in without
    }


# -- time and measure -------------------------------------------------------------------------

# Words for a span of time: after a number they make it a duration, never a count of units
# ("after 3 days", "2 weeks ago").
TIME_UNITS = frozenset(
    {
        "sec",
        "secs",
        "second",
        "seconds",
        "min",
        "mins",
        "minute",
        "minutes",
        "hr",
        "hrs",
        "hour",
        "hours",
        "day",
        "days",
        "night",
        "nights",
        "week",
        "weeks",
        "wk",
        "wks",
        "fortnight",
        "fortnights",
        "month",
        "months",
        "mo",
        "mos",
        "year",
        "years",
        "yr",
        "yrs",
    }
)

# The units a duration in a rule is counted in (a regular-expression alternation): hours and
# longer, with the one-letter shorthand owners type ("48h", "14d", "2w").
DURATION_UNITS = (
    r"hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|fortnights?"
    r"|business\s+days?|working\s+days?"
)


def duration_hours(count: int, unit: str) -> int | None:
    """``count`` ``unit`` in whole hours, calendar months and years as days (a month is 365/12
    days, rounded to whole days); None when the unit is not one of time."""
    if unit.startswith("fortnight"):
        return count * 14 * 24
    if unit.startswith("mo"):
        return int(count * 365 / 12 + 0.5) * 24
    if unit.startswith("y"):
        return count * 365 * 24
    seconds = parse_duration(f"{count} {unit}")
    if seconds is None:
        return None
    return int(seconds) // 3600


# Words for a measure or a size: after a number they make it one, never a count of units
# ("10 inches", "64 gb", "2 litres").
MEASURE_UNITS = frozenset(
    {
        "cm",
        "mm",
        "m",
        "km",
        "inch",
        "inches",
        "in",
        "ft",
        "foot",
        "feet",
        "metre",
        "metres",
        "meter",
        "meters",
        "ml",
        "l",
        "litre",
        "litres",
        "liter",
        "liters",
        "g",
        "kg",
        "lb",
        "lbs",
        "oz",
        "pounds",
        "gb",
        "tb",
        "mah",
        "w",
        "watt",
        "watts",
        "v",
        "volt",
        "volts",
    }
)

# -- amounts ----------------------------------------------------------------------------------

# An amount of money as customers write it: "$24", "24.50 eur", "30 bucks". The number is a
# price, never an order number or a count.
MONEY = re.compile(
    r"[$€£]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:\$|€|£|usd|eur|gbp|dollars?|euros?|bucks)\b"
)

# Currencies written "$": a bare dollar sign or "dollars" could be any of them.
DOLLAR_CURRENCIES = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"})
# ISO codes read as a currency next to a number (a regular-expression alternation).
CURRENCY_CODES = (
    "usd|eur|gbp|cad|aud|nzd|jpy|chf|sek|nok|dkk|pln|cny|inr|mxn|brl|sgd|hkd|czk|huf|krw"
)
# Words for money after a number (a regular-expression alternation): "20 bucks", "5 quid".
CURRENCY_WORDS = r"dollars?|bucks?|euros?|pounds?|quid|yen|cents?"
# Slang for round amounts, in the store's currency: "a tenner", "half a grand".
MONEY_SLANG = {"tenner": 10, "fiver": 5, "grand": 1000}


def currencies_of(mark: str, store_currency: str) -> set[str]:
    """The currencies a symbol, code or word may name ("$" any dollar, "quid" GBP, "cents"
    the store's own); an unknown mark names the code it spells."""
    mark = mark.strip().lower()
    if mark in ("$", "dollar", "dollars", "buck", "bucks"):
        return set(DOLLAR_CURRENCIES)
    if mark in ("us$",):
        return {"USD"}
    if mark in ("ca$", "c$"):
        return {"CAD"}
    if mark in ("au$", "a$"):
        return {"AUD"}
    if mark in ("nz$",):
        return {"NZD"}
    if mark in ("€", "euro", "euros"):
        return {"EUR"}
    if mark in ("£", "pound", "pounds", "quid"):
        return {"GBP"}
    if mark in ("¥", "yen"):
        return {"JPY", "CNY"}
    if mark in ("cent", "cents"):
        return {store_currency}
    return {mark.upper()}


def amount_value(raw: str) -> Decimal | None:
    """The number in an amount as written ("1,250.00", "20"), or None when there is none."""
    value = Price.fromstring(raw, decimal_separator=".").amount
    return None if value is None else Decimal(value)


# -- reasons and resolutions ------------------------------------------------------------------

# The reason codes of DESIGN.md (the values of ``policies.models.Reason``) as a customer picks
# them from buttons.
REASON_LABELS = {
    "damaged": "Arrived damaged",
    "defective": "Doesn't work / faulty",
    "wrong_item": "Wrong item sent",
    "not_as_described": "Not as described",
    "wrong_size": "Wrong size / doesn't fit",
    "changed_mind": "Changed my mind",
    "arrived_late": "Arrived too late",
    "other": "Something else",
}

RESOLUTION_LABELS = {
    "refund": "Refund to my original payment",
    "store_credit": "Store credit",
    "replacement": "A replacement",
}

# -- yes and no -------------------------------------------------------------------------------

YES_PHRASES = (
    "yes",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ya",
    "y",
    "sure",
    "ok",
    "okay",
    "k",
    "correct",
    "right",
    "confirm",
    "confirmed",
    "go ahead",
    "do it",
    "please do",
    "sounds good",
    "that's right",
    "thats right",
    "that is right",
    "that's it",
    "thats it",
    "that's all",
    "that is all",
    "that's everything",
    "absolutely",
    "submit",
    "submit it",
    "affirmative",
    "of course",
    "definitely",
    "exactly",
    "perfect",
    "great",
    "yes please",
    "all good",
    "looks good",
    "looks right",
    "that's correct",
    "send it",
    "proceed",
    "go for it",
    "aye",
    "si",
    "oui",
    "ja",
    "alright",
    "all right",
    "fine",
    "good",
)
NO_PHRASES = (
    "no",
    "nope",
    "nah",
    "n",
    "not yet",
    "wait",
    "stop",
    "don't",
    "do not",
    "wrong",
    "incorrect",
    "not right",
    "that's wrong",
    "not correct",
    "no thanks",
    "no thank you",
    "hold on",
    "not quite",
    "negative",
    "cancel",
    "never mind",
    "nevermind",
    "nein",
    "non",
)
