"""Short builders for expected rules, and the store the rule tests compile against."""

from __future__ import annotations

from typing import Any

from policies.loader import store_from_data
from policies.models import Store
from policies.money import Amount
from policies.rules import (
    Action,
    ActionKind,
    Condition,
    FlagCondition,
    InCondition,
    MoneyCondition,
    NumberCondition,
    Op,
    ReturnsCondition,
    RuleSpec,
    Trigger,
)

SUPPLIERS: list[dict[str, Any]] = [
    {"id": "acme", "name": "Acme Home Goods", "role": "logistical", "country": "US"},
    {"id": "brightplay-toys", "name": "BrightPlay Toys", "role": "financial", "country": "CN"},
    {"id": "credit-co", "name": "Credit Co", "role": "financial", "country": "US"},
]


def rules_store(policy: dict[str, Any] | None = None) -> Store:
    return store_from_data(policy or {}, SUPPLIERS, "rules test")


def price(op: str, amount: str) -> MoneyCondition:
    return MoneyCondition(field="unit_price", op=Op(op), amount=Amount(amount), currency="USD")


def value(op: str, amount: str) -> MoneyCondition:
    return MoneyCondition(field="refund_value", op=Op(op), amount=Amount(amount), currency="USD")


def order_total(op: str, amount: str) -> MoneyCondition:
    return MoneyCondition(field="order_total", op=Op(op), amount=Amount(amount), currency="USD")


def days(op: str, count: int) -> NumberCondition:
    return NumberCondition(field="days_since_delivery", op=Op(op), value=count)


def quantity(op: str, count: int) -> NumberCondition:
    return NumberCondition(field="quantity", op=Op(op), value=count)


def returns(
    op: str, count: int, period: str = "ever", days: int | None = None, current: bool = True
) -> ReturnsCondition:
    return ReturnsCondition(
        op=Op(op),
        value=count,
        period=period,
        days=days,
        include_current=current,  # type: ignore[arg-type]
    )


def reason(*codes: str, negated: bool = False) -> InCondition:
    return InCondition(field="reason", values=codes, negated=negated)


def supplier(*ids: str, negated: bool = False) -> InCondition:
    return InCondition(field="supplier", values=ids, negated=negated)


def role(name: str) -> InCondition:
    return InCondition(field="supplier_role", values=(name,))


def supplier_country(*codes: str, negated: bool = False) -> InCondition:
    return InCondition(field="supplier_country", values=codes, negated=negated)


def customer_country(*codes: str, negated: bool = False) -> InCondition:
    return InCondition(field="customer_country", values=codes, negated=negated)


def abroad(flag: bool = True) -> FlagCondition:
    return FlagCondition(value=flag)


def act(kind: str, percent: int | None = None, message: str | None = None) -> Action:
    return Action(kind=ActionKind(kind), percent=percent, message=message)


KEEP = act("approve_without_return")
PHOTO = act("require_photo")
REVIEW = act("send_to_review")
DENY = act("deny")
TELL_OWNER = act("notify_owner")
TELL_SUPPLIER = act("notify_supplier")
REFUND = act("refund")
CREDIT = act("resolve_with_store_credit")


def rule(
    *conditions: Condition,
    actions: tuple[Action, ...] | Action,
    trigger: str = "case_assessed",
    wait_hours: int | None = None,
) -> RuleSpec:
    acts = actions if isinstance(actions, tuple) else (actions,)
    return RuleSpec(
        trigger=Trigger(trigger), wait_hours=wait_hours, conditions=conditions, actions=acts
    )
