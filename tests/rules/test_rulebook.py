"""graph.rulebook and the extended owner console, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.owner_console import answer_owner
from graph.rulebook import Rulebook
from ledger import decisions
from ledger.models import DecisionRow
from ledger.rules_models import RuleRow
from tools.open_case import ReturnRequest


def open_return(
    desk: ReturnsDesk, sku: str = "MUG-1", reason: str = "wrong_size", **more: object
) -> str:
    request = ReturnRequest.model_validate(
        {"order": "1001", "email": "ana@example.com", "sku": sku, "reason": reason, **more}
    )
    return desk.submit_return(request).code


def rows(desk: ReturnsDesk, action: str) -> list[DecisionRow]:
    with desk.session() as session:
        return list(
            session.execute(select(DecisionRow).where(DecisionRow.action == action)).scalars()
        )


def test_a_draft_changes_nothing_until_the_owner_says_yes(desk: ReturnsDesk) -> None:
    book = Rulebook(desk)
    draft = book.draft("Refund items under $30 without a return")
    assert draft.rule.status == "draft" and draft.rule.id == 1
    assert "unit price is under 30.00 USD" in draft.words()
    assert book.active() == [] and rows(desk, "rule_created") == []
    assert open_return(desk) and desk.cases_for_order("1001")[-1].status == "awaiting_supplier"
    assert book.confirm() == (
        'Rule 1 is on: "For returns where the unit price is under 30.00 USD: approve it without '
        'asking for the item back."'
    )
    (created,) = rows(desk, "rule_created")
    assert (created.actor, created.case_code) == ("owner", None)
    assert json.loads(created.data)["logic"]["actions"][0]["kind"] == "approve_without_return"
    assert [rule.id for rule in book.active()] == [1]
    assert book.pending() is None


def test_no_drops_the_draft_and_a_new_draft_replaces_the_waiting_one(desk: ReturnsDesk) -> None:
    book = Rulebook(desk)
    book.draft("Refund items under $30 without a return")
    second = book.draft("Require a photo for wrong-size returns")
    pending = book.pending()
    assert pending is not None and pending.canonical_text == second.rule.canonical_text
    assert book.discard() == "Dropped the draft; no rule was changed."
    assert book.pending() is None and book.every() == []
    assert book.discard() == "There is no rule draft waiting."


def test_changing_a_rule_makes_a_new_version_and_retires_the_old(desk: ReturnsDesk) -> None:
    book = Rulebook(desk)
    book.add_active("Refund items under $10 without a return")
    draft = book.draft("Refund items under $30 without a return", replaces=1)
    assert (draft.rule.id, draft.rule.version) == (1, 2)
    assert "version 2" in book.confirm()
    with desk.session() as session:
        states = {
            (row.id, row.version): row.status for row in session.execute(select(RuleRow)).scalars()
        }
    assert states == {(1, 1): "retired", (1, 2): "active"}
    (retired,) = rows(desk, "rule_retired")
    assert json.loads(retired.data) == {"rule": 1, "version": 1, "replaced_by": 2}
    code = open_return(desk)  # 24.00 < 30.00
    with desk.session() as session:
        applied = [
            row for row in decisions.case_history(session, code) if row.action == "rule_applied"
        ]
    assert [row.actor for row in applied] == ["rule:1@2"]


def test_retiring_writes_the_ledger_and_a_retired_rule_stops_applying(desk: ReturnsDesk) -> None:
    book = Rulebook(desk)
    book.add_active("Refund items under $30 without a return")
    assert book.retire(1).startswith("Rule 1 is retired")
    assert book.retire(1) == "There is no active rule 1."
    assert book.retire(7) == "There is no active rule 7."
    assert len(rows(desk, "rule_retired")) == 1
    open_return(desk)
    assert desk.cases_for_order("1001")[-1].status == "awaiting_supplier"
    with desk.session() as session:
        assert decisions.verify(session).ok


def test_the_backtest_replays_the_stored_cases_with_the_draft(desk: ReturnsDesk) -> None:
    open_return(desk, "MUG-1")  # 24.00, acme: supplier asked
    open_return(desk, "LAMP-1", quantity=2)  # 2 x 60.00, credit-co: supplier asked
    book = Rulebook(desk)
    preview = book.preview("Refund items under $30 without a return")
    assert preview.backtest.words() == "1 of the last 2 cases: 1 refund without return."
    review = book.preview("Returns over $100 need my approval")
    assert review.backtest.words() == "1 of the last 2 cases: 1 review."
    nothing = book.preview("Deny returns from Credit Co when the reason is damaged")
    assert nothing.backtest.words() == "0 of the last 2 cases would have changed."
    assert book.every() == [] and book.pending() is None  # a preview stores nothing


def test_a_timed_rule_is_backtested_on_how_long_cases_waited(
    desk: ReturnsDesk, clock: FrozenClock
) -> None:
    open_return(desk)
    clock.advance(dt.timedelta(days=3))
    preview = Rulebook(desk).preview("If the supplier doesn't answer within 2 days, notify me")
    assert preview.backtest.words() == (
        "1 of the last 1 cases: 1 return waited more than 2 days for the supplier."
    )
    later = Rulebook(desk).preview("If the supplier doesn't answer within 4 days, notify me")
    assert later.backtest.changed == 0


def test_a_refund_rule_retired_before_its_timer_leaves_the_policy_timer(
    desk: ReturnsDesk, clock: FrozenClock
) -> None:
    book = Rulebook(desk)
    book.add_active(
        "If the supplier hasn't inspected the return within 3 days of delivery, refund anyway"
    )
    code = open_return(desk, reason="damaged", photo=True)
    desk.supplier_action("acme", code, "approve", rma="RMA-1")
    desk.carrier_event(code, "delivered")
    book.retire(1)
    clock.advance(dt.timedelta(days=3, hours=1))
    desk.fire_due_timers()
    assert desk.case_view(code).status == "awaiting_inspection"  # the retired rule did nothing
    clock.advance(dt.timedelta(days=4))
    desk.fire_due_timers()
    view = desk.case_view(code)
    assert (view.status, view.refunded) == ("resolved", "24.00")  # the policy's 7 days


def test_the_console_explains_a_denial_from_the_ledger(desk: ReturnsDesk) -> None:
    Rulebook(desk).add_active('Deny wrong size returns with the message "Sizes are final sale."')
    open_return(desk)
    answer = answer_owner(desk, "why was order 1001 denied?")
    assert "RB-000001" in answer and "is denied" in answer
    assert "denied by rule 1: Sizes are final sale." in answer
    assert answer_owner(desk, "why was order 9999 denied?") == "I found no return on order 9999."


def test_decisions_still_work_while_a_draft_waits(desk: ReturnsDesk) -> None:
    Rulebook(desk).add_active("Returns over $20 need my approval")
    code = open_return(desk)
    assert desk.case_view(code).status == "pending_review"
    draft_reply = answer_owner(desk, "Require a photo for damaged returns")
    assert 'Reply "yes"' in draft_reply
    assert answer_owner(desk, "approve 1001").startswith(f"Approved return {code}")
    assert desk.case_view(code).status == "awaiting_supplier"
    assert "is on" in answer_owner(desk, "yes")
    assert len(Rulebook(desk).active()) == 2
    listing = answer_owner(desk, "show me my rules")
    assert "1. For returns where the return value is over 20.00 USD" in listing
    assert "2. For returns where the reason is damaged" in listing


def test_a_decision_that_reads_like_a_broken_rule_stays_a_decision(desk: ReturnsDesk) -> None:
    answer = answer_owner(desk, "deny 1017")
    assert answer == "I found no return on order 1017. " + answer.split(". ", 1)[1]
    assert Rulebook(desk).pending() is None
    small_talk = answer_owner(desk, "Thanks, I'll look at this one later tonight.")
    assert small_talk.startswith("I didn't find a decision or a rule")
    assert Rulebook(desk).pending() is None


def test_the_owner_says_yes_and_no_in_many_ways(desk: ReturnsDesk) -> None:
    for yes in ("Yes", "yes please!", "OK, switch it on", "sounds good", "Yes, activate it"):
        answer_owner(desk, "Require a photo for damaged returns")
        assert "is on" in answer_owner(desk, yes), yes
        Rulebook(desk).retire(len(Rulebook(desk).every()))
    for no in ("no", "No thanks", "drop it", "don't activate it", "nope."):
        answer_owner(desk, "Require a photo for damaged returns")
        assert answer_owner(desk, no) == "Dropped the draft; no rule was changed.", no
    assert Rulebook(desk).active() == []
    for listing in ("list rules", "What rules are on?", "which rules are active", "rules"):
        assert answer_owner(desk, listing).startswith("No rules are on"), listing
