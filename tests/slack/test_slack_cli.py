"""``returnbridge slack``: Socket Mode refuses to start without its token; links are signed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.settings import get_settings
from bot.web.supplier import InboxLinks


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETURNBRIDGE_SECRET_KEY", "cli-secret")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_socket_mode_needs_the_app_token() -> None:
    result = CliRunner().invoke(app, ["slack", "--socket"])
    assert result.exit_code == 2
    assert "SLACK_APP_TOKEN" in result.output


def test_links_are_signed_for_each_supplier() -> None:
    result = CliRunner().invoke(app, ["slack", "links"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "/supplier/" in line]
    assert lines and lines[0].startswith("acme")
    token = lines[0].rsplit("/supplier/", 1)[1].strip()
    assert InboxLinks("cli-secret").supplier(token) == "acme"
    assert InboxLinks("another-secret").supplier(token) is None
