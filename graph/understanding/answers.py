"""Yes and no, as people type them."""

from __future__ import annotations

from graph.understanding.text import words

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
_YES_FIRST = {p for p in YES_PHRASES if " " not in p}
_NO_FIRST = {p for p in NO_PHRASES if " " not in p}


def yes_or_no(text: str) -> str | None:
    """``"yes"``, ``"no"`` or None. The answer is read from how the message starts
    ("yes, and make it store credit"), or from a short message as a whole."""
    tokens = words(text)
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
    if first in _NO_FIRST and first not in ("don't", "wait", "stop", "wrong"):
        return "no"
    if first in _YES_FIRST and first not in ("right", "fine", "good", "great", "k"):
        return "yes"
    if len(tokens) <= 4:
        if any(t in ("no", "nope", "nah", "incorrect", "wrong") for t in tokens):
            return "no"
        if any(t in ("yes", "yeah", "yep", "yup", "correct", "confirm", "sure") for t in tokens):
            return "yes"
    return None
