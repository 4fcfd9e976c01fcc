"""The scenario runner's chat steps and its --llm switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.scenarios import chat as scenario_chat
from bot.scenarios.runner import run_scenario
from tests.openai_server import ScriptedOpenAI

CHAT = Path(__file__).parents[1] / "scenarios" / "chat"


def test_there_are_twenty_chat_scenarios() -> None:
    assert len(list(CHAT.glob("*.yaml"))) >= 20


def test_llm_without_a_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["scenario", "run", str(CHAT), "--llm"])
    assert result.exit_code == 2
    assert "--llm needs OPENAI_API_KEY" in result.output


def test_a_scenario_on_the_llm_backend(
    openai_server: ScriptedOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The policy scenario through the model: its answers come from the scripted server."""
    for key, value in openai_server.env().items():
        monkeypatch.setenv(key, value)
    openai_server.respond_with(
        lambda body: {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": "You have 45 days. Return shipping: the label costs 6.00; "
                        "store credit gets 15% extra.",
                    },
                }
            ],
        }
    )
    scenario_chat.use_backend("llm")
    try:
        result = run_scenario(CHAT / "policy_questions.yaml")
    finally:
        scenario_chat.use_backend("offline")
    assert result.passed, result.failures
    prompts = openai_server.system_prompts()
    assert len(prompts) == 3 and "return_window_days: 45" in prompts[0][0]
