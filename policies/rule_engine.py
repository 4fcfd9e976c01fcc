"""Evaluating owner rules at their triggers, in a fixed order.

The order, at the assessment of a case (``tools/decide_assessment.py`` interleaves it with
the store policy):

1. a final-sale item is denied by the policy, whatever the rules say;
2. **deny** rules (the owner's approval of the case passes them);
3. the policy's reviews (return window, ``review_above``), then **review** rules (the owner's
   approval passes both);
4. **photo**: the policy's photo reasons, then photo rules, while the case has no photo;
5. **approvals**: partial-refund and approve-without-return rules, then the policy's keep-it;
6. otherwise the supplier is asked, as the policy says.

Deny and review come before every approval. Within one step, when several rules match, the
most specific wins: the one with more conditions; between equally specific rules, the newer
(higher rule number). Notifications of every matching rule that is applied are sent.

At the other triggers: ``store_credit_chosen`` applies the most specific bonus rule;
``return_approved`` applies every matching rule (store credit instead of a refund, notices);
``supplier_silent`` and ``not_inspected`` set a timer per matching rule when the supplier is
asked or the return is delivered, and act when it fires if the case still waits. Among
``not_inspected`` refund rules the most specific one sets the refund timer, in place of the
policy's ``refund_after_delivery_days``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from policies.models import Reason
from policies.rules import (
    ActionKind,
    Condition,
    FlagCondition,
    InCondition,
    MoneyCondition,
    NumberCondition,
    ReturnsCondition,
    Rule,
    RuleSpec,
    Trigger,
    overlap,
)


class RuleFacts(Protocol):
    """What rules look at, gathered from a case (see ``tools.decide_assessment.CaseFacts``)."""

    @property
    def unit_price_minor(self) -> int: ...
    @property
    def quantity(self) -> int: ...
    @property
    def value_minor(self) -> int: ...
    @property
    def order_total_minor(self) -> int: ...
    @property
    def reason(self) -> Reason: ...
    @property
    def days_since_delivery(self) -> int: ...
    @property
    def supplier_id(self) -> str: ...
    @property
    def supplier_role(self) -> str: ...
    @property
    def supplier_country(self) -> str: ...
    @property
    def customer_country(self) -> str: ...
    @property
    def international(self) -> bool: ...
    @property
    def currency(self) -> str: ...
    @property
    def opened_at(self) -> dt.datetime | None: ...
    @property
    def earlier_returns_at(self) -> tuple[dt.datetime, ...]: ...


def _returns(condition: ReturnsCondition, facts: RuleFacts) -> int:
    opened = facts.opened_at
    times = list(facts.earlier_returns_at)
    if opened is not None:
        if condition.period == "this_year":
            times = [at for at in times if at.year == opened.year]
        elif condition.period == "days":
            since = opened - dt.timedelta(days=condition.days or 0)
            times = [at for at in times if at >= since]
    return len(times) + (1 if condition.include_current else 0)


def holds(condition: Condition, facts: RuleFacts) -> bool:
    """Does this case meet this condition?"""
    if isinstance(condition, MoneyCondition):
        if condition.currency != facts.currency.upper():
            return False  # a rule written for another currency never matches
        value = {
            "unit_price": facts.unit_price_minor,
            "refund_value": facts.value_minor,
            "order_total": facts.order_total_minor,
        }[condition.field]
        return condition.op.holds(value, condition.minor())
    if isinstance(condition, NumberCondition):
        number = facts.quantity if condition.field == "quantity" else facts.days_since_delivery
        return condition.op.holds(number, condition.value)
    if isinstance(condition, ReturnsCondition):
        return condition.op.holds(_returns(condition, facts), condition.value)
    if isinstance(condition, FlagCondition):
        return facts.international == condition.value
    assert isinstance(condition, InCondition)
    actual = {
        "reason": facts.reason.value,
        "supplier": facts.supplier_id,
        "supplier_role": facts.supplier_role,
        "supplier_country": facts.supplier_country.upper(),
        "customer_country": facts.customer_country.upper(),
    }[condition.field]
    return (actual in condition.values) != condition.negated


def matches(rule: RuleSpec, facts: RuleFacts) -> bool:
    return all(holds(condition, facts) for condition in rule.conditions)


def rank(rule: Rule) -> tuple[int, int, int]:
    """Higher wins: more conditions, then the newer rule."""
    return (rule.specificity, rule.id or 0, rule.version)


def most_specific(rules: Iterable[Rule]) -> Rule | None:
    found = list(rules)
    return max(found, key=rank) if found else None


def matching(rules: Iterable[Rule], trigger: Trigger, facts: RuleFacts) -> list[Rule]:
    """The rules of this trigger that this case meets, in rule order."""
    found = [rule for rule in rules if rule.trigger == trigger and matches(rule, facts)]
    return sorted(found, key=lambda rule: (rule.id or 0, rule.version))


def with_action(rules: Iterable[Rule], kind: ActionKind) -> list[Rule]:
    return [rule for rule in rules if rule.action(kind) is not None]


@dataclass
class AssessmentRules:
    """The rules that match a case at its assessment, one winner per step of the order."""

    deny: Rule | None = None
    review: Rule | None = None
    photo: Rule | None = None
    approval: Rule | None = None  # partial refund or approve without return
    notifying: list[Rule] = field(default_factory=list)

    def notices_for(self, applied: Rule | None) -> list[Rule]:
        """Notifying rules that go with the outcome: notify-only ones, and the one applied."""
        decisive = {
            ActionKind.DENY,
            ActionKind.SEND_TO_REVIEW,
            ActionKind.REQUIRE_PHOTO,
            ActionKind.APPROVE_WITHOUT_RETURN,
            ActionKind.PARTIAL_REFUND,
        }
        chosen = []
        for rule in self.notifying:
            own = {action.kind for action in rule.actions} & decisive
            if not own or rule is applied:
                chosen.append(rule)
        return chosen


def assessment_rules(rules: Sequence[Rule], facts: RuleFacts) -> AssessmentRules:
    found = matching(rules, Trigger.CASE_ASSESSED, facts)
    approvals = [
        rule
        for rule in found
        if rule.action(ActionKind.PARTIAL_REFUND) or rule.action(ActionKind.APPROVE_WITHOUT_RETURN)
    ]
    return AssessmentRules(
        deny=most_specific(with_action(found, ActionKind.DENY)),
        review=most_specific(with_action(found, ActionKind.SEND_TO_REVIEW)),
        photo=most_specific(with_action(found, ActionKind.REQUIRE_PHOTO)),
        approval=most_specific(approvals),
        notifying=[
            rule
            for rule in found
            if rule.action(ActionKind.NOTIFY_OWNER) or rule.action(ActionKind.NOTIFY_SUPPLIER)
        ],
    )


# -- conflicts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    other: Rule
    message: str


def _assessment_step(rule: RuleSpec) -> str | None:
    if rule.action(ActionKind.DENY):
        return "deny"
    if rule.action(ActionKind.SEND_TO_REVIEW):
        return "review"
    if rule.action(ActionKind.PARTIAL_REFUND) or rule.action(ActionKind.APPROVE_WITHOUT_RETURN):
        return "approval"
    if rule.action(ActionKind.REQUIRE_PHOTO):
        return "photo"
    return None


def _effect(rule: RuleSpec) -> str:
    partial = rule.action(ActionKind.PARTIAL_REFUND)
    if partial is not None:
        return f"a {partial.percent}% partial refund"
    if rule.action(ActionKind.APPROVE_WITHOUT_RETURN):
        return "a full refund without a return"
    if rule.action(ActionKind.REQUIRE_PHOTO):
        return "a photo first"
    if rule.action(ActionKind.SEND_TO_REVIEW):
        return "your review"
    return "something else"


def _winner_words(new: Rule, other: Rule) -> str:
    winner = new if rank(new) > rank(other) else other
    why = (
        "it has more conditions"
        if winner.specificity != (other if winner is new else new).specificity
        else "it is the newer rule"
    )
    return f"{winner.label} wins there because {why}"


def conflicts(new: Rule, active: Sequence[Rule]) -> list[Conflict]:
    """Active rules that could meet the same case as ``new`` and say something different."""
    found: list[Conflict] = []
    for other in active:
        if other.id == new.id or other.trigger != new.trigger:
            continue
        if not overlap(new.conditions, other.conditions):
            continue
        if other.logic() == new.logic():
            found.append(Conflict(other, f"It does exactly what {other.label} already does."))
            continue
        message = _conflict_message(new, other)
        if message:
            found.append(Conflict(other, message))
    return found


def _conflict_message(new: Rule, other: Rule) -> str:
    if new.trigger == Trigger.CASE_ASSESSED:
        mine, theirs = _assessment_step(new), _assessment_step(other)
        if mine is None or theirs is None:
            return ""
        if (mine == "deny") != (theirs == "deny"):
            denier, loser = (new, other) if mine == "deny" else (other, new)
            return (
                f"{denier.label.capitalize()} denies some returns that {loser.label} would give "
                f"{_effect(loser)}; denials come first, so {loser.label} never applies to them."
            )
        if mine == theirs == "deny":
            first, second = new.action(ActionKind.DENY), other.action(ActionKind.DENY)
            if first is not None and second is not None and first.message != second.message:
                return (
                    f"Both this rule and {other.label} deny some returns, with different "
                    f"messages; {_winner_words(new, other)}."
                )
            return ""
        if mine == theirs == "approval" and _effect(new) != _effect(other):
            return (
                f"For some returns this rule gives {_effect(new)} and {other.label} gives "
                f"{_effect(other)}; {_winner_words(new, other)}."
            )
        return ""
    if new.trigger == Trigger.STORE_CREDIT_CHOSEN:
        mine_bonus = new.action(ActionKind.STORE_CREDIT_BONUS)
        their_bonus = other.action(ActionKind.STORE_CREDIT_BONUS)
        if mine_bonus and their_bonus and mine_bonus.percent != their_bonus.percent:
            return (
                f"This rule gives a {mine_bonus.percent}% bonus and {other.label} a "
                f"{their_bonus.percent}% bonus on the same store credit; "
                f"{_winner_words(new, other)}."
            )
        return ""
    if (
        new.trigger == Trigger.NOT_INSPECTED
        and new.action(ActionKind.REFUND)
        and other.action(ActionKind.REFUND)
        and new.wait_hours != other.wait_hours
    ):
        return (
            f"This rule and {other.label} both refund uninspected returns, after different "
            f"waits; {_winner_words(new, other)}."
        )
    return ""
