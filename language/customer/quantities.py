"""How many units: digits, number words, "both", "all", "a pair", "one of them"."""

from __future__ import annotations

import re

from language.customer.text import fold, words
from language.lexicon import COUNT_WORDS, MEASURE_UNITS, MONEY, TIME_UNITS, cardinals

NUMBER_WORDS = {**cardinals(1, 12), **COUNT_WORDS}
ALL = "all"
# Words after a number that make it a time, a measure or a size, never a count of units:
# "after 3 days", "3 hours of use", "10 inches", "2 weeks ago".
UNIT_WORDS = (
    TIME_UNITS
    | MEASURE_UNITS
    | frozenset(
        {
            "time",
            "times",
            "uses",
            "washes",
            "wash",
            "wears",
            "percent",
            "pct",
            "am",
            "pm",
            "o'clock",
            "stars",
            "star",
            "ago",
            "th",
            "st",
            "nd",
            "rd",
        }
    )
)


# Verbs before a number that make it what was bought, not what goes back: "ordered 6 plates,
# 2 came chipped", "got 3 towels, one is torn".
BOUGHT = frozenset(
    {"ordered", "bought", "got", "purchased", "received", "recieved", "have", "had", "order"}
)
# Verbs after a number that make it the units with the problem: "2 came chipped".
_HAPPENED_TO = frozenset(
    {
        "is",
        "are",
        "was",
        "were",
        "came",
        "come",
        "arrived",
        "has",
        "have",
        "had",
        "broke",
        "cracked",
        "leak",
        "leaks",
        "leaked",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "got",
        "showed",
        "look",
        "looks",
        "fit",
        "fits",
        "stopped",
        "died",
    }
)


# A number before these is the size of the pack that was bought ("the 2 pack of towels",
# "a 6-pack"), not how many go back.
PACK_WORDS = frozenset({"pack", "pk", "piece set", "pc"})


def bought_count(tokens: list[str], index: int) -> bool:
    """Is the number at ``index`` how many were bought ("ordered 6 plates", "a 2 pack")?"""
    before = tokens[max(0, index - 2) : index]
    if tokens[index + 1 : index + 2] and tokens[index + 1] in PACK_WORDS:
        return True
    return bool(before) and before[-1] in BOUGHT


def unit_follows(tokens: list[str], index: int) -> bool:
    """Is the number at ``index`` a time, a measure or a size ("3 days", "a week", "size 10")?"""
    after = tokens[index + 1 : index + 3]
    if after[:1] and after[0] in UNIT_WORDS:
        return True
    if (
        after[:2]
        and after[0] in ("more", "extra", "whole", "full", "long", "short")
        and (after[1:2] and after[1] in UNIT_WORDS)
    ):
        return True
    before = tokens[index - 1] if index > 0 else ""
    return before in ("size", "sz", "eu", "uk", "us", "model", "version", "number", "nr")


_ALL_WORDS = ("all of them", "all", "every one", "everything", "the whole lot", "all units")


def parse_quantity(text: str, *, expecting: bool = False) -> int | str | None:
    """A quantity the text states: an int, ``"all"``, or None.

    Without ``expecting`` only explicit forms count ("2 of them", "two mugs", "both", "x2",
    "all of them"); when the bot just asked "how many?", a bare number or word answers it.
    """
    tokens = words(MONEY.sub(" ", fold(text)))  # "$24" is a price, never a count
    joined = " ".join(tokens)
    if re.search(r"(?<![a-z0-9])(?:x\s?(\d{1,3})|(\d{1,3})\s?x)(?![a-z0-9])", joined):
        match = re.search(r"(?<![a-z0-9])(?:x\s?(\d{1,3})|(\d{1,3})\s?x)(?![a-z0-9])", joined)
        if match:
            return int(match.group(1) or match.group(2))
    if re.search(
        r"\b(?:all|both) of (?:them|the|my)\b|\ball \d+\b"
        r"|\bevery (?:one|single one|unit|item|piece)\b",
        joined,
    ):
        found = re.search(r"\ball (\d+)\b", joined)
        return int(found.group(1)) if found else (2 if "both" in tokens else ALL)
    if "both" in tokens:
        return 2
    if expecting:
        for index, token in enumerate(tokens):
            if unit_follows(tokens, index):
                continue
            if token.isdigit() and 0 < int(token) < 1000:
                return int(token)
            if token in NUMBER_WORDS and token not in ("a", "an"):
                return NUMBER_WORDS[token]
        if any(w in joined for w in _ALL_WORDS):
            return ALL
        return None
    # "2 mugs", "two of the mugs", "one of them", "just one", "only 1"
    for index, token in enumerate(tokens):
        value: int | None = None
        if token.isdigit() and 0 < int(token) < 100:
            value = int(token)
        elif token in NUMBER_WORDS and token not in ("a", "an", "pair", "couple", "dozen"):
            value = NUMBER_WORDS[token]
        if value is None or unit_follows(tokens, index) or bought_count(tokens, index):
            continue
        before = tokens[index - 1] if index > 0 else ""
        if before in ("in", "into") and tokens[index + 1 : index + 2] in (
            ["pieces"],
            ["bits"],
            ["parts"],
            ["halves"],
        ):
            continue  # "arrived in 3 pieces": how it broke, not how many
        if before == "back":
            return value  # "want to send back one"
        if (
            tokens[index + 1 : index + 2]
            and tokens[index + 1] in _HAPPENED_TO
            and (any(bought_count(tokens, i) for i in range(index)))
        ):
            return value  # "ordered 6 plates, 2 came chipped"
        after = tokens[index + 1] if index + 1 < len(tokens) else ""
        if before in ("just", "only", "return", "returning", "send", "of") or after in (
            "of",
            "unit",
            "units",
            "item",
            "items",
            "pieces",
            "piece",
            "pcs",
        ):
            return value
        if after and after.endswith("s") and len(after) > 3 and not after.endswith("ss"):
            return value  # "two mugs", "3 chairs"
    couple = re.search(r"\ba (?:pair|couple) of (\w+)", joined)
    if couple and couple.group(1) not in UNIT_WORDS:
        return 2
    return None
