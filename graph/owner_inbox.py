"""The owner answers the inbox: a reply reaches that customer (in the chat that raised the
item and by e-mail) or that supplier (in its case thread: Slack, or its inbox page), the
answered items close, and the ledger records ``owner_reply``.

A customer who was handed to the owner and writes again is not answered by the bot: the
words are added to the open item and the customer is told they went to the owner.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from graph.desk import ReturnsDesk
from ledger import chat_log, decisions, outbox
from ledger.chat_models import ChatCaseRow, ChatSessionRow
from ledger.models import CaseRow, OrderRow
from ledger.owner_models import HANDOFF, PENDING_REVIEW, InboxItemRow
from ledger.repository import find_order, get_case
from tools import owner_inbox
from tools.errors import CaseNotFound, ReturnError
from tools.notify import notify_supplier

Party = Literal["customer", "supplier"]

FORWARDED = (
    "Your message went to the store owner, who has this conversation and will answer you "
    "here and by e-mail."
)


class ReplyRefused(ReturnError):
    code = "reply_refused"


@dataclass(frozen=True)
class InboxView:
    id: int
    kind: str
    order: str | None
    case: str | None
    party: str
    party_id: str
    words: str
    summary: str
    at: dt.datetime


def _view(session: Session, item: InboxItemRow) -> InboxView:
    order = find_order(session, item.order_number) if item.order_number else None
    return InboxView(
        id=item.id,
        kind=item.kind,
        order=order.display_number if order is not None else item.order_number,
        case=item.case_code,
        party=item.party,
        party_id=item.party_id,
        words=item.text,
        summary=item.summary,
        at=item.created_at,
    )


def open_inbox(desk: ReturnsDesk) -> list[InboxView]:
    """What waits for the owner, oldest first."""
    with desk.session() as session:
        return [_view(session, item) for item in owner_inbox.open_items(session)]


@dataclass(frozen=True)
class _Target:
    order: OrderRow
    case: CaseRow | None


def _target(session: Session, order_or_case: str) -> _Target:
    text = order_or_case.strip()
    case = get_case(session, text) if text.upper().startswith("RB") else None
    if case is not None:
        return _Target(case.order, case)
    order = find_order(session, text)
    if order is None:
        raise CaseNotFound(f"There is no order or return {text!r}.")
    return _Target(order, None)


def _items_for(session: Session, target: _Target, party: Party) -> list[InboxItemRow]:
    items = owner_inbox.open_items(session, order_number=target.order.number)
    if target.case is not None:
        code = target.case.code
        items = [item for item in items if item.case_code in (code, None)]
    return [item for item in items if item.party == party]


def _chat_for(session: Session, target: _Target, items: list[InboxItemRow]) -> str | None:
    """The chat that raised the item, else the chat of the case, else the order's last chat."""
    for item in reversed(items):
        if item.chat_session:
            return item.chat_session
    if target.case is not None:
        link = session.get(ChatCaseRow, target.case.code)
        if link is not None:
            return link.session_id
    return session.execute(
        select(ChatSessionRow.id)
        .where(ChatSessionRow.order_number == target.order.number)
        .order_by(ChatSessionRow.updated_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def reply(desk: ReturnsDesk, order_or_case: str, to: Party, text: str) -> str:
    """Send the owner's answer to that party of the order (or case); close what it answers."""
    words = " ".join((text or "").split())
    if not words:
        raise ReplyRefused("Write the answer to send.")
    if to not in ("customer", "supplier"):
        raise ReplyRefused("A reply goes to the customer or to the supplier.")
    with desk.session() as session:
        ctx = desk.context(session)
        target = _target(session, order_or_case)
        items = _items_for(session, target, to)
        # A case in review waits for a decision, not a message: it stays in the inbox.
        answered = [item for item in items if item.kind != PENDING_REVIEW]
        case = target.case
        if case is None:
            case_codes = [item.case_code for item in answered if item.case_code]
            if case_codes:
                case = get_case(session, case_codes[-1])
        if case is None and to == "supplier":
            case = session.execute(
                select(CaseRow)
                .where(CaseRow.order_id == target.order.id)
                .order_by(CaseRow.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if case is None:
                raise ReplyRefused(
                    f"Order {target.order.display_number} has no return, so no supplier thread."
                )
        row = decisions.append(
            session,
            at=ctx.now,
            case_code=case.code if case is not None else None,
            actor="owner",
            action="owner_reply",
            data={
                "to": to,
                "order": target.order.number,
                "text": words[:2000],
                "inbox": [item.id for item in answered],
            },
        )
        store = desk.store.policy.name
        if to == "customer":
            message = f"A message from {store}: {words}"
            queued = outbox.enqueue(
                session,
                key=f"owner_reply:{row.seq}:customer",
                at=ctx.now,
                case_code=case.code if case is not None else None,
                channel=outbox.CUSTOMER,
                recipient=target.order.email,
                kind="owner_reply",
                text=message,
                payload={"order": target.order.number},
            )
            chat = _chat_for(session, target, items)
            if chat is not None and session.get(ChatSessionRow, chat) is not None:
                chat_log.add_message(
                    session,
                    chat,
                    ctx.now,
                    "bot",
                    message,
                    {"kind": "owner_reply", "quick_replies": []},
                    source=f"outbox:{queued.id}",
                )
            where = "in the chat and by e-mail" if chat else f"by e-mail to {target.order.email}"
        else:
            assert case is not None
            notify_supplier(
                ctx,
                case,
                "owner_reply",
                f"From {store} about return {case.code} (order "
                f"{case.order.display_number}): {words}",
                {"case": case.code},
                key_suffix=f":{row.seq}",
            )
            where = f"in the thread of return {case.code}"
        for item in answered:
            owner_inbox.close_item(ctx, item, words)
        who = "the customer" if to == "customer" else f"supplier {case.supplier_id if case else ''}"
        closed = f" {len(answered)} inbox item(s) closed." if answered else ""
        return f"Sent to {who} of order {target.order.display_number} {where}.{closed}"


def forward_customer_words(desk: ReturnsDesk, session_id: str, text: str) -> bool | None:
    """A handed-over customer writes again: add the words to the open item.

    Returns None when the chat has no open handoff; else whether the chat already
    identified its order (then the bot says nothing but that the message went on).
    """
    words = (text or "").strip()
    if not words:
        return None
    with desk.reading() as session:  # most chats have no handoff: no write lock for them
        if not owner_inbox.open_items(session, chat_session=session_id, kind=HANDOFF):
            return None
    with desk.session() as session:
        items = owner_inbox.open_items(session, chat_session=session_id, kind=HANDOFF)
        if not items:
            return None
        item = items[-1]
        item.text = f"{item.text}\n{words}"[-4000:]
        item.updated_at = desk.clock.now()
        chat = chat_log.get_session(session, session_id)
        return chat is not None and chat.order_number is not None


def reply_to_item(desk: ReturnsDesk, item_id: int, text: str) -> str:
    """Answer one inbox item: its party, on its case or order (or only in its chat)."""
    with desk.session() as session:
        item = session.get(InboxItemRow, item_id)
        if item is None or item.status != "open":
            raise ReplyRefused(f"There is no open inbox item {item_id}.")
        if item.party not in ("customer", "supplier"):
            raise ReplyRefused("Nobody to answer on this item; mark it done instead.")
        party: Party = "customer" if item.party == "customer" else "supplier"
        target = item.case_code or item.order_number
        chat = item.chat_session
    if target is not None:
        return reply(desk, target, party, text)
    words = " ".join((text or "").split())
    if not words or chat is None:
        raise ReplyRefused("Write the answer to send.")
    # A customer who asked for a person before saying who they are: the chat is all we have.
    with desk.session() as session:
        ctx = desk.context(session)
        item = session.get(InboxItemRow, item_id)
        assert item is not None
        decisions.append(
            session,
            at=ctx.now,
            case_code=None,
            actor="owner",
            action="owner_reply",
            data={"to": "customer", "chat_session": chat, "text": words[:2000], "inbox": [item_id]},
        )
        chat_log.add_message(
            session,
            chat,
            ctx.now,
            "bot",
            f"A message from {desk.store.policy.name}: {words}",
            {"kind": "owner_reply", "quick_replies": []},
        )
        owner_inbox.close_item(ctx, item, words)
    return "Sent to the customer in the chat. 1 inbox item(s) closed."


def close_item(desk: ReturnsDesk, item_id: int) -> str:
    """The owner marks an item done without a message (a service that works again)."""
    with desk.session() as session:
        item = session.get(InboxItemRow, item_id)
        if item is None or item.status != "open":
            raise ReplyRefused(f"There is no open inbox item {item_id}.")
        owner_inbox.close_item(desk.context(session), item)
    return f"Inbox item {item_id} is done."
