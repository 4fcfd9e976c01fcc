"""Normalising an owner's rule text before entities are read: quotes, case, contractions,
owners' slang (``OWNER_SLANG``), shorthand and number words.
"""

from __future__ import annotations

import re

from language.rules.vocabulary import (
    CONTRACTIONS,
    NUMBER_WORDS,
    OWNER_SLANG,
    UNIT_WORDS,
)


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


def _symbols(text: str) -> str:
    """Shorthand owners type for words: "w/o", "->", "=", " + ", "sub-$10", parentheses."""
    text = re.sub(r"\bw/o\b", " without ", text)
    text = re.sub(r"\bw/(?=\s)", " with ", text)
    text = re.sub(r"\s*(?:->|=>|→|=)\s*", " : ", text)
    text = re.sub(r"(?<=\s)\+(?=\s)", " and ", text)
    text = re.sub(r"(?<![\w$€£%])\+\s*(?=\d+(?:\.\d+)?\s*(?:%|percent))", " extra ", text)
    text = re.sub(r"\b(sub|under|over|below|above)-(?=[$€£¥\d])", r"\1 ", text)
    return re.sub(r"[()\[\]]", " ", text)


def _contractions(text: str) -> str:
    for pattern, replacement in CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    return text


def _owner_slang(text: str) -> str:
    for pattern, replacement in OWNER_SLANG:
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
    # "two hundred", "a hundred and fifty", "fifteen hundred", "one thousand two hundred"
    for word, size in (("hundred", 100), ("thousand", 1000)):

        def scaled(match: re.Match[str], size: int = size) -> str:
            head = match.group(1)
            count = 1 if head in ("a", "one") else int(head)
            rest = int(match.group(2)) if match.group(2) else 0
            return str(count * size + rest) if rest < size else match.group(0)

        text = re.sub(rf"\b(a|one|\d+)\s+{word}(?:\s+(?:and\s+)?(\d+)(?![\d.,]))?\b", scaled, text)
    # "a week" is 1 week, but "3 times a year" is a rate, read with the customer's returns
    text = re.sub(
        r"(?<!times )(?<!returns )(?<!items )(?<!things )(?<!orders )"
        r"\b(?:a|an|one|a\s+single)\s+(?=(?:hours?|days?|weeks?|months?|years?)\b)",
        "1 ",
        text,
    )
    text = re.sub(rf"\bone\s+(?={UNIT_WORDS}\b)", "1 ", text)
    text = re.sub(r"\ba\s+fortnight\b", "14 days", text)
    text = re.sub(r"\ba\s+dozen\b", "12", text)
    text = re.sub(r"\b(?:a\s+)?couple\s+of\b", "COUPLE", text)
    return text
