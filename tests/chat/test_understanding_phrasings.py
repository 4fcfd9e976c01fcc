"""The offline parsers on phrasings outside testers used: status questions, policy questions,
real words that look like typos, corrections, ruled-out items and the whole order."""

from __future__ import annotations

from pathlib import Path

import pytest

from language.customer import OrderItem, match_items, read_message
from language.customer.answers import yes_or_no
from language.customer.intents import read_intents
from language.customer.items import ItemMatch
from language.customer.reasons import find_reason
from language.customer.resolutions import find_resolution
from language.customer.text import correct, real_words


@pytest.mark.parametrize(
    "text",
    [
        "has my refund gone through?",
        "did I get my refund?",
        "is the money back on my card?",
        "was the refund processed",
        "so have I been paid back yet",
        "did the refund go through",
        "has the money come through yet",
        "thanks. has the replacement been sent?",
        "any news?",
        "Is there any update?",
        "what's happening with my return",
        "did you get my parcel?",
        "hi, did you receive my parcel yet? I sent it back on Monday",
        "when do I get my money",
        "when will I be refunded",
        "where is my label",
        "label?",
        "can you send me the label again",
        "I posted the clock back yesterday",
        "what now?",
    ],
)
def test_status_questions(text: str) -> None:
    assert "status" in read_intents(text)[0]


@pytest.mark.parametrize(
    "text",
    [
        "can i have my money back",
        "I want my money back",
        "can I get a refund?",
        "i have a broken mug, refund please",
        "is it too late to return?",
        "you sent me the wrong one",
    ],
)
def test_requests_are_not_status_questions(text: str) -> None:
    assert "status" not in read_intents(text)[0]


def test_a_status_question_names_no_resolution() -> None:
    reading = read_message("has my refund gone through?")
    assert reading.resolution is None and "return" not in reading.intents


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("do you give extra if i take store credit", "store_credit"),
        ("is there a bonus for store credit?", "store_credit"),
        ("are returns free?", "shipping"),
        ("do i pay the return postage", "shipping"),
        ("who pays for shipping it back?", "shipping"),
        ("is there a restocking fee", "fees"),
        ("how long does it take to get my refund", "refund_time"),
        ("is it too late to return?", "window"),
        ("how many days do i get to send stuff back", "window"),
        ("can you tell me how to return", "how"),
    ],
)
def test_policy_questions(text: str, topic: str) -> None:
    reading = read_message(text)
    assert "policy" in reading.intents and topic in reading.policy_topics
    assert reading.resolution is None  # asking about store credit is not choosing it
    assert "return" not in reading.intents


def test_a_policy_question_with_a_problem_keeps_the_request() -> None:
    reading = read_message("the mug is cracked, is return shipping free? I want store credit")
    assert (reading.reason, reading.resolution) == ("damaged", "store_credit")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # Real words that are one letter from a reason word mean themselves.
        ("can I ship it back", None),
        ("I'll take store credit", None),
        ("make it store credit", None),
        ("well, then I'd like a refund", None),
        ("wait, I read it wrong", None),
        # Typos are still corrected.
        ("the kettel came brokn", "damaged"),
        ("doesnt werk", "defective"),
        ("it dosent work", "defective"),
        ("the mug came damadged", "damaged"),
        # Phrasings testers used.
        ("my earbuds keep disconnecting", "defective"),
        ("the doll's arm came off", "defective"),
        ("the lid doesn't close properly", "defective"),
        ("it is not the good size", "wrong_size"),
        ("the product is not conform to the description", "not_as_described"),
        ("the color is totally different from the website", "not_as_described"),
        ("arrived with a hole", "damaged"),
        # Vague displeasure gives way to a clear reason.
        ("not happy with it, the handle is cracked", "damaged"),
        ("I'm not happy with it", "changed_mind"),
    ],
)
def test_reasons_in_outside_phrasings(text: str, reason: str | None) -> None:
    assert find_reason(text) == reason


def test_real_words_are_left_alone_and_inflections_still_map() -> None:
    vocabulary = ("chip", "fake", "fell", "refund", "broken")
    assert correct(["ship", "take", "well", "brokn", "refunds"], vocabulary) == [
        "ship",
        "take",
        "well",
        "broken",
        "refund",
    ]
    assert {"ship", "take", "well"} <= real_words()


def test_the_shipped_real_word_list_is_current() -> None:
    """Adding a vocabulary word without rebuilding the list would let ordinary words be
    corrected into it; the dictionary is only on machines that have one."""
    dictionary = Path("/usr/share/dict/words")
    if not dictionary.exists():
        pytest.skip("no spelling dictionary on this machine")
    from language.customer.wordlist import needed

    missing = needed(dictionary.read_text(errors="ignore").splitlines()) - real_words()
    assert not missing, f"run python -m language.customer.wordlist: {sorted(missing)[:20]}"


@pytest.mark.parametrize(
    ("text", "resolution"),
    [
        ("send me new ones", "replacement"),
        ("can you swap it?", "replacement"),
        ("back to my credit card", "refund"),
        ("a gift card please", "store_credit"),
        ("i dont want store credit, refund please", "refund"),
        ("no refund, i want another one", "replacement"),
        ("I would like a full refund please", "refund"),
        ("credit to my account is fine", "store_credit"),
        ("can I exchange it for a bigger size", "replacement"),
        ("I dont want a replacement", None),
    ],
)
def test_resolution_spans_and_negations(text: str, resolution: str | None) -> None:
    assert find_resolution(text) == resolution


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("hmm no actually it's all fine, yes please submit it", "yes"),
        ("yes, actually no", "no"),
        ("oh yes", "yes"),
        ("yess", "yes"),
        ("yse", "yes"),
        ("okey", "yes"),
        ("right, that's it", "yes"),
        ("everything looks good, go ahead", "yes"),
        ("please don't submit it yet", "no"),
        ("no actually make it store credit", "no"),
        ("hmm", None),
        ("I mean the lamp", None),
    ],
)
def test_answers_with_corrections_and_fillers(text: str, answer: str | None) -> None:
    assert yes_or_no(text) == answer


ITEMS = [
    OrderItem("LAMP-4", "Desk lamp black", 1, 1),
    OrderItem("ORG-2", "Desk organiser bamboo", 1, 2),
    OrderItem("MUG-1", "Ceramic mug", 2, 3),
]


def _skus(match: ItemMatch) -> tuple[list[str], list[str]]:
    return match.skus, [item.sku for item in match.excluded]


@pytest.mark.parametrize(
    ("text", "found", "excluded"),
    [
        ("I meant the organiser, not the lamp. the lamp is fine", ["ORG-2"], ["LAMP-4"]),
        ("keep the lamp, return the mug", ["MUG-1"], ["LAMP-4"]),
        ("the lamp works fine but the mug is cracked", ["MUG-1"], ["LAMP-4"]),
        ("not the lamp", [], ["LAMP-4"]),
        ("no, the organiser", ["ORG-2"], []),
        ("the lamp is not working", ["LAMP-4"], []),
        ("I did not get the lamp", ["LAMP-4"], []),
    ],
)
def test_items_ruled_out(text: str, found: list[str], excluded: list[str]) -> None:
    assert _skus(match_items(text, ITEMS)) == (found, excluded)


def test_the_whole_order() -> None:
    match = match_items("I want to send back the whole order", ITEMS, whole_order=True)
    assert match.whole_order and match.skus == ["LAMP-4", "ORG-2", "MUG-1"]
    assert {mention.quantity for mention in match.found} == {"all"}
    assert match_items("I want to send back the whole order", ITEMS).skus == []
    # "everything but the mug" is every item except the mug, all units
    match = match_items("everything but the mug", ITEMS, whole_order=True)
    assert match.skus == ["LAMP-4", "ORG-2"] and _skus(match)[1] == ["MUG-1"]


def test_some_of_an_item_leaves_the_count_open() -> None:
    items = [OrderItem("TWL-2", "Cotton towel white", 3, 1)]
    mention = match_items("I need to return some towels", items).found[0]
    assert (mention.quantity, mention.plural) == (None, False)
    assert match_items("the towels", items).found[0].plural


def test_no_before_a_number_is_not_a_negation() -> None:
    assert find_reason("item no. 3, it flickers") == "defective"
    assert find_reason("it's not broken") is None


@pytest.mark.parametrize(
    "text",
    [
        "forget the mug",
        "except the mug",
        "without the mug",
        "apart from the mug",
    ],
)
def test_items_left_out_by_a_verb(text: str) -> None:
    assert _skus(match_items(text, ITEMS)) == ([], ["MUG-1"])


def test_asking_for_a_person_about_a_refund_chooses_nothing() -> None:
    reading = read_message("I want to speak to someone about my refund")
    assert {"human", "status"} <= reading.intents and reading.resolution is None


@pytest.mark.parametrize(
    ("text", "resolution"),
    [
        ("it's a different colour than on the website", None),
        ("can I get it in a bigger size", "replacement"),
        ("I'd like to return another one", None),
        ("send me another one", "replacement"),
    ],
)
def test_other_sizes_and_other_items(text: str, resolution: str | None) -> None:
    assert find_resolution(text) == resolution


@pytest.mark.parametrize(
    "text",
    [
        "money back yet?",
        "refund yet?",
        "is it refunded?",
        "any luck with my refund",
        "still no refund",
        "got my refund?",
        "whens my refund coming",
        "update pls",
        "where r we with the return",
        "I want to speak to someone about my refund",
        "how much did I get back?",
    ],
)
def test_short_status_questions(text: str) -> None:
    assert "status" in read_intents(text)[0]
