"""The offline reader of supplier replies, on replies written the way busy people type."""

from __future__ import annotations

import pytest

from language.supplier.reader import clean_slack_text, find_address, find_rma, read_supplier_reply

# (reply, what the case waits for, intent, RMA, words the address must hold or None)
AUTHORISATION = [
    ("approved", "approve", None, None),
    ("Approved, RMA 55102", "approve", "55102", None),
    ("aproved rma#A-1234 thx", "approve", "A-1234", None),
    ("ok go ahead. return auth 7781", "approve", "7781", None),
    ("Yes we'll take it back, ref: RMA-2024-0042", "approve", "RMA-2024-0042", None),
    ("RMA 88213", "approve", "88213", None),
    ("rma: 4471-B", "approve", "4471-B", None),
    ("RMA is 99-1203, send it back pls", "approve", "99-1203", None),
    ("👍 RMA#7710", "approve", "7710", None),
    (":white_check_mark: approved", "approve", None, None),
    ("sure no problem", "approve", None, None),
    ("np, authorised. Return authorization number: RX55Q1", "approve", "RX55Q1", None),
    (
        "Approved. Please ship to:\nAcme Returns Dept\n10 Main St\nFresno, CA 93650",
        "approve",
        None,
        ["10 Main St", "Fresno", "93650"],
    ),
    (
        "ok RMA 3321 send to 455 Harbor Way, Oakland CA 94607. thanks!",
        "approve",
        "3321",
        ["455 Harbor Way", "94607"],
    ),
    (
        "approved\nrma 5521\naddress:\nTrailhead Returns\n200 Pine Rd\nBend, OR 97701\nUSA",
        "approve",
        "5521",
        ["Trailhead Returns", "200 Pine Rd", "Bend, OR 97701", "USA"],
    ),
    (
        "Fine by us. Return address is Rheinhaus Wohnen GmbH, Industriestraße 14, "
        "50735 Köln, Germany",
        "approve",
        None,
        ["Industriestraße 14", "50735 Köln", "Germany"],
    ),
    (
        "go ahead, returns go to\nUnit 4, Riverside Park\nManchester M17 1WA\nUK",
        "approve",
        None,
        ["Unit 4", "M17 1WA"],
    ),
    ("accpeted, RA# 1209", "approve", "1209", None),
    ("Declined", "decline", None, None),
    ("declnied - item is past our 30 day window", "decline", None, None),
    ("no, we can't take this one back, it's final sale", "decline", None, None),
    ("sorry, we can't take this one back", "decline", None, None),
    ("we won't take it back, customer damaged it", "decline", None, None),
    ("Declining - item was used", "decline", None, None),
    ("Sorry, we don't accept returns on opened cosmetics.", "decline", None, None),
    ("nope", "decline", None, None),
    ("rejected: customer damaged it themselves", "decline", None, None),
    ("not approved, out of warranty", "decline", None, None),
    ("❌ not eligible", "decline", None, None),
    ("can you send photos first?", "question", None, None),
    ("Can I approve this without an RMA?", "question", None, None),
    ("need pics of the damage before we can approve", "question", None, None),
    ("what's the serial number on the unit", "question", None, None),
    ("Is the box still sealed? If so we'd take it back", "question", None, None),
    ("RMA 12345?", "question", "12345", None),
    ("hmm let me check with the warehouse", "unclear", None, None),
    ("thanks", "unclear", None, None),
]

INSPECTION = [
    ("inspected ok", "inspected_ok"),
    ("Received and inspected, all good.", "inspected_ok"),
    ("got it back in perfect condition", "inspected_ok"),
    ("no damage, everything's there", "inspected_ok"),
    ("Confirmed defective, we'll credit you", "inspected_ok"),
    ("inspcted, looks fine", "inspected_ok"),
    ("problem found - item is used and the charger is missing", "inspected_failed"),
    ("Box arrived empty!!", "inspected_failed"),
    ("This isn't the item we sent, serial doesn't match", "inspected_failed"),
    ("heavily scratched, not in resellable condition", "inspected_failed"),
    ("rejected, water damage", "inspected_failed"),
    ("received, will inspect tomorrow", "unclear"),
    ("did the customer include the charger?", "question"),
]


@pytest.mark.parametrize(("text", "intent", "rma", "address"), AUTHORISATION)
def test_authorisation_replies(
    text: str, intent: str, rma: str | None, address: list[str] | None
) -> None:
    reading = read_supplier_reply(text, "authorisation")
    assert reading.intent == intent, reading
    assert reading.rma == rma, reading
    if address is None:
        assert reading.address is None, reading
    else:
        assert reading.address is not None, reading
        for part in address:
            assert part in reading.address, (part, reading.address)


@pytest.mark.parametrize(("text", "intent"), INSPECTION)
def test_inspection_replies(text: str, intent: str) -> None:
    reading = read_supplier_reply(text, "inspection")
    assert reading.intent == intent, reading


def test_there_are_at_least_thirty_replies() -> None:
    assert len(AUTHORISATION) + len(INSPECTION) >= 30


def test_a_question_never_approves_even_with_approval_words() -> None:
    for text in (
        "should we approve it or wait?",
        "could you confirm the customer still has the box? then approved",
        "Would it be ok to send a replacement instead?",
    ):
        reading = read_supplier_reply(text, "authorisation")
        assert reading.intent != "approve" or "?" not in text.split(".")[-1], reading
    assert read_supplier_reply("should we approve it or wait?", "authorisation").intent == (
        "question"
    )


def test_approval_with_a_question_keeps_both() -> None:
    reading = read_supplier_reply(
        "Approved, RMA 4410. Can the customer keep the original box?", "authorisation"
    )
    assert reading.intent == "approve"
    assert reading.rma == "4410"
    assert reading.question is not None and "original box" in reading.question


def test_conflicting_words_are_unclear_not_a_guess() -> None:
    reading = read_supplier_reply("approved. actually no, declined", "authorisation")
    assert reading.intent == "unclear"


def test_understood_spells_out_the_facts() -> None:
    reading = read_supplier_reply(
        "ok RMA 55102, ship to 12 Elm Street, Springfield, IL 62704", "authorisation"
    )
    said = reading.understood()
    assert said.startswith("Approved")
    assert "RMA 55102" in said
    assert "12 Elm Street" in said and "62704" in said


def test_rma_shapes_and_non_rmas() -> None:
    assert find_rma("RMA 55102")[0] == "55102"
    assert find_rma("rma#A-1234")[0] == "A-1234"
    assert find_rma("return auth 7781")[0] == "7781"
    assert find_rma("ref: RMA-2024-0042")[0] == "RMA-2024-0042"
    assert find_rma("RMA55102")[0] == "55102"
    assert find_rma("order 1001 arrived")[0] is None
    assert find_rma("RMA to follow")[0] is None
    assert find_rma("no RMA needed")[0] is None


def test_no_address_in_plain_sentences() -> None:
    for text in (
        "approved, RMA 1234",
        "we need 2 photos within 30 days",
        "order 1001 for 3 units",
        "declined, customer used it for 2 weeks",
    ):
        assert find_address(text)[0] is None, text


def test_slack_markup_is_cleaned() -> None:
    text = clean_slack_text("<@U123> *approved* &amp; <mailto:a@b.com|a@b.com> :+1:")
    assert "approved" in text
    assert "<@" not in text and "&amp;" not in text and "*" not in text
