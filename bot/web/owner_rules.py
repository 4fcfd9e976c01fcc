"""The rule form on ``/owner``: a reading of the owner's words, part by part, to fix and save.

When the owner types a rule, the page shows what was read as a form: the moment, each
condition (what it looks at, how it compares, the value), the actions and the canonical
sentence. The owner changes one part (an amount, a condition removed, another action) and
saves it, instead of rewording. A refused rule shows the parts that were read, filled in,
and what is missing. Saving builds the rule through the same validated model as the words
(``RuleSpec``, the store's suppliers and currency), and its canonical sentence must compile
back to the same rule with the offline compiler; it is then a draft that waits for the
owner's yes, like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from bot.web.owner_base import OwnerDep, owner_guard
from graph.rule_compiler_llm import check_against_store
from graph.rulebook import skipped_words
from language.rules.compiler import RuleNotUnderstood, compile_rule, read_rule
from policies.models import Reason, Store
from policies.money import Money, MoneyError
from policies.rules import (
    TIMED_TRIGGERS,
    Action,
    ActionKind,
    Condition,
    FlagCondition,
    InCondition,
    MoneyCondition,
    NumberCondition,
    Op,
    ReturnsCondition,
    Rule,
    RuleSpec,
    Trigger,
)

MAX_ROWS = 12
VALUE_MAX = 200

TRIGGER_WORDS = {
    Trigger.CASE_ASSESSED.value: "When a return is assessed",
    Trigger.RETURN_APPROVED.value: "When a return is approved",
    Trigger.STORE_CREDIT_CHOSEN.value: "When the customer picks store credit",
    Trigger.SUPPLIER_SILENT.value: "If the supplier has not answered within ...",
    Trigger.NOT_INSPECTED.value: "If the supplier has not confirmed receipt within ... of delivery",
}
FIELD_WORDS = {
    "unit_price": "Item price",
    "refund_value": "Return value",
    "order_total": "Order total",
    "quantity": "Units returned",
    "days_since_delivery": "Days since delivery",
    "customer_returns": "Customer's returns",
    "reason": "Reason",
    "supplier": "Supplier",
    "supplier_role": "Supplier role",
    "supplier_country": "Supplier country",
    "customer_country": "Customer country",
    "international": "Supplier and customer in different countries",
}
MONEY_FIELDS = ("unit_price", "refund_value", "order_total")
NUMBER_FIELDS = ("quantity", "days_since_delivery")
SET_FIELDS = ("reason", "supplier", "supplier_role", "supplier_country", "customer_country")
COMPARE_WORDS = {"lt": "under", "le": "at most", "gt": "over", "ge": "at least", "eq": "exactly"}
SET_WORDS = {"in": "is one of", "not_in": "is not one of"}
FLAG_WORDS = {"yes": "yes", "no": "no"}
PERIOD_WORDS = {"ever": "ever", "this_year": "this year", "days": "in the last ... days"}
ACTION_WORDS = {
    ActionKind.APPROVE_WITHOUT_RETURN.value: "Refund without asking for the item back",
    ActionKind.REQUIRE_PHOTO.value: "Ask for a photo",
    ActionKind.SEND_TO_REVIEW.value: "Send it to me for review",
    ActionKind.DENY.value: "Deny it",
    ActionKind.PARTIAL_REFUND.value: "Partial refund (%), the customer keeps the item",
    ActionKind.STORE_CREDIT_BONUS.value: "Extra store credit (%)",
    ActionKind.RESOLVE_WITH_STORE_CREDIT.value: "Store credit instead of a refund",
    ActionKind.REFUND.value: "Refund anyway",
    ActionKind.NOTIFY_SUPPLIER.value: "Notify the supplier",
    ActionKind.NOTIFY_OWNER.value: "Let me know",
}
PERCENT_ACTIONS = (ActionKind.PARTIAL_REFUND.value, ActionKind.STORE_CREDIT_BONUS.value)


@dataclass
class ConditionRow:
    field: str = ""
    op: str = "lt"
    value: str = ""
    period: str = "ever"
    days: str = ""
    current: bool = True


@dataclass
class RuleForm:
    """What the form shows: a reading (whole or partial) as editable parts."""

    trigger: str = Trigger.CASE_ASSESSED.value
    wait_hours: str = ""
    conditions: list[ConditionRow] = field(default_factory=list)
    actions: dict[str, bool] = field(default_factory=dict)
    percents: dict[str, str] = field(default_factory=dict)
    message: str = ""
    canonical: str = ""
    problem: str = ""
    skipped: tuple[str, ...] = ()
    text: str = ""
    replaces: str = ""

    def rows(self) -> list[ConditionRow]:
        """The conditions and one empty row to add another."""
        return [*self.conditions, ConditionRow()]


def _row(condition: Condition) -> ConditionRow:
    if isinstance(condition, MoneyCondition):
        return ConditionRow(condition.field, condition.op.value, str(condition.amount))
    if isinstance(condition, NumberCondition):
        return ConditionRow(condition.field, condition.op.value, str(condition.value))
    if isinstance(condition, ReturnsCondition):
        return ConditionRow(
            "customer_returns",
            condition.op.value,
            str(condition.value),
            condition.period,
            str(condition.days or ""),
            condition.include_current,
        )
    if isinstance(condition, InCondition):
        op = "not_in" if condition.negated else "in"
        return ConditionRow(condition.field, op, ", ".join(condition.values))
    return ConditionRow("international", "yes" if condition.value else "no")


def form_of(
    trigger: Trigger | None,
    wait_hours: int | None,
    conditions: tuple[Condition, ...],
    actions: tuple[Action, ...],
    **shown: Any,
) -> RuleForm:
    form = RuleForm(
        trigger=(trigger or Trigger.CASE_ASSESSED).value,
        wait_hours=str(wait_hours or ""),
        conditions=[_row(condition) for condition in conditions],
        **shown,
    )
    for action in actions:
        form.actions[action.kind.value] = True
        if action.percent is not None:
            form.percents[action.kind.value] = str(action.percent)
        if action.message:
            form.message = action.message
    return form


def form_of_rule(rule: Rule, **shown: Any) -> RuleForm:
    replaces = str(rule.id) if rule.version > 1 and rule.id else ""
    return form_of(
        rule.trigger,
        rule.wait_hours,
        rule.conditions,
        rule.actions,
        canonical=rule.canonical_text,
        text=rule.text,
        replaces=replaces,
        **shown,
    )


def form_of_words(text: str, store: Store) -> RuleForm | None:
    """The offline reading of ``text`` as a form: whole, or the parts read and what is
    missing; None when the words read as no rule at all (a decision, small talk)."""
    names = {key: agreement.name for key, agreement in store.suppliers.items()}
    try:
        spec, skipped = read_rule(text, store)
    except RuleNotUnderstood as refusal:
        partial = refusal.partial
        if not refusal.recognised or partial is None:
            return None
        return form_of(
            partial.trigger,
            partial.wait_hours,
            partial.conditions,
            partial.actions,
            problem=refusal.message,
            skipped=partial.skipped,
            text=text,
        )
    return form_of(
        spec.trigger,
        spec.wait_hours,
        spec.conditions,
        spec.actions,
        canonical=spec.canonical(names),
        skipped=skipped,
        text=text,
    )


def form_of_draft(draft: Rule, store: Store) -> RuleForm:
    """The draft as a form, with the words the offline reader skipped when it read them so."""
    return form_of_rule(draft, skipped=skipped_words(draft.text, draft.spec(), store))


# -- from the posted form to a rule -----------------------------------------------------------


def _value(form: Mapping[str, Any], name: str) -> str:
    raw = form.get(name, "")
    return str(raw).strip()[:VALUE_MAX] if isinstance(raw, str) else ""


def _whole(text: str, what: str) -> int:
    if not text.isdigit():
        raise RuleNotUnderstood(f"{what} must be a whole number, not {text!r}.")
    return int(text)


def _op(text: str, row: int) -> Op:
    if text not in COMPARE_WORDS:
        raise RuleNotUnderstood(f"Condition {row}: choose how it compares (under, over, ...).")
    return Op(text)


def _set_values(field_name: str, text: str, store: Store) -> tuple[str, ...]:
    values = [part.strip() for part in text.split(",") if part.strip()]
    if field_name == "reason":
        by_word = {reason.value.replace("_", " "): reason.value for reason in Reason}
        return tuple(
            by_word.get(value.lower(), value.lower().replace(" ", "_")) for value in values
        )
    if field_name == "supplier":
        by_name = {agreement.name.lower(): key for key, agreement in store.suppliers.items()}
        return tuple(by_name.get(value.lower(), value) for value in values)
    if field_name in ("supplier_country", "customer_country"):
        return tuple(value.upper() for value in values)
    return tuple(value.lower() for value in values)


def _condition(form: Mapping[str, Any], index: int, store: Store) -> Condition | None:
    prefix = f"cond-{index}-"
    field_name = _value(form, prefix + "field")
    if not field_name or _value(form, prefix + "remove"):
        return None
    row = index + 1
    op_text = _value(form, prefix + "op")
    value = _value(form, prefix + "value")
    if field_name not in FIELD_WORDS:
        raise RuleNotUnderstood(f"Condition {row}: there is no field {field_name!r}.")
    if field_name == "international":
        return FlagCondition(value=op_text != "no")
    if not value:
        raise RuleNotUnderstood(f"Condition {row} ({FIELD_WORDS[field_name]}) needs a value.")
    if field_name in MONEY_FIELDS:
        currency = store.policy.currency
        try:
            money = Money.parse(value.lstrip("$€£¥").replace(",", ""), currency)
        except MoneyError:
            raise RuleNotUnderstood(
                f"Condition {row}: {value!r} is not an amount in {currency}."
            ) from None
        return MoneyCondition(
            field=field_name,  # type: ignore[arg-type]
            op=_op(op_text, row),
            amount=money.amount_str(),  # type: ignore[arg-type]
            currency=currency,
        )
    if field_name in NUMBER_FIELDS:
        return NumberCondition(
            field=field_name,  # type: ignore[arg-type]
            op=_op(op_text, row),
            value=_whole(value, f"Condition {row}"),
        )
    if field_name == "customer_returns":
        period = _value(form, prefix + "period") or "ever"
        if period not in PERIOD_WORDS:
            raise RuleNotUnderstood(f"Condition {row}: choose the period of the returns.")
        days = _value(form, prefix + "days")
        return ReturnsCondition(
            op=_op(op_text, row),
            value=_whole(value, f"Condition {row}"),
            period=period,  # type: ignore[arg-type]
            days=_whole(days, f"Condition {row}: the days") if period == "days" else None,
            include_current=bool(_value(form, prefix + "current")),
        )
    if op_text not in SET_WORDS:
        raise RuleNotUnderstood(f"Condition {row}: choose 'is one of' or 'is not one of'.")
    return InCondition(
        field=field_name,  # type: ignore[arg-type]
        values=_set_values(field_name, value, store),
        negated=op_text == "not_in",
    )


def spec_of_form(form: Mapping[str, Any], store: Store) -> RuleSpec:
    """The rule the posted form says, validated as a compiled rule is; or ``RuleNotUnderstood``
    saying what to fix."""
    trigger_text = _value(form, "trigger")
    if trigger_text not in TRIGGER_WORDS:
        raise RuleNotUnderstood("Choose when the rule acts.")
    trigger = Trigger(trigger_text)
    wait = _value(form, "wait_hours")
    wait_hours = _whole(wait, "The wait in hours") if trigger in TIMED_TRIGGERS else None
    try:
        count = min(_whole(_value(form, "rows") or "0", "The number of conditions"), MAX_ROWS)
        conditions = [_condition(form, index, store) for index in range(count)]
        actions = []
        for kind in ACTION_WORDS:
            if not _value(form, f"action-{kind}"):
                continue
            percent = _value(form, f"percent-{kind}") if kind in PERCENT_ACTIONS else ""
            message = _value(form, "message") if kind == ActionKind.DENY.value else ""
            actions.append(
                Action(
                    kind=ActionKind(kind),
                    percent=_whole(percent, "The percentage") if kind in PERCENT_ACTIONS else None,
                    message=message or None,
                )
            )
        if not actions:
            raise RuleNotUnderstood("Choose at least one action.")
        spec = RuleSpec(
            trigger=trigger,
            wait_hours=wait_hours,
            conditions=tuple(condition for condition in conditions if condition is not None),
            actions=tuple(actions),
        )
    except ValidationError as error:
        problem = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise RuleNotUnderstood(f"That rule does not hold together: {problem}.") from None
    check_against_store(spec, store)
    # the sentence the owner confirms must say exactly this rule: it is read back by the
    # same compiler as typed words
    names = {key: agreement.name for key, agreement in store.suppliers.items()}
    sentence = spec.canonical(names)
    try:
        again = compile_rule(sentence, store)
    except RuleNotUnderstood:
        again = None
    if again != spec:
        raise RuleNotUnderstood(
            f'I can\'t say that rule back in words that read the same ("{sentence}"); '
            "please change a part of it."
        )
    return spec


router = APIRouter(prefix="/owner", dependencies=[Depends(owner_guard)])


@router.post("/rules/form", response_class=HTMLResponse)
async def save_rule_form(request: Request, owner: OwnerDep) -> HTMLResponse:
    form = await request.form()
    token = form.get("token")
    owner.check(request, token if isinstance(token, str) else "")
    replaces_text = _value(form, "replaces")
    store = owner.desk.store
    try:
        spec = spec_of_form(form, store)
        replaces = _whole(replaces_text, "The rule changed") if replaces_text else None
        draft = owner.book().draft_spec(spec, spec.canonical(owner.book().names), replaces=replaces)
    except RuleNotUnderstood as refusal:
        shown = _form_as_posted(form, store)
        shown.problem = refusal.message
        return owner.page(
            request,
            "I couldn't save that rule; nothing was changed.",
            form=shown,
            section="rules",
        )
    return owner.page(request, draft.words(), section="rules")


def _form_as_posted(form: Mapping[str, Any], store: Store) -> RuleForm:
    """The form as the owner sent it, to show again with what to fix."""
    shown = RuleForm(
        trigger=_value(form, "trigger") or Trigger.CASE_ASSESSED.value,
        wait_hours=_value(form, "wait_hours"),
        message=_value(form, "message"),
        replaces=_value(form, "replaces"),
    )
    rows = _value(form, "rows")
    for index in range(min(int(rows) if rows.isdigit() else 0, MAX_ROWS)):
        prefix = f"cond-{index}-"
        if not _value(form, prefix + "field") or _value(form, prefix + "remove"):
            continue
        shown.conditions.append(
            ConditionRow(
                _value(form, prefix + "field"),
                _value(form, prefix + "op"),
                _value(form, prefix + "value"),
                _value(form, prefix + "period") or "ever",
                _value(form, prefix + "days"),
                bool(_value(form, prefix + "current")),
            )
        )
    for kind in ACTION_WORDS:
        if _value(form, f"action-{kind}"):
            shown.actions[kind] = True
        if kind in PERCENT_ACTIONS and _value(form, f"percent-{kind}"):
            shown.percents[kind] = _value(form, f"percent-{kind}")
    return shown


def form_choices(store: Store) -> dict[str, Any]:
    """The fixed choices of the form's selects."""
    return {
        "trigger_words": TRIGGER_WORDS,
        "field_words": FIELD_WORDS,
        "compare_words": COMPARE_WORDS,
        "set_words": SET_WORDS,
        "flag_words": FLAG_WORDS,
        "period_words": PERIOD_WORDS,
        "action_words": ACTION_WORDS,
        "percent_actions": PERCENT_ACTIONS,
        "money_fields": MONEY_FIELDS,
        "set_fields": SET_FIELDS,
        "reason_codes": [reason.value for reason in Reason],
        "supplier_names": [agreement.name for agreement in store.suppliers.values()],
    }
