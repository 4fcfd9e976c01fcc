"""graph.owner_console.parse_owner_command: decisions the way different owners type them.

Each phrasing states what the owner means; the parser must read the same thing. A phrasing
that an owner could reasonably type and that parses wrongly is a bug, not an
expectation to adjust.
"""

from __future__ import annotations

import pytest

from graph.owner_console import OwnerCommand, parse_owner_command
from policies.models import normalize_order_number


def order(verb: str, number: str, note: str = "") -> OwnerCommand:
    return OwnerCommand(verb=verb, case_code=None, order=number, note=note)  # type: ignore[arg-type]


def case(verb: str, code: str, note: str = "") -> OwnerCommand:
    return OwnerCommand(verb=verb, case_code=code, order=None, note=note)  # type: ignore[arg-type]


PHRASINGS = [
    # approvals
    ("approve 1700", order("approve", "1700")),
    ("Approve order #1001", order("approve", "1001")),
    ("ok 1002", order("approve", "1002")),
    ("okay 1056", order("approve", "1056")),
    ("yes to 1003", order("approve", "1003")),
    ("go ahead with RB-000004", case("approve", "RB-000004")),
    ("APPROVE #1012", order("approve", "1012")),
    ("Approved: 1013", order("approve", "1013")),
    ("I approve the return for order 1016", order("approve", "1016")),
    ("accept the return on #1025", order("approve", "1025")),
    ("allow 1026", order("approve", "1026")),
    ("authorize order 1027", order("approve", "1027")),
    ("authorise order 1027", order("approve", "1027")),
    ("grant the refund for 1028", order("approve", "1028")),
    ("fine to refund 1058", order("approve", "1058")),
    ("looks good, approve 1037", order("approve", "1037")),
    ("yes, approve 1038", order("approve", "1038")),
    ("approve order no. 1041", order("approve", "1041")),
    ("approve order number 1042", order("approve", "1042")),
    ("approve 1700.", order("approve", "1700")),
    ("approve rb-21", case("approve", "RB-000021")),
    ("accept rb000008", case("approve", "RB-000008")),
    (
        "Approve RB-000040: photo shows the crack",
        case("approve", "RB-000040", "photo shows the crack"),
    ),
    ("approve 1052 - photo is clear", order("approve", "1052", "photo is clear")),
    ("Approve order 1001 as an exception", order("approve", "1001", "an exception")),
    # denials
    (
        "deny the return on order 4040, the tent was used",
        order("deny", "4040", "the tent was used"),
    ),
    ("reject 1005 because it was worn", order("deny", "1005", "it was worn")),
    ("decline order A-7731: outside window", order("deny", "A-7731", "outside window")),
    ("deny 1017", order("deny", "1017")),
    ("deny 1018 since it was used", order("deny", "1018", "it was used")),
    ("no to 1019", order("deny", "1019")),
    ("no, deny 1039", order("deny", "1039")),
    ("refuse RB-000020, no receipt", case("deny", "RB-000020", "no receipt")),
    ("reject return RB-000009", case("deny", "RB-000009")),
    ("Deny order 1030 as it was used", order("deny", "1030", "it was used")),
    ("reject #1031 reason: worn twice", order("deny", "1031", "worn twice")),
    ("deny 1035: used, stained", order("deny", "1035", "used, stained")),
    ("deny 1053 — tent smells of smoke", order("deny", "1053", "tent smells of smoke")),
    ("decline 1060; outside window", order("deny", "1060", "outside window")),
    ("deny return 1043, the seal is broken", order("deny", "1043", "the seal is broken")),
    (
        "please deny 1048 because the item was used",
        order("deny", "1048", "the item was used"),
    ),
    (
        "reject the return for order 1051 since it was used",
        order("deny", "1051", "it was used"),
    ),
    (
        # "okay" later in the note does not turn a denial into an approval
        "deny 1001, the customer said it was okay",
        order("deny", "1001", "the customer said it was okay"),
    ),
    (
        # nor does "cancel" inside the note
        "Deny RB-7: the customer wants to cancel",
        case("deny", "RB-000007", "the customer wants to cancel"),
    ),
    # cancellations
    ("cancel RB-12", case("cancel", "RB-000012")),
    ("please cancel the return for order 1009", order("cancel", "1009")),
    ("void RB-000013", case("cancel", "RB-000013")),
    ("withdraw RB-29", case("cancel", "RB-000029")),
    ("cancel 1023 — customer withdrew", order("cancel", "1023", "customer withdrew")),
    ("Cancel the return on order A-7731", order("cancel", "A-7731")),
    (
        "cancel RB-000046 as requested by the customer",
        case("cancel", "RB-000046", "requested by the customer"),
    ),
    (
        "cancel order 1022 the customer changed her mind",
        order("cancel", "1022", "the customer changed her mind"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), PHRASINGS, ids=[text for text, _ in PHRASINGS])
def test_owner_phrasing_is_read_as_meant(text: str, expected: OwnerCommand) -> None:
    assert parse_owner_command(text) == expected


def test_a_lowercase_letter_order_names_the_same_order_as_the_store() -> None:
    command = parse_owner_command("decline a-7731")
    assert command is not None
    assert command.verb == "deny"
    assert command.case_code is None
    assert command.order is not None
    assert normalize_order_number(command.order) == "A-7731"


def test_a_case_code_is_written_in_its_full_form_whatever_the_padding() -> None:
    for typed in ("RB-5", "rb-000005", "RB005", "RB-0005"):
        command = parse_owner_command(f"approve {typed}")
        assert command is not None, typed
        assert command.case_code == "RB-000005", typed


NOT_DECISIONS = [
    "what's new?",
    "approve it",
    "hello",
    "approve",
    "ok",
    "thanks, ok",
    "deny it please",
    "show me order 1001",
    "hold 1050",
    "",
    "how many returns are waiting for me?",
]


@pytest.mark.parametrize("text", NOT_DECISIONS)
def test_text_without_a_verb_or_a_target_is_not_a_decision(text: str) -> None:
    assert parse_owner_command(text) is None


# -- bugs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don't approve 1010", order("deny", "1010")),
        (
            "do not approve order 1011 - the box was opened",
            order("deny", "1011", "the box was opened"),
        ),
        ("I do not approve 1010", order("deny", "1010")),
        ("don't approve RB-11", case("deny", "RB-000011")),
    ],
)
def test_a_negated_approval_is_a_denial(text: str, expected: OwnerCommand) -> None:
    assert parse_owner_command(text) == expected


def test_a_case_code_in_the_note_does_not_replace_the_order_named() -> None:
    assert parse_owner_command("deny order 1005, duplicate of RB-000003") == order(
        "deny", "1005", "duplicate of RB-000003"
    )


def test_a_case_code_written_with_a_space_is_a_case_code() -> None:
    assert parse_owner_command("Please approve RB 62") == case("approve", "RB-000062")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("approve 1700!", order("approve", "1700")),
        ("can you cancel 1047?", order("cancel", "1047")),
        (
            "Approve the return for order 1001 – photo looks fine",
            order("approve", "1001", "photo looks fine"),
        ),
    ],
)
def test_punctuation_alone_is_not_a_note(text: str, expected: OwnerCommand) -> None:
    assert parse_owner_command(text) == expected


@pytest.mark.parametrize(
    ("text", "verb", "order_number", "note"),
    [
        ("7001 is fine, approve it", "approve", "7001", ""),
        ("#1001 - deny, it was used", "deny", "1001", "it was used"),
        ("1001 ok", "approve", "1001", ""),
        ("refund 1001", "approve", "1001", ""),
        ("don't refund 1005", "deny", "1005", ""),
        ("No on 1001, it was worn", "deny", "1001", "it was worn"),
    ],
)
def test_the_order_may_come_before_the_verb_and_refund_means_approve(
    text: str, verb: str, order_number: str, note: str
) -> None:
    command = parse_owner_command(text)
    assert command == OwnerCommand(verb=verb, case_code=None, order=order_number, note=note)
