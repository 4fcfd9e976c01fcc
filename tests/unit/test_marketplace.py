"""Marketplace orders: the policy's ``marketplaces:``, the order's channel, and the owner's
``returnbridge marketplace return`` command against a throwaway SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli.main import app
from bot.settings import get_settings
from policies.loader import PolicyError, orders_from_data, store_from_data

ORDERS = [
    {
        "number": "114-3941689-8772232",
        "email": "ana@example.com",
        "channel": "Amazon",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [{"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"}],
    },
    {
        "number": "1001",
        "email": "bo@example.com",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [{"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"}],
    },
]
SUPPLIER = {"id": "acme", "role": "logistical", "country": "US", "return_address": "1 Main St"}


def test_marketplace_rules_defaults_and_names() -> None:
    store = store_from_data(
        {"marketplaces": {"Amazon": {"url": "https://www.amazon.com/returns"}}}, [SUPPLIER]
    )
    amazon = store.policy.marketplace_for("amazon")
    assert amazon is not None
    assert (amazon.name, amazon.return_window_days, amazon.response_hours) == ("Amazon", 30, 48)
    assert amazon.url == "https://www.amazon.com/returns"
    ebay = store.policy.marketplace_for("ebay")  # a known marketplace without rules: defaults
    assert ebay is not None and ebay.name == "eBay" and ebay.url == ""
    assert store.policy.marketplace_for("web") is None
    assert store.policy.marketplace_for(None) is None
    orders = orders_from_data(ORDERS, "test", store)
    assert [order.channel for order in orders] == ["amazon", "web"]
    with pytest.raises(PolicyError, match="response_hours"):
        store_from_data({"marketplaces": {"etsy": {"response_hours": 0}}}, [SUPPLIER])


def test_bot_may_answer_is_off_unless_the_agreement_says_so() -> None:
    store = store_from_data({}, [SUPPLIER, {"id": "bolt", "bot_may_answer": True}])
    assert store.supplier("acme").bot_may_answer is False
    assert store.supplier("bolt").bot_may_answer is True


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "store"
    (folder / "suppliers").mkdir(parents=True)
    (folder / "policy.yaml").write_text(
        yaml.safe_dump({"marketplaces": {"amazon": {"response_hours": 24}}})
    )
    (folder / "suppliers" / "acme.yaml").write_text(yaml.safe_dump(SUPPLIER))
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump({"orders": ORDERS}))
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("RETURNBRIDGE_STORE_DIR", str(folder))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_owner_records_a_marketplace_return_from_the_command_line(cli_store: Path) -> None:
    code, out = run("orders", "import", str(cli_store / "orders.yaml"))
    assert code == 0, out
    code, out = run(
        "marketplace", "return", "114-3941689-8772232", "MUG-1", "--quantity", "1",
        "--reason", "damaged",
    )  # fmt: skip
    assert code == 0, out
    assert "RB-000001" in out and "awaiting supplier" in out and "acme" in out
    # the same unit again: nothing is left to return
    code, out = run("marketplace", "return", "114-3941689-8772232", "MUG-1")
    assert code == 1 and "can still be returned" in out
    # an order of the store's own site is returned by its customer, not recorded here
    code, out = run("marketplace", "return", "1001", "MUG-1", "--reason", "defective")
    assert code == 1 and "own site" in out
    code, out = run("marketplace", "return", "1001", "MUG-1", "--reason", "bored")
    assert code == 2 and "reason" in out
    code, out = run("cases", "list")
    assert out.count("RB-") == 1 and "refunded 0.00" in out


def test_the_returns_page_sends_a_marketplace_buyer_to_the_marketplace(tmp_path: Path) -> None:
    import datetime as dt

    from fastapi.testclient import TestClient

    from bot.web.app import create_app
    from graph.clock import FrozenClock
    from graph.desk import ReturnsDesk
    from ledger.repository import count_cases, import_orders

    store = store_from_data(
        {"marketplaces": {"amazon": {"return_window_days": 30, "url": "https://amzn.test/r"}}},
        [SUPPLIER],
    )
    desk = ReturnsDesk(
        f"sqlite:///{tmp_path}/t.db", store, FrozenClock(dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    )
    try:
        with desk.session() as session:
            import_orders(session, orders_from_data(ORDERS, "t", store), "USD")
        client = TestClient(create_app(desk, "secret"))
        who = {"order": "114-3941689-8772232", "email": "ana@example.com"}
        found = client.post("/api/returns/lookup", json=who).json()
        assert "Amazon" in found["marketplace"] and "https://amzn.test/r" in found["marketplace"]
        assert "within 30 days" in found["marketplace"] and "April 4, 2026" in found["marketplace"]
        answer = client.post("/api/returns", json={**who, "sku": "MUG-1", "reason": "damaged"})
        assert answer.status_code == 422 and "Amazon" in answer.text
        own = client.post("/api/returns/lookup", json={"order": "1001", "email": "bo@example.com"})
        assert own.json()["marketplace"] is None
        with desk.session() as session:
            assert count_cases(session) == 0
    finally:
        desk.close()


def test_the_channel_from_the_platforms_source() -> None:
    from tools.marketplace import channel_from_source

    policy = store_from_data({"marketplaces": {"otto": {"url": "https://otto.test"}}}, []).policy
    cases = {
        "web": "web",
        "": "web",
        None: "web",
        "pos": "web",
        "shopify_draft_order": "web",
        "580111": "web",
        "amazon": "amazon",
        "Amazon US": "amazon",
        "eBay": "ebay",
        "Etsy Marketplace": "etsy",
        "walmart-marketplace": "walmart",
        "otto": "otto",
    }
    for source, channel in cases.items():
        assert channel_from_source(source, policy) == channel, source


def test_the_owner_console_records_a_marketplace_return_in_words(tmp_path: Path) -> None:
    import datetime as dt

    from graph.clock import FrozenClock
    from graph.desk import ReturnsDesk
    from graph.owner_console import answer_owner
    from ledger.repository import import_orders

    store = store_from_data({}, [SUPPLIER])
    orders = [
        {
            **ORDERS[0],
            "items": [
                {"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"},
                {"sku": "MAT-1", "name": "Table mat", "price": "6.00", "quantity": 4,
                 "supplier": "acme"},
            ],
        },
        ORDERS[1],
    ]  # fmt: skip
    desk = ReturnsDesk(
        f"sqlite:///{tmp_path}/t.db", store, FrozenClock(dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    )
    try:
        with desk.session() as session:
            import_orders(session, orders_from_data(orders, "t", store), "USD")
        said = answer_owner(desk, "amazon return 114-3941689-8772232")
        assert "Which item" in said and desk.cases_for_order("114-3941689-8772232") == []
        said = answer_owner(
            desk, "Amazon return on 114-3941689-8772232: 2 table mats, not as pictured"
        )
        [case] = desk.cases_for_order("114-3941689-8772232")
        assert case.code in said and "48 hours" in said
        assert (case.sku, case.quantity, case.reason) == ("MAT-1", 2, "not_as_described")
        assert case.status == "awaiting_supplier"
        # the store's own order, and a rule about marketplaces, record nothing
        answer_owner(desk, "amazon return on 1001, the mug")
        assert desk.cases_for_order("1001") == []
        said = answer_owner(desk, "Refund amazon returns under $10 without asking for them back")
        assert len(desk.cases_for_order("114-3941689-8772232")) == 1
    finally:
        desk.close()
