"""What the customer wants from this message besides the details it carries.

- ``human``: to talk to a person.
- ``status``: where an existing return or refund stands.
- ``policy``: a question about the returns policy; ``policy_topics`` says which part.
- ``cancel``: to drop what is in progress ("never mind", "forget it", "cancel my return").
- ``restart``: to start over.
- ``return``: to send something back (also implied by a reason).
- ``greeting``, ``thanks``: small talk.
- ``photo_later``: the photo will come later.
"""

from __future__ import annotations

import re

from graph.understanding.text import correct, has_phrase, words

HUMAN = (
    r"\b(?:talk|speak|chat|connect|transfer|put|get|pass)\w*\s+(?:me\s+)?(?:to|with|through to)\s+"
    r"(?:a|an|the|your|some|real|actual|live)?\s*(?:real\s+|actual\s+|live\s+)?"
    r"(?:human|person|people|someone|somebody|agent|representative|rep|manager|owner|staff|"
    r"operator|support|customer service|team|employee|supervisor)\b",
    r"\b(?:real|actual|live)\s+(?:human|person|agent|people)\b",
    r"\bhuman\s+(?:being|agent|please|help)\b",
    r"^\s*(?:a\s+)?(?:human|agent|person|representative|operator)(?:\s+please)?\s*[.!?]*\s*$",
    r"\bcustomer\s+(?:service|support|care)\b",
    r"\b(?:call|phone|ring)\s+me\b",
    r"\bescalate\b",
    r"\bcomplaint\b",
    r"\b(?:is there|can i get|i want|i need|i'd like)\s+(?:a|an|to speak to a)?\s*"
    r"(?:human|person|agent|manager)\b",
)
STATUS = (
    r"\bwhere(?:'s| is| are)?\s+(?:my|the|our)\s+(?:refund|money|return|credit|replacement|"
    r"label|package|parcel|case|reimbursement)\b",
    r"\bstatus\b",
    r"\bany\s+(?:news|update|updates|progress)\b",
    r"\bupdate on\b",
    r"\bwhat(?:'s| is)\s+(?:happening|going on)\b",
    r"\bwhat happened (?:to|with)\b",
    r"\bhow(?:'s| is)\s+my\s+(?:return|refund|case)\b",
    r"\b(?:when|how long)\s+(?:will|until|till|do|does|before)\s+(?:i|my)\s+"
    r"(?:get|receive|see|refund|money|credit)\b",
    r"\b(?:did|have|has)\s+(?:you|they|the supplier|it|my return|my refund|my money)\s+"
    r"(?:get|got|received|receive|arrive|arrived|been|issued|processed|come|sent)\b",
    r"\b(?:still|been)\s+waiting\b",
    r"\bhaven't (?:heard|received|got|gotten)\b",
    r"\bcheck\s+(?:on\s+)?(?:my|the)\s+(?:return|refund|case|status)\b",
    r"\btrack(?:ing)?\b",
    r"\bis my (?:refund|return|money|credit)\b",
    r"\bwhere do i (?:find|get) (?:the|my) label\b",
    r"\bhave i been refunded\b",
    r"\bmy (?:existing|open|current|previous) return\b",
)
CANCEL = (
    r"\bnever\s?mind\b",
    r"\bforget (?:it|about it|that)\b",
    r"\bcancel\b",
    r"\bi(?:'ll| will)\s+keep\s+(?:it|them)\b",
    r"\b(?:don't|do not|no longer)\s+want\s+to\s+(?:return|send)\b",
    r"\bdon't\s+bother\b",
    r"\bscrap that\b",
)
RESTART = (r"\bstart (?:over|again)\b", r"\brestart\b", r"\bfrom the (?:start|beginning)\b")
RETURN = (
    r"\breturn(?:s|ing)?\b",
    r"\bsend (?:it|them|this|something|an item|the \w+) back\b",
    r"\bsend back\b",
    r"\bship (?:it|them) back\b",
    r"\bgive (?:it|them) back\b",
    r"\bproblem with\b",
    r"\bissue with\b",
    r"\bcomplain\b",
    r"\bwant (?:a|my) (?:refund|money back|replacement|exchange)\b",
)
GREETING = (r"^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|greetings|yo)\b",)
THANKS = (r"\b(?:thanks|thank you|thx|cheers|ty|much appreciated)\b",)
PHOTO_LATER = (
    r"\b(?:photo|picture|pic|image)\b.*\b(?:later|tomorrow|afterwards|after)\b",
    r"\b(?:no|don't have a|can't take a|cannot take a)\s+(?:photo|picture|pic|camera)\b",
    r"\bsend (?:it|one) later\b",
)
POLICY_TOPICS: dict[str, tuple[str, ...]] = {
    "window": (
        r"\bhow (?:long|many days) (?:do i have|have i got|can i)\b",
        r"\b(?:return|refund)\s+(?:window|period|deadline|time limit)\b",
        r"\btime limit\b",
        r"\bdeadline\b",
        r"\bhow many days\b",
        r"\bwithin how\b",
        r"\bhow long (?:is|for) (?:the )?returns?\b",
        r"\bdays to return\b",
    ),
    "shipping": (
        r"\bwho pays\b",
        r"\b(?:return )?(?:shipping|postage|label|delivery)\s+"
        r"(?:cost|costs|fee|fees|charge|free)\b",
        r"\bpay for (?:the )?(?:return )?(?:shipping|postage|label|delivery)\b",
        r"\bfree returns?\b",
        r"\bdo i (?:have to|need to) pay\b",
        r"\bcost (?:me )?(?:anything|money)\b",
        r"\bis (?:the )?return (?:shipping|label) free\b",
        r"\bhow much (?:is|does) (?:the )?(?:return|label|shipping)\b",
    ),
    "photo": (r"\b(?:need|have|required?) (?:to send |to upload |to take )?a (?:photo|picture)\b",),
    "store_credit": (r"\bstore credit\b.*\b(?:bonus|extra|more|worth)\b", r"\bbonus\b"),
    "final_sale": (r"\bfinal sale\b", r"\bclearance\b"),
    "refund_time": (
        r"\bhow long (?:does|do|will) (?:a |the |my )?refunds? take\b",
        r"\bhow (?:fast|quickly|soon)\b.*\brefund",
    ),
    "how": (
        r"\bhow (?:do|can) i (?:return|send)\b",
        r"\bwhat(?:'s| is) (?:your|the) (?:return|returns|refund) policy\b",
        r"\b(?:return|returns|refund) policy\b",
        r"\bcan i return\b",
        r"\bdo you (?:accept|take) returns\b",
    ),
}
_QUESTION_CUE = re.compile(r"\?|^(?:how|what|who|when|can|do|does|is|are|will|which)\b")
_VOCABULARY = (
    "refund",
    "return",
    "status",
    "person",
    "human",
    "agent",
    "cancel",
    "policy",
    "shipping",
    "representative",
    "manager",
    "replacement",
    "tracking",
)


def _any(patterns: tuple[str, ...], text: str) -> bool:
    return any(re.search(p, text) for p in patterns)


def read_intents(text: str) -> tuple[set[str], set[str]]:
    """The intents and the policy topics of a message."""
    joined = " ".join(correct(words(text), _VOCABULARY))
    intents: set[str] = set()
    if _any(HUMAN, joined) and not re.search(r"\bare you (?:a )?(?:human|person|bot)\b", joined):
        intents.add("human")
    if _any(STATUS, joined):
        intents.add("status")
    if _any(CANCEL, joined):
        intents.add("cancel")
    if _any(RESTART, joined):
        intents.add("restart")
    if _any(GREETING, joined):
        intents.add("greeting")
    if _any(THANKS, joined):
        intents.add("thanks")
    if _any(PHOTO_LATER, joined):
        intents.add("photo_later")
    topics = {topic for topic, patterns in POLICY_TOPICS.items() if _any(patterns, joined)}
    asks = bool(_QUESTION_CUE.search(joined)) or "?" in text
    if topics and (asks or "policy" in joined):
        intents.add("policy")
    else:
        topics = set()
    if _any(RETURN, joined) and not intents & {"status", "policy"}:
        intents.add("return")
    if has_phrase(joined, "return") and "policy" in intents and "status" not in intents:
        pass
    return intents, topics
