"""``returnbridge inbox``, ``reply``, ``suppliers credit|writeoff|scorecard|statement``, and the
CSV exports ``cases export`` and ``ledger journal``."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from bot.cli.main import app
from bot.composition import desk_from_settings
from bot.settings import get_settings
from ledger import outbox
from tools.open_case import ReturnRequest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("RETURNBRIDGE_STORE_DIR", str(ROOT / "store"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_inbox_reply_credit_scorecard_and_statement(tmp_path: Path) -> None:
    assert run("demo")[0] == 0
    desk = desk_from_settings(get_settings())
    try:
        # 11.50 is under the demo store's keep_it_under: refunded at once, acme owes 23.00
        view = desk.submit_return(
            ReturnRequest(
                order="1004",
                email="dana.whitfield@example.com",
                sku="TWL-LIN-SND",
                quantity=2,
                reason="wrong_size",
            )
        )
        assert view.status == "resolved" and view.supplier_credit == "23.00"
        desk.supplier_question("acme", view.code, "did she keep the original box?")
    finally:
        desk.close()

    code, out = run("inbox")
    assert code == 0, out
    assert "supplier_question" in out and "did she keep the original box?" in out
    assert "1 open" in out

    code, out = run("reply", view.code, "--to", "supplier", "Yes, she kept the box")
    assert code == 0, out
    assert "1 inbox item(s) closed" in out
    assert "Nothing waits for you." in run("inbox")[1]

    code, out = run("suppliers", "credit", "acme", "30.00", "--reference", "CN-1")
    assert code == 1 and "owes 23.00" in out
    code, out = run("suppliers", "credit", "acme", "20.00", "--reference", "CN-1")
    assert code == 0, out
    assert "still owes 3.00 USD" in out
    code, out = run("suppliers", "credit", "acme", "1.00", "--reference", "CN-1")
    assert code == 1 and "already recorded" in out
    code, out = run("suppliers", "writeoff", "acme", "--order", "1004")
    assert code == 0 and "Wrote off 3.00 USD" in out, out

    code, out = run("suppliers", "scorecard", "acme")
    assert code == 0, out
    lines = {line[:26].strip(): line[26:].strip() for line in out.splitlines()[1:]}
    assert lines["credit owed"] == "0.00" and lines["credit received"] == "20.00"
    assert lines["credit written off"] == "3.00"
    assert lines["median days to credit"] == "-"  # the rest was written off, not received

    code, out = run("suppliers", "statement", "acme", "--csv")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["case"], r["credit"], r["received"], r["written_off"]) for r in rows] == [
        (view.code, "23.00", "20.00", "3.00")
    ]
    assert run("suppliers", "scorecard", "nobody")[0] == 1
    pdf = tmp_path / "acme.pdf"
    code, out = run("suppliers", "statement", "acme", "--pdf", str(pdf))
    assert code == 0 and "statement written to" in out, out
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert view.code in text and "Owed 23.00 USD" in text and "received 20.00" in text

    desk = desk_from_settings(get_settings())
    try:
        with desk.session() as session:
            told = [row.text for row in outbox.messages(session, channel=outbox.SUPPLIER)]
    finally:
        desk.close()
    assert any("Yes, she kept the box" in text for text in told)


def test_reply_to_an_item_of_a_chat_that_never_named_its_order() -> None:
    from graph.chat_graph import CustomerChat

    desk = desk_from_settings(get_settings())
    try:
        chat = CustomerChat(desk, "offline")
        sid = chat.open_session()
        chat.say(sid, "can I talk to a human please")
    finally:
        desk.close()
    code, out = run("inbox")
    assert code == 0 and "handoff" in out and "talk to a human" in out, out
    item = out.split()[0]
    assert item.startswith("#")
    code, out = run("reply", item, "Hello, which order is it about?")
    assert code == 0 and "in the chat" in out, out
    assert "Nothing waits for you." in run("inbox")[1]
    desk = desk_from_settings(get_settings())
    try:
        said = [m.text for m in CustomerChat(desk, "offline").messages(sid)]
    finally:
        desk.close()
    assert any("which order is it about?" in text for text in said)


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


def test_products_prints_figures_and_a_suggestion_once_several_customers_agree(
    tmp_path: Path,
) -> None:
    assert run("demo")[0] == 0
    code, out = run("products")
    assert code == 0, out
    assert "TWL-LIN-SND" in out and "returned 0 (0.0%)" in out
    assert "suggestion" not in out

    orders = "orders:\n" + "".join(
        f"""  - number: "77{n}"
    email: shopper{n}@example.com
    country: US
    placed_at: 2026-11-20T10:00:00Z
    delivered_at: 2026-11-24T10:00:00Z
    items:
      - {{sku: TEE-BLK-M, name: Black tee M, price: "14.00", supplier: acme}}
"""
        for n in range(3)
    )
    (tmp_path / "tees.yaml").write_text(orders, encoding="utf-8")
    assert run("orders", "import", str(tmp_path / "tees.yaml"))[0] == 0
    desk = desk_from_settings(get_settings())
    try:
        for n, note in enumerate(["runs really small", "way too small", "tiny, size up"]):
            desk.submit_return(
                ReturnRequest(
                    order=f"77{n}",
                    email=f"shopper{n}@example.com",
                    sku="TEE-BLK-M",
                    quantity=1,
                    reason="wrong_size",
                    note=note,
                )
            )
    finally:
        desk.close()
    code, out = run("products", "--words")
    assert code == 0, out
    assert "TEE-BLK-M  Black tee M: sold 3, returned 3 (100.0%); wrong size 3" in out
    assert "suggestion (3 customers: runs small)" in out
    assert '"way too small"' in out
    assert "suggestion" not in run("products", "--min-customers", "4")[1]


def test_the_weekly_digest_is_printed_and_queued_once() -> None:
    assert run("demo")[0] == 0
    code, out = run("digest", "--print")
    assert code == 0 and "your returns for week" in out and "Cases opened:" in out, out
    code, out = run("digest", "--send")
    assert code == 0 and "queued for" in out, out
    code, out = run("digest", "--send")
    assert code == 0 and "already queued; not sent again" in out, out
    assert run("digest")[0] == 1
