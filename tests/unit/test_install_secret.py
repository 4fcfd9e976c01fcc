"""No shared default secret: each installation generates its own key and keeps it (0600)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from bot.install_secret import KEY_FILE, PUBLISHED_DEFAULT, installation_secret
from bot.settings import Settings
from bot.web.supplier import InboxLinks
from tests.unit.serve_command import invoke_serve

OLD_DEFAULT = "change-me-in-production"


def _settings(folder: Path, **values: Any) -> Settings:
    return Settings(database_url=f"sqlite:///{folder / 'returnbridge.db'}", **values)


def test_two_installations_get_different_keys_kept_with_mode_0600(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    first = installation_secret(_settings(one))
    second = installation_secret(_settings(two))
    assert first != second and len(first) >= 32
    for folder in (one, two):
        assert stat.S_IMODE((folder / KEY_FILE).stat().st_mode) == 0o600
    assert installation_secret(_settings(one)) == first  # a restart reads the same key


def test_the_key_lives_in_the_data_dir_when_one_is_set(tmp_path: Path) -> None:
    key = installation_secret(_settings(tmp_path / "db", data_dir=tmp_path / "data"))
    assert (tmp_path / "data" / KEY_FILE).read_text().strip() == key
    assert not (tmp_path / "db" / KEY_FILE).exists()


def test_a_configured_key_is_used_as_it_is(tmp_path: Path) -> None:
    assert installation_secret(_settings(tmp_path, secret_key="a-long-configured-key")) == (
        "a-long-configured-key"
    )
    assert not (tmp_path / KEY_FILE).exists()


def test_the_published_default_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert PUBLISHED_DEFAULT == OLD_DEFAULT
    assert Settings().secret_key != OLD_DEFAULT
    with caplog.at_level(logging.WARNING, logger="returnbridge.secret_key"):
        key = installation_secret(_settings(tmp_path, secret_key=OLD_DEFAULT))
    assert key != OLD_DEFAULT and key == (tmp_path / KEY_FILE).read_text().strip()
    assert "published example value" in caplog.text


@pytest.mark.parametrize("configured", [None, OLD_DEFAULT])
def test_a_link_signed_with_the_old_default_opens_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: str | None
) -> None:
    """``returnbridge serve`` as installed: forged supplier links and owner forms are refused."""
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'rb.db'}")
    for name in ("RETURNBRIDGE_OWNER_PASSWORD", "SLACK_BOT_TOKEN", "RETURNBRIDGE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    if configured is not None:
        monkeypatch.setenv("RETURNBRIDGE_SECRET_KEY", configured)
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    result = invoke_serve()
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    client = TestClient(served[0], base_url="http://127.0.0.1:8000", client=("127.0.0.1", 5))

    forged_inbox = InboxLinks(OLD_DEFAULT).token("acme")
    assert client.get(f"/supplier/{forged_inbox}").status_code == 403
    forged_form = TimestampSigner(OLD_DEFAULT, salt="owner-form").sign("0123456789abcdef")
    denied = client.post(
        "/owner/cases/RB-1000/deny", data={"token": forged_form.decode(), "note": "forged"}
    )
    assert denied.status_code == 403


def test_the_web_app_refuses_the_published_default(tmp_path: Path) -> None:
    from bot.web.app import create_app
    from graph.desk import ReturnsDesk
    from tests.conftest import make_store

    desk = ReturnsDesk(f"sqlite:///{tmp_path / 'rb.db'}", make_store())
    try:
        for key in ("", OLD_DEFAULT):
            with pytest.raises(ValueError, match="own secret key"):
                create_app(desk, key)
    finally:
        desk.close()
