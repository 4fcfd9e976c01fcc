"""``returnbridge cases export`` and ``returnbridge ledger journal``: CSV for the owner's books."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app_factory import desk_from_settings
from bot.cli import app
from bot.settings import get_settings
from tools.open_case import ReturnRequest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'export.db'}")
    monkeypatch.setenv("RETURNBRIDGE_STORE_DIR", str(ROOT / "store"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_cases_and_journal_export_as_csv(tmp_path: Path) -> None:
    assert run("demo")[0] == 0
    desk = desk_from_settings(get_settings())
    try:
        # Two towels at 11.50, under the demo store's keep_it_under: refunded at once.
        kept = desk.submit_return(
            ReturnRequest(
                order="1004",
                email="dana.whitfield@example.com",
                sku="TWL-LIN-SND",
                quantity=2,
                reason="wrong_size",
            )
        )
        assert kept.status == "resolved"
    finally:
        desk.close()

    code, out = run("cases", "export")
    assert code == 0, out
    (case,) = rows(out)
    assert case["case"] == kept.code and case["order"] == "1004"
    assert case["status"] == "resolved" and case["waiting_for"] == ""
    assert case["quantity"] == "2" and case["reason"] == "wrong_size"
    assert case["refunded"] == kept.refunded and case["supplier_credit"] == "23.00"
    assert case["currency"] == "USD"
    assert rows(run("cases", "export", "--status", "pending_review")[1]) == []

    target = tmp_path / "journal.csv"
    code, out = run("ledger", "journal", "--output", str(target))
    assert code == 0 and "journal written to" in out
    lines = rows(target.read_text(encoding="utf-8"))
    assert lines and all(line["case"] == kept.code for line in lines)
    by_entry: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        by_entry[line["entry"]] += Decimal(line["amount"])
    assert all(total == 0 for total in by_entry.values())  # every entry balances
    refunds = [line for line in lines if line["kind"] == "refund" and Decimal(line["amount"]) > 0]
    assert sum(Decimal(line["amount"]) for line in refunds) == Decimal(kept.refunded)
