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


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("it heats up really hot and then shuts off", "defective"),
        ("the bulb burnt out the first night", "defective"),
        ("the jumper is pilling after one wear", "defective"),
        ("on the website it was navy, we received black", "not_as_described"),
        ("the blender looks used, there is food inside", "not_as_described"),
        ("the shirt is second hand, tags cut off", "not_as_described"),
        ("the tablecloth has a wine stain", "damaged"),
        ("the costume arrived 3 days after our show", "arrived_late"),
    ],
)
def test_more_reasons_in_ordinary_words(text: str, reason: str) -> None:
    assert read_message(text).reason == reason


@pytest.mark.parametrize("text", ["hang on", "one sec", "give me a minute", "not now pls"])
def test_asking_for_time_is_no_yes(text: str) -> None:
    assert read_message(text).answer == "no"


@pytest.mark.parametrize("text", ["my refund?", "and my money??", "hi, our replacement?"])
def test_a_money_word_with_a_question_mark_asks_where_it_is(text: str) -> None:
    assert read_customer(text, []).get("intent") == "status"


@pytest.mark.parametrize(
    "text",
    ["is it possible to exchange a used item?", "am I allowed to send back a gift?"],
)
def test_whether_a_return_is_possible_is_a_policy_question(text: str) -> None:
    assert read_customer(text, []).get("intent") == "policy"


@pytest.mark.parametrize("text", ["same one but in a large please", "same thing but in medium"])
def test_the_same_in_another_variant_is_a_replacement(text: str) -> None:
    assert read_message(text).resolution == "replacement"


TWO_SHIRTS = [
    OrderItem(sku="tee-25", name="Linen shirt", quantity=1, position=1, price="25.00 USD"),
    OrderItem(sku="tee-19", name="Linen shirt", quantity=1, position=2, price="19.50 USD"),
]


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("the $25 linen shirt has a stain", "tee-25"),
        ("the linen shirt for 19.50 dollars is too big", "tee-19"),
        ("the cheaper linen shirt is torn", "tee-19"),
        ("the pricier linen shirt is torn", "tee-25"),
        ("the less expensive linen shirt", "tee-19"),
    ],
)
def test_items_of_the_same_name_told_apart_by_price(text: str, sku: str) -> None:
    match = match_items(text, TWO_SHIRTS)
    assert [m.item.sku for m in match.found] == [sku]
    assert match.ambiguous == []


def test_the_cheaper_one_answers_which_one() -> None:
    match = match_items("the cheaper one", TWO_SHIRTS, expecting=True)
    assert [m.item.sku for m in match.found] == ["tee-19"]


def test_without_a_price_the_same_name_stays_a_question() -> None:
    match = match_items("the linen shirt is torn", TWO_SHIRTS)
    assert match.found == []
    assert [[i.sku for i in group] for group in match.ambiguous] == [["tee-25", "tee-19"]]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the vase came in two pieces", "damaged"),
        ("the towel lost its shape after one wash", "defective"),
        ("this charger is a fire hazard", "defective"),
        ("much shorter than 2m like the listing says", "not_as_described"),
    ],
)
def test_reasons_said_with_numbers_and_safety(text: str, reason: str) -> None:
    assert read_message(text).reason == reason


@pytest.mark.parametrize(
    ("text", "quantity"),
    [("the bowl arrived in 4 pieces", None), ("got 3 bowls, I'd like to send back one", 1)],
)
def test_pieces_of_a_break_and_a_count_after_back(text: str, quantity: int | None) -> None:
    assert parse_quantity(text) == quantity


def test_how_long_a_refund_usually_takes_is_a_policy_question() -> None:
    assert read_customer("how long will refunds usually take?", []).get("intent") == "policy"


@pytest.mark.parametrize(
    "text", ["I got the boots in brown, I chose black", "the spell check", "mind the stair"]
)
def test_common_words_are_not_bent_into_reason_words(text: str) -> None:
    assert read_message(text).reason in (None, "wrong_item")


def test_a_sole_that_came_unglued_is_a_fault() -> None:
    assert read_message("the sole came unglued on the second walk").reason == "defective"


def test_whether_the_store_covers_the_postage_is_a_policy_question() -> None:
    assert read_customer("does the shop cover the postage?", []).get("intent") == "policy"


def test_an_ordinal_before_a_time_picks_no_item() -> None:
    items = [
        OrderItem(sku="boot", name="Hiking boots", quantity=1, position=1),
        OrderItem(sku="pole", name="Trekking poles", quantity=1, position=2),
    ]
    match = match_items("one pole snapped on the first day", items)
    assert [m.item.sku for m in match.found] == ["pole"]


@pytest.mark.parametrize(
    "text",
    ["the fan makes an awful racket", "the blender whirs and then quits", "it hums and stops"],
)
def test_noises_and_stopping_after_starting_are_faults(text: str) -> None:
    assert read_message(text).reason == "defective"
