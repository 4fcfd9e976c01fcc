"""Reading and writing the chat tables: sessions, the transcript, linked cases, case notices."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import outbox
from ledger.chat_models import ChatCaseRow, ChatMessageRow, ChatSessionRow
from ledger.models import OutboxRow


def new_session_id() -> str:
    """A session id is also the customer's key to the conversation: long and random."""
    return "cs_" + secrets.token_urlsafe(24)


def create_session(
    session: Session, at: dt.datetime, backend: str, session_id: str | None = None
) -> ChatSessionRow:
    row = ChatSessionRow(
        id=session_id or new_session_id(),
        backend=backend,
        created_at=at,
        updated_at=at,
        failed_identity=0,
        handed_off=False,
    )
    session.add(row)
    session.flush()
    return row


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


def transcript(session: Session, session_id: str, after_id: int = 0) -> list[ChatMessageRow]:
    return list(
        session.execute(
            select(ChatMessageRow)
            .where(ChatMessageRow.session_id == session_id, ChatMessageRow.id > after_id)
            .order_by(ChatMessageRow.id)
        ).scalars()
    )


def last_message_id(session: Session, session_id: str) -> int:
    return int(
        session.execute(
            select(func.coalesce(func.max(ChatMessageRow.id), 0)).where(
                ChatMessageRow.session_id == session_id
            )
        ).scalar_one()
    )


def link_case(session: Session, session_id: str, case_code: str, at: dt.datetime) -> None:
    if session.get(ChatCaseRow, case_code) is None:
        session.add(ChatCaseRow(case_code=case_code, session_id=session_id, at=at))
        session.flush()


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
) -> list[ChatMessageRow]:
    """Copy the customer messages of the session's cases into its transcript, once each.

    ``label_url(case_code)`` gives the link shown with a "label ready" notice.
    """
    codes = linked_cases(session, session_id)
    if not codes:
        return []
    # The worker and a chat turn may post the same notices at once: the session's row lock
    # makes the second one wait and then see what the first one posted (one copy each).
    session.execute(
        select(ChatSessionRow.id).where(ChatSessionRow.id == session_id).with_for_update()
    )
    posted = set(
        session.execute(
            select(ChatMessageRow.source).where(
                ChatMessageRow.session_id == session_id, ChatMessageRow.source.is_not(None)
            )
        ).scalars()
    )
    rows = session.execute(
        select(OutboxRow)
        .where(OutboxRow.channel == outbox.CUSTOMER, OutboxRow.case_code.in_(codes))
        .order_by(OutboxRow.id)
    ).scalars()
    added = []
    for row in rows:
        source = f"outbox:{row.id}"
        if source in posted:
            continue
        payload: dict[str, Any] = {"case": row.case_code, "kind": row.kind}
        if row.kind == "label_ready" and label_url is not None and row.case_code:
            payload["label_url"] = label_url(row.case_code)
        added.append(add_message(session, session_id, at, "bot", row.text, payload, source))
    return added


def sessions_with_cases(session: Session) -> list[str]:
    return list(session.execute(select(ChatCaseRow.session_id).distinct()).scalars())
