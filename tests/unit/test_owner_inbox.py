"""The owner's inbox: what raises an item, the owner's e-mail without Slack, a service that
keeps failing, and a handed-over customer who writes again."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from bot.worker import deliver_outbox
from graph.chat_graph import CustomerChat
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.owner_inbox import FORWARDED, open_inbox, reply
from ledger import outbox
from ledger.models import DecisionRow
from tests.chat.test_customer_mail import Inbox, smtp_server  # noqa: F401  (the fixture)
from tests.conftest import NOW, ORDERS, make_store
from tools.adapters import LocalCarrier, PurchasedLabel
from tools.errors import ReturnError
from tools.label_pdf import LabelContent
from tools.open_case import ReturnRequest
from tools.service_errors import CarrierUnavailable


class DownCarrier(LocalCarrier):
    def buy_label(self, content: LabelContent, idempotency_key: str) -> PurchasedLabel:
        raise CarrierUnavailable("carrier", "The carrier did not answer.")


@pytest.fixture
def down_desk(database_url: str) -> Iterator[ReturnsDesk]:
    from ledger.repository import import_orders
    from policies.loader import orders_from_data

    store = make_store()
    desk = ReturnsDesk(database_url, store, FrozenClock(NOW), carrier=DownCarrier())
    with desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "test", store), store.policy.currency)
    yield desk
    desk.close()


def test_a_service_that_keeps_failing_reaches_the_inbox_on_the_third_failure(
    down_desk: ReturnsDesk,
) -> None:
    view = down_desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
    )
    assert view.status == "awaiting_supplier"
    for attempt in range(1, 4):
        with pytest.raises(ReturnError, match="did not answer"):
            down_desk.supplier_action("acme", view.code, "approve", rma="RMA-1")
        kinds = [item.kind for item in open_inbox(down_desk)]
        assert kinds == ([] if attempt < 3 else ["service_failing"])
    item = open_inbox(down_desk)[0]
    assert item.party_id == "carrier" and "did not answer" in item.words
    assert down_desk.case_view(view.code).status == "awaiting_supplier"
    with down_desk.session() as session:
        notices = outbox.messages(session, channel=outbox.OWNER)
        assert [row.kind for row in notices] == ["service_failing"]
        assert notices[0].recipient == "owner@example.com"


def test_new_items_are_mailed_to_the_owner_without_slack(
    desk: ReturnsDesk,
    smtp_server: tuple[Inbox, int],  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp_server
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
    )
    desk.supplier_question("acme", view.code, "is the box still sealed?")
    monkeypatch.setenv("RETURNBRIDGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        deliver_outbox(desk)
    finally:
        get_settings.cache_clear()
    to_owner = [m for m in inbox.messages if "owner@example.com" in m.rcpt_tos]
    assert len(to_owner) == 1
    mail = message_from_bytes(to_owner[0].content, policy=default)
    assert mail["Subject"] == "ReturnBridge inbox: supplier question (RB-000001)"
    assert "is the box still sealed?" in mail.get_content()


def test_a_handed_over_customer_talks_to_the_owner_until_answered(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    chat.say(sid, "order 1001 ana@example.com")
    chat.say(sid, "can I speak to a person")
    again = [m.text for m in chat.say(sid, "I want a real person, hello??")]
    assert again == [FORWARDED]  # no second handoff, no menu or "didn't get that"
    chat.say(sid, "the mug is cracked")
    items = open_inbox(desk)
    assert len(items) == 1 and items[0].order == "1001" and items[0].case is None
    assert "the mug is cracked" in items[0].words
    with desk.session() as session:
        actions = list(
            session.execute(
                select(DecisionRow.action).where(DecisionRow.action == "handoff_requested")
            ).scalars()
        )
    assert actions == ["handoff_requested"]
    assert "in the chat and by e-mail" in reply(desk, "1001", "customer", "Send me a photo")
    with desk.session() as session:
        mails = outbox.messages(session, channel=outbox.CUSTOMER, recipient="ana@example.com")
        assert [row.kind for row in mails] == ["owner_reply"]
    said = [m.text for m in chat.messages(sid)]
    assert said.count(f"A message from {desk.store.policy.name}: Send me a photo") == 1
    assert open_inbox(desk) == []
    with pytest.raises(ReturnError, match="no return"):
        reply(desk, "1001", "supplier", "hello")
    with pytest.raises(ReturnError, match="no order or return"):
        reply(desk, "9999", "customer", "hello")


def test_the_owner_console_reads_replies_payments_and_write_offs(desk: ReturnsDesk) -> None:
    from graph.owner_console import answer_owner

    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
    )
    desk.supplier_question("acme", view.code, "which batch was it?")
    said = answer_owner(desk, f"reply to acme about {view.code}: the blue batch from May")
    assert said.startswith("Sent to supplier acme") and "1 inbox item(s) closed" in said
    # "refund" in a message to the customer is a message, not an approval
    said = answer_owner(desk, "tell the customer on 1001 that we will refund you once it's back")
    assert said.startswith("Sent to the customer of order 1001")
    assert desk.case_view(view.code).status == "awaiting_supplier"
    with desk.session() as session:
        supplier = [r.text for r in outbox.messages(session, channel=outbox.SUPPLIER)]
        customer = [r.text for r in outbox.messages(session, channel=outbox.CUSTOMER)]
    assert any("the blue batch from May" in text for text in supplier)
    assert any("we will refund you once it's back" in text for text in customer)
    assert "no open credit" in answer_owner(desk, "write off acme's credit on order 1001")
    assert "owes 0.00" in answer_owner(desk, "acme paid $5.00, reference CN-1")
    assert "reference" in answer_owner(desk, "acme paid $5.00")


def test_mail_that_keeps_failing_is_an_inbox_item(
    desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")
    )
    monkeypatch.setenv("RETURNBRIDGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        for _round in range(3):
            assert [item.kind for item in open_inbox(desk)] == []
            deliver_outbox(desk)
    finally:
        get_settings.cache_clear()
    items = open_inbox(desk)
    assert [(item.kind, item.party_id) for item in items] == [("service_failing", "e-mail")]
