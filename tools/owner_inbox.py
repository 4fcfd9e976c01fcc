"""The owner's inbox: raise an item for what waits for the owner, and tell the owner of it.

Each new item is also an owner message in the outbox, addressed to the store's
``owner_email``: with Slack on it goes to the owner's channel, without it the worker e-mails
it (and it stays on the owner desk either way). An item raised in a chat belongs to the order
that chat identified, even when no case exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ledger.models import CaseRow
from ledger.owner_models import PENDING_REVIEW, SERVICE_FAILING, SUPPLIER_SILENT, InboxItemRow
from tools.context import ToolContext
from tools.notify import notify_owner

# A service is "failing" for the owner once it failed this many times since the last alert.
SERVICE_FAILURES_BEFORE_ALERT = 3


def raise_item(
    ctx: ToolContext,
    *,
    kind: str,
    party: str,
    party_id: str,
    words: str,
    summary: str,
    notice_kind: str,
    case: CaseRow | None = None,
    order_number: str | None = None,
    chat_session: str | None = None,
    payload: dict[str, Any] | None = None,
    key_suffix: str = "",
) -> InboxItemRow:
    """Open an item and queue its owner notice in the same transaction."""
    item = InboxItemRow(
        kind=kind,
        status="open",
        order_number=order_number or (case.order.number if case is not None else None),
        case_code=case.code if case is not None else None,
        party=party,
        party_id=party_id,
        chat_session=chat_session,
        text=words[:4000],
        summary=summary[:4000],
        data={"case_status": case.status if case is not None else None},
        created_at=ctx.now,
        updated_at=ctx.now,
        closed_at=None,
        reply=None,
    )
    ctx.session.add(item)
    ctx.session.flush()
    notify_owner(
        ctx,
        case,
        notice_kind,
        summary,
        {**(payload or {}), "inbox": item.id, "inbox_kind": kind},
        key_suffix=key_suffix or f":inbox:{item.id}",
        recipient=ctx.store.policy.owner_email,
    )
    return item


def open_items(
    session: Session,
    *,
    order_number: str | None = None,
    case_code: str | None = None,
    chat_session: str | None = None,
    kind: str | None = None,
) -> list[InboxItemRow]:
    query = select(InboxItemRow).where(InboxItemRow.status == "open").order_by(InboxItemRow.id)
    if order_number is not None:
        query = query.where(InboxItemRow.order_number == order_number)
    if case_code is not None:
        query = query.where(InboxItemRow.case_code == case_code)
    if chat_session is not None:
        query = query.where(InboxItemRow.chat_session == chat_session)
    if kind is not None:
        query = query.where(InboxItemRow.kind == kind)
    return list(session.execute(query).scalars())


def close_item(ctx: ToolContext, item: InboxItemRow, reply: str | None = None) -> None:
    item.status = "closed"
    item.closed_at = ctx.now
    item.updated_at = ctx.now
    if reply is not None:
        item.reply = reply[:4000]


def close_for_case(ctx: ToolContext, case_code: str, kind: str) -> int:
    """Close the case's open items of one kind (its review was decided, its supplier spoke)."""
    items = open_items(ctx.session, case_code=case_code, kind=kind)
    for item in items:
        close_item(ctx, item)
    return len(items)


def service_failed(
    ctx: ToolContext, service: str, message: str, case: CaseRow | None = None
) -> InboxItemRow:
    """Count one failure of an outside service; the owner is told when it keeps failing."""
    item = ctx.session.execute(
        select(InboxItemRow)
        .where(
            InboxItemRow.kind == SERVICE_FAILING,
            InboxItemRow.party_id == service,
            InboxItemRow.status.in_(("watching", "open")),
        )
        .order_by(InboxItemRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if item is None:
        item = InboxItemRow(
            kind=SERVICE_FAILING,
            status="watching",
            order_number=case.order.number if case is not None else None,
            case_code=case.code if case is not None else None,
            party="store",
            party_id=service,
            chat_session=None,
            text="",
            summary="",
            data={"failures": 0},
            created_at=ctx.now,
            updated_at=ctx.now,
            closed_at=None,
            reply=None,
        )
        ctx.session.add(item)
    failures = int((item.data or {}).get("failures", 0)) + 1
    item.data = {**(item.data or {}), "failures": failures}
    item.text = message[:4000]
    item.updated_at = ctx.now
    if item.status == "watching" and failures >= SERVICE_FAILURES_BEFORE_ALERT:
        item.status = "open"
        item.summary = (
            f"The {service} service keeps failing ({failures} times so far); the cases that "
            f"need it wait. Last error: {message[:300]}"
        )
        ctx.session.flush()
        notify_owner(
            ctx,
            case,
            "service_failing",
            item.summary,
            {"inbox": item.id, "inbox_kind": SERVICE_FAILING, "service": service},
            key_suffix=f":inbox:{item.id}",
            recipient=ctx.store.policy.owner_email,
        )
    ctx.session.flush()
    return item


# The statuses whose leaving can close an item: a review decided, or a supplier that was
# silent while the case awaited it (the supplier-silent alert fires in that status only).
CLOSING_STATUSES = frozenset({"pending_review", "awaiting_supplier"})


def case_moved(ctx: ToolContext, case_code: str, before: str) -> None:
    """A case left ``before``: a review it waited in was decided, a silent supplier spoke."""
    if before not in CLOSING_STATUSES:
        return  # no item can close: spare the step a query
    session = ctx.session
    # The step's own changes (the case, a label) need not reach the database for this query:
    # only the inbox's rows, when the step made or changed any.
    waiting = any(isinstance(row, InboxItemRow) for row in (*session.new, *session.dirty))
    options = {} if waiting else {"autoflush": False}
    found = session.execute(_OPEN_FOR_CASE, {"case_code": case_code}, execution_options=options)
    for item in found.scalars():
        decided = item.kind == PENDING_REVIEW and before == "pending_review"
        spoke = item.kind == SUPPLIER_SILENT and (item.data or {}).get("case_status") == before
        if decided or spoke:
            close_item(ctx, item)


_OPEN_FOR_CASE = (
    select(InboxItemRow)
    .where(InboxItemRow.status == "open", InboxItemRow.case_code == bindparam("case_code"))
    .order_by(InboxItemRow.id)
)


def attach_order(session: Session, chat_session: str, order_number: str, email: str) -> None:
    """A chat identified its order: its items raised before that now belong to the order."""
    for item in open_items(session, chat_session=chat_session):
        if item.order_number is None:
            item.order_number = order_number
        if not item.party_id and item.party == "customer":
            item.party_id = email
