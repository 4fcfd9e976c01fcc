"""Order numbers, return case codes, email addresses and phone numbers in free text.

Order numbers compare without a leading ``#`` and may hold letters and hyphens (``A-7731``,
``NW-0042``). A bare number counts as an order number when it has three digits or more and is
not an amount, a measure or part of an email; when the bot has just asked for the order
number, any token with a digit counts.
"""

from __future__ import annotations

import re

from language.customer.text import fold
from language.lexicon import MEASURE_UNITS, MONEY

EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+'-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
NEAR_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+'-]*@[a-z0-9.-]*")
CASE_CODE = re.compile(r"\brb[-\s#]?0*(\d{1,9})\b")
_STRIP = "()[]{}<>\"'.,;:!?*"
_UNITS = MEASURE_UNITS
_ORDER_CUE = re.compile(r"\border\b(?:\s+(?:number|no|nr|num|id))?\s*(?:is|was|:|#)?\s*#?$")
_LETTER_CODE = re.compile(r"^[a-z]{1,4}-?\d{2,}(?:-\d+)?$")
_DIGITS = re.compile(r"^\d{3,}(?:-\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def emails(text: str) -> list[str]:
    return list(dict.fromkeys(EMAIL.findall(fold(text))))


PHONE = re.compile(r"(?<![\w@.])\+?\(?\d[\d\s().-]{6,}\d(?![\w@])")
_PHONE_CUE = re.compile(r"\b(?:phone|mobile|cell|tel|telephone|whatsapp|number)\b\W*$")


def phones(text: str) -> list[str]:
    """Phone numbers (cash-on-delivery orders identify with one): 8 to 15 digits, written
    with a ``+``, spaces, dashes or brackets, or any 9 digits or more, or after "phone".
    A plain ``12345678`` after "order" stays an order number."""
    folded = fold(text)
    found = []
    for match in PHONE.finditer(EMAIL.sub(" ", folded)):
        raw = match.group().strip()
        digits = "".join(ch for ch in raw if ch.isdigit())
        if not 8 <= len(digits) <= 15 or re.search(r"\d{4}-\d{2}-\d{2}|\d\.\d{2}$", raw):
            continue
        before = folded[max(0, match.start() - 24) : match.start()]
        written = raw.startswith("+") or any(ch in raw for ch in " -().")
        cued = bool(_PHONE_CUE.search(before)) and not _ORDER_CUE.search(before)
        if written or cued or (len(digits) >= 9 and not _ORDER_CUE.search(before)):
            found.append(raw)
    return list(dict.fromkeys(found))


def without_phones(text: str) -> str:
    """The text with its phone numbers blanked, so their digits are no order number."""
    folded = fold(text)
    for phone in phones(text):
        folded = folded.replace(phone, " ")
    return folded


def broken_email(text: str) -> bool:
    """Something with an @ that is not a whole address (``ana@example``)."""
    folded = fold(text)
    return bool(NEAR_EMAIL.search(folded)) and not EMAIL.search(folded)


def case_codes(text: str) -> list[str]:
    return list(dict.fromkeys(f"RB-{int(n):06d}" for n in CASE_CODE.findall(fold(text))))


_COMPARING = frozenset({"not", "or", "to", "vs", "versus", "x", "by", "instead", "of", "than"})


def _measure_at(tokens: list[str], index: int) -> bool:
    token = tokens[index].strip(_STRIP)
    if re.fullmatch(r"\d+(?:[.,]\d+)?[a-z]{1,6}", token) and token.lstrip("0123456789.,") in _UNITS:
        return True
    following = tokens[index + 1].strip(_STRIP) if index + 1 < len(tokens) else ""
    return bool(re.fullmatch(r"\d+(?:[.,]\d+)?", token)) and following in _UNITS


def _compared_measure(tokens: list[str], index: int) -> bool:
    """Is the number at ``index`` set against a measure just before it ("120cm not 160",
    "30 x 40 cm", "a 10 or 11")? Then it is that measure too, never an order number."""
    ahead = tokens[index + 1 : index + 3]
    if len(ahead) == 2 and ahead[0] in ("x", "by") and _measure_at(tokens, index + 2):
        return True  # "200 x 300 cm"
    back = index - 1
    skipped = 0
    while back >= 0 and tokens[back].strip(_STRIP) in _COMPARING and skipped < 2:
        back -= 1
        skipped += 1
    if skipped == 0 or back < 0:
        return False
    if tokens[back].strip(_STRIP) in _UNITS and back > 0 and _measure_at(tokens, back - 1):
        return True  # "120 cm not 160"
    return _measure_at(tokens, back) or (
        index + 1 < len(tokens) and tokens[index + 1].strip(_STRIP) in _UNITS
    )


def order_numbers(text: str, *, expecting: bool = False) -> list[str]:
    """Order numbers as typed (upper case, no ``#``), in the order they appear."""
    folded = fold(text)
    folded = EMAIL.sub(" ", folded)
    folded = re.sub(r"\b(order|no|nr|number|num)(?=[#:]\s*[a-z0-9])", r"\1 ", folded)  # order#66
    folded = CASE_CODE.sub(" ", folded)
    folded = MONEY.sub(" ", folded)
    tokens = folded.split()
    found: list[str] = []
    for index, raw in enumerate(tokens):
        hashed = raw.lstrip("(\"'").startswith("#")
        token = raw.strip(_STRIP).lstrip("#").strip(_STRIP)
        if not token or not any(ch.isdigit() for ch in token) or _DATE.match(token):
            continue
        following = tokens[index + 1].strip(_STRIP) if index + 1 < len(tokens) else ""
        if following in _UNITS or (re.fullmatch(r"\d+[a-z]{1,3}", token) and not hashed):
            continue  # "28 cm", "15cm", "64gb"
        before = " ".join(tokens[max(0, index - 3) : index])
        cued = hashed or bool(_ORDER_CUE.search(before + " "))
        if not cued and _compared_measure(tokens, index):
            continue  # "120cm not 160", "30 x 40 cm": the same measure again

        well_formed = bool(_DIGITS.match(token) or _LETTER_CODE.match(token))
        plausible = re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", token) is not None
        if (well_formed and (cued or len(token) >= 3)) or (plausible and (cued or expecting)):
            if not expecting and not cued and token.isdigit() and len(token) < 3:
                continue
            found.append(token.upper())
    return list(dict.fromkeys(found))
