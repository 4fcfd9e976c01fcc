"""Reading a supplier's plain-word reply in a case thread, offline.

A reply is read for what it decides (approve, decline, inspected OK, problem found), for what
it asks (a question decides nothing and goes to the owner), and for the facts it carries: an
RMA number in its usual shapes ("RMA 55102", "rma#A-1234", "return auth 7781",
"ref: RMA-2024-0042") and a return address on one or several lines (``usaddress`` finds and
trims US addresses; a general reading of street, postcode and country lines serves the rest).

The reader never guesses a decision from a question ("can I approve without an RMA?" is a
question), and says "unclear" rather than pick between conflicting words. What it understood
is spelled out by :meth:`SupplierReading.understood`, so a misreading shows at once.
"""

from __future__ import annotations

import difflib
import html
import re
from typing import Literal

import usaddress
from pydantic import BaseModel

Intent = Literal["approve", "decline", "question", "inspected_ok", "inspected_failed", "unclear"]
Expecting = Literal["authorisation", "inspection", "any"]
DECISIONS = ("approve", "decline", "inspected_ok", "inspected_failed")


class SupplierReading(BaseModel):
    """What a supplier's reply says, as facts a deterministic step can check."""

    intent: Intent
    rma: str | None = None
    address: str | None = None
    note: str = ""
    question: str | None = None
    conditions: list[str] = []
    text: str = ""
    backend: str = "offline"

    def understood(self) -> str:
        """The reading in plain words, for the acknowledgement in the thread."""
        facts = []
        if self.rma:
            facts.append(f"RMA {self.rma}")
        if self.address:
            facts.append(f"return address {self.address}")
        tail = (", " + ", ".join(facts)) if facts else ""
        if self.intent == "approve":
            terms = f", on condition: {'; '.join(self.conditions)}" if self.conditions else ""
            return "Approved" + tail + terms
        if self.intent == "decline":
            return "Declined" + (f": {self.note}" if self.note else "")
        if self.intent == "inspected_ok":
            return "Inspected OK"
        if self.intent == "inspected_failed":
            return "Problem found" + (f": {self.note}" if self.note else "")
        if self.intent == "question":
            return f"A question for the store: {self.question or self.text}"
        return "Not sure what you meant" + (f" (I saw {', '.join(facts)})" if facts else "")


# -- cleaning ------------------------------------------------------------------------------

_EMOJI = {
    ":+1:": " approved ",
    ":thumbsup:": " approved ",
    ":white_check_mark:": " approved ",
    ":heavy_check_mark:": " approved ",
    ":ok:": " ok ",
    ":ok_hand:": " ok ",
    ":-1:": " declined ",
    ":thumbsdown:": " declined ",
    ":x:": " declined ",
    ":no_entry:": " declined ",
    ":no_entry_sign:": " declined ",
    "👍": " approved ",
    "✅": " approved ",
    "✔️": " approved ",
    "✔": " approved ",
    "👌": " ok ",
    "👎": " declined ",
    "❌": " declined ",
    "🚫": " declined ",
}


def clean_slack_text(text: str) -> str:
    """Slack's markup to plain text: links, mentions, entities, emphasis, emoji."""
    text = re.sub(r"<(?:mailto:)?[^|>]+\|([^>]+)>", r"\1", text)
    text = re.sub(r"<[@#!][^>]*>", " ", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = html.unescape(text)
    for code, words in _EMOJI.items():
        text = text.replace(code, words)
    text = re.sub(r":[a-z0-9_+\-]+:", " ", text)
    text = re.sub(r"(?<![\w*])[*_~`]+|[*_~`]+(?![\w*])", "", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u2013", "-").replace("\u2014", "-")
    return "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())


# -- RMA numbers ---------------------------------------------------------------------------

_RMA_LABEL = (
    r"(?:r\.?m\.?a\.?(?:\s*(?:number|num|no\.?|nr\.?|code|id))?"
    r"|return(?:s)?\s+(?:merchandise\s+)?auth(?:ori[sz]ation)?(?:\s*(?:number|num|no\.?|code|id))?"
    r"|return\s+(?:number|no\.?|nr\.?|code|#|id|ref(?:erence)?)"
    r"|ret\.?\s*(?:no\.?|nr\.?|#)"
    # German, Dutch, French, Spanish and Chinese labels from suppliers abroad
    r"|retouren?\s*-?\s*(?:nr\.?|nummer|no\.?|n°|code|id)|retourenr\.?|retourennr\.?"
    r"|r(?:ü|ue|u)cksende\s*-?\s*(?:nr\.?|nummer|no\.?)|r(?:ü|ue|u)cksendenummer"
    r"|retoure?nummer|retourcode|num[ée]ro\s+de\s+retour|n°\s*de\s+retour"
    r"|n[úu]mero\s+de\s+devoluci[óo]n"
    r"|退货单号|退货号|退货编号|退货单|退货码|退换货单号"
    r"|auth(?:ori[sz]ation)?\s+(?:number|num|no\.?|code|#)"
    r"|r\.?a\.?(?=\s*(?:#|:|number|no\b|nr\b|\d)))"
)
_RMA_VALUE = r"([A-Za-z0-9](?:[A-Za-z0-9\-_/.]*[A-Za-z0-9])?)"
_RMA = re.compile(
    rf"(?:\b|(?<=[^\x00-\x7f]))(?P<label>{_RMA_LABEL})(?P<sep>(?:\s*(?:is|=|:|：|#|-|\bnumber\b|\bno\.?|\bnr\.?)\s*)*|\s*)"
    rf"(?P<value>{_RMA_VALUE[1:-1]})",
    re.IGNORECASE,
)
_REF = re.compile(
    rf"(?<!order\s)\b(?:ref(?:erence)?|our\s+ref)\b\.?(?:\s*(?:is|:|#|-|no\.?)\s*)*\s*"
    rf"(?P<value>{_RMA_VALUE[1:-1]})",
    re.IGNORECASE,
)


def find_rma(text: str) -> tuple[str | None, tuple[int, int] | None]:
    """The RMA number a reply gives, as the supplier wrote it, and where it stands."""
    for match in _RMA.finditer(text):
        value = match.group("value").rstrip(".")
        if not re.search(r"\d", value):
            continue
        label, sep = match.group("label"), match.group("sep")
        if re.fullmatch(r"rma", label, re.IGNORECASE) and sep == "-" and "-" in value:
            value = f"RMA-{value}"  # "RMA-2024-0042": the prefix belongs to the number
        return value.upper(), match.span()
    for match in _REF.finditer(text):
        value = match.group("value").rstrip(".")
        if re.search(r"\d", value) and len(value) >= 3:
            return value.upper(), match.span()
    return None, None


# -- addresses -----------------------------------------------------------------------------

_STREET_WORDS = (
    r"st|street|ave|avenue|av|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court|pl|place|"
    r"pkwy|parkway|hwy|highway|cir|circle|ter|terrace|sq|square|trl|trail|row|loop|plaza|"
    r"pike|alley|broadway|expressway|fwy|freeway"
)
_STREET = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?(?:-\d+)?\s+(?:[A-Za-z0-9.'\-]+\s+){{0,4}}(?:{_STREET_WORDS})\b\.?"
    r"|\b[\wÀ-ÿ\-]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|laan|straat|gade|"
    r"vej|väg|vägen|gatan)\s*\d+[a-z]?\b"
    r"|\b(?:rue|avenue|boulevard|chemin|via|viale|piazza|calle|avenida|rua|plaza|ulica)\s+"
    r"[\wÀ-ÿ'\-]+"
    r"|\b\d{1,5}[a-z]?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|allée|place)\s+"
    r"|\bp\.?\s?o\.?\s+box\s+\d+"
    r"|\b(?:unit|suite|ste|apt|building|bldg|dock|floor)\s*#?\s*\d+",
    re.IGNORECASE,
)
_US_CITY_ZIP = re.compile(
    r"\b[A-Za-z][A-Za-z .'\-]*,?\s+(?:[A-Z]{2}|[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\.?,?\s+"
    r"\d{5}(?:-\d{4})?\b"
)
_POSTCODE_CITY = re.compile(
    r"\b\d{4}\s?[A-Z]{2}\s+[A-Z][\wÀ-ÿ\-]+|"  # Netherlands, first: 1011 AB Amsterdam
    r"\b(?:[A-Z]{1,2}-)?\d{4,5}\s+[A-ZÄÖÜÀ-Ý][\wÀ-ÿ\-]+"  # 50735 Köln, D-50735 Köln, 1011 Amsterdam
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"  # UK
    r"|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"  # Canada
    r"|\b\d{2,4}-\d{3}\s+[A-ZÀ-Ý][\wÀ-ÿ\-]+"  # Poland, Portugal: 00-950 Warszawa
    r"|\b\d{3}\s\d{2}\s+[A-ZÅÄÖ][\wÀ-ÿ\-]+"  # Sweden, Czechia: 114 55 Stockholm
    # the city first and the postcode after it (China, and many others): "Hangzhou, Zhejiang
    # 310052", "Shenzhen 518000", "Dublin D02 X285"
    r"|\b[A-Z][\wÀ-ÿ\-]+(?:\s[A-Z][\wÀ-ÿ\-]+)?,?(?:\s+[A-Z][\wÀ-ÿ\-]+,?)?\s+\d{5,6}\b"
    r"|\b[A-Z]\d{2}\s?[A-Z\d]{4}\b"  # Ireland
    r"|[\u4e00-\u9fff]{2,}(?:省|市|区|县|路|街|号|镇|大道)"  # an address in Chinese
)
_COUNTRIES = {
    "us", "usa", "u.s.", "u.s.a.", "united states", "united states of america", "uk",
    "united kingdom", "great britain", "england", "gb", "de", "germany", "deutschland", "fr",
    "france", "cn", "china", "prc", "ca", "canada", "mx", "mexico", "nl", "netherlands",
    "es", "spain", "it", "italy", "pl", "poland", "au", "australia", "jp", "japan", "hk",
    "hong kong", "tw", "taiwan", "vn", "vietnam", "in", "india", "se", "sweden", "dk",
    "denmark", "at", "austria", "ch", "switzerland", "be", "belgium", "ie", "ireland",
    "pt", "portugal",
}  # fmt: skip
_RECIPIENT = re.compile(
    r"\b(?:inc|llc|ltd|gmbh|co|corp|company|returns?|warehouse|attn|c/o|dept|department|"
    r"fulfil+ment|logistics|center|centre|distribution|ag|bv|sarl|srl|limited)\b\.?",
    re.IGNORECASE,
)
_TRIGGER = re.compile(
    r"(?:(?:return|returns|shipping|our|the|new|correct|different|folgende|unsere|die)\s+)?"
    r"(?:address|adresse|anschrift|adres|indirizzo|direcci[óo]n|地址)(?:\s+(?:is|lautet|est))?"
    r"(?:\s+(?:below|as\s+follows|follows|here|hier))?\s*[:：\-]?"
    r"|\b(?:ship|send|mail|return|post|deliver|courier)(?:\s+(?:it|them|this|the\s+\w+|items?|"
    r"the\s+parcel|the\s+package))?(?:\s+back)?\s+to(?:\s+(?:our|this|the)\s+"
    r"(?:warehouse|returns?\s+(?:center|centre|dept|department|address)|address|facility))?"
    r"(?:\s+at)?\s*:?"
    r"|\breturns?\s+go(?:es)?\s+to\s*:?",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(?:thanks|thank\s+you|thx|ty|cheers|regards|best|br|kind\s+regards|rgds|--|-\s*\w+$)",
    re.IGNORECASE,
)


def _is_country(line: str) -> bool:
    return line.strip(" .,").lower() in _COUNTRIES


def _address_line_score(line: str) -> int:
    """2: clearly a street or city/postcode line; 1: a recipient or country line; 0: not."""
    stripped = line.strip()
    if not stripped:
        return 0
    if _STREET.search(stripped) or _US_CITY_ZIP.search(stripped):
        return 2
    if _POSTCODE_CITY.search(stripped) and len(stripped.split()) <= 8:
        return 2
    if _is_country(stripped):
        return 1
    if _RECIPIENT.search(stripped) and len(stripped.split()) <= 6:
        return 1
    return 0


def _us_span(text: str) -> str | None:
    """The part of one line that ``usaddress`` reads as a US street address, or None."""
    try:
        tokens = usaddress.parse(text)
    except Exception:  # the tagger's own errors: treat as "not a US address"
        return None
    labels = [label for _, label in tokens]
    if "ZipCode" not in labels or ("AddressNumber" not in labels and "USPSBoxID" not in labels):
        return None
    start = next(
        i
        for i, label in enumerate(labels)
        if label in ("AddressNumber", "USPSBoxType", "USPSBoxID")
    )
    while start > 0 and labels[start - 1] == "Recipient":
        start -= 1
    end = max(i for i, label in enumerate(labels) if label == "ZipCode")
    if end + 1 < len(labels) and labels[end + 1] == "CountryName":
        end += 1
    words = [token for token, _ in tokens[start : end + 1]]
    return " ".join(words).strip(" ,;")


def _tidy_address(parts: list[str]) -> str:
    cleaned = []
    for part in parts:
        part = re.sub(r"\s+", " ", part).strip(" ,;-")
        part = (
            re.sub(r"[.!]+$", "", part)
            if not re.search(r"\b(?:st|ave|rd|dr)\.$", part, re.I)
            else part
        )
        if part:
            cleaned.append(part)
    return ", ".join(cleaned)


def _cut_after_postcode(text: str) -> str:
    """Drop what follows the postcode (and a country after it) on an address line."""
    match = None
    for pattern in (_US_CITY_ZIP, _POSTCODE_CITY):
        for found in pattern.finditer(text):
            if match is None or found.end() > match.end():
                match = found
    if match is None:
        return text
    rest = text[match.end() :]
    country = re.match(r"\s*,?\s*([A-Za-z .]{2,30}?)(?=$|[.,;!]|\s+(?:thanks|thx|cheers))", rest)
    end = match.end()
    if country and _is_country(country.group(1)):
        end += country.end()
    return text[:end]


def find_address(text: str) -> tuple[str | None, list[int]]:
    """A return address in the reply, on one or several lines, and the lines it took."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        trigger = _TRIGGER.search(line)
        if trigger is None:
            continue
        parts: list[str] = []
        used: list[int] = []
        rest = line[trigger.end() :].strip(" :,-")
        if rest and _address_line_score(rest) == 0 and not re.search(r"\d", rest):
            rest = ""  # "Adresse senden:", "address follows": words about the address
        if rest:
            parts.append(rest)
            used.append(index)
        follow = index + 1
        while follow < len(lines) and len(parts) < 7:
            candidate = lines[follow].strip()
            if not candidate:
                if parts:
                    break
                follow += 1
                continue
            if _SIGN_OFF.match(candidate) or (
                _address_line_score(candidate) == 0 and len(parts) >= 2
            ):
                break
            if _address_line_score(candidate) == 0 and len(candidate.split()) > 7:
                break
            parts.append(candidate)
            used.append(follow)
            follow += 1
        if not parts:
            continue
        joined = _tidy_address(parts)
        if not any(_address_line_score(part) == 2 for part in parts) and not re.search(
            r"\d", joined
        ):
            continue
        if len(parts) == 1:
            joined = _tidy_address([_cut_after_postcode(parts[0])])
            if line == lines[index] and used == [index]:
                us = _us_span(parts[0])
                if us and len(us) >= len(joined) - 2:
                    joined = _tidy_address([us])
        return joined, used
    # No trigger words: a block of address-looking lines, or one line holding an address.
    index = 0
    while index < len(lines):
        if _address_line_score(lines[index]) == 0:
            index += 1
            continue
        start = index
        while index < len(lines) and _address_line_score(lines[index]) > 0:
            index += 1
        block = list(range(start, index))
        strong = [i for i in block if _address_line_score(lines[i]) == 2]
        if len(block) >= 2 and strong:
            return _tidy_address([lines[i] for i in block]), block
        if len(block) == 1 and strong:
            line = lines[start]
            us = _us_span(line)
            if us is not None and _STREET.search(us):
                return _tidy_address([us]), block
            street = _STREET.search(line)
            place = _US_CITY_ZIP.search(line) or _POSTCODE_CITY.search(line)
            if street and place and place.end() > street.start():
                return _tidy_address([_cut_after_postcode(line[street.start() :])]), block
    return None, []


# -- intent --------------------------------------------------------------------------------

_VOCABULARY = [
    "approve", "approved", "approving", "accept", "accepted", "authorise", "authorised",
    "authorize", "authorized", "decline", "declined", "reject", "rejected", "refuse",
    "refused", "denied", "inspected", "inspection", "received", "receive", "damaged",
    "problem", "problems", "issue", "issues", "missing", "broken", "scratched", "confirmed",
    "confirm", "condition", "question", "photos", "pictures", "perfect", "return", "returned",
    "original", "packaging", "cannot", "please", "address", "warranty", "eligible",
]  # fmt: skip
_KEEP = {
    "improve", "recline", "dented", "except", "expect", "defined", "design", "designed", "receipt",
    "return", "reason", "refund", "refunded", "proved", "prove", "approach", "accent",
    "issued", "issuing", "credited", "restocked", "processed", "refused", "accessories",
    "unopened", "sealed", "opened", "perfectly",
}  # fmt: skip


def _correct_typos(sentence: str) -> str:
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        if len(lower) < 5 or lower in _VOCABULARY or lower in _KEEP:
            return word
        close = difflib.get_close_matches(lower, _VOCABULARY, n=1, cutoff=0.82)
        return close[0] if close else word

    return re.sub(r"[A-Za-z]+", fix, sentence)


_NEG = (
    r"(?:not|never|no|cannot|can't|cant|won't|wont|don't|dont|doesn't|doesnt|didn't|didnt|"
    r"isn't|isnt|aren't|arent|wasn't|unable\s+to|can\s+not|will\s+not|do\s+not|does\s+not|"
    r"shouldn't|couldn't|wouldn't)"
)
_APPROVE = re.compile(
    r"\b(?:approv(?:e|ed|ing|al\s+given)|accept(?:ed|ing)?|authori[sz](?:e|ed|ing)|ok(?:ay|ey)?|k|"
    r"yes|yep|yeah|yup|ya|sure|fine|agreed?|granted|go\s+ahead|go\s+for\s+it|green\s+light|"
    r"proceed|good\s+to\s+go|all\s+set|no\s+problem|no\s+prob|no\s+worries|np|can\s+do|"
    r"will\s+do|lgtm|send\s+(?:it|them)\s+back|ship\s+(?:it|them)\s+back|send\s+back|"
    r"ship\s+back|can\s+(?:be\s+)?return(?:ed)?|happy\s+to\s+(?:take|accept)|"
    r"we(?:'ll|\s+will)\s+take\s+(?:it|them)\s+back|take\s+(?:it|them)\s+back|"
    r"return\s+(?:is\s+)?(?:fine|ok|approved)|confirmed?|sounds\s+good|"
    r"(?:we(?:'ll|\s+will)|will|can)\s+(?:issue\s+(?:a|the|you\s+a)\s+)?credit)\b",
    re.IGNORECASE,
)
_DECLINE = re.compile(
    r"\b(?:declin(?:e|ed|ing)|reject(?:ed|ing)?|den(?:y|ied)|refus(?:e|ed|ing)|nope|nah|"
    r"not\s+eligible|ineligible|no\s+returns?|out\s+of\s+(?:the\s+)?(?:return\s+)?(?:window|warranty)|"
    r"past\s+(?:the\s+)?(?:return\s+)?(?:window|warranty)|not\s+possible|final\s+sale|"
    r"non[-\s]?returnable|not\s+covered|no\s+can\s+do|no\s+way|not\s+our\s+(?:item|product|fault)|"
    r"no\s+(?:credit|refund)s?)\b",
    re.IGNORECASE,
)
_NEGATED_APPROVAL = re.compile(
    rf"\b{_NEG}\s+(?:\w+\s+){{0,2}}?(?:approv\w*|accept\w*|authori[sz]\w*|take\s+(?:it|this|that|them|these|those)(?:\s+\w+)?\s+back|"
    r"take\s+back|allow\w*|do\s+(?:this|that|it)|ok\b|okay|agree\w*|return\w*|credit\w*|refund\w*)",
    re.IGNORECASE,
)
_INSPECT_OK = re.compile(
    r"\b(?:inspect(?:ed|ion)\s+(?:ok|okay|fine|good|passed|complete|done)|passed|"
    r"looks?\s+(?:good|fine|ok|okay|great|perfect|(?:brand\s+)?new|unused|untouched)|"
    r"works?\s+(?:fine|perfect(?:ly)?|great|ok|okay|as\s+(?:it\s+should|expected))|"
    r"(?:brand\s+new|like\s+new|as\s+new|unused|unopened|untouched|still\s+sealed)|"
    r"all\s+(?:good|fine|ok)|"
    r"(?:good|perfect|fine|new|original|resell\w*|mint)\s+(?:condition|shape)|"
    r"in\s+(?:good|perfect|fine|new|original|mint)\s+(?:condition|shape|state)|"
    r"as\s+(?:described|expected|reported|the\s+customer\s+said)|checks?\s+out|"
    r"checked(?:\s+and)?\s+(?:ok|okay|fine|good)|received\s+(?:ok|okay|fine|safely|in\s+good)|"
    r"(?:everything|all)(?:'s|\s+is)?\s+(?:ok|okay|fine|good|there|in\s+order|correct)|"
    r"customer\s+was\s+right|can\s+confirm|confirmed?(?:\s+(?:defect\w*|damage\w*|faulty|broken))?|"
    # the goods were taken in: credit or refund given, restocked, on us
    r"restock\w*|back\s+(?:in|on)\s+(?:stock|the\s+shelf)|resellable|sellable|"
    r"(?:credit|refund)(?:\s+note)?\s+(?:issued|raised|processed|given|sent|applied|done|"
    r"approved|to\s+follow|on\s+(?:its|the)\s+way|coming|is\s+coming)|"
    r"(?:credit|refund)(?:ed|ing)?\s+(?:you|your\s+account)|credit\s+note|"
    r"(?:will|we'll|happy\s+to|can|going\s+to|shall)\s+(?:issue\s+(?:a\s+|the\s+)?)?credit\w*|"
    r"(?:it'?s|this\s+one'?s?|that'?s|this\s+is|is)\s+on\s+us|our\s+fault|accepted|"
    r"nothing\s+wrong)\b",
    re.IGNORECASE,
)
_FAULT = re.compile(
    r"\b(?:problem|problems|issue|issues|damage|damaged|broken|used|worn|dirty|stain\w*|"
    r"scratch\w*|crack(?:s|ed)?|chipped|shattered|smashed|dropped|bent|leak\w*|"
    r"missing|incomplete|empty|wrong\s+item|not\s+(?:ours|our\s+item|the\s+same|"
    r"the\s+(?:right|original|correct)\s+item)|not\s+in\s+(?:original|new|resal\w+)|"
    r"no\s+original|fail(?:ed|s)?|counterfeit|fake|tamper\w*|smell\w*|cracked|dent\w*|"
    r"defect\w*|faulty|water\s+damage|parts?\s+missing|torn|ripped|mismatch\w*|swapped|"
    r"different\s+(?:item|product|serial)|doesn't\s+match|does\s+not\s+match|unacceptable|"
    r"not\s+acceptable|misuse\w*|abuse\w*|mishandl\w*|signs?\s+of\s+(?:use|wear)|"
    r"wear\s+and\s+tear|heavy\s+wear|customer\s+damage|not\s+(?:re)?sell?able|"
    r"can'?t\s+(?:re)?sell|cannot\s+(?:re)?sell|unsell?able|washed|worn|assembled|"
    r"(?:been|was|is)\s+(?:opened|installed|mounted|washed|modified|repaired|altered)|"
    r"(?:no|zero)\s+(?:credit|refund)|won'?t\s+(?:be\s+)?(?:credit|refund)\w*|"
    r"not\s+(?:be\s+)?(?:credit|refund)\w*|reject\w*|refus\w*|declin\w*)\b",
    re.IGNORECASE,
)
_FAULT_WORD = (
    r"(?:problem|problems|issue|issues|damage\w*|broken|used|worn|dirty|stain\w*|scratch\w*|"
    r"missing|wrong|defect\w*|faulty|fault|crack\w*|chipped|bent|leak\w*|dent\w*|torn)"
)
_NEGATED_FAULT = re.compile(
    rf"\b(?:{_NEG}|nothing|zero|without)\s+(?:\w+\s+){{0,2}}?{_FAULT_WORD}\b"
    rf"(?:\s*(?:,|\bor\b|\bnor\b|\band\b)\s*(?:no\s+|any\s+)?{_FAULT_WORD}\b)*"
    r"|\bnothing\s+(?:is\s+)?(?:wrong|missing|broken)\b",
    re.IGNORECASE,
)
_CONFIRMED_FAULT = re.compile(
    r"\b(?:confirm(?:ed|s)?|can\s+confirm|verified|agree|indeed|customer\s+(?:is|was)\s+right)"
    r"\b[^.?!]{0,30}\b(?:damage\w*|defect\w*|broken|faulty|cracked|not\s+working)\b"
    r"|\b(?:damage\w*|defect\w*|broken|faulty|cracked|dent\w*|not\s+working)\b(?:(?!\bnot\b|n't\b)[^.?!]){0,20}?"
    r"\b(?:(?:just\s+)?(?:like|as)\s+(?:the\s+)?(?:customer|buyer|client|she|he|they|you)\s+"
    r"(?:said|says|described|reported|mentioned|claimed|told\s+us|stated)|"
    r"as\s+(?:reported|described|claimed|stated)|confirmed|verified)\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(
    r"\b(?:will\s+(?:inspect|check|look|get\s+back|confirm|let\s+you\s+know|review)|"
    r"going\s+to\s+(?:inspect|check|look)|(?:inspect|check|look)\w*\s+(?:it\s+)?(?:tomorrow|later|"
    r"soon|next\s+week|monday|tuesday|wednesday|thursday|friday)|not\s+(?:yet\s+)?(?:inspected|"
    r"checked|arrived|received)|haven't\s+(?:inspected|checked|received)|not\s+yet|"
    r"get\s+back\s+to\s+you|checking\s+(?:now|today)|looking\s+into\s+it)\b",
    re.IGNORECASE,
)
_INFO_REQUEST = re.compile(
    r"\b(?:send|share|need|needs|want|provide|attach|forward|upload|require|requires|"
    r"required|get|have)\b[^.?!]{0,40}\b(?:photos?|pics?|pictures?|images?|video|info|"
    r"information|details|serial(?:\s+number)?|proof|receipt|invoice|tracking|more\s+\w+)\b"
    r"|\b(?:before\s+(?:we|i)\s+(?:can\s+)?(?:approve|accept|authori[sz]e|decide))\b"
    r"|\b(?:quick\s+q(?:uestion)?|question\b|wondering|let\s+me\s+know\s+(?:if|whether|what|when))",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:(?:what|which|who|whom|whose|when|where|why|how)\b"
    r"|(?:can|could|would|will|should|shall|may|is|are|was|were|do|does|did|have|has|any)\s+"
    r"(?:you|we|i|they|he|she|it|this|that|these|those|the|there|someone|anyone|somebody|"
    r"a|an|our|your|their)\b)",
    re.IGNORECASE,
)


# Before any inspection was asked for ("any"), words count as an inspection only when they
# say the goods came back: "all good" then answers the thread, it does not settle a return.
_RECEIPT = re.compile(
    r"\b(?:(?:receiv(?:e|ed|ing)|recieved)\b(?!\s+(?:your|the\s+(?:message|request|label|email|"
    r"note|rma|form)|this\s+(?:message|request)))|"
    r"got\s+(?:it|them|this|that|the\s+\w+|both|all|everything)\s+back|"
    r"(?:arrived|came\s+(?:in|back)|back\s+(?:with\s+us|here|in\s+(?:stock|the\s+warehouse)))|"
    r"in\s+hand|inspect\w*|(?:checked|tested|opened)\s+(?:it|them|the)|(?:it'?s|they'?re)\s+back|"
    r"is\s+back|are\s+back|delivered)\b",
    re.IGNORECASE,
)

_CONDITIONAL = re.compile(
    r"^(?:if|as\s+long\s+as|provided|only\s+if|unless|assuming|then|once|after)\b"
    r"|\b(?:if\s+so|if\s+(?:it|the|they|you|he|she)\b|only\s+if|as\s+long\s+as|provided\s+that|"
    r"on\s+condition|pending\s+(?:photos?|pics?|info|confirmation))",
    re.IGNORECASE,
)


# A condition an approval sets on the goods coming back ("fine if all the accessories come
# back", "ok but only unopened", "approved as long as it's in the original packaging"). The
# approval stands and the condition goes with it; a condition that asks the store for something
# first (photos, a serial number) is a question and decides nothing.
_CONDITION = re.compile(
    r"\b(?P<word>only\s+if|if|as\s+long\s+as|so\s+long\s+as|provided(?:\s+that)?|providing"
    r"|on\s+(?:the\s+)?condition(?:\s+that)?|subject\s+to|unless|but\s+only(?:\s+if)?"
    r"|only\s+when|only\s+(?=(?:un\w+|sealed|new|complete|in\s+|with\s+)))\s+(?P<what>[^.;!?]+)"
    r"|(?P<what2>\b(?:unopened|unused|sealed|complete|boxed)\s+(?:items?\s+|units?\s+)?only)\b"
    r"|(?P<what3>\b(?:it|they|the\s+\w+|everything|all\s+\w+)\s+(?:must|needs?\s+to|has\s+to|"
    r"have\s+to|should)\s+(?:be|come|arrive|include|have|still|go)\b[^.;!?]*)"
    # who pays, and what is kept back: "but the customer pays the return shipping", "at the
    # buyer's cost", "less a 15% restocking fee"
    r"|\bbut\s+(?P<what4>(?:the\s+)?(?:customer|buyer|client|end\s+user|they|he|she)\s+"
    r"(?!(?:can|can't|cannot|won't|will\s+not|didn't|did\s+not|does\s+not|doesn't)\b)[^.;!?]+)"
    r"|(?P<what5>\bat\s+(?:the\s+)?(?:customer|buyer|client)'?s?\s+(?:own\s+)?(?:cost|expense)"
    r"|\b(?:minus|less|with)\s+(?:a\s+)?(?:\d+\s*%\s+)?restocking\s+fee[^.;!?]*)"
    r"|\b(?:please\s+)?(?:ensure|make\s+sure)\s+(?:that\s+)?(?P<what6>[^.;!?]+)",
    re.IGNORECASE,
)
# Conditions that are questions in disguise: "if so", "if you can send photos".
_NOT_A_CONDITION = re.compile(r"^(?:so|not|yes|possible|needed|necessary|any)\b", re.IGNORECASE)


def _condition(sentence: str) -> tuple[str, str] | None:
    """The condition a sentence sets and the rest of the sentence, or None."""
    match = _CONDITION.search(sentence)
    if match is None:
        return None
    groups = ("what", "what2", "what3", "what4", "what5", "what6")
    what = next((match.group(g) for g in groups if match.group(g)), "").strip(" ,")
    if not what or _NOT_A_CONDITION.match(what) or _INFO_REQUEST.search(what):
        return None
    word = (match.group("word") or "").lower()
    if word.startswith("only") or word.startswith("but only"):
        what = "only " + what
    elif word == "unless":
        what = "unless " + what
    rest = (sentence[: match.start()] + " " + sentence[match.end() :]).strip(" ,")
    rest = re.sub(r"\bbut\s*$", "", rest).strip(" ,")
    return what, rest


# The usual words of suppliers writing in German, French, Spanish or Chinese, read as their
# English: the decision rules then hold for them too.
_FOREIGN_WORDS = [
    (r"不同意|不接受|拒绝|不能退", " declined "),
    (r"同意|批准|可以退", " approved "),
    (r"没问题|完好|正常", " all good "),
    (r"收到", " received "),
    (r"损坏|破损|坏了", " damaged "),
    (r"用过|使用过", " used "),
    (r"\b(?:abgelehnt|nicht\s+möglich|refusé|rechazad[oa])(?!\w)", " declined "),
    (
        r"\b(?:genehmigt|einverstanden|akzeptiert|freigegeben|d'accord|accepté|aceptad[oa])(?!\w)",
        " approved ",
    ),
    (r"\b(?:in\s+ordnung|alles\s+(?:gut|ok|klar)|einwandfrei|tout\s+est\s+bon)\b", " all good "),
    (r"\b(?:angekommen|erhalten|eingetroffen|reçu|recibido)(?!\w)", " received "),
    (r"\b(?:beschädigt|kaputt|defekt|verkratzt|endommagé|dañado)(?!\w)", " damaged "),
    (r"\b(?:gebraucht|benutzt|getragen)\b", " used "),
    (r"\bkeine\s+gutschrift\b", " no credit "),
    (r"\bgutschrift\s+(?:erstellt|veranlasst|erteilt)\b", " credit issued "),
]


def _in_english(text: str) -> str:
    for pattern, words in _FOREIGN_WORDS:
        text = re.sub(pattern, words, text, flags=re.IGNORECASE)
    return text


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[?!])\s*|(?<=\.)\s+|\n+|;\s*|\s+-\s+", text)
    return [part.strip(" ,") for part in parts if part and part.strip(" ,.!")]


def _is_question(sentence: str) -> bool:
    if sentence.rstrip().endswith("?"):
        return True
    if _QUESTION_START.match(sentence):
        return not re.match(r"^(?:can|will)\s+do\b", sentence, re.IGNORECASE)
    return bool(_INFO_REQUEST.search(sentence))


def _sentence_votes(sentence: str, expecting: Expecting) -> set[str]:
    votes: set[str] = set()
    lowered = sentence.lower()
    approval_negated = bool(_NEGATED_APPROVAL.search(lowered))
    # a fault word negated ("not shipping damage", "no scratches") leaves the others standing:
    # "it was dropped, the corner is smashed and that's not shipping damage" is a fault
    fault_words = [m for m in _FAULT.finditer(_NEGATED_FAULT.sub(" ", lowered))]
    fault_negated = bool(_NEGATED_FAULT.search(lowered))
    fault_confirmed = bool(_CONFIRMED_FAULT.search(lowered))
    approval = bool(_APPROVE.search(re.sub(_NEGATED_APPROVAL, " ", lowered)))
    if re.search(r"\bno\s+(?:problem|prob|worries)\b", lowered):
        approval, approval_negated = True, False
    if expecting != "inspection":
        if approval_negated or _DECLINE.search(lowered) or re.fullmatch(r"no[.!]*", lowered):
            votes.add("decline")
        elif approval:
            votes.add("approve")
    if expecting != "authorisation":
        if fault_words and not fault_confirmed:
            votes.add("inspected_failed")
        elif (
            fault_negated
            or fault_confirmed
            or _INSPECT_OK.search(_NEGATED_APPROVAL.sub(" ", lowered))
            or (expecting == "inspection" and approval and not approval_negated)
        ):
            votes.add("inspected_ok")
        if (
            expecting == "inspection"
            and (_DECLINE.search(lowered) or approval_negated)
            and "inspected_ok" not in votes
        ):
            votes.add("inspected_failed")
    return votes


def _strip_span(text: str, span: tuple[int, int] | None) -> str:
    if span is None:
        return text
    return text[: span[0]] + " " + text[span[1] :]


def read_supplier_reply(text: str, expecting: Expecting = "any") -> SupplierReading:
    """Read one reply. ``expecting`` is what the case waits for: an authorisation answer,
    an inspection answer, or either."""
    clean = clean_slack_text(text)
    if not re.search(r"[^\W_]", clean):
        # "??" or "...": nothing asked and nothing said
        return SupplierReading(intent="unclear", note=clean.strip(), text=text)
    rma, rma_span = find_rma(clean)
    rest = _strip_span(clean, rma_span)
    address, address_lines = find_address(rest)
    lines = rest.splitlines()
    remaining = "\n".join(line for i, line in enumerate(lines) if i not in address_lines)
    if address is not None:
        trigger_rest = [lines[i] for i in address_lines]
        for i in address_lines:
            trigger = _TRIGGER.search(lines[i])
            if trigger is not None:
                remaining += "\n" + lines[i][: trigger.start()]
        del trigger_rest
    remaining = re.sub(r"\brma\b|\bref\b", " ", remaining, flags=re.IGNORECASE)
    remaining = _in_english(remaining)
    receipt = bool(_RECEIPT.search(remaining))
    if expecting == "any" and receipt:
        expecting = "inspection"  # the goods are back: "ok" and "fine" now speak of them
    votes: set[str] = set()
    questions: list[str] = []
    pending = False
    conditions: list[str] = []
    conditional: list[str] = []  # sentences that only set a condition, for when none approves
    for sentence in _sentences(remaining):
        corrected = _correct_typos(sentence)
        found = None
        if expecting != "inspection" and not sentence.rstrip().endswith("?"):
            found = _condition(corrected)
        if found is not None:
            what, rest = found
            conditions.append(what)
            if rest and not _is_question(rest):
                votes |= _sentence_votes(rest, expecting)
            else:
                conditional.append(sentence)
            continue
        if _is_question(corrected) or _CONDITIONAL.search(corrected):
            questions.append(sentence)  # a question or a condition decides nothing
            continue
        if expecting != "authorisation" and _FUTURE.search(corrected):
            pending = True
            continue
        votes |= _sentence_votes(corrected, expecting)
    note = re.sub(r"\s+", " ", clean).strip()[:500]
    auth = votes & {"approve", "decline"}
    if auth != {"approve"}:
        # a condition with no approval to hang on ("if it's unopened") decides nothing
        questions.extend(conditional)
        conditions = []
    question = " ".join(questions) if questions else None
    inspect = votes & {"inspected_ok", "inspected_failed"}
    if expecting == "any" and not receipt:
        inspect = set()
    if expecting == "authorisation" or (expecting == "any" and auth and not inspect):
        if not auth and (rma or address) and not questions:
            auth = {"approve"}  # an RMA or an address given in answer is a yes
        if len(auth) == 1:
            intent: Intent = "approve" if "approve" in auth else "decline"
            return SupplierReading(
                intent=intent,
                rma=rma,
                address=address,
                note=note,
                question=question,
                conditions=conditions if intent == "approve" else [],
                text=text,
            )
    elif (expecting == "inspection" or (expecting == "any" and inspect and not auth)) and (
        len(inspect) == 1 and not pending
    ):
        intent = "inspected_ok" if "inspected_ok" in inspect else "inspected_failed"
        return SupplierReading(intent=intent, note=note, question=question, text=text)
    if questions:
        return SupplierReading(
            intent="question", rma=rma, address=address, note=note, question=question, text=text
        )
    return SupplierReading(intent="unclear", rma=rma, address=address, note=note, text=text)
