"""How many photos a case or a chat session may hold, and who may send one in the chat.

Each accepted photo is stored (up to a few hundred kilobytes after re-encoding), so an
anonymous sender could fill the database: the chat takes photos only once the session has
matched an order number and its email, and both a case and a chat session hold a bounded
number (``PhotoLimits``). The returns page takes photos only with the case's own signed link.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import chat_log
from ledger.chat_models import ChatMessageRow
from ledger.models import PhotoRow
from tools.accept_photo import PhotoLimits
from tools.errors import PhotoLimitReached, PhotoNotAllowed


def photos_on_case(session: Session, code: str) -> int:
    return int(
        session.scalar(select(func.count()).select_from(PhotoRow).where(PhotoRow.case_code == code))
        or 0
    )


def photos_in_chat(session: Session, session_id: str) -> int:
    """Photos the customer sent in this chat: one customer turn each, whether the photo then
    went to a draft or straight to a case (where the chat's own copy is deleted)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ChatMessageRow)
            .where(
                ChatMessageRow.session_id == session_id,
                ChatMessageRow.role == "customer",
                ChatMessageRow.payload["kind"].as_string() == "photo",
            )
        )
        or 0
    )


def check_case_quota(session: Session, code: str, limits: PhotoLimits) -> None:
    if photos_on_case(session, code) >= limits.per_case:
        raise PhotoLimitReached(
            f"Return {code} already has {limits.per_case} photos, as many as a return can "
            "hold. The store has what it needs; you don't need to send more."
        )


def check_chat_may_send(session: Session, session_id: str, limits: PhotoLimits) -> None:
    """Refuse a photo from a chat that is not verified yet, or that sent its share."""
    chat = chat_log.get_session(session, session_id)
    if chat is None or chat.order_number is None:
        raise PhotoNotAllowed(
            "Before you send a photo, please tell me your order number and the email address "
            "you ordered with, so I can keep the photo with your return."
        )
    if photos_in_chat(session, session_id) >= limits.per_chat:
        raise PhotoLimitReached(
            f"You've sent {limits.per_chat} photos in this chat, as many as one chat can "
            "take. The store has what it needs; you don't need to send more."
        )
