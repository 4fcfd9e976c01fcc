"""Link tokens: opaque, signed, expiring, without personal data, and kept out of the logs."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from pathlib import Path

import pytest
import time_machine
import uvicorn
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer

from bot.settings import get_settings
from bot.web.app import create_app
from bot.web.log_redaction import RedactTokens, redact
from graph.desk import ReturnsDesk
from tests.unit.serve_command import invoke_serve
from tests.unit.test_web_api import MUG, SECRET, desk  # noqa: F401  (the desk fixture)


def _decoded_parts(token: str) -> str:
    """Every dot-separated part of a token, base64-decoded where it decodes."""
    out = []
    for part in token.split("."):
        try:
            out.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("latin-1"))
        except (binascii.Error, ValueError):
            out.append(part)
    return " ".join(out)


def test_the_case_token_carries_no_email_or_name(desk: ReturnsDesk) -> None:  # noqa: F811
    client = TestClient(create_app(desk, SECRET))
    created = client.post("/api/returns", json={**MUG, "reason": "wrong_size"}).json()
    token, code = created["token"], created["case"]["code"]
    readable = (token + " " + _decoded_parts(token)).lower()
    assert "ana" not in readable and "example.com" not in readable and "silva" not in readable
    assert client.get(f"/api/cases/{code}", params={"token": token}).status_code == 200


def test_a_case_link_expires_and_old_style_tokens_open_nothing(desk: ReturnsDesk) -> None:  # noqa: F811
    client = TestClient(create_app(desk, SECRET))
    created = client.post("/api/returns", json={**MUG, "reason": "wrong_size"}).json()
    token, code = created["token"], created["case"]["code"]
    old_style = URLSafeSerializer(SECRET, salt="case-access").dumps(
        {"case": code, "email": "ana@example.com"}
    )
    assert client.get(f"/api/cases/{code}", params={"token": old_style}).status_code == 404
    with time_machine.travel(time.time() + 91 * 86400):  # 90 days by default
        late = client.get(f"/api/cases/{code}", params={"token": token})
    assert late.status_code == 404 and "expired" in late.json()["error"]["message"]


def test_supplier_links_are_not_logged_when_the_app_starts(
    desk: ReturnsDesk,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        with caplog.at_level(logging.DEBUG):
            create_app(desk, SECRET)
    finally:
        get_settings.cache_clear()
    assert "/supplier/" not in caplog.text
    assert "returnbridge slack links" in caplog.text


def test_the_access_log_hides_tokens() -> None:
    assert redact("/supplier/eyJhY21lIg.Zx.abc/cases/RB-1") == "/supplier/[redacted]/cases/RB-1"
    assert redact("/api/cases/RB-1?token=abc.def&x=1") == "/api/cases/RB-1?token=[redacted]&x=1"
    assert redact("/api/chat/sessions/s3cr3t/messages") == "/api/chat/sessions/[redacted]/messages"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/supplier/abc.def.ghi", "1.1", 200), None,
    )  # fmt: skip
    assert RedactTokens().filter(record)
    assert "abc.def" not in record.getMessage() and "[redacted]" in record.getMessage()


def test_serve_installs_the_access_log_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'rb.db'}")
    options: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: options.update(kw))
    access = logging.getLogger("uvicorn.access")
    monkeypatch.setattr(access, "filters", [])
    result = invoke_serve()
    assert result.exit_code == 0, result.output
    assert any(isinstance(f, RedactTokens) for f in access.filters)
    assert options["proxy_headers"] is False  # forwarding headers: bot.web.access decides
