"""Customer messages of a case reach its chat and, with SMTP set, the customer's inbox."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select

from bot.customer_mail import SmtpMailer, mail_customer
from bot.worker import deliver_outbox
from graph.chat_graph import CustomerChat
from graph.desk import ReturnsDesk
from ledger import chat_log, outbox
from ledger.chat_models import ChatMessageRow
from tools.accept_photo import sample_jpeg


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def open_chat_case(desk: ReturnsDesk) -> tuple[CustomerChat, str, str]:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    chat.say(sid, "order 1001 ana@example.com, the mug arrived cracked")
    chat.send_photo(sid, sample_jpeg("crack"), "crack")
    chat.say(sid, "yes")
    code = desk.cases_for_order("1001")[0].code
    return chat, sid, code


def test_case_news_is_posted_into_the_chat_once(desk: ReturnsDesk) -> None:
    chat, sid, code = open_chat_case(desk)
    desk.supplier_action("acme", code, "approve", rma="RMA-1")
    news = [m for m in chat.messages(sid) if m.label_url]
    assert len(news) == 1 and "label" in news[0].text.lower()
    assert news[0].label_url == f"/api/chat/sessions/{sid}/cases/{code}/label.pdf"
    assert chat.label_pdf(sid, code).startswith(b"%PDF")
    deliver_outbox(desk)
    assert len([m for m in chat.messages(sid) if m.label_url]) == 1


def test_smtp_delivery_of_customer_messages(
    desk: ReturnsDesk, smtp_server: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp_server
    _chat, _sid, code = open_chat_case(desk)
    monkeypatch.setenv("RETURNBRIDGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("RETURNBRIDGE_MAIL_FROM", "returns@shop.example")
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        deliver_outbox(desk)
    finally:
        get_settings.cache_clear()
    with desk.session() as session:
        customer = outbox.messages(session, channel=outbox.CUSTOMER, case_code=code)
        assert customer and all(row.delivered_at is not None for row in customer)
    assert len(inbox.messages) == len(customer)
    first = inbox.messages[0]
    assert first.mail_from == "returns@shop.example"
    assert first.rcpt_tos == ["ana@example.com"]
    assert code.encode() in first.content


def test_an_unreachable_smtp_server_keeps_the_message_queued(desk: ReturnsDesk) -> None:
    _chat, _sid, code = open_chat_case(desk)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    mailer = SmtpMailer(f"smtp://127.0.0.1:{dead_port}", "returns@shop.example", timeout=2)
    with desk.session() as session:
        row = outbox.messages(session, channel=outbox.CUSTOMER, case_code=code)[0]
    error = mail_customer(row, mailer)
    assert error and "Error" in error


def test_a_bad_smtp_url_is_refused() -> None:
    with pytest.raises(ValueError, match="smtp://host:port"):
        SmtpMailer("http://mail.example", "a@b.c")


def test_case_news_posted_by_two_writers_at_once_lands_once(desk: ReturnsDesk) -> None:
    # The worker and a chat turn post the same case news into one chat at the same moment:
    # the second waits for the first and then finds the news already there (no duplicate,
    # no unique-constraint failure that would fail the worker's whole round).
    _chat, sid, code = open_chat_case(desk)
    desk.supplier_action("acme", code, "approve", rma="RMA-1")
    with desk.session() as session:  # back to before the news was copied into the chat
        session.execute(
            delete(ChatMessageRow).where(
                ChatMessageRow.session_id == sid, ChatMessageRow.source.is_not(None)
            )
        )
    first_posted = threading.Event()
    errors: list[BaseException] = []
    posted: list[int] = []

    def writer(hold: float) -> None:
        try:
            with desk.session() as session:
                posted.append(len(chat_log.post_case_notices(session, sid, desk.clock.now())))
                if hold:
                    first_posted.set()
                    time.sleep(hold)  # keep the transaction open while the other one tries
        except BaseException as error:
            errors.append(error)
            first_posted.set()

    first = threading.Thread(target=writer, args=(0.5,))
    first.start()
    assert first_posted.wait(10)
    second = threading.Thread(target=writer, args=(0,))
    second.start()
    first.join(10)
    second.join(10)
    assert errors == []
    assert sorted(posted)[0] == 0 and sorted(posted)[1] > 0
    with desk.session() as session:
        sources = session.execute(
            select(ChatMessageRow.source).where(
                ChatMessageRow.session_id == sid, ChatMessageRow.source.is_not(None)
            )
        ).scalars()
        copies = list(sources)
    assert len(copies) == len(set(copies)) == sorted(posted)[1]
