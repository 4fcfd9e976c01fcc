"""Owner rules: a trigger, conditions over the case and actions, as one pydantic model.

A rule is what an owner's plain-English sentence compiles to. It is data, never a prompt: the
rule engine (``policies/rule_engine.py``) evaluates it, and ``canonical()`` renders it back
to one English sentence that the owner confirms before it is switched on. The canonical
sentence is itself understood by the offline compiler and compiles to the same rule.

Rules are versioned: a rule keeps its number (``id``) when the owner changes it, and each
change is a new ``version``. Every application is written to the ledger by the actor
``rule:<id>@<version>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from policies.models import Reason
from policies.money import Amount, Money, MoneyError, parse_amount


class Trigger(StrEnum):
    """When a rule is looked at."""

    CASE_ASSESSED = "case_assessed"  # every assessment of a case (opening, after a photo, ...)
    RETURN_APPROVED = "return_approved"  # the store approves the return (no deny/review/photo)
    STORE_CREDIT_CHOSEN = "store_credit_chosen"  # the case settles with store credit
    SUPPLIER_SILENT = "supplier_silent"  # no supplier answer N hours after it was asked
    NOT_INSPECTED = "not_inspected"  # no inspection N hours after the return was delivered


TIMED_TRIGGERS = frozenset({Trigger.SUPPLIER_SILENT, Trigger.NOT_INSPECTED})


class Op(StrEnum):
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    EQ = "eq"

    def holds(self, left: int, right: int) -> bool:
        return {
            Op.LT: left < right,
            Op.LE: left <= right,
            Op.GT: left > right,
            Op.GE: left >= right,
            Op.EQ: left == right,
        }[self]


class ActionKind(StrEnum):
    APPROVE_WITHOUT_RETURN = "approve_without_return"
    REQUIRE_PHOTO = "require_photo"
    SEND_TO_REVIEW = "send_to_review"
    DENY = "deny"
    PARTIAL_REFUND = "partial_refund"
    STORE_CREDIT_BONUS = "store_credit_bonus"
    RESOLVE_WITH_STORE_CREDIT = "resolve_with_store_credit"
    REFUND = "refund"
    NOTIFY_SUPPLIER = "notify_supplier"
    NOTIFY_OWNER = "notify_owner"


NOTIFY = frozenset({ActionKind.NOTIFY_SUPPLIER, ActionKind.NOTIFY_OWNER})

# Which actions make sense at which trigger; anything else is refused when the rule is built.
ALLOWED_ACTIONS: dict[Trigger, frozenset[ActionKind]] = {
    Trigger.CASE_ASSESSED: frozenset(
        {
            ActionKind.APPROVE_WITHOUT_RETURN,
            ActionKind.REQUIRE_PHOTO,
            ActionKind.SEND_TO_REVIEW,
            ActionKind.DENY,
            ActionKind.PARTIAL_REFUND,
            *NOTIFY,
        }
    ),
    Trigger.RETURN_APPROVED: frozenset({ActionKind.RESOLVE_WITH_STORE_CREDIT, *NOTIFY}),
    Trigger.STORE_CREDIT_CHOSEN: frozenset({ActionKind.STORE_CREDIT_BONUS}),
    Trigger.SUPPLIER_SILENT: frozenset(NOTIFY),
    Trigger.NOT_INSPECTED: frozenset({ActionKind.REFUND, *NOTIFY}),
}

# Actions that decide the outcome of an assessment; one rule may hold at most one of them.
DECISIVE = frozenset(
    {
        ActionKind.APPROVE_WITHOUT_RETURN,
        ActionKind.SEND_TO_REVIEW,
        ActionKind.DENY,
        ActionKind.PARTIAL_REFUND,
    }
)

REASON_WORDS: dict[Reason, str] = {
    Reason.DAMAGED: "damaged",
    Reason.DEFECTIVE: "defective",
    Reason.WRONG_ITEM: "wrong item",
    Reason.NOT_AS_DESCRIBED: "not as described",
    Reason.WRONG_SIZE: "wrong size",
    Reason.CHANGED_MIND: "changed mind",
    Reason.ARRIVED_LATE: "arrived late",
    Reason.OTHER: "something else",
}


class RuleError(ValueError):
    """A rule that cannot be built; the message says why, in words an owner can act on."""


# -- conditions -------------------------------------------------------------------------------


class MoneyCondition(BaseModel):
    """A comparison with an amount of the store currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["money"] = "money"
    field: Literal["unit_price", "refund_value", "order_total"]
    op: Op
    amount: Amount
    currency: str = Field(min_length=3, max_length=3)

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _fits(self) -> MoneyCondition:
        try:
            parse_amount(self.amount, self.currency)
        except MoneyError as error:
            raise ValueError(str(error)) from error
        return self

    def minor(self) -> int:
        return parse_amount(self.amount, self.currency)


class NumberCondition(BaseModel):
    """A comparison with a whole number: units returned, or days since delivery."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["number"] = "number"
    field: Literal["quantity", "days_since_delivery"]
    op: Op
    value: int = Field(ge=0, le=100_000)


class ReturnsCondition(BaseModel):
    """How many returns the customer (by order email) has made, in a period."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["returns"] = "returns"
    field: Literal["customer_returns"] = "customer_returns"
    op: Op
    value: int = Field(ge=0, le=100_000)
    period: Literal["ever", "this_year", "days"] = "ever"
    days: int | None = Field(default=None, gt=0, le=3660)
    include_current: bool = True

    @model_validator(mode="after")
    def _days_with_period(self) -> ReturnsCondition:
        if (self.period == "days") != (self.days is not None):
            raise ValueError("a period in days needs its number of days, and only then")
        return self


InField = Literal["reason", "supplier", "supplier_role", "supplier_country", "customer_country"]


class InCondition(BaseModel):
    """A value among a set (or, negated, outside it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["in"] = "in"
    field: InField
    values: tuple[str, ...] = Field(min_length=1)
    negated: bool = False

    @model_validator(mode="after")
    def _check_values(self) -> InCondition:
        values = tuple(sorted({value.strip() for value in self.values if value.strip()}))
        if not values:
            raise ValueError("a set condition needs at least one value")
        if self.field == "reason":
            known = {reason.value for reason in Reason}
            unknown = [value for value in values if value not in known]
            if unknown:
                raise ValueError(f"unknown reason code {unknown[0]!r}")
        elif self.field == "supplier_role":
            unknown = [value for value in values if value not in ("logistical", "financial")]
            if unknown:
                raise ValueError(f"a supplier role is logistical or financial, not {unknown[0]!r}")
        elif self.field in ("supplier_country", "customer_country"):
            values = tuple(sorted({value.upper() for value in values}))
            for value in values:
                if len(value) != 2 or not value.isalpha():
                    raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code")
        object.__setattr__(self, "values", values)
        return self


class FlagCondition(BaseModel):
    """Supplier and customer in different countries (or, with ``value`` false, the same)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["flag"] = "flag"
    field: Literal["international"] = "international"
    value: bool = True


Condition = Annotated[
    MoneyCondition | NumberCondition | ReturnsCondition | InCondition | FlagCondition,
    Field(discriminator="kind"),
]


# -- actions ----------------------------------------------------------------------------------


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ActionKind
    percent: int | None = Field(default=None, ge=1, le=100)
    message: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Action:
        wants_percent = self.kind in (ActionKind.PARTIAL_REFUND, ActionKind.STORE_CREDIT_BONUS)
        if wants_percent and self.percent is None:
            raise ValueError(f"{self.kind.value} needs a percent")
        if not wants_percent and self.percent is not None:
            raise ValueError(f"{self.kind.value} takes no percent")
        if self.kind == ActionKind.PARTIAL_REFUND and self.percent == 100:
            raise ValueError("a 100% partial refund is a full refund: say 'without a return'")
        if self.message is not None:
            message = " ".join(self.message.split())
            if self.kind != ActionKind.DENY:
                raise ValueError("only a denial carries a message")
            object.__setattr__(self, "message", message or None)
        return self


# -- the rule ---------------------------------------------------------------------------------


class RuleSpec(BaseModel):
    """What a rule does: the part the compiler produces and the engine evaluates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trigger: Trigger = Trigger.CASE_ASSESSED
    wait_hours: int | None = Field(default=None, gt=0, le=24 * 366)
    conditions: tuple[Condition, ...] = ()
    actions: tuple[Action, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> RuleSpec:
        if self.trigger in TIMED_TRIGGERS and self.wait_hours is None:
            raise ValueError("this trigger needs a time limit (how long to wait)")
        if self.trigger not in TIMED_TRIGGERS and self.wait_hours is not None:
            raise ValueError("only the supplier-silence and inspection triggers wait")
        kinds = [action.kind for action in self.actions]
        if len(set(kinds)) != len(kinds):
            raise ValueError("an action is given twice")
        allowed = ALLOWED_ACTIONS[self.trigger]
        for kind in kinds:
            if kind not in allowed:
                raise ValueError(
                    f"'{ACTION_WORDS[kind]}' cannot be done {TRIGGER_PLACE[self.trigger]}"
                )
        decisive = [kind for kind in kinds if kind in DECISIVE]
        if len(decisive) > 1:
            words = " and ".join(f"'{ACTION_WORDS[kind]}'" for kind in decisive)
            raise ValueError(f"one rule cannot both {words}: they decide the same thing")
        sweeping = {ActionKind.DENY, ActionKind.APPROVE_WITHOUT_RETURN, ActionKind.PARTIAL_REFUND}
        if not self.conditions and sweeping & set(kinds):
            raise ValueError(
                "it would apply to every return; say which returns (an amount, a reason, "
                "a supplier, a country, days since delivery...)"
            )
        empty = contradiction(self.conditions)
        if empty:
            raise ValueError(f"the conditions can never all hold ({empty})")
        order = {kind: index for index, kind in enumerate(ActionKind)}
        actions = tuple(sorted(self.actions, key=lambda action: order[action.kind]))
        object.__setattr__(self, "actions", actions)
        object.__setattr__(self, "conditions", tuple(sorted(self.conditions, key=_condition_key)))
        return self

    @property
    def specificity(self) -> int:
        return len(self.conditions)

    def action(self, kind: ActionKind) -> Action | None:
        return next((action for action in self.actions if action.kind == kind), None)

    def logic(self) -> dict[str, object]:
        """The rule's meaning as plain JSON (stored, compared, hashed)."""
        return self.model_dump(
            mode="json", include={"trigger", "wait_hours", "conditions", "actions"}
        )

    def canonical(self, suppliers: Mapping[str, str] | None = None) -> str:
        """The one English sentence for this rule; ``suppliers`` maps ids to names."""
        return render(self, suppliers or {})


RuleStatus = Literal["draft", "active", "retired"]


class Rule(RuleSpec):
    """A stored rule: its logic plus its number, version, words and state."""

    id: int | None = None
    version: int = Field(default=1, ge=1)
    status: RuleStatus = "draft"
    text: str = ""
    canonical_text: str = ""
    created_at: dt.datetime | None = None
    retired_at: dt.datetime | None = None

    @property
    def actor(self) -> str:
        return f"rule:{self.id}@{self.version}"

    @property
    def label(self) -> str:
        return f"rule {self.id}" + (f" (version {self.version})" if self.version > 1 else "")

    @classmethod
    def from_spec(cls, spec: RuleSpec, **fields: object) -> Rule:
        return cls.model_validate({**spec.logic(), **fields})

    def spec(self) -> RuleSpec:
        return RuleSpec.model_validate(self.logic())


# -- reading the conditions -------------------------------------------------------------------


def _condition_key(condition: Condition) -> tuple[int, str]:
    fields = (
        "reason",
        "unit_price",
        "refund_value",
        "order_total",
        "quantity",
        "days_since_delivery",
        "supplier",
        "supplier_role",
        "supplier_country",
        "customer_country",
        "international",
        "customer_returns",
    )
    return fields.index(condition.field), condition.model_dump_json()


Interval = tuple[float, float]


def interval(op: Op, value: int) -> Interval:
    """The whole numbers a comparison lets through, as a closed interval."""
    inf = float("inf")
    return {
        Op.LT: (-inf, value - 1),
        Op.LE: (-inf, value),
        Op.GT: (value + 1, inf),
        Op.GE: (value, inf),
        Op.EQ: (value, value),
    }[op]


def numeric_key(condition: Condition) -> tuple[str, ...] | None:
    """Conditions with the same key compare the same quantity."""
    if isinstance(condition, MoneyCondition):
        return (condition.field, condition.currency)
    if isinstance(condition, NumberCondition):
        return (condition.field,)
    if isinstance(condition, ReturnsCondition):
        return (
            condition.field,
            condition.period,
            str(condition.days),
            str(condition.include_current),
        )
    return None


def numeric_value(condition: Condition) -> int:
    if isinstance(condition, MoneyCondition):
        return condition.minor()
    assert isinstance(condition, NumberCondition | ReturnsCondition)
    return condition.value


def ranges(conditions: tuple[Condition, ...]) -> dict[tuple[str, ...], Interval]:
    """Each compared quantity's allowed interval (conditions on one quantity intersect)."""
    found: dict[tuple[str, ...], Interval] = {}
    for condition in conditions:
        key = numeric_key(condition)
        if key is None:
            continue
        low, high = interval(condition.op, numeric_value(condition))  # type: ignore[union-attr]
        if key in found:
            low, high = max(low, found[key][0]), min(high, found[key][1])
        found[key] = (low, high)
    return found


def allowed_sets(
    conditions: tuple[Condition, ...],
) -> dict[str, tuple[frozenset[str] | None, frozenset[str]]]:
    """Each set field's (allowed values or None for any, excluded values)."""
    found: dict[str, tuple[frozenset[str] | None, frozenset[str]]] = {}
    for condition in conditions:
        if not isinstance(condition, InCondition):
            continue
        allowed, excluded = found.get(condition.field, (None, frozenset()))
        values = frozenset(condition.values)
        if condition.negated:
            excluded = excluded | values
        else:
            allowed = values if allowed is None else allowed & values
        found[condition.field] = (allowed, excluded)
    return found


def flags(conditions: tuple[Condition, ...]) -> dict[str, set[bool]]:
    found: dict[str, set[bool]] = {}
    for condition in conditions:
        if isinstance(condition, FlagCondition):
            found.setdefault(condition.field, set()).add(condition.value)
    return found


def contradiction(conditions: tuple[Condition, ...]) -> str:
    """Why no case can meet all the conditions, or "" when some can."""
    for key, (low, high) in ranges(conditions).items():
        if low > high or high < 0:
            return f"no {key[0].replace('_', ' ')} fits every comparison"
    for field, (allowed, excluded) in allowed_sets(conditions).items():
        if allowed is not None and not (allowed - excluded):
            return f"no {field.replace('_', ' ')} fits"
    for field, values in flags(conditions).items():
        if len(values) > 1:
            return f"{field} cannot be both true and false"
    return ""


def overlap(first: tuple[Condition, ...], second: tuple[Condition, ...]) -> bool:
    """Could one case meet both sets of conditions? (Different quantities: assumed yes.)"""
    return not contradiction(first + second)


# -- rendering --------------------------------------------------------------------------------

OP_MONEY = {Op.LT: "under", Op.LE: "at most", Op.GT: "over", Op.GE: "at least", Op.EQ: "exactly"}
OP_COUNT = {
    Op.LT: "fewer than",
    Op.LE: "at most",
    Op.GT: "more than",
    Op.GE: "at least",
    Op.EQ: "exactly",
}
OP_DAYS = {
    Op.LT: "less than",
    Op.LE: "at most",
    Op.GT: "more than",
    Op.GE: "at least",
    Op.EQ: "exactly",
}
MONEY_SUBJECT = {
    "unit_price": "the unit price",
    "refund_value": "the return value",
    "order_total": "the order total",
}
TRIGGER_PLACE = {
    Trigger.CASE_ASSESSED: "when a return is assessed",
    Trigger.RETURN_APPROVED: "when a return is approved",
    Trigger.STORE_CREDIT_CHOSEN: "when the customer chooses store credit",
    Trigger.SUPPLIER_SILENT: "while the supplier has not answered",
    Trigger.NOT_INSPECTED: "while the return waits for its inspection",
}
ACTION_WORDS = {
    ActionKind.APPROVE_WITHOUT_RETURN: "approve it without asking for the item back",
    ActionKind.REQUIRE_PHOTO: "ask for a photo",
    ActionKind.SEND_TO_REVIEW: "send it to the owner for review",
    ActionKind.DENY: "deny it",
    ActionKind.PARTIAL_REFUND: "offer a partial refund",
    ActionKind.STORE_CREDIT_BONUS: "add a bonus to the store credit",
    ActionKind.RESOLVE_WITH_STORE_CREDIT: "resolve it with store credit instead of a refund",
    ActionKind.REFUND: "refund the customer anyway",
    ActionKind.NOTIFY_SUPPLIER: "notify the supplier",
    ActionKind.NOTIFY_OWNER: "notify the owner",
}


def money_words(amount: Amount, currency: str) -> str:
    return f"{Money.parse(amount, currency).amount_str()} {currency}"


def duration_words(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return "1 day" if days == 1 else f"{days} days"
    return "1 hour" if hours == 1 else f"{hours} hours"


def _either(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def country_name(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def render_condition(condition: Condition, suppliers: Mapping[str, str]) -> str:
    if isinstance(condition, MoneyCondition):
        subject = MONEY_SUBJECT[condition.field]
        amount = money_words(condition.amount, condition.currency)
        return f"{subject} is {OP_MONEY[condition.op]} {amount}"
    if isinstance(condition, NumberCondition):
        if condition.field == "quantity":
            unit = "unit" if condition.value == 1 else "units"
            return f"the quantity is {OP_COUNT[condition.op]} {condition.value} {unit}"
        unit = "day" if condition.value == 1 else "days"
        return f"it was delivered {OP_DAYS[condition.op]} {condition.value} {unit} ago"
    if isinstance(condition, ReturnsCondition):
        noun = "earlier return" if not condition.include_current else "return"
        if condition.value != 1:
            noun += "s"
        period = {
            "ever": "",
            "this_year": " this year",
            "days": f" in the last {condition.days} days",
        }[condition.period]
        counted = ", this one included" if condition.include_current else ""
        return (
            f"the customer has made {OP_COUNT[condition.op]} {condition.value} {noun}"
            f"{period}{counted}"
        )
    if isinstance(condition, FlagCondition):
        if condition.value:
            return "the supplier and the customer are in different countries"
        return "the supplier and the customer are in the same country"
    negation = "not " if condition.negated else ""
    if condition.field == "reason":
        words = [REASON_WORDS[Reason(value)] for value in condition.values]
        return f"the reason is {negation}{_either(words)}"
    if condition.field == "supplier":
        names = [suppliers.get(value, value) for value in condition.values]
        return f"the supplier is {negation}{_either(names)}"
    if condition.field == "supplier_role":
        return f"the supplier is {negation}{_either(list(condition.values))}"
    who = "the supplier" if condition.field == "supplier_country" else "the customer"
    names = [country_name(value) for value in condition.values]
    return f"{who} is {negation}in {_either(names)}"


def _a(number: int | None) -> str:
    """ "a 30%", "an 80%", "an 11%": the article as the number is spoken."""
    spoken = str(number)
    return "an" if spoken.startswith("8") or spoken in ("11", "18") else "a"


def render_action(action: Action) -> str:
    if action.kind == ActionKind.PARTIAL_REFUND:
        return (
            f"offer {_a(action.percent)} {action.percent}% partial refund and let the customer "
            "keep the item"
        )
    if action.kind == ActionKind.STORE_CREDIT_BONUS:
        return f"add {_a(action.percent)} {action.percent}% bonus to the store credit"
    if action.kind == ActionKind.DENY and action.message:
        return f'deny it with the message "{action.message}"'
    return ACTION_WORDS[action.kind]


def render(spec: RuleSpec, suppliers: Mapping[str, str]) -> str:
    conditions = [render_condition(condition, suppliers) for condition in spec.conditions]
    actions = [render_action(action) for action in spec.actions]
    doing = actions[0] if len(actions) == 1 else ", ".join(actions[:-1]) + " and " + actions[-1]
    where = " and ".join(conditions)
    wait = duration_words(spec.wait_hours or 0)
    if spec.trigger == Trigger.CASE_ASSESSED:
        head = f"For returns where {where}" if where else "For every return"
    elif spec.trigger == Trigger.RETURN_APPROVED:
        head = "When a return is approved" + (f" and {where}" if where else "")
    elif spec.trigger == Trigger.STORE_CREDIT_CHOSEN:
        head = "When the customer chooses store credit" + (f" and {where}" if where else "")
    elif spec.trigger == Trigger.SUPPLIER_SILENT:
        head = f"When the supplier has not answered within {wait} of being asked" + (
            f" and {where}" if where else ""
        )
    else:
        head = f"When the supplier has not confirmed the inspection within {wait} of delivery" + (
            f" and {where}" if where else ""
        )
    return f"{head}: {doing}."
