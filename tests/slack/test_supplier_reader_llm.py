"""The LLM reader of supplier replies, against a local OpenAI-compatible server: the model's
reading is used, checked against the reply, and the offline reader takes over on failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph.llm import LLM
from graph.supplier_reader_llm import llm_reader, read_with_llm
from tests.openai_server import ScriptedOpenAI


@pytest.fixture
def model() -> Iterator[ScriptedOpenAI]:
    with ScriptedOpenAI() as server:
        yield server


def test_structured_reading_is_used(model: ScriptedOpenAI) -> None:
    model.reply_json(
        {"intent": "approve", "rma": "88-120", "address": "12 Elm St, Springfield, IL 62704"}
    )
    text = "yeah fine take it back. our ref 88-120, 12 Elm St Springfield IL 62704"
    reading = read_with_llm(LLM(model.config()), text, "authorisation")
    assert reading.backend == "llm"
    assert (reading.intent, reading.rma) == ("approve", "88-120")
    assert reading.address == "12 Elm St, Springfield, IL 62704"
    request = model.last_request
    assert request["response_format"]["type"] == "json_schema"
    assert "authorisation" in request["messages"][0]["content"]
    assert text in request["messages"][1]["content"]


def test_invented_facts_are_dropped_and_questions_stay_questions(model: ScriptedOpenAI) -> None:
    model.reply_json({"intent": "approve", "rma": "99999", "address": "1 Fake Rd, Nowhere 00000"})
    reading = read_with_llm(LLM(model.config()), "approved, RMA 4410", "authorisation")
    assert reading.intent == "approve" and reading.rma is None and reading.address is None
    model.reply_json({"intent": "approve"})
    asked = read_with_llm(LLM(model.config()), "can I approve it without an RMA?", "authorisation")
    assert asked.intent == "question"
    model.reply_json({"intent": "inspected_ok"})
    misfit = read_with_llm(LLM(model.config()), "all good", "authorisation")
    assert misfit.intent == "unclear"


def test_model_failure_falls_back_to_the_offline_reader(model: ScriptedOpenAI) -> None:
    model.fail(500, times=5)
    read = llm_reader(LLM(model.config(max_retries=0)))
    reading = read("declined, out of warranty", "authorisation")
    assert reading.intent == "decline" and reading.backend == "offline"
    model.reply_text("not json at all")
    model.reply_text("still not json")
    reading = read("RMA 55102", "authorisation")
    assert reading.intent == "approve" and reading.backend == "offline"


def test_conditions_are_kept_when_the_reply_holds_them(model: ScriptedOpenAI) -> None:
    text = "fine if all the accessories come back, RMA 5521"
    model.reply_json(
        {"intent": "approve", "rma": "5521", "conditions": ["all the accessories come back"]}
    )
    reading = read_with_llm(LLM(model.config()), text, "authorisation")
    assert (reading.intent, reading.conditions) == ("approve", ["all the accessories come back"])
    # a condition the reply does not hold is dropped; the offline reading's stands instead
    model.reply_json({"intent": "approve", "conditions": ["the customer pays the shipping"]})
    reading = read_with_llm(LLM(model.config()), text, "authorisation")
    assert reading.conditions == ["all the accessories come back"]
    model.reply_json({"intent": "decline", "conditions": ["all the accessories come back"]})
    assert read_with_llm(LLM(model.config()), text, "authorisation").conditions == []
