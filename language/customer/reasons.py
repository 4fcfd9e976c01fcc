"""Reason words to the reason codes of DESIGN.md.

Phrases are matched on whole words after typo correction; a phrase preceded by a negation
("it isn't broken") does not count. When several reasons are named, the first one mentioned
wins, except that a fault named anywhere beats a customer reason only when it comes first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from language.customer.text import (
    FUNCTION_WORDS,
    correct,
    find_phrase,
    has_phrase,
    negated_at,
    words,
)
from language.lexicon import REASON_LABELS

REASON_PHRASES: dict[str, tuple[str, ...]] = {
    "damaged": (
        "broke off",
        "broken off",
        "hole",
        "warped",
        "wrecked",
        "destroyed",
        "mangled",
        "bashed",
        "tore",
        "tear",
        "rip",
        "rips",
        "holes",
        "broken into",
        "in bits",
        "arrived broken",
        "came broken",
        "came in pieces",
        "arrived in pieces",
        "cracking",
        "crumbled",
        "melted",
        "bent out of shape",
        "smashed to bits",
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
        "frayed",
        "fraying",
        "peeling",
        "peeled",
        "gouged",
        "gouge",
        "rusted",
        "rusty",
        "water damaged",
        "soaked",
        "mouldy",
        "moldy",
        "faded",
        "splintered",
        "cracked open",
        "has a hole",
        "hole in",
        "stain",
        "stains",
    ),
    "defective": (
        "came off",
        "come off",
        "comes off",
        "coming off",
        "fell off",
        "falls off",
        "falling off",
        "came loose",
        "came undone",
        "fell out",
        "popped off",
        "wobbles",
        "wobbly",
        "not closing",
        "won't lock",
        "doesn't lock",
        "keep disconnecting",
        "keeps disconnecting",
        "keeps dropping",
        "keep dropping",
        "keeps crashing",
        "keep crashing",
        "keeps turning off",
        "keep turning off",
        "keeps switching off",
        "keeps shutting off",
        "keeps shutting down",
        "keeps cutting out",
        "keep cutting out",
        "keeps restarting",
        "keeps freezing",
        "keeps leaking",
        "keeps flickering",
        "keeps beeping",
        "keeps overheating",
        "stops working",
        "quit working",
        "quits working",
        "stopped charging",
        "won't stay on",
        "doesn't stay on",
        "won't hold a charge",
        "doesn't hold a charge",
        "doesn't hold charge",
        "battery dies",
        "battery is dead",
        "not function",
        "not functioning",
        "doesn't function",
        "does not function",
        "no function",
        "not work",
        "no work",
        "does nothing",
        "doesn't do anything",
        "won't start",
        "doesn't start",
        "won't open",
        "doesn't open",
        "won't close",
        "doesn't close",
        "don't turn on",
        "didn't turn on",
        "not turning on",
        "not turn on",
        "won't turn off",
        "doesn't turn off",
        "broken zipper",
        "zip broke",
        "stuck",
        "jammed",
        "defect",
        "defects",
        "manufacturing fault",
        "no power",
        "won't pair",
        "doesn't pair",
        "won't sync",
        "not connecting",
        "not charge",
        "not heat",
        "noisy",
        "makes a noise",
        "rattles",
        "overheating",
        "short circuit",
        "sparks",
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
        # A bad smell is a fault of the goods, not of the delivery.
        "smells",
        "smell",
        "smelly",
        "stinks",
        "stink",
        "reeks",
        "odour",
        "odor",
        "toxic smell",
        "chemical smell",
        # Wear that shows within days is a fault of the goods.
        "shedding",
        "sheds",
        "pilling",
        "bobbling",
        "blew",
        "burnt out",
        "burned out",
        "fused",
        "lost its colour",
        "lost its color",
        "lost its shape",
        "colour ran",
        "color ran",
        "colour runs",
        "color runs",
        # Unsafe goods are faulty goods.
        "unglued",
        "came unstuck",
        "delaminated",
        "delaminating",
        "dangerous",
        "unsafe",
        "hazard",
        "a hazard",
    ),
    "wrong_item": (
        "but you sent",
        "but i got",
        "but i received",
        "but got",
        "but received",
        "got sent",
        "you sent me a",
        "not mine",
        "not my order",
        "wrong article",
        "wrong variant",
        "wrong version",
        "wrong style",
        "wrong pattern",
        "wrong flavour",
        "wrong flavor",
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
        "different from the",
        "different than the",
        "different to the",
        "different from what",
        "different than what",
        "different to what",
        "different from your",
        "different than on",
        "totally different",
        "not conform",
        "not conforming",
        "does not correspond",
        "doesn't correspond",
        "not correspond",
        "is missing",
        "are missing",
        "was missing",
        "were missing",
        "missing the",
        "missing a",
        "missing some",
        "missing part",
        "missing piece",
        "not the same as the",
        "doesn't match the description",
        "does not match the description",
        "not matching the description",
        "not like described",
        "not like the description",
        "different than described",
        "different to the description",
        "different from the description",
        "not as expected",
        "looks cheap",
        "cheap looking",
        "different material",
        "colour is different",
        "color is different",
        "not the colour",
        "not the color",
        "thinner than",
        "smaller than expected",
        "smaller than i expected",
        "not like the pictures",
        "not like in the picture",
        "nothing like the",
        "not as shown",
        "missing parts",
        "missing pieces",
        "pieces missing",
        "parts missing",
        "incomplete",
        "not real",
        "knock off",
        "knockoff",
        "not genuine",
        "not original",
        "low quality",
        "terrible quality",
        "bad material",
        "not as described",
        "not as pictured",
        "not as advertised",
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
        # Sold as new, came used.
        "looks used",
        "already used",
        "been used",
        "second hand",
        "secondhand",
        "pre owned",
        "preowned",
        "opened before",
        "already opened",
        "been opened",
        "someone opened",
    ),
    "wrong_size": (
        "not the good size",
        "not good size",
        "not the correct size",
        "bad size",
        "size is not good",
        "size not good",
        "size doesn't match",
        "size does not match",
        "not right size",
        "not the right fit",
        "too snug",
        "too baggy",
        "way big",
        "way small",
        "size up",
        "size down",
        "larger size",
        "a bigger one",
        "a smaller one",
        "size too small",
        "size too big",
        "size is wrong",
        "not my size",
        "does not fits",
        "not fitting",
        "doesn't fits",
        "too lose",
        "too tite",
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
        "not my style",
        "don't love it",
        "don't want it",
        "don't want them",
        "no longer needed",
        "not needed anymore",
        "too expensive",
        "cheaper elsewhere",
        "found better",
        "bought another",
        "got one already",
        "already have one",
        "already have it",
        "duplicate order",
        "ordered by mistake",
        "rather have the money",
        "don't like the",
        "didn't like the",
        "not happy with",
        "not satisfied",
        "mind changed",
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
        "rather not keep",
        "doesn't suit",
        "not what i expected",
        "regret",
    ),
    "arrived_late": (
        "arrived too late",
        "came too late",
        "delivered too late",
        "after the event",
        "after the birthday",
        "after the wedding",
        "after the party",
        "after christmas",
        "missed the event",
        "missed the date",
        "missed my event",
        "too slow",
        "late arrival",
        "took a month",
        "took weeks to arrive",
        "shipping took",
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

# Reason words that only count as typed: typo correction would bend common words into them
# ("spell" into "smell", "stair" into "stain", "shaped" into "shape", "band" into "hand").
_AS_TYPED = frozenset(
    {
        "smell",
        "smells",
        "stain",
        "stains",
        "hand",
        "blew",
        "burnt",
        "burned",
        "fused",
        "sheds",
        "stink",
        "stinks",
        "reeks",
        "pilling",
        "bobbling",
        "hazard",
    }
)
VOCABULARY: tuple[str, ...] = tuple(
    sorted(
        {
            word
            for phrases in REASON_PHRASES.values()
            for phrase in phrases
            for word in phrase.split()
            if word.isalpha()
            and len(word) >= 4
            and word not in FUNCTION_WORDS
            and word not in _AS_TYPED
        }
    )
)

# Words that only name a reason when the whole message is about little else ("other").
_WEAK = {("other", "other"), ("arrived_late", "late")}
# Vague displeasure: names a reason only when no clearer one is said ("not happy with it, it's
# cracked" is damaged).
_SOFT = frozenset(
    {
        "not happy with",
        "not satisfied",
        "don't like",
        "do not like",
        "didn't like",
        "don't like the",
        "didn't like the",
        "not for me",
        "regret",
        "don't love it",
        "not my style",
        "not what i expected",
        "not as expected",
        "late",
        "delayed",
        "poor quality",
        "bad quality",
        "low quality",
        "terrible quality",
        "other",
    }
)


# What follows "too late" when it is about asking, not about the delivery.
_ABOUT_ASKING = re.compile(
    r"\s(?:to|for)\s(?:a\s|my\s)?(?:return|send|ask|cancel|exchange|refund|get a refund|"
    r"get my money|change)\b"
)


# What follows "instead of" / "rather than" when it compares resolutions, not items.
_PREFERENCE = re.compile(
    r"\s(?:the |a |my |getting |having )?(?:refund|refunds|money|cash|store credit|credit"
    r"|replacement|exchange|voucher|gift card|my money back|money back)\b"
)


@dataclass(frozen=True)
class ReasonMatch:
    code: str
    phrase: str
    position: int


# Shapes of a reason, beyond the fixed phrases: a thing that stops or refuses to do its job,
# a looks-word that is off from what was shown. Each is (code, pattern) on the folded words.
_SHOWN = (
    r"(?:listing|listings|photo|photos|picture|pictures|pic|pics|image|images|description"
    r"|website|site|ad|advert|advertisement|page|product page|shop|store|catalogue|catalog"
    r"|sample|swatch|video|shown|advertised|described|pictured|online|screen)"
)
_LOOKS = (
    r"(?:colou?r|colou?rs|finish|shade|tone|material|fabric|texture|pattern|print|design"
    r"|look|looks|style|wood|leather|metal|glaze|size chart|dimensions|measurements)"
)
_JOB = (
    r"(?:work|works|working|charge|charges|charging|turn on|turns on|power on|power up"
    r"|switch on|start|starts|boot|boots|connect|connects|pair|pairs|heat|heats|heat up"
    r"|cool|cools|spin|spins|light up|lights up|inflate|hold air|hold a charge|hold charge"
    r"|function|functions|run|runs|play|plays|print|prints|lock|locks|close|closes|seal"
    r"|seals|pump|pumps|blend|blends|cut|cuts|track|tracks|load|loads|read|reads)"
)
_LATE_UNIT = r"(?:minutes?|hours?|days?|weeks?|months?|ages)"
REASON_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "arrived_late",
        re.compile(
            rf"\b(?:\w+ )?{_LATE_UNIT} (?:too )?late\b"
            rf"|\b(?:a |like a |about a |over a |\w+ )?{_LATE_UNIT} after (?:you|it|the"
            rf" (?:date|deadline|day)|i was|we were)\b[^.!?]{{0,30}}\b(?:said|promised|due"
            rf"|expected|supposed|needed|told)\b"
            rf"|\b(?:arrived|came|delivered|got here|showed up|turned up|reached me)\b"
            rf"[^.!?|]{{0,25}}\b(?:late|after the (?:event|party|trip|wedding|birthday|date))\b"
            rf"(?! to (?:return|send|ask|cancel))"
            # "came 2 weeks after my move": a time after the customer's own date.
            rf"|\b(?:arrived|came|delivered|got here|showed up|turned up) (?:a |an |\w+ )?"
            rf"(?:days?|weeks?|months?) (?:after|past) (?:my|our|the|we|i)\b"
        ),
    ),
    (
        "damaged",
        re.compile(
            r"\b(?:in|into) (?:\d+|two|three|four|five|six|several|many|a few) "
            r"(?:pieces|bits|parts|halves)\b|\bin half\b"
        ),
    ),
    (
        "not_as_described",
        re.compile(
            r"\bnot\b[^.!?]{0,40}\bas (?:described|advertised|pictured|shown|listed|stated"
            r"|promised|in the (?:photos?|pictures?|listing|description|ad))\b"
        ),
    ),
    (
        "wrong_item",
        re.compile(
            r"\b(?:sent|send|shipped|delivered|gave|got|received|recieved|mailed)"
            r" (?:me |us )?(?:the |a |an |some )?wrong (?!size|fit)\w*"
            r"|\bwrong (?:product|item|thing|things|stuff|article|parcel|package|order|model"
            r"|colou?r|version|one)\b(?! size)"
            r"|\b(?:i |we )?(?:ordered|bought|wanted|asked for|paid for) (?:a |an |the |some )?"
            r"[a-z ]{2,30}(?:,| but| and)? (?:got|received|recieved|they sent|you sent|came)"
            r" (?:a |an |the |some )?[a-z]"
        ),
    ),
    (
        "wrong_size",
        re.compile(
            r"\b(?:fits?|fitted|runs?|came up) (?:like|more like|as) (?:a |an )?(?:size )?\w+\b"
            r"|\b(?:one|a|half a|1) size (?:smaller|bigger|larger|up|down)\b"
            r"|\b(?:a |the )?(?:bigger|smaller|larger|next) (?:size|one)\b"
            r"|\b(?:swap|exchange|change)\w* (?:it |them )?(?:for|to|into) (?:a |the )?"
            r"(?:bigger|smaller|larger|bigger size|smaller size|size \w+)\b"
            r"|\b(?:runs|run|running|came|comes|come) (?:too |very |really |a bit |way )?"
            r"(?:small|big|large|tight|narrow|wide)\b"
        ),
    ),
    (
        "defective",
        re.compile(
            rf"\b(?:stopped|stops|quit|quits|quitted|ceased|ceases|refuses to|refused to"
            rf"|fails to|failed to|unable to|won't|wont|will not|doesn't|doesnt|does not"
            rf"|didn't|didnt|did not|can't|cant|cannot|couldn't|never|no longer|not)"
            rf" (?:to |even |properly |anymore |at all |really |ever )?{_JOB}\b"
            # Something that stops or cuts out after a while: "stops after 5 minutes".
            r"|\b(?:gets|got|getting|runs|gone) (?:too |very |super |really |extremely |so )?"
            r"(?:hot|overheated)\b"
            r"|\b(?:and|then) (?:then )?(?:switches|turns|shuts|cuts|goes) (?:off|out)\b"
            r"|\band (?:then )?(?:just )?(?:stops|stopped|dies|died|quits|conks out)\b"
            r"|\bmakes? (?:a |an |this |such a |some )?(?:\w+ )?(?:noise|noises|racket|whine"
            r"|grinding sound|buzzing|buzz|clicking)\b"
            r"|\b(?:stops|stopped|cuts out|cut out|turns off|turned off|switches off|shuts off"
            r"|shut off|shuts down|shut down|dies|died|goes off|went off)"
            r" (?:after|within|every|randomly|by itself|on its own)\b"
        ),
    ),
    (
        "defective",
        re.compile(
            r"\b(?:it's|its|it is|is|was|it was|a|total|complete|absolute|real) "
            r"(?:a )?(?:dud|lemon|dead|doa|kaput|faulty|duff|useless|junk|broken down)\b"
            r"|\b(?:died|dies|dead on arrival|gave up|gave out|packed up|packed in|konked out"
            r"|conked out|crapped out|gave up the ghost|went dead|went kaput|fried|fizzled out)\b"
            r"|\bquit(?:s)?(?: on me)?(?: after| within| in| the| on)\b"
            # "dead" is a thing that does not work whatever comes before it ("kettle dead after
            # 3 days", "dead piece"), but not a deadline or a dead end.
            r"|\bdead\b(?! ?line| end| set| easy| simple| serious| on time)"
        ),
    ),
    (
        "not_as_described",
        re.compile(
            rf"\b{_LOOKS}\b[^.!?]{{0,40}}\b(?:nothing like|not like|unlike|way off|off from"
            rf"|different (?:from|than|to)|doesn't match|does not match|don't match"
            rf"|not match|isn't|is not|wasn't|not the same as|differs from|not as|looks nothing)"
            rf"\b[^.!?]{{0,30}}\b{_SHOWN}\b"
            rf"|\b(?:nothing like|not like|unlike|doesn't match|does not match|don't match"
            rf"|doesn't look like|does not look like|didn't look like|looks nothing like"
            rf"|not what was|not as|different (?:from|than|to)|far from|misrepresented"
            rf"|misleading|false advertising|mis-?described|nothing close to)"
            rf" (?:the |what (?:was |is )?|in the |on the |its |it's )?{_SHOWN}\b"
            # What was shown, then what came: "in the photo it was grey, i got beige".
            rf"|\b(?:in|on) the {_SHOWN}\b[^.!?|]{{0,30}}\b(?:but )?(?:i|we) "
            rf"(?:got|received|recieved)\b"
            # What the listing said, then what came: "site said its wood but its plastic".
            rf"|\b{_SHOWN} (?:said|says|showed|shows|claimed|claims|stated|states|promised)\b"
            rf"[^.!?|]{{0,40}}\bbut\b"
            # A comparison with what was shown: "much smaller than it looked on the photos",
            # "cloudy, not clear like the photo", "not what u advertised".
            rf"|\b(?:smaller|bigger|larger|thinner|thicker|shorter|longer|darker|lighter|duller"
            rf"|brighter|cheaper|flimsier|heavier|different|worse|uglier|paler) than"
            rf" (?:[a-z0-9']+ ){{0,4}}{_SHOWN}\b"
            rf"|\bnot (?:\w+ )?like (?:the |in the |on the |it (?:was |is )?(?:in |on )?the )?"
            rf"{_SHOWN}\b"
            rf"|\bnot what (?:you |u |they |was |is |it |the )?{_SHOWN}\b"
            rf"|\b{_LOOKS} (?:is |was |are |were |looks |seems )?(?:totally |completely |way |a bit"
            rf" |slightly |very |so )?(?:off|wrong|different|weird|not right|not the same)\b"
        ),
    ),
)


def _shaped(joined: str) -> list[ReasonMatch]:
    found = []
    for code, pattern in REASON_SHAPES:
        match = pattern.search(joined)
        if match:
            index = joined[: match.start()].count(" ")
            found.append(ReasonMatch(code=code, phrase=match.group(), position=index))
    return found


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
            starts_negative = phrase.split()[0] in ("not", "no", "never") or "'t" in phrase
            for occurrence in find_phrase(joined, phrase):
                index = joined[: occurrence.start()].count(" ")
                if not starts_negative and negated_at(tokens, index):
                    continue
                if "late" in phrase and _ABOUT_ASKING.match(joined[occurrence.end() :]):
                    continue  # "is it too late to return?" asks about the window
                if phrase.endswith(("instead of", "rather than", "than")) and _PREFERENCE.match(
                    joined[occurrence.end() :]
                ):
                    continue  # "a new one instead of the refund" picks a resolution
                match = ReasonMatch(code=code, phrase=phrase, position=index)
                if code not in found or index < found[code].position:
                    found[code] = match
                break
    # The shapes read the words as typed too: typo correction may bend a short word ("even").
    for shaped in _shaped(joined) + _shaped(" ".join(words(text))):
        if shaped.code not in found or shaped.position < found[shaped.code].position:
            found[shaped.code] = shaped
    matches = sorted(found.values(), key=lambda m: m.position)
    clear = [m for m in matches if m.phrase not in _SOFT]
    return clear or matches


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
