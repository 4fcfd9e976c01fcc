"""Every rule the model can hold renders to a sentence that compiles back to the same rule.

The owner confirms the canonical sentence, so it must say exactly what the rule does: here
random rules are rendered and read back by the offline compiler.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from language.rules.compiler import compile_rule
from policies.models import Reason
from policies.rules import (
    ALLOWED_ACTIONS,
    DECISIVE,
    TIMED_TRIGGERS,
    Action,
    ActionKind,
    RuleSpec,
    Trigger,
)
from tests.rules.helpers import (
    abroad,
    customer_country,
    days,
    order_total,
    price,
    quantity,
    reason,
    returns,
    role,
    rules_store,
    supplier,
    supplier_country,
    value,
)

STORE = rules_store()
NAMES = {key: agreement.name for key, agreement in STORE.suppliers.items()}
OPS = ["lt", "le", "gt", "ge", "eq"]
COUNTRIES = ["CN", "US", "DE", "VN", "CA", "GB"]

amounts = st.builds(
    lambda whole, cents: f"{whole}.{cents:02d}",
    st.integers(min_value=1, max_value=2500),
    st.sampled_from([0, 0, 50, 99, 5]),
)


def subset(items: list[str]) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(items), min_size=1, max_size=3, unique=True).map(tuple)


CONDITIONS: dict[str, st.SearchStrategy[Any]] = {
    "unit_price": st.builds(price, st.sampled_from(OPS), amounts),
    "refund_value": st.builds(value, st.sampled_from(OPS), amounts),
    "order_total": st.builds(order_total, st.sampled_from(OPS), amounts),
    "quantity": st.builds(quantity, st.sampled_from(OPS), st.integers(1, 20)),
    "days": st.builds(days, st.sampled_from(OPS), st.integers(1, 120)),
    "returns": st.one_of(
        st.builds(
            returns,
            st.sampled_from(OPS),
            st.integers(0, 10),
            st.sampled_from(["ever", "this_year"]),
            st.none(),
            st.booleans(),
        ),
        st.builds(
            returns,
            st.sampled_from(OPS),
            st.integers(0, 10),
            st.just("days"),
            st.integers(1, 400),
            st.booleans(),
        ),
    ),
    "reason": st.builds(
        lambda codes, negated: reason(*codes, negated=negated),
        subset([r.value for r in Reason]),
        st.booleans(),
    ),
    "supplier": st.builds(
        lambda ids, negated: supplier(*ids, negated=negated),
        subset(sorted(STORE.suppliers)),
        st.booleans(),
    ),
    "role": st.builds(role, st.sampled_from(["logistical", "financial"])),
    "supplier_country": st.builds(
        lambda codes, negated: supplier_country(*codes, negated=negated),
        subset(COUNTRIES),
        st.booleans(),
    ),
    "customer_country": st.builds(
        lambda codes, negated: customer_country(*codes, negated=negated),
        subset(COUNTRIES),
        st.booleans(),
    ),
    "international": st.builds(abroad, st.booleans()),
}

messages = st.one_of(
    st.none(),
    st.text(
        alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ABCDEFGH0123456789,.-!"),
        min_size=1,
        max_size=40,
    ).filter(lambda text: text.strip()),
)


@st.composite
def rules(draw: st.DrawFn) -> RuleSpec:
    trigger = draw(st.sampled_from(list(Trigger)))
    wait = None
    if trigger in TIMED_TRIGGERS:
        wait = draw(st.one_of(st.integers(1, 72), st.integers(1, 20).map(lambda count: count * 24)))
    names = draw(st.lists(st.sampled_from(sorted(CONDITIONS)), max_size=4, unique=True))
    conditions = tuple(draw(CONDITIONS[name]) for name in names)
    allowed = sorted(ALLOWED_ACTIONS[trigger], key=lambda kind: kind.value)
    kinds = draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=3, unique=True))
    decisive = [kind for kind in kinds if kind in DECISIVE]
    kinds = [kind for kind in kinds if kind not in DECISIVE] + decisive[:1]
    actions = []
    for kind in kinds:
        fields: dict[str, Any] = {}
        if kind in (ActionKind.PARTIAL_REFUND, ActionKind.STORE_CREDIT_BONUS):
            fields["percent"] = draw(st.integers(1, 99))
        if kind == ActionKind.DENY:
            fields["message"] = draw(messages)
        actions.append(Action(kind=kind, **fields))
    try:
        return RuleSpec(
            trigger=trigger, wait_hours=wait, conditions=conditions, actions=tuple(actions)
        )
    except ValidationError:
        return draw(st.nothing())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(rules())
def test_the_canonical_sentence_of_any_rule_compiles_back_to_it(spec: RuleSpec) -> None:
    sentence = spec.canonical(NAMES)
    assert compile_rule(sentence, STORE) == spec, sentence
