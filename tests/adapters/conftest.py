"""The local EasyPost and Shopify doubles, one per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.settings import get_settings
from tests.adapters.fake_easypost import FakeEasyPost
from tests.adapters.fake_shopify import FakeShopify
from tests.conftest import SUPPLIERS


@pytest.fixture
def easypost() -> Iterator[FakeEasyPost]:
    with FakeEasyPost() as server:
        yield server


@pytest.fixture
def shopify() -> Iterator[FakeShopify]:
    with FakeShopify() as server:
        yield server


@pytest.fixture
def store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A store folder and a SQLite database for the command line, through the settings."""
    folder = tmp_path / "store"
    (folder / "suppliers").mkdir(parents=True)
    (folder / "policy.yaml").write_text(yaml.safe_dump({"currency": "USD"}))
    for supplier in SUPPLIERS:
        (folder / "suppliers" / f"{supplier['id']}.yaml").write_text(yaml.safe_dump(supplier))
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'rb.db'}")
    monkeypatch.setenv("RETURNBRIDGE_STORE_DIR", str(folder))
    for name in (
        "SHOPIFY_SHOP",
        "SHOPIFY_ACCESS_TOKEN",
        "RETURNBRIDGE_SHOPIFY_URL",
        "EASYPOST_API_KEY",
        "RETURNBRIDGE_CARRIER",
        "RETURNBRIDGE_PAYMENTS",
    ):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()
