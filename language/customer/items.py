"""Which line items of an order a message names: by SKU, by position, by name or loosely.

Names match ignoring case, punctuation, colour and size words, and small typos ("the yoyo" is
"Yo-yo red", "the mugs" is "Ceramic mug"). When words fit several items equally, colour and
size words decide; when they still fit several, the match is ambiguous and the bot asks.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import fuzz

from language.customer.quantities import ALL, NUMBER_WORDS, bought_count, unit_follows
from language.customer.text import fold, words
from language.lexicon import MONEY

COLOURS = frozenset(
    [
        "red",
        "blue",
        "green",
        "yellow",
        "black",
        "white",
        "grey",
        "gray",
        "pink",
        "purple",
        "orange",
        "brown",
        "beige",
        "sand",
        "navy",
        "teal",
        "gold",
        "silver",
        "clear",
        "transparent",
        "natural",
        "cream",
        "ivory",
        "charcoal",
        "olive",
        "rainbow",
        "tan",
        "khaki",
        "maroon",
        "turquoise",
        "multicolour",
        "multicolor",
        "walnut",
        "oak",
    ]
)
SIZES = frozenset(
    [
        "xs",
        "s",
        "m",
        "l",
        "xl",
        "xxl",
        "xxxl",
        "small",
        "medium",
        "large",
        "big",
        "mini",
        "size",
        "one",
        "pro",
        "plus",
        "max",
        "cm",
        "mm",
        "inch",
        "inches",
        "ml",
        "l",
        "oz",
        "kg",
        "g",
        "piece",
        "pieces",
        "person",
    ]
)
STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "your",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "of",
        "for",
        "with",
        "and",
        "or",
        "to",
        "in",
        "on",
        "at",
        "from",
        "by",
        "one",
        "ones",
        "thing",
        "things",
        "item",
        "items",
        "product",
        "products",
        "set",
        "pack",
        "i",
        "me",
        "we",
        "you",
        "is",
        "was",
        "were",
        "be",
        "has",
        "have",
        "had",
        "got",
        "get",
        "just",
        "only",
        "also",
        "some",
        "any",
        "but",
        "not",
        "so",
        "very",
        "really",
        "please",
        "order",
    ]
)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "mug": ("cup", "coffee cup", "tea cup", "mugs"),
    "headphones": ("headset", "earphones", "cans"),
    "earbuds": ("earphones", "earpods", "buds", "airpods", "headphones"),
    "skillet": ("pan", "frying pan", "fry pan"),
    "lamp": ("light",),
    "towel": ("towels", "cloth", "dish towel", "tea towel"),
    "tshirt": ("tee", "t shirt", "shirt"),
    "shirt": ("tee", "tshirt", "top"),
    "sneakers": ("trainers", "shoes", "runners"),
    "slippers": ("slipper",),
    "puzzle": ("jigsaw",),
    "throw": ("blanket",),
    "blanket": ("throw",),
    "kettle": ("teapot", "tea kettle"),
    "knife": ("blade",),
    "chair": ("chairs", "seat"),
    "lantern": ("lanterns", "light"),
    "cable": ("cord", "charger", "lead"),
    "case": ("cover",),
    "drone": ("quadcopter",),
    "tent": ("shelter",),
    "yoyo": ("yo yo",),
    "sofa": ("couch",),
    "trousers": ("pants", "jeans"),
    "jumper": ("sweater", "pullover"),
    "sweater": ("jumper", "pullover"),
    "bag": ("backpack", "rucksack"),
    "mill": ("grinder",),
    "board": ("chopping board", "cutting board"),
}
ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
}


@dataclass(frozen=True)
class OrderItem:
    """What the matcher knows of a line item (only given after identity is verified)."""

    sku: str
    name: str
    quantity: int
    position: int
    # The unit price paid, a decimal string ("24.00"), when known: two items of the same name
    # are told apart by it ("the $25 one", "the cheaper one").
    price: str | None = None


@dataclass
class ItemMention:
    item: OrderItem
    quantity: int | str | None = None  # an int, "all", or None when not said
    plural: bool = False
    segment: str = ""  # the part of the message that named it ("the kite came broken")


@dataclass
class ItemMatch:
    found: list[ItemMention] = field(default_factory=list)
    ambiguous: list[list[OrderItem]] = field(default_factory=list)
    # Items named only to rule them out: "not the lamp", "the lamp is fine", "keep the lamp".
    excluded: list[OrderItem] = field(default_factory=list)
    whole_order: bool = False  # "the whole order", "everything": every item, every unit

    @property
    def skus(self) -> list[str]:
        return [m.item.sku for m in self.found]


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def core_words(name: str) -> list[str]:
    """The words that name the thing: no colours, sizes, numbers or filler."""
    tokens = [_singular(t) for t in re.findall(r"[a-z]+", fold(name).replace("-", ""))]
    kept = [t for t in tokens if t not in COLOURS and t not in SIZES and t not in STOPWORDS]
    return kept or tokens


def describing_words(name: str) -> set[str]:
    tokens = re.findall(r"[a-z0-9]+", fold(name))
    return {t for t in tokens if t in COLOURS or t in SIZES or t.isdigit()} | set(tokens)


@cache
def _whole_word(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(phrase)}\b")


def _message_terms(text: str) -> tuple[list[str], set[str]]:
    tokens = [_singular(t) for t in text.split()]
    terms = set(tokens)
    # "yo yo" / "yo-yo" -> "yoyo", "t shirt" -> "tshirt"
    for a, b in itertools.pairwise(tokens):
        terms.add(a + b)
    joined = " ".join(tokens)
    for key, alternatives in SYNONYMS.items():
        for alternative in alternatives:
            if alternative in joined and _whole_word(alternative).search(joined):
                terms.add(key)
    return tokens, terms


def _word_score(word: str, terms: set[str]) -> float:
    if word in terms:
        return 100.0
    if len(word) < 4:
        return 0.0
    best = 0.0
    for term in terms:
        if len(term) < 3 or abs(len(term) - len(word)) > 2:
            continue
        best = max(best, fuzz.ratio(word, term))
    return best if best >= 85 else 0.0


def _name_score(item: OrderItem, terms: set[str], joined: str) -> float:
    core = core_words(item.name)
    if not core:
        return 0.0
    scores = [_word_score(w, terms) for w in core]
    hits = [s for s in scores if s]
    if not hits:
        squashed = _squash(" ".join(core))
        if len(squashed) >= 4 and squashed in joined.replace(" ", ""):
            return 90.0
        return 0.0
    # Score what the message says, not what it leaves out: "the yoyo" fits "Yo-yo red" and
    # "Pro ball-bearing yo-yo blue" equally. The head noun (last core word) counts extra.
    head_bonus = 20.0 if scores[-1] else 0.0
    return sum(hits) + head_bonus


_TIMES = (
    r"day|days|night|week|weekend|month|time|times|use|wash|wear|go|try|attempt|hour|morning"
    r"|evening|hike|trip|run|ride|charge"
)


def _positions(tokens: list[str], count: int) -> list[int]:
    found = []
    joined = " ".join(tokens)
    for word, number in ORDINALS.items():
        # "the first one" picks an item; "on the first day", "the second wash" are times.
        pattern = (
            rf"\b(?:the\s+)?{word}\s+(?:one|item|product|thing|line)\b"
            rf"|\bthe\s+{word}\b(?!\s+(?:{_TIMES}))"
        )
        if re.search(pattern, joined) and number <= count:
            found.append(number)
    if re.search(r"\b(?:the\s+)?last\s+(?:one|item|product|thing)\b|\bthe last\b", joined):
        found.append(count)
    for match in re.finditer(r"\b(?:item|line|product|number|no)\s*#?\s*(\d{1,2})\b", joined):
        number = int(match.group(1))
        if 1 <= number <= count:
            found.append(number)
    return found


def _count(token: str) -> int | None:
    if token.isdigit() and 0 < int(token) < 100:
        return int(token)
    if token in NUMBER_WORDS and token not in ("a", "an", "pair", "couple", "dozen", "single"):
        return NUMBER_WORDS[token]
    return None


def _quantity_near(tokens: list[str], index: int, item: OrderItem) -> tuple[int | str | None, bool]:
    """The quantity said just before a mention at ``index`` ("two of the mugs", "both mugs")."""
    window = tokens[max(0, index - 4) : index]
    plural = (
        index < len(tokens) and tokens[index].endswith("s") and not tokens[index].endswith("ss")
    )
    if {"some", "few", "several", "couple"} & set(window):
        return None, False  # "some of the towels": how many is said elsewhere or asked
    said = " ".join(window)
    part = re.search(r"\b(\w+) of (?:the |my |those |these |all )?(\w+)$", said)
    if part and _count(part.group(2)) and _count(part.group(1)):
        return _count(part.group(1)), plural  # "two of the four mugs": two, not four
    for offset, token in enumerate(reversed(window)):
        after = (
            window[len(window) - offset]
            if offset
            else (tokens[index] if index < len(tokens) else "")
        )
        pronoun = after != "of" and not (offset == 0 and index < len(tokens))
        at = index - 1 - offset
        if unit_follows(tokens, at) or bought_count(tokens, at):
            continue  # "after 3 days the mug": a time; "ordered 6 plates": what was bought
        if token in NUMBER_WORDS and not token.isdigit() and token != "both" and pronoun:
            continue  # "the blue one", "the ball bearing one": a pronoun, not a count
        if token in ("all", "every"):
            return ALL, plural
        if token == "both":
            return 2, plural
        if token.isdigit() and 0 < int(token) < 100:
            return int(token), plural
        if token in NUMBER_WORDS and token not in ("a", "an", "pair", "couple", "dozen"):
            return NUMBER_WORDS[token], plural
    return None, plural


_WHOLE_ORDER = re.compile(
    r"\b(?:whole|entire|full|complete) (?:order|lot|thing|package|parcel|box|shipment)\b"
    r"|\beverything\b|\ball (?:of )?(?:the |my )?(?:items|things|products|stuff)\b"
    r"|\ball of it\b|\bthe (?:whole )?lot\b|\beach item\b|\bevery item\b"
)


# "everything except the rug", "all but the rug", "all of it apart from the rug": every item
# but the ones named after the exception word.
_EXCEPT = re.compile(
    r"\b(?:everything|every ?thing|all(?: of)?(?: it| them| the (?:items|things|stuff)| my"
    r" (?:order|stuff|items))?|the (?:whole|entire) (?:order|lot)|the lot|whole order)"
    r"\s*,?\s*(?:except(?: for)?|but(?: not)?|apart from|other than|besides|excluding|minus"
    r"|aside from|save for|bar|without)\s+(?P<rest>[^.;!?]+)"
)


def _with_exceptions(text: str, items: Sequence[OrderItem]) -> ItemMatch | None:
    """Every item but those named after "except" / "all but" / "apart from", all units."""
    found = _EXCEPT.search(text)
    if not found:
        return None
    rest = re.split(
        r"\b(?:because|since|as|cause|cos|coz|they|it|its|it's)\b", found.group("rest")
    )[0]
    named = match_items(rest, items)
    left_out = [mention.item for mention in named.found]
    if not left_out:
        return None
    result = ItemMatch(whole_order=True, excluded=left_out)
    result.found = [
        ItemMention(item, quantity=ALL, plural=True, segment=text.strip())
        for item in sorted(items, key=lambda i: i.position)
        if item not in left_out
    ]
    return result if result.found else None


# "the red yoyo - no wait, the green one": what follows the correction replaces what came
# before it, unless it adds ("actually the mug too").
_CORRECTION = re.compile(
    r"\b(?:no wait|wait no|wait|no sorry|sorry|i mean|i meant|actually|correction|scratch that"
    r"|oops|my bad|my mistake|not that one|i said wrong)\b"
)
_ADDING = re.compile(r"\b(?:too|as well|also|and|plus|another)\b")


def _corrected(text: str, items: Sequence[OrderItem], expecting: bool) -> ItemMatch | None:
    marks = list(_CORRECTION.finditer(text))
    if not marks:
        return None
    head, tail = text[: marks[-1].start()], text[marks[-1].end() :]
    if _ADDING.search(tail.split(".")[0]) or not head.strip():
        return None
    said_after = match_items(tail, items, expecting=expecting)
    if not said_after.found and not said_after.ambiguous:
        return None
    said_before = match_items(head, items, expecting=expecting)
    if not said_before.found and not said_before.ambiguous:
        return None
    return said_after


def match_items(
    text: str,
    items: Sequence[OrderItem],
    *,
    expecting: bool = False,
    whole_order: bool = False,
) -> ItemMatch:
    """The items a message names, with any quantity said next to them.

    ``expecting`` is set when the bot just asked which item: then a bare number ("2") or an
    ordinal ("the second") picks by position. With ``whole_order``, a message that names no
    item but the whole order ("everything", "the entire order") names every item, all units.
    """
    result = ItemMatch()
    if not items:
        return result
    amounts = _amounts(text)
    text = MONEY.sub(" ", fold(text))  # "$24" is a price, never a count or a position
    folded = fold(text)
    tokens = words(text)
    excepted = _with_exceptions(" ".join(tokens), items)
    if excepted:
        return excepted
    corrected = _corrected(text, items, expecting)
    if corrected:
        return corrected
    raw_tokens = set(re.findall(r"[a-z0-9][a-z0-9-]*", folded))
    chosen: dict[str, ItemMention] = {}

    for item in items:  # SKUs, exactly
        if item.sku.lower() in raw_tokens or item.sku.lower() == folded.strip(" .!?"):
            chosen[item.sku] = ItemMention(item)

    by_position = {item.position: item for item in items}
    ordered = sorted(items, key=lambda i: i.position)
    positions = _positions(tokens, len(ordered))
    if expecting and not positions:
        bare = folded.strip(" .!?#")
        if bare.isdigit() and 1 <= int(bare) <= len(ordered):
            positions = [int(bare)]
        elif bare in ORDINALS and ORDINALS[bare] <= len(ordered):
            positions = [ORDINALS[bare]]
    for position in positions:
        item = by_position.get(position) or ordered[position - 1]
        chosen.setdefault(item.sku, ItemMention(item))

    # Names: split the message into sentences and at "and" / "," / "but", so "the mug and the
    # lamp" names both and "the lamp is fine." rules out the lamp alone.
    segments = [
        " ".join(words(part))
        for part in re.split(r"[.,;:!?&()]+|\b(?:and|also|plus|but|as well as)\b", folded)
    ]
    segments = [segment for segment in segments if segment]
    for segment in segments:
        raw_segment = segment.split()
        seg_tokens, terms = _message_terms(segment)
        joined = " ".join(seg_tokens)
        scored = [(item, _name_score(item, terms, joined)) for item in items]
        scored = [(item, score) for item, score in scored if score > 0]
        if not scored:
            colours = set(seg_tokens) & COLOURS
            coloured = [
                i for i in items if colours and colours <= set(re.findall(r"[a-z]+", fold(i.name)))
            ]
            if len(coloured) == 1:
                # "the blue is fine", "keep the blue one": named by colour to rule it out.
                at = next(n for n, token in enumerate(seg_tokens) if token in colours)
                if _ruled_out(seg_tokens, at + (seg_tokens[at + 1 : at + 2] == ["one"])):
                    if coloured[0] not in result.excluded:
                        result.excluded.append(coloured[0])
                    continue
                chosen.setdefault(coloured[0].sku, ItemMention(coloured[0]))
            elif len(coloured) > 1 and not any(i.sku in chosen for i in coloured):
                result.ambiguous.append(coloured)
            continue
        top = max(score for _, score in scored)
        best = [item for item, score in scored if score >= top - 5]
        if len(best) > 1:
            described = [
                item
                for item in best
                if describing_words(item.name) & set(seg_tokens) - STOPWORDS
                and _distinguishes(item, best, set(seg_tokens))
            ]
            if described:
                best = described
        if len(best) > 1:
            best = _by_price(best, amounts, set(seg_tokens))
        if len(best) > 1:
            if not any(item.sku in chosen for item in best):
                result.ambiguous.append(best)
            continue
        item = best[0]
        index = _mention_index(seg_tokens, item)
        if _ruled_out(seg_tokens, index):
            if item not in result.excluded:
                result.excluded.append(item)
            continue
        quantity, plural = _quantity_near(raw_segment, index, item)
        mention = chosen.get(item.sku) or ItemMention(item)
        mention.segment = mention.segment or segment.strip()
        mention.quantity = mention.quantity or quantity
        mention.plural = mention.plural or plural
        chosen[item.sku] = mention
    named = {sku for sku in chosen if chosen[sku].segment or sku not in _skus(result.excluded)}
    result.found = sorted(
        (mention for sku, mention in chosen.items() if sku in named),
        key=lambda m: m.item.position,
    )
    if not result.found and amounts:
        # Named by price alone ("the $25 one"): when that price is one item's only.
        by_price = [i for i in items if i.price is not None and _price_key(i.price) in amounts]
        if len(by_price) == 1 and by_price[0] not in result.excluded:
            result.found = [ItemMention(by_price[0], segment=" ".join(tokens))]
            result.ambiguous = []
    if not result.found and set(tokens) & (_CHEAPER | _DEARER):
        # "the cheaper one": among the items in question, or all of them when asked which.
        group = result.ambiguous[0] if result.ambiguous else (list(items) if expecting else [])
        picked = _by_price(group, amounts, set(tokens)) if len(group) > 1 else group
        if len(picked) == 1 and len(group) > 1:
            result.found = [ItemMention(picked[0], segment=" ".join(tokens))]
            result.ambiguous = []
    found = {mention.item.sku for mention in result.found}
    result.excluded = [item for item in result.excluded if item.sku not in found]
    whole = whole_order and not result.found and not result.ambiguous
    if whole and _WHOLE_ORDER.search(" ".join(tokens)):
        result.whole_order = True
        result.found = [
            ItemMention(item, quantity=ALL, plural=True, segment=" ".join(tokens))
            for item in ordered
            if item not in result.excluded
        ]
    return result


_CHEAPER = frozenset({"cheap", "cheaper", "cheapest"})
_DEARER = frozenset({"expensive", "pricier", "pricey", "priciest", "dearer", "dearest"})


def _amounts(text: str) -> set[str]:
    """The amounts of money a message names, as decimal strings ("$25" is "25.00")."""
    found = set()
    for raw in MONEY.findall(fold(text)):
        digits = re.search(r"\d[\d,]*(?:\.\d+)?", raw)
        if digits:
            value = digits.group().replace(",", "")
            whole, _, cents = value.partition(".")
            found.add(f"{int(whole)}.{(cents + '00')[:2]}")
    return found


def _by_price(group: list[OrderItem], amounts: set[str], said: set[str]) -> list[OrderItem]:
    """Items of the same name told apart by price: an amount said that is one item's unit
    price, or "the cheaper" / "the more expensive one". Unchanged when price tells nothing."""
    priced = [item for item in group if item.price is not None]
    if len(priced) != len(group):
        return group
    named = [item for item in priced if _price_key(item.price) in amounts]
    if len(named) == 1:
        return named
    prices = {_price_key(item.price) for item in priced}
    if len(prices) != len(priced):
        return group  # two at the same price: the price cannot choose
    cheaper = bool(said & _CHEAPER) or {"less", "expensive"} <= said  # "the less expensive"
    if cheaper:
        return [min(priced, key=lambda item: float(_price_key(item.price)))]
    if said & _DEARER:
        return [max(priced, key=lambda item: float(_price_key(item.price)))]
    return group


def _price_key(price: str | None) -> str:
    whole, _, cents = (price or "0").replace(",", "").partition(".")
    return f"{int(whole or 0)}.{(cents + '00')[:2]}"


def _skus(items: list[OrderItem]) -> set[str]:
    return {item.sku for item in items}


_FINE = frozenset({"fine", "ok", "okay", "good", "alright", "perfect", "great", "grand"})
# Words before an item that leave it out: "keep the lamp", "forget the mug", "except the cup".
_KEEP = frozenset(
    {
        "keep",
        "keeping",
        "kept",
        "forget",
        "skip",
        "drop",
        "remove",
        "without",
        "except",
        "excluding",
        "minus",
        "besides",
    }
)


def _ruled_out(tokens: list[str], index: int) -> bool:
    """Is the mention at ``index`` named only to rule it out?

    "not the lamp", "no lamp", "nothing wrong with the lamp", "I'll keep the lamp", "the lamp
    is fine", "the lamp works fine" -- but not "the lamp is not working" or "I did not get the
    lamp", where the negation is about something else.
    """
    before = tokens[max(0, index - 4) : index]
    if before[-1:] == ["no"]:  # "no lamp" (but "no the lamp" is "no, the lamp")
        return True
    while before and before[-1] in ("the", "my", "this", "that", "a", "an", "those", "these"):
        before = before[:-1]
    if before[-1:] == ["not"]:
        return True
    said_before = " ".join(before)
    if said_before.endswith(("nothing wrong with", "no problem with", "nothing's wrong with")):
        return True
    if before and before[-1] in _KEEP:
        return True
    if said_before.endswith(("apart from", "other than", "leave out", "forget about")):
        return True
    after = tokens[index + 1 : index + 4]
    if after[:1] in (["is"], ["are"], ["was"], ["works"], ["work"], ["seems"], ["looks"]):
        rest = after[1:]
        if (rest[:1] and rest[0] in _FINE) or rest[:2] in (["all", "right"], ["working", "fine"]):
            return True
        if rest[:2] and rest[0] in ("totally", "completely", "perfectly", "really", "just"):
            return len(rest) > 1 and rest[1] in _FINE
    return False


def _distinguishes(item: OrderItem, group: list[OrderItem], said: set[str]) -> bool:
    own = describing_words(item.name) & said
    others: set[str] = set()
    for other in group:
        if other.sku != item.sku:
            others |= describing_words(other.name)
    return bool(own - others)


def _mention_index(tokens: list[str], item: OrderItem) -> int:
    core = core_words(item.name)
    for index, token in enumerate(tokens):
        if _singular(token) in core or any(fuzz.ratio(_singular(token), w) >= 85 for w in core):
            return index
    return len(tokens)
