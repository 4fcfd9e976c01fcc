"""Yes and no, as people type them."""

from __future__ import annotations

import re
from functools import cache

from language.customer.text import words
from language.lexicon import NO_PHRASES, YES_PHRASES

_YES_FIRST = {p for p in YES_PHRASES if " " not in p}
_NO_FIRST = {p for p in NO_PHRASES if " " not in p}

# Sounds people make before they answer ("hmm, yes", "oh no").
FILLERS = frozenset({"hmm", "hm", "hmmm", "um", "umm", "uh", "er", "erm", "oh", "ah", "well", "so"})
# Words that take back what came before ("no... actually yes", "yes, wait, no").
CORRECTIONS = ("actually", "on second thought", "on second thoughts", "scratch that", "i mean")
# Answers that count wherever they are in a longer message, unless negated.
YES_ANYWHERE = (
    "yes please",
    "please submit",
    "submit it",
    "go ahead",
    "that's correct",
    "that is correct",
    "all correct",
    "looks good",
    "sounds good",
    "please proceed",
    "you can submit",
    "yes submit",
    "all good",
    "that's right",
    "thats right",
    "that's it",
    "thats it",
    "that's all",
)
NO_ANYWHERE = (
    "don't submit",
    "do not submit",
    "not yet",
    "hold on",
    "don't send",
    "do not send",
    # Asking for time is no yes: "hang on a sec", "not now", "give me a minute".
    "not now",
    "hang on",
    "hold off",
    "just a sec",
    "one sec",
    "one second",
    "wait a sec",
    "wait a second",
    "wait a minute",
    "give me a sec",
    "give me a second",
    "give me a minute",
)
_TYPED_YES = re.compile(r"^(?:y+e+s+|ye+a*h*|yse|ys|yah|ya+s+|okey|okie|oki|okk+|kk|o+k+a*y*)$")


@cache
def _standalone(pattern: str) -> re.Pattern[str]:
    # Compiled once: the answer phrases alone outnumber what ``re`` keeps compiled.
    return re.compile(rf"(?<![a-z']){pattern}(?![a-z'])")


def yes_or_no(text: str) -> str | None:
    """``"yes"``, ``"no"`` or None. The answer is read from how the message starts
    ("yes, and make it store credit"), or from a short message as a whole; a correction
    ("no... actually yes, submit it") takes back what came before it."""
    tokens = _answer_words(text)
    if not tokens:
        return None
    joined = " ".join(tokens)
    for marker in CORRECTIONS:
        found = [m.end() for m in _standalone(marker).finditer(joined)]
        if found and found[-1] < len(joined):
            later = _read(joined[found[-1] :].split())
            if later is not None:
                return later
    return _read(tokens)


def _answer_words(text: str) -> list[str]:
    tokens = ["yes" if _TYPED_YES.match(t) and t not in ("y", "ya") else t for t in words(text)]
    while tokens and tokens[0] in FILLERS and len(tokens) > 1:
        tokens = tokens[1:]
    return tokens


def _read(tokens: list[str]) -> str | None:
    while tokens and tokens[0] in FILLERS and len(tokens) > 1:
        tokens = tokens[1:]
    if not tokens:
        return None
    joined = " ".join(tokens)
    for phrase in sorted(NO_PHRASES, key=len, reverse=True):
        if joined == phrase or (joined.startswith(phrase + " ") and " " in phrase):
            return "no"
    for phrase in sorted(YES_PHRASES, key=len, reverse=True):
        if joined == phrase or (joined.startswith(phrase + " ") and " " in phrase):
            return "yes"
    first = tokens[0]
    if tokens[1:2] == ["not"] and first not in ("do", "don't", "why"):
        return "no"  # "absolutely not", "certainly not": the yes word only makes it firmer
    if first in _NO_FIRST and first not in ("don't", "wait", "stop", "wrong"):
        return "no"
    if first in _YES_FIRST and first not in ("right", "fine", "good", "great", "k"):
        return "yes"
    if len(tokens) <= 4:
        if any(t in ("no", "nope", "nah", "incorrect", "wrong") for t in tokens):
            return "no"
        if any(t in ("yes", "yeah", "yep", "yup", "correct", "confirm", "sure") for t in tokens):
            return "yes"
    return _anywhere(joined)


def _anywhere(joined: str) -> str | None:
    """The last clear answer phrase in a longer message, skipping negated ones."""
    last: tuple[int, str] | None = None
    for answer, phrases in (("yes", YES_ANYWHERE), ("no", NO_ANYWHERE)):
        for phrase in phrases:
            if phrase not in joined:
                continue
            for found in _standalone(re.escape(phrase)).finditer(joined):
                before = joined[: found.start()].split()[-2:]
                if answer == "yes" and any(w in ("don't", "not", "do", "never") for w in before):
                    continue
                if last is None or found.start() > last[0]:
                    last = (found.start(), answer)
    return last[1] if last else None
