"""Supplier replies in ordinary words and in shapes from suppliers abroad: the offline reader,
through the pure harness the language corpus is scored with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from language.supplier.reader import find_address, find_rma
from language.supplier.reply import read_supplier_reply
from tests.language_corpus.score_supplier import check, main

OWN = Path(__file__).parents[1] / "language_corpus" / "own"
ENTRIES: list[dict[str, Any]] = yaml.safe_load((OWN / "supplier.yaml").read_text("utf-8"))


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["text"][:40] for e in ENTRIES])
def test_the_reader_reads_the_corpus_of_its_own_classes(entry: dict[str, Any]) -> None:
    results = check(entry)
    assert results and all(results.values()), (
        results,
        read_supplier_reply(entry["text"], entry["stage"]),
    )


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("it's clearly been used, we can't take it", "inspected_failed"),
        ("no credit on this one, it was dropped", "inspected_failed"),
        ("item received damaged by customer, rejecting", "inspected_failed"),
        ("Got it back. Signs of misuse on the motor, sorry", "inspected_failed"),
        ("opened and assembled, cannot resell", "inspected_failed"),
        ("Sorry, customer damage - not accepted.", "inspected_failed"),
        ("all good, credit issued", "inspected_ok"),
        ("received and restocked, credit note to follow", "inspected_ok"),
        ("This one is on us, happy to credit it", "inspected_ok"),
        ("parcel is here, will check it on Monday", "unclear"),
        ("was the original box with it when she sent it?", "question"),
    ],
)
def test_inspection_answers_in_ordinary_words(text: str, decision: str) -> None:
    assert read_supplier_reply(text, "inspection")["decision"] == decision


@pytest.mark.parametrize(
    ("text", "decision", "conditions"),
    [
        ("fine if all the accessories come back", "approve", True),
        ("ok but only unopened", "approve", True),
        ("Approved as long as it's in the original packaging. RMA 8812", "approve", True),
        ("we accept it provided the seal is intact", "approve", True),
        ("unopened units only, approved", "approve", True),
        ("approved, RMA 4410", "approve", False),
        # a condition with no approval, or one that asks the store for something, decides nothing
        ("only if the customer pays the shipping", "question", False),
        ("approve if you can send photos of the damage first", "question", False),
        ("let me check with my manager", "unclear", False),
        ("we can't accept this return, it's out of warranty", "decline", False),
        ("not something we take back, sorry - custom order", "decline", False),
    ],
)
def test_authorisation_answers_and_their_conditions(
    text: str, decision: str, conditions: bool
) -> None:
    reading = read_supplier_reply(text, "authorization")
    assert (reading["decision"], bool(reading["conditions"])) == (decision, conditions)


@pytest.mark.parametrize(
    ("text", "rma"),
    [
        ("Retourennr. 55-11-AT", "55-11-AT"),
        ("Rücksendenummer: RS-2291", "RS-2291"),
        ("return auth no: QX-4410", "QX-4410"),
        ("RMA#7781 ok", "7781"),
        ("同意，退货单号：TH20260311", "TH20260311"),
        ("Ret. no. 2026/118, send it", "2026/118"),
    ],
)
def test_rma_shapes_from_suppliers_abroad(text: str, rma: str) -> None:
    assert find_rma(text)[0] == rma


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "Address as follows:\nHaberl Handels GmbH\nLagerweg 4\nA-4020 Linz\nAustria",
            ["Lagerweg 4", "A-4020 Linz", "Austria"],
        ),
        (
            "Bitte an folgende Adresse senden:\nMüller GmbH\nIndustriestraße 12\n10115 Berlin",
            ["Müller GmbH", "Industriestraße 12", "10115 Berlin"],
        ),
        (
            "send it to\nUnit 4, Parkside Industrial Estate\nLeeds LS11 5QB\nUK",
            ["Parkside Industrial Estate", "Leeds LS11 5QB", "UK"],
        ),
        (
            "Address as follows:\nRoom 502, Building 3\n88 Jiangnan Road\nHangzhou, Zhejiang 310052"
            "\nChina",
            ["88 Jiangnan Road", "Hangzhou, Zhejiang 310052", "China"],
        ),
        ("address follows\nKeizersgracht 100\n1015 CW Amsterdam", ["1015 CW Amsterdam"]),
    ],
)
def test_addresses_over_several_lines_outside_the_us(text: str, parts: list[str]) -> None:
    address, _ = find_address(text)
    assert address is not None
    assert all(part in address for part in parts), address
    assert "follows" not in address and "senden" not in address


def test_the_scorer_prints_field_accuracy_and_fully_right(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([str(OWN)]) == 0
    out = capsys.readouterr().out
    assert f"{len(ENTRIES)} of {len(ENTRIES)} fully right" in out
    assert "decision" in out and "conditions" in out


def test_the_harness_refuses_an_unknown_stage() -> None:
    with pytest.raises(ValueError, match="Unknown stage"):
        read_supplier_reply("approved", "shipping")


@pytest.mark.parametrize(
    ("text", "stage", "decision"),
    [
        # a fault word negated leaves the other fault words standing, and a negated list holds
        (
            "it was dropped, the corner is smashed and thats not transport damage",
            "inspection",
            "inspected_failed",
        ),
        ("Not damaged or scratched, all fine", "inspection", "inspected_ok"),
        ("no scratches, no dents, credit issued", "inspection", "inspected_ok"),
        # the usual words of suppliers writing in their own language
        ("Ware ist angekommen und in Ordnung.", "inspection", "inspected_ok"),
        (
            "Ware erhalten, beschädigt durch Kunde, keine Gutschrift",
            "inspection",
            "inspected_failed",
        ),
        ("收到，没问题", "inspection", "inspected_ok"),
        ("Rücksendung genehmigt. Retourennummer 4471", "authorization", "approve"),
        ("Rücksendung abgelehnt", "authorization", "decline"),
        ("我们不同意退货", "authorization", "decline"),
        # punctuation alone says nothing and asks nothing
        ("??", "authorization", "unclear"),
        ("...", "inspection", "unclear"),
    ],
)
def test_negations_and_other_languages(text: str, stage: str, decision: str) -> None:
    assert read_supplier_reply(text, stage)["decision"] == decision


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("Approved, but customer pays the return shipping.", "customer pays the return shipping"),
        ("Approved at the buyer's cost", "at the buyer's cost"),
        ("approved less a 15% restocking fee", "less a 15% restocking fee"),
        ("Accepted, please make sure all accessories are included", "all accessories are included"),
    ],
)
def test_terms_of_an_approval_are_its_conditions(text: str, condition: str) -> None:
    reading = read_supplier_reply(text, "authorization")
    assert (reading["decision"], reading["conditions"]) == ("approve", [condition])


def test_a_dutch_postcode_keeps_its_city() -> None:
    text = "Please return to: Acme EU BV, Industrieweg 5, 3044 AS Rotterdam, Netherlands"
    assert read_supplier_reply(text, "authorization")["address"] == (
        "Acme EU BV, Industrieweg 5, 3044 AS Rotterdam, Netherlands"
    )
