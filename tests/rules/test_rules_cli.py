"""``returnbridge rules add|list|retire|test`` against a throwaway SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("RETURNBRIDGE_STORE_DIR", str(ROOT / "store"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str, answer: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["rules", *args], input=answer)
    return result.exit_code, result.output


def test_add_shows_the_rule_and_asks_before_switching_it_on() -> None:
    code, out = run("add", "Refund items under $10 without a return", answer="n\n")
    assert code == 0, out
    assert "unit price is under 10.00 USD" in out and "Backtest:" in out
    assert "Dropped the draft" in out
    assert "No rules are on" in run("list")[1]
    code, out = run("add", "Refund items under $10 without a return", answer="y\n")
    assert code == 0 and "Rule 1 is on" in out
    assert "1. For returns where the unit price is under 10.00 USD" in run("list")[1]


def test_add_yes_replace_retire_and_list_all() -> None:
    assert run("add", "--yes", "Require a photo for wrong-size returns")[0] == 0
    code, out = run("add", "--yes", "--replace", "1", "Require a photo for damaged returns")
    assert code == 0 and "version 2" in out
    code, out = run("list", "--all")
    assert "1@1  retired" in out and "1@2  active" in out
    code, out = run("retire", "1")
    assert code == 0 and "retired" in out
    code, out = run("retire", "1")
    assert code == 1 and "no active rule 1" in out


def test_a_rule_that_does_not_compile_is_an_error_and_stores_nothing() -> None:
    code, out = run("add", "--yes", "Refund purple items without a return")
    assert code == 1 and '"purple"' in out
    assert "No rules are on" in run("list")[1]


def test_test_backtests_without_saving() -> None:
    code, out = run("test", "Returns over $100 need my approval")
    assert code == 0, out
    assert out.startswith('Would be: "For returns where the return value is over 100.00 USD')
    assert "Backtest: There are no stored cases" in out
    assert "yes" not in out.lower().split("backtest")[1]
    assert "No rules are on" in run("list")[1]
