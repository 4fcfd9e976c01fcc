"""The offline parsers, each with many phrasings."""

from __future__ import annotations

import pytest

from language.customer import OrderItem, match_items, read_message
from language.customer.answers import yes_or_no
from language.customer.identifiers import case_codes, emails, order_numbers
from language.customer.intents import read_intents
from language.customer.quantities import parse_quantity
from language.customer.reasons import find_reason
from language.customer.resolutions import find_resolution


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my order is #1001", ["1001"]),
        ("order number 1001", ["1001"]),
        ("Order no. 1001 please", ["1001"]),
        ("it's A-7731", ["A-7731"]),
        ("#a-7731", ["A-7731"]),
        ("order NW-0042, thanks", ["NW-0042"]),
        ("1001 ana@example.com", ["1001"]),
        ("I paid $500 for 2 mugs", []),
        ("the 28 cm skillet", []),
        ("delivered on 2026-03-05", []),
        ("the PUZ-1000-MAP puzzle", []),
        ("email is ana1001@example.com", []),
    ],
)
def test_order_numbers(text: str, expected: list[str]) -> None:
    assert order_numbers(text) == expected


def test_order_numbers_when_asked_for_one() -> None:
    assert order_numbers("B7", expecting=True) == ["B7"]
    assert order_numbers("B7") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ana@example.com", ["ana@example.com"]),
        ("it's  Ana.Silva@Example.COM.", ["ana.silva@example.com"]),
        ("email: o'neil+shop@mail.example.org, order 5", ["o'neil+shop@mail.example.org"]),
        ("ana at example dot com", []),
        ("ana@example", []),
    ],
)
def test_emails(text: str, expected: list[str]) -> None:
    assert emails(text) == expected


def test_case_codes() -> None:
    assert case_codes("what about RB-000012 and rb 13?") == ["RB-000012", "RB-000013"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the mug arrived cracked", "damaged"),
        ("it was shattered when I opened the box", "damaged"),
        ("the pan is dented", "damaged"),
        ("handle snapped off", "damaged"),
        ("brokn", "damaged"),
        ("craked", "damaged"),
        ("the kettle leaks", "defective"),
        ("it stopped working after a day", "defective"),
        ("doesn't turn on", "defective"),
        ("the headphones are faulty", "defective"),
        ("the seams came apart", "defective"),
        ("doesnt werk", "defective"),
        ("you sent the wrong one", "wrong_item"),
        ("I got a blue one instead of the red", "wrong_item"),
        ("this is not what I ordered", "wrong_item"),
        ("it looks different from the website", "not_as_described"),
        ("not as pictured at all", "not_as_described"),
        ("way too big", "wrong_size"),
        ("it's too small for me", "wrong_size"),
        ("the shoes don't fit", "wrong_size"),
        ("doesnt fit", "wrong_size"),
        ("I don't need it anymore", "changed_mind"),
        ("changed my mind", "changed_mind"),
        ("I no longer want it", "changed_mind"),
        ("it took too long to arrive", "arrived_late"),
        ("arrived late, after the party", "arrived_late"),
        ("it's not broken, I just don't need it", "changed_mind"),
        ("hello there", None),
        ("order 1001", None),
    ],
)
def test_reasons(text: str, reason: str | None) -> None:
    assert find_reason(text) == reason


@pytest.mark.parametrize(
    ("text", "resolution"),
    [
        ("I'd like a refund", "refund"),
        ("just give me my money back", "refund"),
        ("refund to my credit card please", "refund"),
        ("store credit is fine", "store_credit"),
        ("a voucher would be ok", "store_credit"),
        ("can you send a replacement", "replacement"),
        ("replacment please", "replacement"),
        ("I want to exchange it", "replacement"),
        ("not a refund, store credit", "store_credit"),
        ("refund... no actually store credit", "store_credit"),
        ("it broke", None),
    ],
)
def test_resolutions(text: str, resolution: str | None) -> None:
    assert find_resolution(text) == resolution


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", "yes"),
        ("Yes please", "yes"),
        ("yep", "yes"),
        ("sure, go ahead", "yes"),
        ("that's right", "yes"),
        ("ok", "yes"),
        ("confirm", "yes"),
        ("no", "no"),
        ("nope", "no"),
        ("not yet", "no"),
        ("no, the lamp", "no"),
        ("wait", "no"),
        ("the mug is cracked", None),
        ("1001", None),
    ],
)
def test_yes_or_no(text: str, answer: str | None) -> None:
    assert yes_or_no(text) == answer


@pytest.mark.parametrize(
    ("text", "expecting", "quantity"),
    [
        ("two of them", False, 2),
        ("both", False, 2),
        ("all of them", False, "all"),
        ("just one", False, 1),
        ("3 chairs", False, 3),
        ("x2", False, 2),
        ("2", True, 2),
        ("three", True, 3),
        ("2", False, None),
        ("the mug is cracked", False, None),
    ],
)
def test_quantities(text: str, expecting: bool, quantity: int | str | None) -> None:
    assert parse_quantity(text, expecting=expecting) == quantity


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("where is my refund?", "status"),
        ("any update on my return", "status"),
        ("has my refund been issued", "status"),
        ("I'm still waiting for my money", "status"),
        ("can I talk to a human", "human"),
        ("let me speak with a real person", "human"),
        ("agent please", "human"),
        ("I want to speak to the manager", "human"),
        ("how long do I have to return something?", "policy"),
        ("who pays for return shipping?", "policy"),
        ("never mind", "cancel"),
        ("forget it", "cancel"),
        ("let's start over", "restart"),
        ("I want to send it back", "return"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    intents, _topics = read_intents(text)
    assert intent in intents


def test_are_you_a_human_is_not_a_handoff() -> None:
    assert "human" not in read_intents("are you a human?")[0]


ITEMS = [
    OrderItem("YOYO-RED", "Yo-yo red", 2, 1),
    OrderItem("YOYO-PRO-BLU", "Pro ball-bearing yo-yo blue", 1, 2),
    OrderItem("MUG-1", "Ceramic mug", 3, 3),
    OrderItem("HP-1", "Noise-cancelling headphones black", 1, 4),
]


@pytest.mark.parametrize(
    ("text", "skus", "ambiguous"),
    [
        ("the yoyo", [], [["YOYO-RED", "YOYO-PRO-BLU"]]),
        ("the red yoyo", ["YOYO-RED"], []),
        ("the red yo-yo", ["YOYO-RED"], []),
        ("the pro one", [], []),
        ("the ball bearing yoyo", ["YOYO-PRO-BLU"], []),
        ("the blue one", ["YOYO-PRO-BLU"], []),
        ("my coffee cup", ["MUG-1"], []),
        ("the mugs", ["MUG-1"], []),
        ("the headset", ["HP-1"], []),
        ("headphnoes", ["HP-1"], []),
        ("MUG-1", ["MUG-1"], []),
        ("the third item", ["MUG-1"], []),
        ("the mug and the headphones", ["MUG-1", "HP-1"], []),
        ("the thing I bought", [], []),
    ],
)
def test_items(text: str, skus: list[str], ambiguous: list[list[str]]) -> None:
    match = match_items(text, ITEMS)
    assert sorted(match.skus) == sorted(skus)
    assert [[i.sku for i in group] for group in match.ambiguous] == ambiguous


def test_item_quantities_and_positions() -> None:
    assert match_items("two of the mugs", ITEMS).found[0].quantity == 2
    assert match_items("the mugs", ITEMS).found[0].plural
    assert match_items("2", ITEMS, expecting=True).skus == ["YOYO-PRO-BLU"]
    assert match_items("2", ITEMS).skus == []


def test_a_whole_message() -> None:
    reading = read_message("Hi! order #1001, ANA@example.com - the mug is cracked, refund pls")
    assert reading.order_numbers == ["1001"]
    assert reading.emails == ["ana@example.com"]
    assert (reading.reason, reading.resolution) == ("damaged", "refund")
    assert "return" in reading.intents
