"""What the customer wants back: refund, store credit or a replacement."""

from __future__ import annotations

import re

from language.customer.text import FUNCTION_WORDS, NEGATORS, correct, find_phrase, words
from language.lexicon import RESOLUTION_LABELS

RESOLUTION_PHRASES: dict[str, tuple[str, ...]] = {
    "store_credit": (
        "store credit",
        "credit",
        "voucher",
        "gift card",
        "giftcard",
        "coupon",
        "credit note",
        "shop credit",
        "account credit",
        "site credit",
        "in store credit",
        "gift voucher",
        "gift certificate",
        "vouchers",
        "credits",
        "credit instead",
        "credit on my account",
        "credit to my account",
        "account balance",
    ),
    "replacement": (
        "replacement",
        "replace",
        "replaced",
        "exchange",
        "swap",
        "new one",
        "another one",
        "send another",
        "send a new",
        "send me a new",
        "fresh one",
        "working one",
        "replacements",
        "replace it",
        "replace them",
        "exchanged",
        "exchanging",
        "swapped",
        "swap it",
        "swap them",
        "new ones",
        "another pair",
        "another one",
        "other ones",
        "send new",
        "send me new",
        "send another one",
        "send a replacement",
        "same one again",
        "same item again",
        "one that works",
        "ones that work",
        "new item",
        "new pair",
    ),
    "refund": (
        "refund",
        "refunded",
        "money back",
        "my money",
        "reimburse",
        "reimbursed",
        "reimbursement",
        "pay me back",
        "cash back",
        "back to my card",
        "original payment",
        "refunds",
        "refunding",
        "refund me",
        "full refund",
        "money returned",
        "money return",
        "return my money",
        "return the money",
        "give me back",
        "give back my money",
        "the money",
        "cash",
        "back to my account",
        "back to my paypal",
        "to my card",
        "on my card",
        "credit card",
        "debit card",
        "my card",
        "bank account",
        "paypal",
        "payback",
        "repay",
        "repaid",
    ),
}

# Asking for the same thing in another size or colour is an exchange ("can I get it in a
# bigger size"); only the asking counts ("it's a different colour than pictured" is a reason).
_OTHER_VARIANTS = tuple(
    f"{lead} {kind} {what}"
    for lead in ("for", "in", "need", "want", "get", "have", "with")
    for kind in ("a different", "another", "a bigger", "a smaller", "a larger", "the next", "a")
    for what in ("size", "colour", "color")
    if not (kind == "a" and lead in ("need", "want", "get", "have", "with"))
)
RESOLUTION_PHRASES["replacement"] += _OTHER_VARIANTS

VOCABULARY: tuple[str, ...] = tuple(
    sorted(
        {
            word
            for phrases in RESOLUTION_PHRASES.values()
            for phrase in phrases
            for word in phrase.split()
            if len(word) >= 5 and word not in FUNCTION_WORDS
        }
    )
)


# An exchange for another size or colour is a replacement of the same item.
_VARIANT = re.compile(
    r"\b(?:one|a|half a|1) size (?:smaller|bigger|larger|up|down)\b"
    r"|\b(?:in|for|need|want|get|send|swap\w* for|exchange\w* for) (?:a |the |me a |me the )?"
    r"(?:bigger|smaller|larger|next) (?:size|one)\b"
    r"|\b(?:swap|exchange|change)\w* (?:it |them |this |these )?(?:for|to|into) (?:a |the )?"
    r"(?:bigger|smaller|larger|different|other) ?(?:size|colou?r|one)?\b"
    r"|\b(?:in|for) (?:a |the )?(?:size|colou?r) \w+ instead\b"
    r"|\bsame (?:one |thing |item )?(?:but )?in (?:a |an |the )?"
    r"(?:size \w+|colou?r \w+|small|medium|large|bigger|smaller|other colou?r|different colou?r)\b"
    r"|\b(?:a |another )?(?:different|other) (?:one|size|colou?r) (?:instead|rather)\b"
)


def find_resolution(text: str) -> str | None:
    """The resolution asked for, the last one named winning ("refund... no, store credit").

    A phrase inside a longer one does not count on its own ("credit" in "credit card", "card"
    in "gift card"); a negation or "don't want" before a phrase reaches back only to the
    phrase before it ("I don't want store credit, refund please" is a refund).
    """
    tokens = correct(words(text), VOCABULARY)
    joined = " ".join(tokens)
    spans: list[tuple[int, int, str, str]] = []  # first word, word after, code, phrase
    for code, phrases in RESOLUTION_PHRASES.items():
        for phrase in phrases:
            for found in find_phrase(joined, phrase):
                index = joined[: found.start()].count(" ")
                spans.append((index, index + len(phrase.split()), code, phrase))
    spans = [
        span
        for span in spans
        if not any(
            other[0] <= span[0] and span[1] <= other[1] and other[1] - other[0] > span[1] - span[0]
            for other in spans
        )
    ]
    spans.sort()
    best: str | None = None
    previous_end = 0
    for index, end, code, phrase in spans:
        reach = max(previous_end, index - 4)
        previous_end = max(previous_end, end)
        window = tokens[max(reach, index - 2) : index]
        negated = any(t in NEGATORS for t in window) and ("no" not in window or window[-1] == "no")
        if negated or _unwanted(tokens[reach:index]) or _compared_away(tokens[:index]):
            continue
        following = tokens[end : end + 1]
        if phrase == "credit" and following in (["card"], ["cards"]):
            continue  # "back to my credit card" is a refund
        if code == "replacement" and {"return", "returning"} & set(
            tokens[max(0, index - 2) : index]
        ):
            continue  # "I'd like to return another one": another item, not a replacement
        best = code
    if best is None and _VARIANT.search(" ".join(words(text))):
        return "replacement"
    return best


def _compared_away(before: list[str]) -> bool:
    """Is the phrase the one given up in a comparison ("credit instead of a refund", "a
    replacement rather than cash")?"""
    near = before[-3:]
    while near and near[-1] in ("a", "the", "my", "getting", "having", "some"):
        near = near[:-1]
    return near[-1:] in (["than"], ["over"]) or near[-2:] == ["instead", "of"]


def _unwanted(before: list[str]) -> bool:
    said = " ".join(before)
    return any(p in said for p in ("don't want", "do not want", "rather not", "instead of"))


def resolution_from_choice(value: str) -> str | None:
    key = " ".join(words(value)).replace(" ", "_")
    if key in RESOLUTION_LABELS:
        return key
    return find_resolution(value)
