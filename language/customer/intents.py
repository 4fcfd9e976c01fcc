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
from functools import cache

from language.customer.text import correct, fold, words

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
    r"\b(?:get|give|find|want|need|fetch|bring)\s+(?:me\s+)?(?:a|an|the|some|your)\s+"
    r"(?:human|person|agent|manager|real one|supervisor|boss|representative|rep|owner)\b",
    r"\b(?:someone|somebody|anyone|anybody|person|human)\b[^|]{0,30}\bnot an? "
    r"(?:bot|robot|machine|ai|computer)\b",
    r"\b(?:are|r) (?:you|u) (?:just )?an? (?:bot|robot|machine)\b.*\b(?:human|person)\b",
    r"\bcomplaint\b",
    # "put me through to a member of staff", "someone from your team"
    r"\b(?:member|members) of (?:the |your )?(?:staff|team|support|customer service)\b",
    r"\b(?:someone|somebody|anyone) (?:from|on|in) (?:the |your )?(?:staff|team|support|office)\b",
    r"\b(?:is there|can i get|i want|i need|i'd like)\s+(?:a|an|to speak to a)?\s*"
    r"(?:human|person|agent|manager)\b",
)
# Things a return ends in or travels as: what a status question asks about.
_ABOUT = (
    r"(?:refund|refunds|money|return|returns|credit|replacement|label|package|parcel|case|"
    r"reimbursement|payment|exchange|voucher|box|item|order|request)"
)
# How a question asks whether something has happened yet.
_HAPPENED = (
    r"(?:gone through|go through|went through|come through|came through|processed|issued|"
    r"sent|received|arrived|arrive|done|approved|accepted|completed?|finished|back|ready|"
    r"through|paid|refunded|credited|started|ok|okay|on (?:its|it's|the) way|been \w+)"
)
# The start of a sentence, after filler words ("so", "hi", "ok and").
_ASKS = r"(?:^|\| )(?:(?:so|and|but|ok|okay|also|then|um|uh|hmm|well|oh|hi|hello|hey|just)\s+)*"
STATUS = (
    r"\bwhere(?:'s| is| are)?\s+(?:my|the|our)\s+(?:refund|money|return|credit|replacement|"
    r"label|package|parcel|case|reimbursement|voucher|new one)\b",
    r"\bstatus\b",
    r"\bany\s+(?:news|update|updates|progress|word)\b",
    r"\b(?:update|news) (?:on|about)\b",
    r"^\s*(?:any )?(?:news|update|updates)(?: (?:please|pls|plz))?\s*$",
    r"\b(?:refund|refunds|money|credit|replacement|label|parcel|package|reimbursement)\b"
    r"(?: \w+){0,3} yet\b",
    r"\b(?:still|yet) no (?:refund|money|credit|replacement|label|news|word|update)\b",
    r"\bany luck with\b",
    r"\bwhen(?:'s| is) (?:my|the) (?:refund|money|credit|replacement|label)\b",
    r"\bwhere (?:are|r) (?:we|things) (?:with|on)\b",
    rf"{_ASKS}(?:is|are|was|has|have) (?:it|they|this|that) (?:been )?(?:refunded|refund|credited|"
    r"replaced|processed|approved|done|sorted|received|shipped|sent)\b",
    r"^\s*(?:got|get|getting) my (?:refund|money|credit|replacement)\b",
    r"\bwhat(?:'s| is)\s+(?:happening|going on)\b",
    r"\bwhat happened (?:to|with)\b",
    r"\bhow(?:'s| is| are)\s+(?:my|the)\s+(?:return|refund|case|returns|exchange)\b",
    r"\bhow (?:is it|it's) going\b",
    r"\b(?:when|how long)\s+(?:will|until|till|do|does|before|should|am|is|are)\s+(?:i|my|we)"
    r"(?:\s+be)?\s+(?:get|receive|see|refund|money|credit|refunded|paid|reimbursed|hear|"
    r"getting|receiving|replacement|label|new)\b",
    r"\bwhen (?:will|is|are|does) (?:my|the) (?:refund|money|credit|replacement|label|new one)\b",
    r"\b(?:did|have|has)\s+(?:you|they|the supplier|it|my return|my refund|my money|the refund|"
    r"the money|the return|my parcel|the parcel|my package|the package|my credit|the credit)\s+"
    r"(?:get|got|gotten|received|receive|arrive|arrived|been|issued|processed|come|sent|"
    r"gone|go|went|came|reached)\b",
    # A question that starts a sentence: "has my refund gone through", "was the money sent".
    rf"{_ASKS}(?:did|have|has|was|were|is|are)\s+(?:\w+\s+){{0,3}}?{_ABOUT}\s+"
    rf"(?:\w+\s+){{0,3}}?{_HAPPENED}\b",
    rf"{_ASKS}(?:did|have|has)\s+(?:i|we)\s+(?:\w+\s+)?(?:get|got|gotten|received|receive|been)\s+"
    rf"(?:\w+\s+){{0,3}}?(?:{_ABOUT}|refunded|paid|credited|reimbursed)\b",
    r"\b(?:still|been)\s+waiting\b",
    r"\babout (?:my|the|our) (?:refund|return|money|credit|replacement|case|parcel|package|"
    r"label|exchange)\b(?! (?:policy|window|period|rules|address))",
    r"\bhow much (?:did|have|will|do|was|is|has) (?:i|my|the|it)\b.*\b(?:get|got|receive|"
    r"received|refund|refunded|back|credit|credited|paid)\b",
    r"\bi(?:'ve| have)?\s+(?:already\s+|just\s+)?(?:posted|mailed|shipped|sent|dropped off|"
    r"returned|handed in)\s+(?:it|them|the|my|your|back)\b",
    r"\b(?:dropped|dropped it|dropped them) off\b",
    r"\bhaven't (?:heard|received|got|gotten|seen)\b",
    r"\b(?:no|not) (?:heard|received|got|gotten|seen) (?:anything|my|the|a)\b",
    r"\bcheck\s+(?:on\s+)?(?:my|the)\s+(?:return|refund|case|status|parcel|package)\b",
    r"\btrack(?:ing)?\b",
    r"\bis my (?:refund|return|money|credit)\b",
    r"\b(?:where|how) (?:do|can) i (?:find|get|download|print) (?:the|my) (?:return )?label\b",
    r"\b(?:send|resend|email) (?:me )?(?:the|my) (?:return )?label\b",
    r"\b(?:the|my) (?:return )?label (?:again|please)\b",
    r"^\s*(?:the |my )?(?:return )?label\s*\??\s*$",
    r"\bhave i been (?:refunded|paid|credited|reimbursed)\b",
    r"\bmy (?:existing|open|current|previous|last|earlier) (?:return|refund|case|request)\b",
    r"\bwhat (?:now|next)\b|\bwhat(?:'s| is| are) the next steps?\b",
    r"\bwhat do i (?:do|have to do|need to do) (?:now|next)\b",
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
    r"\bgive (?:it|them)? ?back\b",
    r"\bproblem with\b",
    r"\bissue with\b",
    r"\bcomplain\b",
    r"\bwant (?:a|my) (?:refund|money back|replacement|exchange)\b",
)
GREETING = (r"^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|greetings|yo)\b",)
THANKS = (
    r"\b(?:thanks|thank you|thx|cheers|ty|much appreciated)\b",
    r"^\s*(?:ok |okay |great |perfect )?(?:bye|goodbye|good bye|bye bye|see you|see ya|cya|"
    r"have a (?:nice|good|great) (?:day|evening|one)|that's all|that is all)\b",
)
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
        r"\btoo late to (?:return|send|get)\b",
        r"\bcan i still (?:return|send)\b",
        r"\bhow late can i\b",
        r"\b(?:return|send|bring)\w* (?:\w+ ){0,3}(?:after|past|beyond|later than) "
        r"(?:\d+|a|one|two|three|four|thirty) (?:days?|weeks?|months?)\b",
        r"\b(?:last|latest|final) (?:day|date)\b",
        r"\bhow long (?:have i got|do i get|is the window)\b",
        r"\b(?:by|until|till) when\b",
        r"\bwhen (?:is|does) (?:the )?(?:return|window|deadline|cut ?off)\b",
        r"\bcut ?off\b",
    ),
    "amounts": (
        r"\bwhat (?:will|would|do|did|can) i (?:actually |really )?get back\b",
        r"\bhow much (?:will|would|do|can|money|of it) (?:i )?(?:get|be )?"
        r"(?:back|refunded|returned)?\b",
        r"\b(?:full|whole|entire|partial) (?:refund|amount|price)\b",
        r"\b(?:take|keep|deduct|subtract|charge)\w* (?:\w+ ){0,2}(?:for|off) "
        r"(?:the )?(?:shipping|postage|label|return)\b",
        r"\brefund (?:go|goes|going|be|paid|sent)? ?(?:back )?to (?:my )?"
        r"(?:card|paypal|bank|account|original)\b",
        r"\b(?:paypal|card|bank) or\b.*\b(?:card|paypal|bank|credit|voucher|gift card|coupon)\b",
        r"\b(?:voucher|store credit|gift card|coupon|credit) or\b.*\b(?:card|paypal|bank|money"
        r"|cash|refund)\b",
        r"\bwhere (?:does|will) (?:the |my )?(?:refund|money)\b",
    ),
    "shipping": (
        r"\bwho pays\b",
        r"\b(?:return )?(?:shipping|postage|label|delivery)\s+"
        r"(?:cost|costs|fee|fees|charge|free)\b",
        r"\bpay for (?:the )?(?:return )?(?:shipping|postage|label|delivery)\b",
        r"\bfree returns?\b",
        r"\breturns? (?:are |is )?(?:free|free of charge)\b",
        r"\bpay (?:for )?(?:the )?(?:return )?"
        r"(?:shipping|postage|label|delivery|to send it back)\b",
        r"\bwho covers\b",
        r"\b(?:do|will|does|would) (?:you|the store|the shop|they) (?:cover|pay for|refund)"
        r" (?:the )?(?:return )?(?:shipping|postage|label|delivery)\b",
        r"\bwho (?:is )?(?:paying|pays|covers|covering) (?:for )?(?:the )?"
        r"(?:shipping|postage|label|return)\b",
        r"\b(?:shipping|postage|label) (?:back )?(?:on me|on you|on us)\b",
        r"\b(?:shipping|postage|label) (?:back )?(?:is |be )?(?:free|paid|covered)\b",
        r"\bsend (?:it|them) back for free\b",
        r"\bdo i (?:have to|need to) pay\b",
        r"\bcost (?:me )?(?:anything|money)\b",
        r"\bis (?:the )?return (?:shipping|label) free\b",
        r"\bhow much (?:is|does) (?:the )?(?:return|label|shipping)\b",
    ),
    "photo": (r"\b(?:need|have|required?) (?:to send |to upload |to take )?a (?:photo|picture)\b",),
    "store_credit": (
        r"\b(?:store |shop )?credit\b.*\b(?:bonus|extra|more|worth)\b",
        r"\b(?:bonus|extra|more|worth)\b.*\b(?:store|shop) credit\b",
        r"\bbonus\b",
    ),
    "final_sale": (r"\bfinal sale\b", r"\bclearance\b"),
    "fees": (r"\brestocking\b", r"\b(?:any|extra|hidden|return) (?:fees?|charges?)\b"),
    "refund_time": (
        r"\bhow long (?:does|do|will|would) (?:a |the |my )?refunds? (?:\w+ )?take\b",
        r"\bhow (?:fast|quickly|soon)\b.*\brefund",
        r"\bhow long (?:does|do|will|would) (?:it|they|you) take\b.*"
        r"\b(?:refund|money|credit|back)\b",
        r"\bhow (?:many days|long) (?:for|until|till|before) (?:a |the |my )?(?:refund|money)\b",
    ),
    "how": (
        r"\bhow (?:do|can) i (?:return|send)\b",
        r"\bhow (?:to|does one|do you) "
        r"(?:return|send (?:it|something|an item) back|make a return)\b",
        r"\bwhat(?:'s| is) (?:your|the) (?:return|returns|refund) policy\b",
        r"\b(?:return|returns|refund) policy\b",
        r"\bcan i return\b",
        r"\bdo you (?:accept|take) returns\b",
        r"\b(?:possible|allowed|able|ok|okay|alright) to (?:return|send back|exchange|send it back"
        r"|send them back)\b",
        r"\bhow (?:do|does|will) (?:the |your )?(?:refunds?|returns?|exchanges?|store credit)"
        r" (?:work|happen|go)\b",
    ),
}
_QUESTION_CUE = re.compile(
    r"\?|(?:^|\| )(?:(?:so|and|but|ok|also|then|hi|hello|hey)\s+)*"
    r"(?:how|what|who|when|can|could|do|does|is|are|will|would|which|should|if)\b"
)
VOCABULARY = (
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


# A money or parcel word alone with a question mark asks where it is ("my refund?").
_BARE_ASK = re.compile(
    r"^\s*(?:(?:and|so|um|hi|hello|hey|ok)\W*\s*)*(?:my|our) (?:refund|money|credit|replacement"
    r"|return|parcel|package|label|exchange)\s*\?+\s*$"
)


def _any(patterns: tuple[str, ...], text: str) -> bool:
    return any(_compiled(p).search(text) for p in patterns)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # Compiled once: with every other pattern of the process, ``re``'s own cache (512) is
    # too small to keep these between two messages.
    return re.compile(pattern)


def read_intents(text: str) -> tuple[set[str], set[str]]:
    """The intents and the policy topics of a message."""
    # Sentences are kept apart by " | " so a pattern never runs from one into the next.
    sentences = [part for part in re.split(r"[.!?;\n]+", fold(text)) if part.strip()]
    joined = " | ".join(" ".join(correct(words(part), VOCABULARY)) for part in sentences)
    intents: set[str] = set()
    if _any(HUMAN, joined) and not re.search(r"\bare you (?:a )?(?:human|person|bot)\b", joined):
        intents.add("human")
    if _any(STATUS, joined) or _BARE_ASK.match(fold(text)):
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
    return intents, topics
