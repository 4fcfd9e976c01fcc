"""graph.owner_console: a rule with a number in it is not a decision on an order of that number.

"refund anything under $15" is a rule; "approve 1001" is a decision. The yes and no that
answer a waiting draft are short and come in many words.
"""

from __future__ import annotations

import pytest

from graph.owner_console import OwnerCommand, _is_no, _is_yes, parse_owner_command


@pytest.mark.parametrize(
    "text",
    [
        "ok so refund anything under 15",
        "approve returns under 15 automatically",
        "approve anything over 200 dollars",
        "approve $15 items without a return",
        "deny returns after 30 days",
        "ok, items under 10 bucks: no return",
        "deny anything over 90 days old",
        "approve returns of 5 units or more",
    ],
)
def test_a_number_that_is_an_amount_count_or_duration_names_no_order(text: str) -> None:
    assert parse_owner_command(text) is None


@pytest.mark.parametrize(
    ("text", "verb", "order"),
    [
        ("approve 1001", "approve", "1001"),
        ("ok 15", "approve", "15"),
        ("deny 15, it was worn", "deny", "15"),
        ("approve order 15", "approve", "15"),
        ("yes, approve 7001 please", "approve", "7001"),
    ],
)
def test_a_decision_still_names_its_order(text: str, verb: str, order: str) -> None:
    command = parse_owner_command(text)
    assert isinstance(command, OwnerCommand)
    assert (command.verb, command.order) == (verb, order)


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "yep",
        "ok do it",
        "confirm",
        "Confirmed.",
        "yes please",
        "go for it",
        "sure thing",
        "make it live",
        "lgtm",
        "yes, switch it on",
        "sounds good",
        "yes that is what I meant",
    ],
)
def test_yes_to_a_draft(text: str) -> None:
    assert _is_yes(text) and not _is_no(text)


@pytest.mark.parametrize(
    "text",
    ["no", "nope", "no thanks", "scrap that", "not quite", "no, that is wrong", "hmm no"],
)
def test_no_to_a_draft(text: str) -> None:
    assert _is_no(text) and not _is_yes(text)


@pytest.mark.parametrize(
    "text", ["approve 1001", "yes but make it $20", "ok 1002", "yes, refund items under $12"]
)
def test_a_yes_with_more_in_it_is_not_a_bare_yes(text: str) -> None:
    assert not _is_yes(text)
