"""The chat's "I don't have my order number" path: e-mail -> code -> orders to pick."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from graph.chat_graph import CustomerChat
from graph.desk import ReturnsDesk
from graph.llm import LLM
from graph.order_code_chat import wants_code
from tests.identity.test_one_time_codes import _code_sent
from tests.openai_server import ScriptedOpenAI


class Chat:
    def __init__(self, desk: ReturnsDesk) -> None:
        self.web = TestClient(create_app(desk, "chat-code-secret"), client=("198.51.100.4", 4000))
        self.sid = self.web.post("/api/chat/sessions").json()["session"]
        self.buttons: list[dict[str, Any]] = []

    def say(self, text: str) -> str:
        answer = self.web.post(f"/api/chat/sessions/{self.sid}/messages", json={"text": text})
        assert answer.status_code == 200, answer.text
        messages = answer.json()["messages"]
        self.buttons = messages[-1].get("quick_replies") or [] if messages else []
        return " ".join(m["text"] for m in messages)


@pytest.mark.parametrize(
    "said",
    [
        "I don't have my order number",
        "i dont know my order number",
        "I can't find the order number anywhere",
        "lost my order number, sorry",
        "I want to return something but I forgot my order number",
        "where do I find my order number?",
    ],
)
def test_ways_of_saying_it(said: str) -> None:
    assert wants_code(said)


@pytest.mark.parametrize("said", ["my order number is 1001", "order 1001 ana@example.com"])
def test_not_said(said: str) -> None:
    assert not wants_code(said)


def test_code_lists_orders_and_the_pick_identifies_the_customer(desk: ReturnsDesk) -> None:
    chat = Chat(desk)
    asked = chat.say("I want to return something")
    assert "order number" in asked
    assert "I don't have my order number" in [b["value"] for b in chat.buttons]
    said = chat.say("I don't have my order number")
    assert "email" in said.lower()
    said = chat.say("ana@example.com")
    assert "code" in said and "1001" not in said and "mug" not in said.lower()
    wrong = chat.say("000000" if _code_sent(desk, "ana@example.com") != "000000" else "111111")
    assert "not right" in wrong and "1001" not in wrong
    listed = chat.say(_code_sent(desk, "ana@example.com"))
    assert "1001" in listed and "Ceramic mug" in listed
    assert [b["value"] for b in chat.buttons] == ["1001"]
    found = chat.say("1001")
    assert "I found order 1001" in found


def test_the_answer_is_the_same_without_orders(desk: ReturnsDesk) -> None:
    one, other = Chat(desk), Chat(desk)
    one.say("I don't know my order number")
    other.say("I don't know my order number")
    assert one.say("ana@example.com") == other.say("nobody@example.com")
    refused = other.say("123456")
    assert "not right" in refused and "order 1" not in refused


def test_a_person_leaves_the_code_path(desk: ReturnsDesk) -> None:
    chat = Chat(desk)
    chat.say("forgot my order number")
    said = chat.say("can I talk to a person please")
    assert "person from the store" in said and "6-digit" not in said
    assert "I found order 1001" in chat.say("order 1001 ana@example.com")


def test_with_the_llm_backend_the_code_path_never_reaches_the_model(
    desk: ReturnsDesk, openai_server: ScriptedOpenAI
) -> None:
    chat = CustomerChat(desk, "llm", llm=LLM(openai_server.config(max_retries=0)))
    sid = chat.open_session()

    def said(text: str) -> str:
        return " ".join(message.text for message in chat.say(sid, text))

    assert "email" in said("I don't have my order number").lower()
    assert "6-digit code" in said("ana@example.com")
    code = _code_sent(desk, "ana@example.com")
    assert "1001" in said(code)
    assert "I found order 1001" in said("1001")
    assert openai_server.requests == []  # not one word, nor the code, went to the model
