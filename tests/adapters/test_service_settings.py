"""The settings pick the adapters; a real service without its credentials is named."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.easypost_carrier import EasyPostCarrier
from adapters.shippo_carrier import ShippoCarrier
from adapters.shopify_client import shop_domain
from adapters.shopify_payments import ShopifyPayments
from bot.cli.main import app
from bot.composition import (
    ServiceSettingsError,
    carrier_from_settings,
    payments_from_settings,
    shopify_orders_from_settings,
)
from bot.settings import Settings, get_settings
from bot.web.carrier import easypost_signature, signature_ok
from tools.adapters import LocalCarrier, LocalPayments


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "EASYPOST_API_KEY",
        "SHOPIFY_SHOP",
        "SHOPIFY_ACCESS_TOKEN",
        "RETURNBRIDGE_CARRIER",
        "RETURNBRIDGE_PAYMENTS",
        "RETURNBRIDGE_SHOPIFY_URL",
        "RETURNBRIDGE_EASYPOST_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_defaults_are_local() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert isinstance(carrier_from_settings(settings), LocalCarrier)
    assert isinstance(payments_from_settings(settings), LocalPayments)


def test_real_services_come_from_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURNBRIDGE_CARRIER", "easypost")
    monkeypatch.setenv("EASYPOST_API_KEY", "EZAK_live")
    monkeypatch.setenv("RETURNBRIDGE_EASYPOST_SERVICE", "GroundAdvantage")
    monkeypatch.setenv("RETURNBRIDGE_PAYMENTS", "shopify")
    monkeypatch.setenv("SHOPIFY_SHOP", "northwind-goods")
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_abc")
    monkeypatch.setenv("RETURNBRIDGE_SHOPIFY_API_VERSION", "2026-07")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    carrier = carrier_from_settings(settings)
    assert isinstance(carrier, EasyPostCarrier)
    assert carrier.base_url == "https://api.easypost.com/v2"
    assert carrier.service == "GroundAdvantage"
    payments = payments_from_settings(settings)
    assert isinstance(payments, ShopifyPayments)
    assert payments.admin.api_root == "https://northwind-goods.myshopify.com/admin/api/2026-07"


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"RETURNBRIDGE_CARRIER": "easypost"}, "EASYPOST_API_KEY"),
        ({"RETURNBRIDGE_CARRIER": "shippo"}, "SHIPPO_API_TOKEN"),
        ({"RETURNBRIDGE_PAYMENTS": "shopify", "SHOPIFY_SHOP": "x"}, "SHOPIFY_ACCESS_TOKEN"),
        ({"RETURNBRIDGE_PAYMENTS": "shopify", "SHOPIFY_ACCESS_TOKEN": "t"}, "SHOPIFY_SHOP"),
    ],
)
def test_a_missing_credential_is_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ServiceSettingsError, match=missing):
        carrier_from_settings(settings)
        payments_from_settings(settings)


def test_shippo_comes_from_its_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURNBRIDGE_CARRIER", "shippo")
    monkeypatch.setenv("SHIPPO_API_TOKEN", "shippo_live_abc")
    monkeypatch.setenv("RETURNBRIDGE_SHIPPO_SERVICE", "usps_ground_advantage")
    carrier = carrier_from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(carrier, ShippoCarrier)
    assert carrier.base_url == "https://api.goshippo.com"
    assert carrier.service == "usps_ground_advantage"


def test_reading_orders_needs_shopify_credentials() -> None:
    with pytest.raises(ServiceSettingsError, match="SHOPIFY_ACCESS_TOKEN"):
        shopify_orders_from_settings(Settings(_env_file=None))  # type: ignore[call-arg]


def test_an_unknown_carrier_is_refused_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURNBRIDGE_CARRIER", "fedex")
    with pytest.raises(ValueError, match="carrier"):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("shop", "domain"),
    [
        ("northwind", "northwind.myshopify.com"),
        ("Northwind.myshopify.com", "northwind.myshopify.com"),
        ("https://northwind.myshopify.com/admin", "northwind.myshopify.com"),
    ],
)
def test_the_shop_may_be_given_several_ways(shop: str, domain: str) -> None:
    assert shop_domain(shop) == domain


def test_the_webhook_signature_is_easyposts_hmac() -> None:
    secret, body = "ﬁle-secret", b'{"object":"Event"}'  # the ligature folds under NFKD
    digest = hmac.new(b"file-secret", body, hashlib.sha256).hexdigest()
    assert unicodedata.normalize("NFKD", secret) == "file-secret"
    assert easypost_signature(secret, body) == f"hmac-sha256-hex={digest}"
    assert signature_ok(secret, body, f"HMAC-SHA256-HEX={digest.upper()}")
    assert not signature_ok(secret, body + b" ", f"hmac-sha256-hex={digest}")
    assert not signature_ok(secret, body, None)


def test_the_command_line_names_a_bad_or_missing_setting(
    store_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETURNBRIDGE_CARRIER", "fedex")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["cases", "list"])
    assert result.exit_code == 2
    assert "settings: carrier: Input should be 'local', 'easypost' or 'shippo'" in result.output
    monkeypatch.setenv("RETURNBRIDGE_CARRIER", "easypost")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["cases", "list"])
    assert result.exit_code == 2
    assert "RETURNBRIDGE_CARRIER=easypost needs EASYPOST_API_KEY" in result.output
    assert "Traceback" not in result.output
