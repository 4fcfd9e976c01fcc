"""The shared LLM plumbing against the scripted local server, through the real openai client."""

from __future__ import annotations

import time

import pytest
from pydantic import BaseModel

from graph.llm import LLM, LLMBadOutput, LLMConfig, LLMNotConfigured, LLMUnavailable, make_client
from tests.openai_server import ScriptedOpenAI


class Verdict(BaseModel):
    decision: str
    rma: str | None = None


def test_config_from_env_reads_key_endpoint_and_model() -> None:
    config = LLMConfig.from_env(
        {
            "OPENAI_API_KEY": "sk-x",
            "OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
            "RETURNBRIDGE_LLM_MODEL": "small-model",
            "RETURNBRIDGE_LLM_TIMEOUT_SECONDS": "2.5",
            "RETURNBRIDGE_LLM_MAX_RETRIES": "4",
        }
    )
    assert config.enabled
    assert (config.model, config.timeout_seconds, config.max_retries) == ("small-model", 2.5, 4)
    default = LLMConfig.from_env({})
    assert not default.enabled and default.model == "gpt-4o-mini"
    with pytest.raises(LLMNotConfigured):
        make_client(default)


def test_text_and_recorded_request(openai_server: ScriptedOpenAI) -> None:
    openai_server.reply_text("hello there")
    llm = LLM(openai_server.config())
    message = llm.chat(
        [{"role": "system", "content": "be kind"}, {"role": "user", "content": "hi"}]
    )
    assert message.content == "hello there"
    assert openai_server.last_request["model"] == "scripted-model"
    assert openai_server.system_prompts() == [["be kind"]]
    openai_server.assert_used_up()


def test_tool_calls_with_malformed_arguments_are_delivered_verbatim(
    openai_server: ScriptedOpenAI,
) -> None:
    openai_server.reply_tool_calls([("lookup", {"order": "1001"}), ("lookup", '{"order": "10')])
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    message = LLM(openai_server.config()).chat([{"role": "user", "content": "x"}], tools=[tool])
    calls = message.tool_calls or []
    assert [c.function.arguments for c in calls] == ['{"order": "1001"}', '{"order": "10']
    assert openai_server.tool_names() == ["lookup"]


def test_structured_output_validates_and_repairs_once(openai_server: ScriptedOpenAI) -> None:
    openai_server.reply_json("not json at all")
    openai_server.reply_json({"decision": "approve", "rma": "RMA-1"})
    verdict = LLM(openai_server.config()).structured([{"role": "user", "content": "ok"}], Verdict)
    assert verdict == Verdict(decision="approve", rma="RMA-1")
    first, second = openai_server.requests
    assert first["response_format"]["json_schema"]["name"] == "Verdict"
    assert "not a JSON object" in second["messages"][-1]["content"]


def test_structured_output_gives_up_with_a_typed_error(openai_server: ScriptedOpenAI) -> None:
    openai_server.reply_json({"decision": 3})
    openai_server.reply_json({"wrong": "shape"})
    with pytest.raises(LLMBadOutput, match="decision"):
        LLM(openai_server.config()).structured([{"role": "user", "content": "ok"}], Verdict)


def test_429_and_500_are_retried_until_success(openai_server: ScriptedOpenAI) -> None:
    openai_server.fail(429)
    openai_server.fail(500)
    openai_server.reply_text("finally")
    message = LLM(openai_server.config(max_retries=2)).chat([{"role": "user", "content": "x"}])
    assert message.content == "finally"
    assert len(openai_server.requests) == 3


def test_errors_beyond_the_retries_become_llm_unavailable(openai_server: ScriptedOpenAI) -> None:
    openai_server.fail(500, times=3)
    with pytest.raises(LLMUnavailable, match="HTTP 500"):
        LLM(openai_server.config(max_retries=2)).chat([{"role": "user", "content": "x"}])
    assert len(openai_server.requests) == 3


def test_a_slow_answer_times_out(openai_server: ScriptedOpenAI) -> None:
    openai_server.reply_delay(1.0)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="in time"):
        LLM(openai_server.config(timeout_seconds=0.2, max_retries=0)).chat(
            [{"role": "user", "content": "x"}]
        )
    assert time.monotonic() - started < 1.0


def test_an_empty_script_is_reported(openai_server: ScriptedOpenAI) -> None:
    with pytest.raises(LLMUnavailable, match="HTTP 400"):
        LLM(openai_server.config()).chat([{"role": "user", "content": "x"}])
    assert openai_server.unexpected == 1
