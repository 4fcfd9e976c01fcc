"""The scenario runner's ``rules:`` key and ``rules_active`` check."""

from __future__ import annotations

from pathlib import Path

from bot.scenarios.runner import run_scenario

HEAD = """
name: {name}
now: 2026-03-10T12:00:00Z
suppliers:
  - {{id: acme, name: Acme Home Goods, role: logistical, country: US, return_address: "10 Main St"}}
orders:
  - number: "3001"
    email: ann@example.com
    placed_at: 2026-03-01T10:00:00Z
    delivered_at: 2026-03-05T10:00:00Z
    items:
      - {{sku: SOCKS-1, name: Socks, price: "8.00", supplier: acme}}
"""


def scenario(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HEAD.format(name=name) + body)
    return path


def test_a_rule_that_does_not_compile_fails_the_scenario_with_the_reason(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        "nonsense",
        """
rules:
  - "Refund items under $10 without a return"
  - "Refund purple items without a return"
steps:
  - expect: {rules_active: 2}
""",
    )
    result = run_scenario(path)
    assert not result.passed
    assert result.steps == 0
    assert "rules[2]" in result.failures[0] and '"purple"' in result.failures[0]


def test_rules_are_active_before_the_first_step_and_counted(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        "counted",
        """
rules:
  - "Refund items under $10 without a return"
  - "Require a photo for damaged returns"
steps:
  - expect: {rules_active: 2}
  - portal: {order: "3001", email: ann@example.com, sku: SOCKS-1, reason: wrong_size}
  - expect:
      case: {status: resolved, return_required: false}
      ledger_includes: [rule_applied]
""",
    )
    assert run_scenario(path).passed
    wrong = scenario(tmp_path, "miscounted", "\nsteps:\n  - expect: {rules_active: 1}\n")
    result = run_scenario(wrong)
    assert not result.passed and "rules_active: expected 1, got 0" in result.failures[0]
