"""Owner rules through a language model: structured output into the same ``RuleSpec``.

The model fills the rule model (``prompts/owner_rule.txt``); pydantic validates it, the
store's suppliers and currency are checked, and the result is shown to the owner as the
same canonical sentence as an offline rule, for the same yes. The model may also answer
that it did not understand, with a reason: the owner sees that reason and nothing is drafted.
When the model cannot be reached or keeps answering in the wrong shape, the offline
compiler takes over, so a rule never depends on the endpoint being up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from graph.llm import LLM, LLMConfig, LLMError
from language.rules.compiler import RuleNotUnderstood, compile_rule
from policies.models import Reason, Store
from policies.rules import InCondition, MoneyCondition, RuleSpec
from prompts import render_prompt

log = logging.getLogger(__name__)

Compiler = Callable[[str], RuleSpec]


class RuleAnswer(BaseModel):
    """What the model answers: a rule, or why it could not write one."""

    model_config = ConfigDict(extra="forbid")

    understood: bool
    reason: str = ""
    rule: RuleSpec | None = None


def system_prompt(store: Store) -> str:
    suppliers = "; ".join(
        f"{key} ({agreement.name}, {agreement.role}, {agreement.country})"
        for key, agreement in sorted(store.suppliers.items())
    )
    return render_prompt(
        "owner_rule",
        currency=store.policy.currency,
        suppliers=suppliers or "none",
        reasons=", ".join(reason.value for reason in Reason),
    )


def check_against_store(spec: RuleSpec, store: Store) -> None:
    """Refuse a rule naming an unknown supplier or another currency."""
    for condition in spec.conditions:
        if isinstance(condition, InCondition) and condition.field == "supplier":
            unknown = [value for value in condition.values if value not in store.suppliers]
            if unknown:
                raise RuleNotUnderstood(f"I know no supplier {unknown[0]!r}.")
        if isinstance(condition, MoneyCondition) and condition.currency != store.policy.currency:
            raise RuleNotUnderstood(
                f"The amount is in {condition.currency}, but the store's currency is "
                f"{store.policy.currency}."
            )


class LLMRuleCompiler:
    """``compile(text)`` with a model; the offline compiler when the model is unavailable."""

    def __init__(self, store: Store, llm: LLM) -> None:
        self.store = store
        self.llm = llm

    def __call__(self, text: str) -> RuleSpec:
        words = " ".join((text or "").split())
        if not words:
            raise RuleNotUnderstood("There is no rule in an empty message.", False)
        try:
            answer = self.llm.structured(
                [
                    {"role": "system", "content": system_prompt(self.store)},
                    {"role": "user", "content": words},
                ],
                RuleAnswer,
                name="owner_rule",
            )
        except LLMError as error:
            log.warning("rule compiler: %s; using the offline compiler", error)
            return compile_rule(words, self.store)
        if not answer.understood or answer.rule is None:
            reason = answer.reason.strip() or "I could not turn that into a rule."
            raise RuleNotUnderstood(reason)
        check_against_store(answer.rule, self.store)
        return answer.rule


def choose_compiler(store: Store, config: LLMConfig | None = None) -> Compiler:
    """The model's compiler when ``OPENAI_API_KEY`` is set, else the offline one."""
    config = config or LLMConfig.from_env()
    if config.enabled:
        try:
            return LLMRuleCompiler(store, LLM(config))
        except LLMError as error:
            log.warning("rule compiler: %s; using the offline compiler", error)
    return lambda text: compile_rule(text, store)
