"""What the customer wants back: refund, store credit or a replacement."""

from __future__ import annotations

from graph.understanding.text import correct, has_phrase, negated_at, words

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
    ),
}

RESOLUTION_LABELS = {
    "refund": "Refund to my original payment",
    "store_credit": "Store credit",
    "replacement": "A replacement",
}

VOCABULARY: tuple[str, ...] = tuple(
    sorted(
        {
            word
            for phrases in RESOLUTION_PHRASES.values()
            for phrase in phrases
            for word in phrase.split()
            if len(word) >= 5
        }
    )
)


def find_resolution(text: str) -> str | None:
    """The resolution asked for, the last one named winning ("refund... no, store credit")."""
    tokens = correct(words(text), VOCABULARY)
    joined = " ".join(tokens)
    best: tuple[int, str] | None = None
    for code, phrases in RESOLUTION_PHRASES.items():
        for phrase in phrases:
            if not has_phrase(joined, phrase):
                continue
            position = joined.index(phrase)
            index = joined[:position].count(" ")
            before = tokens[max(0, index - 2) : index]
            negated = negated_at(tokens, index, window=2) and (
                "no" not in before or before[-1] == "no"
            )
            if negated or _unwanted(tokens, index):
                continue
            following = tokens[index + len(phrase.split()) : index + len(phrase.split()) + 1]
            if phrase == "credit" and following in (["card"], ["cards"]):
                continue  # "back to my credit card" is a refund
            if best is None or index > best[0]:
                best = (index, code)
    return best[1] if best else None


def _unwanted(tokens: list[str], index: int) -> bool:
    before = " ".join(tokens[max(0, index - 4) : index])
    return any(p in before for p in ("don't want", "do not want", "rather not", "instead of"))


def resolution_from_choice(value: str) -> str | None:
    key = " ".join(words(value)).replace(" ", "_")
    if key in RESOLUTION_LABELS:
        return key
    return find_resolution(value)
