"""``scenario run --llm`` reads supplier replies and owner rules through the model too, under
the same contract as offline: the model proposes a structured reading, deterministic code
validates it (the rule model and the store, an RMA the reply holds) and decides.

Tested against the scripted OpenAI-compatible server: the owner's rules and the supplier's
reply are words the offline readers cannot read, so only the model's reading passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.scenarios import chat as scenario_chat
from bot.scenarios.runner import run_scenario
from tests.openai_server import ScriptedOpenAI, json_answer
from tests.rules.helpers import KEEP, REVIEW, price, rule, value

SCENARIO = """
name: the model reads the owner's rules and the supplier's reply
now: 2026-03-10T12:00:00Z
suppliers:
  - id: acme
    name: Acme Home Goods
    role: logistical
    country: US
    return_address: "Acme Returns, 10 Main St, Fresno, CA 93650, US"
    rma_required: true
rules:
  - "flimflam anything pricier than two hundred, wibble"
orders:
  - number: "2020"
    email: lea@example.com
    country: US
    placed_at: 2026-03-01T10:00:00Z
    delivered_at: 2026-03-05T10:00:00Z
    items:
      - {sku: SCARF-1, name: Scarf, price: "32.00", supplier: acme}
steps:
  - portal: {order: "2020", email: lea@example.com, sku: SCARF-1, reason: wrong_size}
  - expect:
      case: {status: awaiting_supplier}
      rules_active: 1
  - supplier: {id: acme, text: "jawoll, passt. Vorgang QX-4410"}
  - expect:
      case: {status: awaiting_shipment, rma: QX-4410}
  - owner: "zorp the cheap bits below a tenner"
  - expect:
      owner_reply_contains: ["unit price is under 10.00 USD", "yes"]
"""

REVIEW_OVER_200 = rule(value("gt", "200.00"), actions=REVIEW).logic()
KEEP_UNDER_10 = rule(price("lt", "10.00"), actions=KEEP).logic()


def _scripted(body: dict[str, Any]) -> dict[str, Any]:
    """The model's answer by what is asked: a rule, or a reading of a supplier's reply."""
    asked = str(body["messages"][-1]["content"])
    if "flimflam" in asked:
        return json_answer({"understood": True, "reason": "", "rule": REVIEW_OVER_200})
    if "zorp" in asked:
        return json_answer({"understood": True, "reason": "", "rule": KEEP_UNDER_10})
    if "QX-4410" in asked:
        return json_answer({"intent": "approve", "rma": "QX-4410", "note": "approved"})
    raise AssertionError(f"unexpected request: {asked!r}")


@pytest.fixture
def on_llm(openai_server: ScriptedOpenAI, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, setting in openai_server.env().items():
        monkeypatch.setenv(key, setting)
    openai_server.respond_with(_scripted)
    scenario_chat.use_backend("llm")
    try:
        yield
    finally:
        scenario_chat.use_backend("offline")


def _story(tmp_path: Path) -> Path:
    path = tmp_path / "llm_rules_and_supplier.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_rules_and_supplier_replies_are_read_through_the_model(
    on_llm: None, openai_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    result = run_scenario(_story(tmp_path))
    assert result.passed, result.failures
    asked = [str(body["messages"][-1]["content"]) for body in openai_server.requests]
    assert any("flimflam" in words for words in asked)  # the rules: key
    assert any("zorp" in words for words in asked)  # an owner step
    assert any("QX-4410" in words for words in asked)  # the supplier's reply
    assert openai_server.unexpected == 0


def test_offline_the_same_story_does_not_read(tmp_path: Path) -> None:
    result = run_scenario(_story(tmp_path))
    assert not result.passed
    assert "does not compile" in result.failures[0]


def test_the_models_rule_is_still_checked_against_the_store(
    on_llm: None, openai_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    """A rule naming a supplier the store does not have is refused, whatever the model says."""
    bad = rule(value("gt", "200.00"), actions=REVIEW).logic()
    bad["conditions"].append({"kind": "in", "field": "supplier", "values": ["nobody"]})  # type: ignore[attr-defined]
    openai_server.respond_with(
        lambda body: json_answer({"understood": True, "reason": "", "rule": bad})
    )
    result = run_scenario(_story(tmp_path))
    assert not result.passed
    assert "no supplier 'nobody'" in result.failures[0]
