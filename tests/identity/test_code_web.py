"""The returns page's "don't know your order number?" path, over HTTP, and the text-message
port the codes of phone-only orders go through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from bot import customer_mail
from bot.web.app import create_app
from bot.worker import deliver_outbox
from graph.desk import ReturnsDesk
from ledger import outbox
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests.identity.test_one_time_codes import PHONE_ORDER, _code_sent
from tools import one_time_codes
from tools.sms import LocalSms, SmsSettingError, sms_sender


def _web(desk: ReturnsDesk) -> TestClient:
    return TestClient(create_app(desk, "codes-secret"), client=("198.51.100.9", 40000))


def test_returns_page_offers_the_path(desk: ReturnsDesk) -> None:
    page = _web(desk).get("/returns").text
    assert "Don't know your order number?" in page and "/static/order_code.js" in page


def test_a_code_lists_the_orders_and_the_picked_one_is_looked_up(desk: ReturnsDesk) -> None:
    web = _web(desk)
    asked = web.post("/api/returns/code", json={"contact": "ana@example.com"})
    unknown = web.post("/api/returns/code", json={"contact": "who@example.com"})
    assert asked.status_code == unknown.status_code == 202
    assert asked.json() == unknown.json()  # nothing tells which address has orders
    assert "1001" not in asked.text and "mug" not in asked.text.lower()

    wrong = web.post("/api/returns/code/orders", json={"contact": "ana@example.com", "code": "x"})
    assert wrong.status_code == 422 and "1001" not in wrong.text
    assert wrong.json()["error"]["code"] == "code_not_valid"

    code = _code_sent(desk, "ana@example.com")
    listed = web.post("/api/returns/code/orders", json={"contact": "ana@example.com", "code": code})
    assert listed.status_code == 200, listed.text
    (order,) = listed.json()["orders"]
    assert order["order"] == "1001" and "Ceramic mug" in order["items"]

    found = web.post(
        "/api/returns/lookup", json={"order": order["order"], "email": "ana@example.com"}
    )
    assert found.status_code == 200 and found.json()["order"] == "1001"
    again = web.post("/api/returns/code/orders", json={"contact": "ana@example.com", "code": code})
    assert again.status_code == 422  # used


def test_too_many_code_requests_get_429_with_retry_after(desk: ReturnsDesk) -> None:
    web = _web(desk)
    for _ in range(one_time_codes.SENDS_ALLOWED):
        assert web.post("/api/returns/code", json={"contact": "x@example.com"}).status_code == 202
    refused = web.post("/api/returns/code", json={"contact": "x@example.com"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_not_an_address_is_422(desk: ReturnsDesk) -> None:
    answer = _web(desk).post("/api/returns/code", json={"contact": "hello"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_contact"


def test_the_local_text_message_port_writes_the_code_to_a_file(
    desk: ReturnsDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with desk.session() as session:
        import_orders(
            session, orders_from_data([PHONE_ORDER], "test", desk.store), desk.store.policy.currency
        )
    messages = tmp_path / "sms.jsonl"
    monkeypatch.setattr(customer_mail, "sms_from_settings", lambda: LocalSms(messages))
    _web(desk).post("/api/returns/code", json={"contact": "512 555 0100"})
    code = _code_sent(desk, "512 555 0100")
    deliver_outbox(desk)
    (line,) = messages.read_text(encoding="utf-8").splitlines()
    said = json.loads(line)
    assert said["to"] == "512 555 0100"
    assert code in said["text"]
    with desk.session() as session:
        (row,) = [r for r in outbox.messages(session) if r.channel == one_time_codes.SMS]
        assert row.delivered_at is not None
        assert code not in row.text  # sent away: the outbox no longer holds the code


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None]] = []

    def send(self, row: Any, subject: str | None = None) -> None:
        self.sent.append((row.recipient, row.text, subject))


def test_an_e_mailed_code_is_not_kept_in_the_outbox(
    desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailer = RecordingMailer()
    monkeypatch.setattr(customer_mail, "mailer_from_settings", lambda: mailer)
    _web(desk).post("/api/returns/code", json={"contact": "ana@example.com"})
    code = _code_sent(desk, "ana@example.com")
    deliver_outbox(desk)
    assert mailer.sent == [("ana@example.com", mailer.sent[0][1], "Your code")]
    assert code in mailer.sent[0][1]
    with desk.session() as session:
        texts = [r.text for r in outbox.messages(session) if r.kind == one_time_codes.KIND]
    assert texts and all(code not in text for text in texts)


def test_without_smtp_the_code_stays_in_the_outbox(desk: ReturnsDesk) -> None:
    _web(desk).post("/api/returns/code", json={"contact": "ana@example.com"})
    code = _code_sent(desk, "ana@example.com")
    deliver_outbox(desk)  # no SMTP set: the outbox is where the message waits to be read
    assert _code_sent(desk, "ana@example.com") == code


class RecordingSms:
    sent: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def send(self, phone: str, text: str) -> None:
        RecordingSms.sent.append((phone, text))


def test_a_provider_plugs_in_by_name() -> None:
    sender = sms_sender(f"{__name__}:RecordingSms", None, "the settings")
    sender.send("+15125550100", "hello")
    assert RecordingSms.sent[-1] == ("+15125550100", "hello")
    with pytest.raises(SmsSettingError):
        sms_sender("no.such.module:Thing", None)
    with pytest.raises(SmsSettingError):
        sms_sender("nocolon", None)
