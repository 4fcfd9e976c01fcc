"""policies.rules and policies.rule_engine: what a rule may say, and the order rules apply in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from policies.models import Reason
from policies.rule_engine import conflicts, matches
from policies.rules import Rule, RuleSpec
from tests.rules.helpers import (
    DENY,
    KEEP,
    PHOTO,
    REVIEW,
    TELL_OWNER,
    act,
    days,
    price,
    reason,
    returns,
    rule,
    rules_store,
    supplier,
    value,
)
from tools.decide_assessment import CaseFacts, decide_assessment

STORE = rules_store()
OPENED = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


def active(spec: RuleSpec, number: int) -> Rule:
    return Rule.from_spec(spec, id=number, status="active")


def facts(**changes: Any) -> CaseFacts:
    base: dict[str, Any] = {
        "unit_price_minor": 800,
        "quantity": 1,
        "reason": Reason.WRONG_SIZE,
        "final_sale": False,
        "days_since_delivery": 5,
        "supplier_country": "US",
        "customer_country": "US",
        "supplier_role": "logistical",
        "photo_count": 0,
        "owner_approved": False,
        "supplier_id": "acme",
        "order_total_minor": 800,
        "currency": "USD",
        "opened_at": OPENED,
    }
    return CaseFacts(**{**base, **changes})


# -- the model ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"trigger": "supplier_silent", "actions": [TELL_OWNER]}, "time limit"),
        ({"wait_hours": 24, "actions": [TELL_OWNER]}, "only the supplier-silence"),
        ({"actions": [act("store_credit_bonus", 10)]}, "cannot be done when a return is assessed"),
        ({"conditions": [price("lt", "10.00")], "actions": [KEEP, DENY]}, "cannot both"),
        (
            {"conditions": [price("lt", "10.00"), price("gt", "20.00")], "actions": [PHOTO]},
            "never all hold",
        ),
        ({"actions": [DENY]}, "every return"),
        (
            {"conditions": [price("lt", "10.00")], "actions": [{"kind": "partial_refund"}]},
            "percent",
        ),
        (
            {
                "conditions": [price("lt", "10.00")],
                "actions": [{"kind": "require_photo", "message": "x"}],
            },
            "only a denial",
        ),
        (
            {
                "conditions": [reason("damaged")],
                "actions": [{"kind": "partial_refund", "percent": 100}],
            },
            "full refund",
        ),
        ({"actions": []}, "at least 1"),
    ],
)
def test_a_rule_that_does_not_hold_together_is_refused(
    fields: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        RuleSpec.model_validate(fields)
    assert problem in str(refused.value)


def test_each_trigger_renders_one_sentence() -> None:
    names = {"acme": "Acme Home Goods"}
    assert rule(supplier("acme"), actions=KEEP).canonical(names) == (
        "For returns where the supplier is Acme Home Goods: approve it without asking for the "
        "item back."
    )
    assert rule(actions=REVIEW).canonical() == "For every return: send it to the owner for review."
    assert rule(actions=TELL_OWNER, trigger="supplier_silent", wait_hours=36).canonical() == (
        "When the supplier has not answered within 36 hours of being asked: notify the owner."
    )
    assert rule(actions=act("refund"), trigger="not_inspected", wait_hours=72).canonical() == (
        "When the supplier has not confirmed the inspection within 3 days of delivery: refund "
        "the customer anyway."
    )
    assert rule(
        actions=act("store_credit_bonus", 8), trigger="store_credit_chosen"
    ).canonical() == (
        "When the customer chooses store credit: add an 8% bonus to the store credit."
    )


def test_versioning_fields_name_the_actor() -> None:
    stored = Rule.from_spec(rule(reason("damaged"), actions=PHOTO), id=4, version=2)
    assert stored.actor == "rule:4@2"
    assert stored.label == "rule 4 (version 2)"
    assert stored.spec() == rule(reason("damaged"), actions=PHOTO)


# -- matching ----------------------------------------------------------------------------------


def test_money_conditions_compare_in_minor_units_and_only_their_currency() -> None:
    under_ten = rule(price("lt", "10.00"), actions=KEEP)
    assert matches(under_ten, facts(unit_price_minor=999))
    assert not matches(under_ten, facts(unit_price_minor=1000))
    assert not matches(under_ten, facts(unit_price_minor=999, currency="EUR"))
    over_two_hundred = rule(value("gt", "200.00"), actions=REVIEW)
    assert matches(over_two_hundred, facts(unit_price_minor=12000, quantity=2))
    assert not matches(over_two_hundred, facts(unit_price_minor=20000, quantity=1))


def test_the_customers_returns_are_counted_in_their_period() -> None:
    this_year = [dt.datetime(2026, 1, 5, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)]
    last_year = [dt.datetime(2025, 12, 30, tzinfo=dt.UTC)]
    earlier = tuple(last_year + this_year)
    flag = rule(returns("gt", 2, "this_year"), actions=REVIEW)
    assert matches(flag, facts(earlier_returns_at=earlier))  # 2 this year + this one = 3 > 2
    assert not matches(flag, facts(earlier_returns_at=tuple(this_year[:1] + last_year)))
    previous = rule(returns("gt", 2, current=False), actions=REVIEW)
    assert matches(previous, facts(earlier_returns_at=earlier))  # 3 earlier, all time
    last_month = rule(returns("ge", 1, "days", 40, current=False), actions=REVIEW)
    assert matches(last_month, facts(earlier_returns_at=(dt.datetime(2026, 2, 1, tzinfo=dt.UTC),)))
    assert not matches(last_month, facts(earlier_returns_at=tuple(last_year)))


# -- the order of the assessment ---------------------------------------------------------------


def test_deny_comes_before_review_and_review_before_approval() -> None:
    keep = active(rule(price("lt", "10.00"), actions=KEEP), 1)
    review = active(rule(reason("wrong_size"), actions=REVIEW), 2)
    deny = active(rule(days("gt", 3), actions=DENY), 3)
    verdict = decide_assessment(STORE, facts(), [keep, review, deny])
    assert (verdict.outcome, verdict.rule) == ("deny", "rule:3@1")
    verdict = decide_assessment(STORE, facts(), [keep, review])
    assert (verdict.outcome, verdict.rule) == ("review", "rule:2@1")
    approved = decide_assessment(STORE, facts(owner_approved=True), [keep, review, deny])
    assert (approved.outcome, approved.rule) == ("keep_it", "rule:1@1")


def test_the_policy_photo_comes_before_a_rule_approval_and_a_final_sale_before_all() -> None:
    keep = active(rule(price("lt", "10.00"), actions=KEEP), 1)
    damaged = facts(reason=Reason.DAMAGED)
    assert decide_assessment(STORE, damaged, [keep]).outcome == "photo"
    assert decide_assessment(
        STORE, damaged.model_copy(update={"photo_count": 1}), [keep]
    ).outcome == ("keep_it")
    final = decide_assessment(STORE, facts(final_sale=True), [keep])
    assert (final.outcome, final.rule) == ("deny", None)


def test_a_photo_rule_asks_only_while_there_is_no_photo() -> None:
    photo = active(rule(reason("wrong_size"), actions=PHOTO), 1)
    assert decide_assessment(STORE, facts(), [photo]).outcome == "photo"
    assert decide_assessment(STORE, facts(photo_count=1), [photo]).outcome == "authorise"


def test_the_most_specific_approval_wins_and_ties_go_to_the_newer_rule() -> None:
    keep = active(rule(price("lt", "20.00"), actions=KEEP), 1)
    partial = active(
        rule(price("lt", "20.00"), reason("wrong_size"), actions=act("partial_refund", 30)), 2
    )
    verdict = decide_assessment(STORE, facts(), [partial, keep])
    assert (verdict.outcome, verdict.partial_percent, verdict.rule) == (
        "partial_refund",
        30,
        "rule:2@1",
    )
    newer = active(rule(supplier("acme"), actions=act("partial_refund", 40)), 3)
    verdict = decide_assessment(STORE, facts(), [keep, newer])
    assert (verdict.rule, verdict.partial_percent) == ("rule:3@1", 40)


def test_notify_only_rules_are_applied_beside_the_outcome_and_losers_are_not() -> None:
    keep = active(rule(price("lt", "20.00"), reason("wrong_size"), actions=KEEP), 1)
    losing = active(rule(price("lt", "30.00"), actions=(KEEP, TELL_OWNER)), 2)
    tell = active(rule(reason("wrong_size"), actions=TELL_OWNER), 3)
    verdict = decide_assessment(STORE, facts(), [keep, losing, tell])
    assert verdict.rule == "rule:1@1"
    assert [applied.actor for applied in verdict.rules_applied] == ["rule:1@1", "rule:3@1"]
    assert verdict.rules_applied[1].notify_owner
    plain = decide_assessment(STORE, facts(unit_price_minor=5000), [keep, tell])
    assert (plain.rule, [a.actor for a in plain.rules_applied]) == (None, ["rule:3@1"])


# -- conflicts ---------------------------------------------------------------------------------


def test_overlapping_rules_that_say_different_things_are_reported() -> None:
    keep = active(rule(price("lt", "20.00"), actions=KEEP), 1)
    deny = Rule.from_spec(rule(reason("changed_mind"), actions=DENY), id=2)
    found = conflicts(deny, [keep])
    assert len(found) == 1 and "denials come first" in found[0].message
    partial = Rule.from_spec(
        rule(price("lt", "20.00"), reason("damaged"), actions=act("partial_refund", 30)), id=3
    )
    (conflict,) = conflicts(partial, [keep])
    assert "rule 3 wins" in conflict.message and "more conditions" in conflict.message
    same = Rule.from_spec(rule(price("lt", "20.00"), actions=KEEP), id=4)
    assert "exactly what rule 1" in conflicts(same, [keep])[0].message


def test_rules_that_cannot_meet_the_same_case_or_that_compose_are_not_conflicts() -> None:
    keep = active(rule(price("lt", "20.00"), actions=KEEP), 1)
    assert conflicts(Rule.from_spec(rule(price("ge", "20.00"), actions=DENY), id=2), [keep]) == []
    assert conflicts(Rule.from_spec(rule(reason("damaged"), actions=PHOTO), id=3), [keep]) == []
    assert conflicts(Rule.from_spec(rule(value("gt", "5.00"), actions=REVIEW), id=4), [keep]) == []
    other_reason = active(rule(reason("damaged"), actions=DENY), 5)
    not_damaged = Rule.from_spec(rule(reason("damaged", negated=True), actions=KEEP), id=6)
    assert conflicts(not_damaged, [other_reason]) == []


def test_two_bonuses_and_two_refund_timers_conflict() -> None:
    ten = active(rule(actions=act("store_credit_bonus", 10), trigger="store_credit_chosen"), 1)
    fifteen = Rule.from_spec(
        rule(actions=act("store_credit_bonus", 15), trigger="store_credit_chosen"), id=2
    )
    assert "rule 2 wins" in conflicts(fifteen, [ten])[0].message
    three = active(rule(actions=act("refund"), trigger="not_inspected", wait_hours=72), 3)
    five = Rule.from_spec(
        rule(actions=act("refund"), trigger="not_inspected", wait_hours=120), id=4
    )
    assert conflicts(five, [three])
