"""Reading and writing the chat tables: sessions, the transcript, linked cases, case notices."""

from __future__ import annotations

import datetime as dt
import secrets
import typing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, cast, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

from ledger import outbox
from ledger.chat_models import ChatCaseRow, ChatMessageRow, ChatSessionRow
from ledger.models import OutboxRow


def new_session_id() -> str:
    """A session id is also the customer's key to the conversation: long and random."""
    return "cs_" + secrets.token_urlsafe(24)


def create_session(session: Session, at: dt.datetime, backend: str) -> str:
    """A new session (one Core statement); returns its id."""
    session_id = new_session_id()
    session.connection().execute(
        insert(_SESSIONS),
        {
            "id": session_id,
            "backend": backend,
            "created_at": at,
            "updated_at": at,
            "order_number": None,
            "email": None,
            "failed_identity": 0,
            "slowed_until": None,
            "handed_off": False,
        },
    )
    return session_id


# The statements of a chat turn, built once: a turn runs them on the session's connection as
# Core statements (no ORM unit of work, no statement building per call).
_MESSAGES = typing.cast(Table, ChatMessageRow.__table__)
_SESSIONS = typing.cast(Table, ChatSessionRow.__table__)
# A turn starts: the session was active now; whether it was handed to the owner, whether it
# has cases, and its last message (a missing session updates and returns nothing).
_TURN_START = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("sid"))
    .values(updated_at=bindparam("at"))
    .returning(
        _SESSIONS.c.handed_off,
        exists().where(ChatCaseRow.session_id == bindparam("sid")),
        select(func.coalesce(func.max(ChatMessageRow.id), 0))
        .where(ChatMessageRow.session_id == bindparam("sid"))
        .scalar_subquery(),
    )
)
_ADD_MESSAGES = insert(_MESSAGES)
_TOUCH = (
    update(_SESSIONS).where(_SESSIONS.c.id == bindparam("sid")).values(updated_at=bindparam("at"))
)
_BOT_AFTER = (
    select(_MESSAGES)
    .where(
        _MESSAGES.c.session_id == bindparam("sid"),
        _MESSAGES.c.id > bindparam("after"),
        _MESSAGES.c.role == "bot",
    )
    .order_by(_MESSAGES.c.id)
)
# Customer messages of the session's cases not yet in its transcript (one query: the cases
# joined, the posted ones left out); most turns find none and stop there.
_UNPOSTED = (
    select(OutboxRow.id, OutboxRow.case_code, OutboxRow.kind, OutboxRow.text)
    .join(ChatCaseRow, ChatCaseRow.case_code == OutboxRow.case_code)
    .where(
        ChatCaseRow.session_id == bindparam("sid"),
        OutboxRow.channel == outbox.CUSTOMER,
        ~exists().where(
            ChatMessageRow.session_id == bindparam("sid"),
            ChatMessageRow.source == literal("outbox:") + cast(OutboxRow.id, String),
        ),
    )
    .order_by(OutboxRow.id)
)
_CHAT_CASES = typing.cast(Table, ChatCaseRow.__table__)
_LINK_CASE = insert(_CHAT_CASES).from_select(
    ["case_code", "session_id", "at"],
    select(
        bindparam("code", type_=String),
        bindparam("sid", type_=String),
        bindparam("at", type_=_CHAT_CASES.c.at.type),
    ).where(~exists().where(_CHAT_CASES.c.case_code == bindparam("code"))),
)
# A poll of the transcript: the session exists, and whether case news waits to be posted.
_POLL = select(ChatSessionRow.id, _UNPOSTED.exists()).where(ChatSessionRow.id == bindparam("sid"))
_AFTER = (
    select(_MESSAGES)
    .where(_MESSAGES.c.session_id == bindparam("sid"), _MESSAGES.c.id > bindparam("after"))
    .order_by(_MESSAGES.c.id)
)
# What the bot said since the customer last spoke (the buttons shown now are among it).
_SINCE_CUSTOMER = (
    select(_MESSAGES.c.role, _MESSAGES.c.payload)
    .where(
        _MESSAGES.c.session_id == bindparam("sid"),
        _MESSAGES.c.id
        > select(func.coalesce(func.max(_MESSAGES.c.id), 0))
        .where(_MESSAGES.c.session_id == bindparam("sid"), _MESSAGES.c.role == "customer")
        .scalar_subquery(),
    )
    .order_by(_MESSAGES.c.id)
)
_LOCK_SESSION = (
    select(ChatSessionRow.id).where(ChatSessionRow.id == bindparam("sid")).with_for_update()
)


def get_session(session: Session, session_id: str, *, lock: bool = False) -> ChatSessionRow | None:
    query = select(ChatSessionRow).where(ChatSessionRow.id == session_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def add_message(
    session: Session,
    session_id: str,
    at: dt.datetime,
    role: str,
    text: str,
    payload: dict[str, Any] | None = None,
    source: str | None = None,
) -> ChatMessageRow:
    row = ChatMessageRow(
        session_id=session_id, at=at, role=role, text=text, payload=payload or {}, source=source
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class TurnStart:
    handed_off: bool  # the session was handed to the owner (it may have a handoff item open)
    has_cases: bool  # the session opened cases (their news may wait to be posted)
    mark: int  # the id of its last message


def turn_start(session: Session, session_id: str, at: dt.datetime) -> TurnStart | None:
    """A turn starts at ``at`` (the session's last activity), in one statement: where the
    session stands; None when there is no such session."""
    row = session.connection().execute(_TURN_START, {"sid": session_id, "at": at}).first()
    if row is None:
        return None
    return TurnStart(handed_off=bool(row[0]), has_cases=bool(row[1]), mark=int(row[2]))


def add_customer_message(
    session: Session, session_id: str, at: dt.datetime, text: str, payload: dict[str, Any]
) -> None:
    """Write what the customer said."""
    session.connection().execute(
        _ADD_MESSAGES,
        {
            "session_id": session_id,
            "at": at,
            "role": "customer",
            "text": text,
            "payload": payload,
            "source": None,
        },
    )


def add_bot_messages(
    session: Session, session_id: str, at: dt.datetime, messages: list[tuple[str, dict[str, Any]]]
) -> None:
    """Write the bot's replies of one turn (text, payload), in order, as one statement."""
    if messages:
        session.connection().execute(
            _ADD_MESSAGES,
            [
                {
                    "session_id": session_id,
                    "at": at,
                    "role": "bot",
                    "text": text,
                    "payload": payload,
                    "source": None,
                }
                for text, payload in messages
            ],
        )


def touch(session: Session, session_id: str, at: dt.datetime) -> None:
    """The session was active at ``at``."""
    session.connection().execute(_TOUCH, {"sid": session_id, "at": at})


def bot_messages_after(session: Session, session_id: str, after_id: int) -> list[Any]:
    """The bot's messages after message ``after_id`` (rows with the columns of
    ``ChatMessageRow``)."""
    return list(session.connection().execute(_BOT_AFTER, {"sid": session_id, "after": after_id}))


def news_waiting(session: Session, session_id: str) -> bool | None:
    """Whether case news waits to be posted in the session (one statement, read only); None
    when there is no such session."""
    row = session.connection().execute(_POLL, {"sid": session_id}).first()
    return None if row is None else bool(row[1])


def messages_after(session: Session, session_id: str, after_id: int) -> list[Any]:
    """The transcript after message ``after_id`` (rows with the columns of
    ``ChatMessageRow``)."""
    return list(session.connection().execute(_AFTER, {"sid": session_id, "after": after_id}))


def since_customer_spoke(session: Session, session_id: str) -> list[Any]:
    """The messages after the customer's last one (rows of ``role`` and ``payload``)."""
    return list(session.connection().execute(_SINCE_CUSTOMER, {"sid": session_id}))


def link_case(session: Session, session_id: str, case_code: str, at: dt.datetime) -> None:
    """The case was opened from this chat (a case already linked stays as it was)."""
    session.connection().execute(_LINK_CASE, {"code": case_code, "sid": session_id, "at": at})


def linked_cases(session: Session, session_id: str) -> list[str]:
    return list(
        session.execute(
            select(ChatCaseRow.case_code)
            .where(ChatCaseRow.session_id == session_id)
            .order_by(ChatCaseRow.at, ChatCaseRow.case_code)
        ).scalars()
    )


def post_case_notices(
    session: Session, session_id: str, at: dt.datetime, label_url: Any = None
) -> list[int]:
    """Copy the customer messages of the session's cases into its transcript, once each;
    returns the ids of the outbox messages posted.

    ``label_url(case_code)`` gives the link shown with a "label ready" notice.
    """
    session.flush()  # Core statements below: what the caller added in the ORM goes first
    connection = session.connection()
    if not connection.execute(_UNPOSTED, {"sid": session_id}).first():
        return []
    # The worker and a chat turn may post the same notices at once: the session's row lock
    # makes the second one wait and then see what the first one posted (one copy each).
    connection.execute(_LOCK_SESSION, {"sid": session_id})
    rows = connection.execute(_UNPOSTED, {"sid": session_id}).all()
    added = []
    for row in rows:
        payload: dict[str, Any] = {"case": row.case_code, "kind": row.kind}
        if row.kind == "label_ready" and label_url is not None and row.case_code:
            payload["label_url"] = label_url(row.case_code)
        added.append(
            {
                "session_id": session_id,
                "at": at,
                "role": "bot",
                "text": row.text,
                "payload": payload,
                "source": f"outbox:{row.id}",
            }
        )
    if added:
        connection.execute(_ADD_MESSAGES, added)
    return [row.id for row in rows]


def sessions_with_cases(session: Session) -> list[str]:
    return list(session.execute(select(ChatCaseRow.session_id).distinct()).scalars())
