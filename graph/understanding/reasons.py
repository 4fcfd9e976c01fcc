"""Reason words to the reason codes of DESIGN.md.

Phrases are matched on whole words after typo correction; a phrase preceded by a negation
("it isn't broken") does not count. When several reasons are named, the first one mentioned
wins, except that a fault named anywhere beats a customer reason only when it comes first.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.understanding.text import correct, has_phrase, negated_at, words

REASON_PHRASES: dict[str, tuple[str, ...]] = {
    "damaged": (
        "damaged",
        "damage",
        "broken",
        "broke",
        "cracked",
        "crack",
        "cracks",
        "shattered",
        "shatter",
        "smashed",
        "dented",
        "dent",
        "dents",
        "chipped",
        "chip",
        "scratched",
        "scratches",
        "scratch",
        "torn",
        "ripped",
        "bent",
        "crushed",
        "snapped",
        "snapped off",
        "in pieces",
        "split",
        "squashed",
        "busted",
        "stained",
        "ruined",
        "dinged",
        "scuffed",
        "arrived damaged",
        "came damaged",
        "punctured",
        "has a hole",
        "hole in",
    ),
    "defective": (
        "defective",
        "faulty",
        "fault",
        "leaks",
        "leaking",
        "leak",
        "leaky",
        "stopped working",
        "doesn't work",
        "does not work",
        "don't work",
        "not working",
        "won't work",
        "didn't work",
        "doesn't turn on",
        "does not turn on",
        "won't turn on",
        "won't switch on",
        "doesn't switch on",
        "doesn't charge",
        "won't charge",
        "not charging",
        "came apart",
        "fell apart",
        "falls apart",
        "coming apart",
        "malfunctioning",
        "malfunctions",
        "malfunction",
        "dead on arrival",
        "is dead",
        "died",
        "dies",
        "glitchy",
        "buggy",
        "no sound",
        "won't power on",
        "doesn't power on",
        "keeps disconnecting",
        "unusable",
        "won't connect",
        "doesn't connect",
        "stopped",
        "flickers",
        "flickering",
        "overheats",
        "works badly",
        "doesn't heat",
        "won't heat",
        "not heating",
    ),
    "wrong_item": (
        "wrong item",
        "wrong one",
        "wrong product",
        "wrong thing",
        "sent the wrong",
        "sent me the wrong",
        "sent me a different",
        "received the wrong",
        "got the wrong",
        "instead of",
        "not what i ordered",
        "isn't what i ordered",
        "wasn't what i ordered",
        "not the one i ordered",
        "different item",
        "different product",
        "wrong colour",
        "wrong color",
        "wrong model",
        "never ordered",
        "didn't order",
        "mixed up",
        "someone else's",
    ),
    "not_as_described": (
        "not as described",
        "not as pictured",
        "not as advertised",
        "not as shown",
        "looks different",
        "look different",
        "different from the picture",
        "different from the photo",
        "doesn't look like",
        "does not look like",
        "not like the picture",
        "not like the photo",
        "nothing like",
        "misleading",
        "not what was described",
        "not as in the picture",
        "cheaper quality",
        "poor quality",
        "bad quality",
        "cheaply made",
        "flimsy",
        "fake",
        "counterfeit",
        "colour is off",
        "color is off",
        "smaller than described",
        "smaller than pictured",
        "different colour than",
        "different color than",
        "not the same as the picture",
    ),
    "wrong_size": (
        "wrong size",
        "too big",
        "too small",
        "too large",
        "too tight",
        "too loose",
        "too short",
        "too long",
        "too wide",
        "too narrow",
        "doesn't fit",
        "does not fit",
        "don't fit",
        "didn't fit",
        "won't fit",
        "not fit",
        "not the right size",
        "to small",
        "to big",
        "to large",
        "to tight",
        "to loose",
        "fits badly",
        "runs small",
        "runs large",
        "runs big",
        "size is off",
        "bigger size",
        "smaller size",
    ),
    "changed_mind": (
        "changed my mind",
        "change my mind",
        "changed mind",
        "change of mind",
        "don't need",
        "do not need",
        "no longer need",
        "no longer want",
        "don't want",
        "do not want",
        "didn't need",
        "don't like",
        "do not like",
        "didn't like",
        "not needed",
        "not for me",
        "by mistake",
        "by accident",
        "accidentally ordered",
        "ordered twice",
        "found it cheaper",
        "found a cheaper",
        "don't really need",
        "don't use",
        "won't use",
        "never used",
        "unwanted",
        "no use for",
        "not needed anymore",
        "rather not keep",
        "doesn't suit",
        "not what i expected",
        "regret",
    ),
    "arrived_late": (
        "arrived late",
        "came late",
        "too late",
        "took too long",
        "late delivery",
        "delivered late",
        "arrived after",
        "came after",
        "missed the",
        "way too long",
        "took forever",
        "took ages",
        "took weeks",
        "delayed",
        "late",
    ),
    "other": ("other reason", "something else", "another reason", "other"),
}

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

VOCABULARY: tuple[str, ...] = tuple(
    sorted(
        {
            word
            for phrases in REASON_PHRASES.values()
            for phrase in phrases
            for word in phrase.split()
            if word.isalpha() and len(word) >= 4
        }
    )
)

# Words that only name a reason when the whole message is about little else ("other").
_WEAK = {("other", "other"), ("arrived_late", "late")}


@dataclass(frozen=True)
class ReasonMatch:
    code: str
    phrase: str
    position: int


def find_reasons(text: str) -> list[ReasonMatch]:
    """Every reason named in the text, first mention first, negated mentions left out."""
    tokens = correct(words(text), VOCABULARY)
    joined = " ".join(tokens)
    found: dict[str, ReasonMatch] = {}
    for code, phrases in REASON_PHRASES.items():
        for phrase in phrases:
            if (code, phrase) in _WEAK and len(tokens) > 6:
                continue
            if not has_phrase(joined, phrase):
                continue
            start = joined.index(phrase) if phrase in joined else 0
            index = joined[:start].count(" ")
            starts_negative = phrase.split()[0] in ("not", "no", "never") or "'t" in phrase
            if not starts_negative and negated_at(tokens, index):
                continue
            match = ReasonMatch(code=code, phrase=phrase, position=index)
            if code not in found or index < found[code].position:
                found[code] = match
    return sorted(found.values(), key=lambda m: m.position)


def find_reason(text: str) -> str | None:
    """The reason code the text names first, or None."""
    matches = find_reasons(text)
    # "doesn't fit" contains a negation that also reads as "not fit"; "too late" is a delay.
    return matches[0].code if matches else None


def reason_from_choice(value: str) -> str | None:
    """A quick-reply value or label ("damaged", "Arrived damaged") as a reason code."""
    folded = " ".join(words(value)).replace(" ", "_")
    if folded in REASON_LABELS:
        return folded
    for code, label in REASON_LABELS.items():
        if " ".join(words(label)) == " ".join(words(value)):
            return code
    return find_reason(value)
