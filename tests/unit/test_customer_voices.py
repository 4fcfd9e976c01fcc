"""The customer reader on how real customers write (issue 9): one test per class of misreading
seen on the own corpus, each with phrasings other than the corpus's own."""

from __future__ import annotations

import pytest

from language.customer import OrderItem, match_items, read_message
from language.customer.identifiers import order_numbers
from language.customer.quantities import parse_quantity
from language.customer.reading import read_customer


@pytest.mark.parametrize(
    ("text", "resolution"),
    [
        ("store credit works for me", "store_credit"),
        ("a voucher would be ok", "store_credit"),
        ("just give me my money", "refund"),
        ("pls send me a new one", "replacement"),
        ("exchange is fine by me", "replacement"),
    ],
)
def test_a_resolution_said_on_its_own_asks_for_a_return(text: str, resolution: str) -> None:
    reading = read_customer(text, [])
    assert reading.get("intent") == "return"
    assert reading.get("resolution") == resolution


@pytest.mark.parametrize(
    "text",
    [
        "will I get a voucher or money back to my card?",
        "is it store credit or a refund to the card?",
        "how does the store credit work?",
        "how do returns work with you",
    ],
)
def test_how_the_money_comes_back_is_a_policy_question(text: str) -> None:
    assert read_customer(text, []).get("intent") == "policy"


@pytest.mark.parametrize(
    "text",
    [
        "can I talk with a member of your team",
        "connect me with a member of staff please",
        "get me your supervisor",
        "is there someone from your support I can write to",
    ],
)
def test_asking_for_staff_is_asking_for_a_person(text: str) -> None:
    assert read_customer(text, []).get("intent") == "human"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the toaster has ceased to work", "defective"),
        ("radio dead since tuesday", "defective"),
        ("the mat stinks of petrol", "defective"),
        ("the rug has a strong odour", "defective"),
        ("fan switches off after 10 minutes", "defective"),
        ("the lamp turns off randomly", "defective"),
        ("the listing says solid oak but it's chipboard", "not_as_described"),
        ("much darker than it looked on the website", "not_as_described"),
        ("the glass is not shiny like the photos", "not_as_described"),
        ("this is not what you advertised", "not_as_described"),
    ],
)
def test_reasons_in_ordinary_words(text: str, reason: str) -> None:
    assert read_message(text).reason == reason


def test_dead_in_a_deadline_is_no_reason() -> None:
    assert read_message("what is the deadline to send it back?").reason is None


@pytest.mark.parametrize(
    "text",
    ["I don't want it any more", "can I send them back please", "it's just not for me"],
)
def test_the_only_item_of_an_order_is_the_one_meant(text: str) -> None:
    assert read_customer(text, ["Garden chair"]).get("item") == "Garden chair"


def test_with_several_items_a_pronoun_names_none() -> None:
    assert "item" not in read_customer("I don't want it any more", ["Garden chair", "Cushion"])


def test_an_item_named_by_colour_to_say_it_is_fine_is_left_out() -> None:
    items = [
        OrderItem(sku="s-green", name="Scarf green", quantity=1, position=1),
        OrderItem(sku="s-grey", name="Scarf grey", quantity=1, position=2),
    ]
    match = match_items("the grey one is torn, the green is ok", items)
    assert [m.item.sku for m in match.found] == ["s-grey"]
    assert [i.sku for i in match.excluded] == ["s-green"]


@pytest.mark.parametrize(
    "text",
    [
        "the table is 80cm not 900",
        "it measures 150 cm or 1600 at most",
        "a 200 x 300 cm rug",
    ],
)
def test_a_number_set_against_a_measure_is_no_order_number(text: str) -> None:
    assert order_numbers(text) == []


def test_an_order_number_beside_a_measure_is_still_read() -> None:
    assert order_numbers("the rug is 120 cm not 160, order 5512") == ["5512"]


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("the 3 pack of socks, one has a hole", 1),
        ("bought the 4 pack of batteries", None),
    ],
)
def test_the_size_of_a_pack_is_no_quantity(text: str, quantity: int | None) -> None:
    assert parse_quantity(text) == quantity
