"""The words the offline rule compiler knows: filler, numbers, reasons, countries.

Kept apart from the grammar (``language/rules/patterns.py`` and its neighbours) so the
vocabulary can be read and extended on its own. Words left out of ``FILLER`` on purpose:
negations, "or", "unless", "but" and every word that changes what a rule means; left over,
they are refused.
"""

from __future__ import annotations

from functools import lru_cache

from language.lexicon import cardinals
from policies.models import FAULT_REASONS, Reason


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def phrases(text: str) -> list[str]:
    return [phrase.strip() for phrase in text.split("|") if phrase.strip()]


CUSTOMER_REASONS = frozenset(set(Reason) - FAULT_REASONS)

CONTRACTIONS = [
    (r"\blet(?:'s|\s+us)\s+not\b", "do not"),
    (r"\blet's\b", "let us"),
    (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "can not"),
    (r"\bcannot\b", "can not"),
    (r"\bshan't\b", "shall not"),
    (r"n't\b", " not"),
    (r"\bi'm\b", "i am"),
    # contractions typed without the apostrophe ("dont", "hasnt", "thats")
    (r"\b(do|did|does|has|have|had|is|are|was|were|should|would|could|must|need)nt\b", r"\1 not"),
    (r"\bwont\b", "will not"),
    (r"\bcant\b", "can not"),
    (r"\bthats\b", "that is"),
    (r"\bwanna\b", "want to"),
    (r"\bgonna\b", "going to"),
    (r"\b(?:pls|plz|plse)\b", "please"),
    (r"\bgimme\b", "give me"),
    (r"\bppl\b", "people"),
    (r"\bthru\b", "through"),
    (r"\b(?:em|'em)\b", "them"),
    # "cheaper then $7": "than" typed as "then" after a comparative
    (
        r"\b(cheaper|less|more|bigger|greater|higher|lower|smaller|pricier|fewer|longer|older)"
        r"\s+then\b",
        r"\1 than",
    ),
    # "its under $25", "says its broken": the verb, where a possessive cannot stand
    (
        r"\bits\s+(?=(?:under|over|above|below|more|less|cheaper|worth|a|an|the|been|not|broken"
        r"|damaged|faulty|defective|wrong|too|missing|scratched|dented|cracked)\b)",
        "it is ",
    ),
    (r"'re\b", " are"),
    (r"'ve\b", " have"),
    (r"'ll\b", " will"),
    (r"'d\b", " would"),
    (r"\b(it|that|there|what|he|she|who)'s\b", r"\1 is"),
    # "once a return's approved": the verb, not a possessive
    (
        r"\b(return|case|request|refund|order|item)'s\s+(?=(?:approved|accepted|denied|rejected"
        r"|been|over|under|more|less|worth)\b)",
        r"\1 is ",
    ),
    (r"'s\b", ""),
    (r"s'(?=\s)", "s"),
]

# Owners' own words for the documented vocabulary, rewritten before any pattern reads the
# text (after contractions, in lower case). Each says exactly what its replacement says, so
# a rewrite can never change what a rule does: words whose meaning depends on the sentence
# ("ping me" is a heads-up, not a hold) are left to the patterns. Amounts in slang ("a
# tenner", "half a grand") are read with the store's currency by the compiler.
OWNER_SLANG: list[tuple[str, str]] = [
    # moments: "when a return gets the green light" is the store approving it
    (
        r"\b(?:gets?|got|is\s+given|has\s+been\s+given)\s+(?:the\s+)?(?:green\s+light|go[\s-]ahead"
        r"|thumbs\s+up|nod|ok|okay)\b",
        "is approved",
    ),
    (r"\bpost[\s-]+delivery\b", "after delivery"),
    # "who've sent back 5 things": the customer's earlier returns
    (
        r"\bsent\s+back\s+(?=(?:more\s+than\s+|over\s+|at\s+least\s+|fewer\s+than\s+|less\s+than"
        r"\s+|under\s+)?\d)",
        "returned ",
    ),
    # "refund is fine but no need for the item back": the refund is the rule's action
    (r"\brefund(?:ing)?\s+(?:is|are)\s+(?:fine|ok|okay|good)\s*,?\s*(?:but\s+)?", "refund "),
    (
        r"\b(?:can\s+not|could\s+not|will\s+not)\s+be\s+bothered\s+with\s+(?:the\s+|a\s+)?"
        r"returns?\b",
        "without a return",
    ),
    (r"\bbefore\s+doing\s+anything\b", "first"),
    # "no refund for change of mind": a refusal, like "no refunds for ..."
    (r"\bno\s+refund\b(?!\s*,?\s*no\b)", "no refunds"),
    # "customer keeps it, full refund": the whole price back is what a refund is
    (r"\b(?:a\s+)?full\s+refund\b", "refund"),
    (r"\bsend\s+me\s+(?=the\s)", "send to me "),
    # actions
    (r"\bbounces?\b", "deny"),
    (r"\bbounced\b", "denied"),
    (r"\b(?:knock|turn)\s+(?:it|them|those|these)\s+back\b", "deny"),
    (
        r"\bsend\s+(?:me\s+)?(?:it|them|those|these|the\s+case|the\s+return)\s+(?:to\s+me\s+"
        r"|my\s+way\s+)?first\b",
        "send it to me",
    ),
    (
        r"\bsend\s+(?:me\s+)?(?:it|them|those|these|the\s+case|the\s+return)\s+my\s+way\b",
        "send it to me",
    ),
    (r"\bsend\s+me\s+(?:it|them|those|these|the\s+case|the\s+return)\b", "send it to me"),
    (
        r"\b(?:make|get|have)\s+(?:them|the\s+customer|customers?)\s+prove\s+(?:it|that|the"
        r"\s+\w+)\s+with\b",
        "require",
    ),
    (r"\bprove\s+(?:it|that)\s+with\b", "send"),
    (
        r"\b(?:make|get|have)\s+(?:them|the\s+customer|customers?)\s+prove\s+(?:it|that)\b",
        "require proof",
    ),
    # "no photo, no refund": the photo is the condition of the refund
    (
        r"\bno\s+(?:photos?|pics?|pictures?|proof)\s*,?\s*no\s+(?:refunds?|returns?|money)\b",
        "require a photo",
    ),
    (
        r"\b(?:send|pass|bring)\s+me\s+(?=(?:anything|everything|all|any|items?|returns?|orders?"
        r"|stuff|things?)\b)",
        "send to me ",
    ),
    (r"\bbefore\s+(?:we|i)\s+(?:do|touch|approve|refund)\s+anything\b", "first"),
    # "store credit, not cash back": the credit is instead of the refund
    (
        r"\b(store\s+credit)\s*,?\s*(?:and\s+|but\s+)?not\s+(?:cash|money|a\s+refund|refunds?)"
        r"(?:\s+back)?\b",
        r"\1 instead of a refund",
    ),
    # "anything returned over $200": the return, not an item
    (r"\b(?:anything|everything|whatever)\s+(?:returned|sent\s+back)\b", "returns"),
    # "proof (a photo)": the photo is the proof
    (r"\b(?:proof|evidence)\s*\(\s*(?:an?\s+)?(?:photos?|pics?|pictures?)\s*\)", "a photo"),
    (
        r"\bnot\s+worth\s+(?:the\s+)?(?:return\s+)?(?:postage|hassle|bother|effort|trouble|faff)"
        r"(?:\s+of\s+(?:a\s+)?returns?)?\b",
        "without a return",
    ),
    (r"\b(?:chuck|throw|bung|stick)\s+in\b", "give"),
    (r"\b(?:knock|take)\s+(?=\d+(?:\.\d+)?\s*(?:%|percent|per\s+cent)\s+off\b)", "give "),
    (
        r"\b(?:give\s+me\s+a\s+(?:shout|bell|buzz|ring)|shout\s+at\s+me|buzz\s+me|holler\s+at"
        r"\s+me)\b",
        "notify me",
    ),
    # a refusal said as an answer at the end of a clause: "change of mind after 14 days is a no"
    (
        r"(?:\s+(?:is|are)|\s*[-:,=])\s+(?:a\s+(?:hard\s+|flat\s+)?no|nope|a\s+no[\s-]go"
        r"|no[\s-]go|not\s+happening|not\s+a\s+chance)(?=\s*(?:[.!]|$))",
        " deny",
    ),
    # photos
    (r"\bpics?\s+or\s+it\s+did\s+not\s+happen\b", "require a photo"),
    (
        r"(?:^|(?<=[,:;.\-]\s))(?:an?\s+)?(?:photos?|pics?|pictures?)\s+(?=(?:for|on)\b)"
        # not when a negation follows ("photos for damaged items are not needed")
        r"(?!.*\b(?:not|no|never|nah|nope|without|none)\b)",
        "require a photo ",
    ),
    # quantities: "5 units or more" is "5 or more units"; "in one return" is what a quantity counts
    (
        r"\b(\d+)\s+(units?|pieces?)\s+(or\s+(?:more|less|fewer|over|under|above|below))\b",
        r"\1 \3 \2",
    ),
    (r"(?<=units)\s+in\s+(?:one|1|a\s+single|a|the\s+same)\s+return\b", " in a return"),
    # durations
    (r"\b(?:a\s+)?couple\s+(?:of\s+)?(?=(?:hours?|days?|weeks?|months?)\b)", "2 "),
]

# Number words, but not "one": an owner's "one" is filler ("any one item").
NUMBER_WORDS = cardinals(0, 90, without=("one",))

UNIT_WORDS = (
    r"(?:hours?|days?|weeks?|months?|years?|returns?|units?|items?|pieces?|percent|%|times"
    r"|orders?|dollars?|euros?|pounds?|bucks)"
)

FILLER = words(
    "a about add ahead all also always an and any anybody anyone anything are article articles as "
    "at auto automatically away be been being buyer buyers by can case cases claim claims client "
    "clients could create customer customers do does each every everybody everyone everything for "
    "from go goods here i if immediately in is it item items its just kindly make may merchandise "
    "must my myself of ok okay on once one ones only order orders our people person personally "
    "piece pieces please product products purchase purchases refunds request requests return "
    "returns right rule set shall shipment shipments shopper shoppers should simply so somebody "
    "someone straight stuff supplier suppliers that the their them then there these they thing "
    "things this those to too up us vendor vendors was we were when whenever where which who whose "
    "will with would you ! \" & ' ( ) , - . / : ; ? here's – — already arrive arrives come "
    "comes even"
)

# Words the tolerant reader never skips: each can flip or narrow what a rule does, so a
# rule with one of them left unread is refused with the word named.
MUST_PLACE = words(
    "not no never none nothing nobody nor neither or unless except excluding exclude besides "
    "but only instead rather than without under over below above more less fewer least most "
    "between within before after until since except apart outside non other others same "
    "last previous prior earlier new old half quarter third twice thrice double triple"
)

# Of those, the words that turn a rule round (or join two) when they are not placed.
FLIPPING = words(
    "not no never none nothing nobody nor neither or unless except excluding but without"
)

# Words of the rule vocabulary that say what a rule does; one left unread means a part of the
# rule was not placed, never filler.
CONTENT_WORDS = words(
    "refund refunds refunded refunding deny denied reject rejected refuse refused decline "
    "declined photo photos pic pics picture pictures image images proof evidence approval "
    "approve approved review reviewed credit voucher notify notified flag flagged hold held "
    "keep kept back price value total worth cost costs days weeks months delivery delivered "
    "bonus extra partial percent off discount message reason country countries abroad overseas "
    "international supplier's customer's quantity units times store cheap expensive big small "
    "high low"
)

# Nouns a rule is about: an unknown word just before one narrows it ("clearance items").
SUBJECT_NOUNS = (
    r"(?:items?|returns?|orders?|customers?|stuff|things?|products?|goods|suppliers?|vendors?"
    r"|buyers?|purchases?|ones|refunds?|cases?|claims?|shoppers?|clients?|people|units?)"
)

# Prepositions after which an unknown word is a qualifier ("on weekends", "during sales").
QUALIFYING_PREPOSITIONS = words("on during in at for from with by via through of to per")

# Conversational phrases around a rule that say nothing about what it does ("from now on",
# "let's", "make sure", "I want"). They are dropped only from what the phrase patterns left
# over, so a phrase in which such words mean something ("let me know", "I want to approve",
# "I want a photo") is read first. Never add a word that could change what a rule does.
FILLER_PHRASES = phrases(
    "from now on | from here on out | from here on | going forward | moving forward | "
    "starting now | starting today | starting immediately | as of now | as of today | "
    "effective immediately | effective today | from today | in the future | in future | "
    "for now | by default | as a rule | as standard | in general | generally | "
    "as a general rule | new policy | new rule | a new rule | let us have | let us get | "
    "can we have | can we get | we should have | let us | make sure | be sure | "
    "ensure | "
    "i want | i would like | i would love | i need | i think | i guess | i reckon | "
    "we want | we would like | we need | we should | can we | could we | can you | could you "
    "| would you | will you | please | basically | ok so | okay so | so | hey | hi | hello | "
    "thanks | thank you | cheers | actually | really | also | always | just | straight away | "
    "right away | straightaway | instantly | at once | automatically | "
    "no questions asked | i mean | every time | each time | any time | anytime | in full | "
    "fully | do this | do that | go ahead and | just go ahead and | go ahead | to be safe | "
    "in that case | in those cases | in such cases | in this case | if so | then"
)

# Reason words (DESIGN.md's examples and more), longest first when matched.
REASON_GROUPS: list[tuple[frozenset[Reason], str]] = [
    (
        frozenset({Reason.NOT_AS_DESCRIBED}),
        "different from the description | different from the picture | different from the photo | "
        "not as advertised | not as described | not as pictured | looks different | look "
        "different | not as shown | misdescribed | does not match the description | does not "
        "match the photos | does not match the photo | does not match the pictures | does not "
        "match the picture | does not match the listing | did not match the description | "
        "different than pictured | different than described | different from pictured | not like "
        "the picture | not like the photo | not like the pictures | not like the photos | does "
        "not look like the picture | does not look like the photo | does not look like the "
        "pictures | does not look like the photos | not what was advertised | not like the "
        "listing | not as in the picture | not as in the photo",
    ),
    (
        frozenset({Reason.WRONG_ITEM}),
        "not what the customer ordered | not what they ordered | sent the wrong item | sent the "
        "wrong one | not what i ordered | received the wrong item | got the wrong item | got "
        "the wrong product | received the wrong product | sent the wrong product | wrong "
        "product sent | wrong item sent | not what was ordered | incorrect items | wrong "
        "products | incorrect item | "
        "wrong product | wrong items | wrong thing | wrong item | wrong one",
    ),
    (
        frozenset({Reason.DAMAGED}),
        "small cosmetic defects | minor cosmetic defects | slight cosmetic defect | small "
        "cosmetic defect | minor cosmetic defect | small cosmetic damage | minor cosmetic damage "
        "| small cosmetic issue | minor cosmetic issue | small cosmetic flaw | minor cosmetic "
        "flaw | damaged in transit | cosmetic blemishes | broken in transit | cosmetic problems | "
        "broke in transit | damaged in shipping | damaged during shipping | damaged during "
        "transit | broken on arrival | arrived damaged | came damaged | came broken | arrived "
        "smashed | arrived cracked | "
        "cosmetic defects | cosmetic problem | cosmetic blemish | shipping damage | cosmetic "
        "damage | cosmetic defect | cosmetic issues | arrived broken | transit damage | cosmetic "
        "flaws | cosmetic issue | cosmetic flaw | shattered | scratched | scratches | blemishes | "
        "damaged | cracked | smashed | scratch | scuffed | chipped | crushed | blemish | damage | "
        "broken | cracks | dented | scuffs | ripped | crack | dents | dent | torn",
    ),
    (
        FAULT_REASONS,
        "not the customer fault | supplier fault | fault reasons | fault reason",
    ),
    (
        CUSTOMER_REASONS,
        "not the supplier fault | customer reasons | customer reason | customer fault",
    ),
    (
        frozenset({Reason.CHANGED_MIND}),
        "changed their mind | not needed anymore | changed your mind | changed his mind | changed "
        "her mind | no longer wanted | no longer needed | changed my mind | change of mind | "
        "change in mind | no longer want | no longer need | buyers remorse | does not need | "
        "buyer remorse | does not want | changed mind | did not want | mind change | do not need "
        "| do not want | not wanted | unwanted | no longer wants | no longer needs | does not "
        "like | did not like | do not like | ordered by mistake | ordered it by mistake | bought "
        "by mistake | bought it by mistake | second thoughts | mind changed | changes their mind "
        "| changes his mind | changes her mind | change their mind | change his mind | change "
        "her mind | regrets the purchase | not needed | no longer required",
    ),
    (
        frozenset({Reason.DEFECTIVE}),
        "does not turn on | will not turn on | stopped working | dead on arrival | malfunctioning "
        "| does not work | will not work | did not work | malfunctions | not working | do not "
        "work | falls apart | malfunction | came apart | fell apart | defective | defects | "
        "leaking | defect | faulty | leaks | leaky | doa | quit working | does not function | "
        "not functioning | manufacturing defect | manufacturing defects | factory defect | "
        "does not charge | will not charge | dead battery",
    ),
    (
        frozenset({Reason.ARRIVED_LATE}),
        "arrived too late | arrival was late | late deliveries | delivered late | late delivery | "
        "late arrivals | took too long | arrived late | late arrival | delivered too late | "
        "delayed delivery | delivery was late | delivery was delayed | shipping delay | shipping "
        "delays | came too late | came late | showed up late",
    ),
    (
        frozenset({Reason.WRONG_SIZE}),
        "sizing problems | size problems | sizing issues | size problem | sizing issue | does not "
        "fit | wrong sizes | wrong sized | size issues | did not fit | wrong size | size issue | "
        "do not fit | fit issues | too small | too large | too tight | too loose | poor fit | too "
        "big | bad fit | the size is wrong | the size was wrong | size is wrong | size was wrong | "
        "wrong fit | fits badly | fit badly | runs small | runs large | runs big | ran small | "
        "ran large | ran big | needs a different size | wants a different size | in the wrong "
        "size",
    ),
    (
        frozenset({Reason.OTHER}),
        "something else | other reasons | other reason | reason other",
    ),
]
REASON_PHRASES: list[tuple[str, frozenset[Reason]]] = sorted(
    ((phrase, reasons) for reasons, text in REASON_GROUPS for phrase in phrases(text)),
    key=lambda pair: -len(pair[0]),
)

COUNTRY_ALIASES = {
    "usa": "US",
    "the usa": "US",
    "the us": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "the u.s.": "US",
    "america": "US",
    "the united states": "US",
    "the states": "US",
    "uk": "GB",
    "the uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "the united kingdom": "GB",
    "holland": "NL",
    "the netherlands": "NL",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "vietnam": "VN",
    "taiwan": "TW",
    "iran": "IR",
    "turkey": "TR",
    "czech republic": "CZ",
    "czechia": "CZ",
    "hong kong": "HK",
    "the philippines": "PH",
    "the uae": "AE",
    "uae": "AE",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "laos": "LA",
    "syria": "SY",
    "moldova": "MD",
}

DEMONYMS = {
    "american": "US",
    "us": "US",
    "british": "GB",
    "uk": "GB",
    "chinese": "CN",
    "german": "DE",
    "french": "FR",
    "italian": "IT",
    "spanish": "ES",
    "portuguese": "PT",
    "dutch": "NL",
    "belgian": "BE",
    "swiss": "CH",
    "austrian": "AT",
    "swedish": "SE",
    "danish": "DK",
    "norwegian": "NO",
    "finnish": "FI",
    "polish": "PL",
    "irish": "IE",
    "canadian": "CA",
    "mexican": "MX",
    "brazilian": "BR",
    "japanese": "JP",
    "korean": "KR",
    "indian": "IN",
    "vietnamese": "VN",
    "thai": "TH",
    "turkish": "TR",
    "australian": "AU",
    "taiwanese": "TW",
    "indonesian": "ID",
    "pakistani": "PK",
    "bangladeshi": "BD",
    "malaysian": "MY",
    "filipino": "PH",
    "greek": "GR",
    "israeli": "IL",
}

COMMON_WORD_CODES = words(
    "AM AN AS AT BE BY DO GO HE HI ID IF IN IS IT ME MY NO OF OK ON OR SO TO UP WE"
)


@lru_cache(maxsize=1)
def country_words() -> dict[str, str]:
    """Lower-case country names (official, common and usual aliases) to ISO alpha-2."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names[str(value).lower()] = country.alpha_2
    names.update(COUNTRY_ALIASES)
    return names
