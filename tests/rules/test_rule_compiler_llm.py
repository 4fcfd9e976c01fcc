"""graph.rule_compiler_llm against the scripted OpenAI-compatible server."""

from __future__ import annotations

import pytest

from graph.llm import LLM, LLMConfig
from graph.rule_compiler_llm import LLMRuleCompiler, choose_compiler
from language.rules.compiler import RuleNotUnderstood, compile_rule
from tests.openai_server import ScriptedOpenAI
from tests.rules.helpers import KEEP, REVIEW, price, rule, rules_store, supplier, value

STORE = rules_store()


def compiler(server: ScriptedOpenAI, **config: object) -> LLMRuleCompiler:
    return LLMRuleCompiler(STORE, LLM(server.config(**config)))


def answer(spec: object) -> dict[str, object]:
    return {"understood": True, "reason": "", "rule": spec}


def test_the_models_rule_is_validated_into_the_same_model(openai_server: ScriptedOpenAI) -> None:
    expected = rule(value("gt", "200.00"), actions=REVIEW)
    openai_server.reply_json(answer(expected.logic()))
    spec = compiler(openai_server)("Anything pricey above two hundred bucks, I look at it first")
    assert spec == expected
    assert spec.canonical() == (
        "For returns where the return value is over 200.00 USD: send it to the owner for review."
    )
    request = openai_server.last_request
    assert request["response_format"]["type"] == "json_schema"
    system = openai_server.system_prompts()[0][0]
    assert "acme (Acme Home Goods, logistical, US)" in system and "USD" in system
    assert request["messages"][-1]["content"].startswith("Anything pricey")
    openai_server.assert_used_up()


def test_the_model_may_say_it_did_not_understand(openai_server: ScriptedOpenAI) -> None:
    openai_server.reply_json(
        {"understood": False, "reason": "I can't tell which items are 'nice'.", "rule": None}
    )
    with pytest.raises(RuleNotUnderstood, match="'nice'"):
        compiler(openai_server)("Be nice to loyal people")


def test_a_rule_naming_an_unknown_supplier_or_currency_is_refused(
    openai_server: ScriptedOpenAI,
) -> None:
    stranger = rule(supplier("globex"), actions=REVIEW).logic()
    openai_server.reply_json(answer(stranger))
    with pytest.raises(RuleNotUnderstood, match="globex"):
        compiler(openai_server)("Globex returns need my approval")
    euros = rule(price("lt", "10.00"), actions=KEEP).logic()
    euros["conditions"][0]["currency"] = "EUR"  # type: ignore[index]
    openai_server.reply_json(answer(euros))
    with pytest.raises(RuleNotUnderstood, match="EUR"):
        compiler(openai_server)("Refund items under 10 euros without a return")


def test_an_invalid_rule_is_sent_back_once_then_the_offline_compiler_takes_over(
    openai_server: ScriptedOpenAI,
) -> None:
    sweeping = {"trigger": "case_assessed", "conditions": [], "actions": [{"kind": "deny"}]}
    openai_server.reply_json(answer(sweeping))
    openai_server.reply_json("not json at all")
    text = "Refund items under $10 without asking the customer to ship them back."
    assert compiler(openai_server)(text) == compile_rule(text, STORE)
    assert len(openai_server.requests) == 2
    assert "cannot be used" in openai_server.requests[1]["messages"][-1]["content"]


def test_an_endpoint_that_fails_falls_back_to_the_offline_compiler(
    openai_server: ScriptedOpenAI,
) -> None:
    openai_server.fail(500, times=3)
    text = "Returns over $200 need my approval."
    assert compiler(openai_server, max_retries=2)(text) == compile_rule(text, STORE)
    with pytest.raises(RuleNotUnderstood):
        openai_server.fail(503, times=3)
        compiler(openai_server, max_retries=2)("big returns need my OK")


def test_the_offline_compiler_is_used_without_a_key(openai_server: ScriptedOpenAI) -> None:
    offline = choose_compiler(STORE, LLMConfig())
    assert offline("Returns over $200 need my approval.") == rule(
        value("gt", "200.00"), actions=REVIEW
    )
    assert openai_server.requests == []
    online = choose_compiler(STORE, openai_server.config())
    assert isinstance(online, LLMRuleCompiler)
