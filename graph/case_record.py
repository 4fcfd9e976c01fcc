"""Every case for the owner: a search with filters and pages, and one case's whole record.

The record of one case is read, never written: its timeline from the decision ledger in
plain words (who, what, why, when, and under which clause or rule), its amounts from the
journal, its photos, and every message to and from each party (the outbox, the chat, the
supplier's own words in the ledger and the inbox). The owner's note is the one thing written
here, as a ledger entry of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select

from graph.desk import CaseView, ReturnsDesk, view_case
from graph.exports import WAITING_FOR
from ledger import decisions
from ledger.chat_models import ChatCaseRow, ChatMessageRow
from ledger.models import CaseRow, DecisionRow, LabelRow, OrderRow, OutboxRow, PhotoRow
from ledger.owner_models import InboxItemRow
from policies.money import Money
from tools.errors import CaseNotFound, ReturnError
from tools.supplier_credit import credits

PER_PAGE = 25
NOTE_MAX = 2000


@dataclass(frozen=True)
class CaseFilter:
    """What the owner searched for; empty fields do not filter."""

    text: str = ""  # a case number, an order number or an e-mail, or part of one
    status: str = ""
    supplier: str = ""
    reason: str = ""
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    page: int = 1


@dataclass
class CasePage:
    cases: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_cases(desk: ReturnsDesk, wanted: CaseFilter) -> CasePage:
    """The cases that match, newest first, one page of them with their amounts."""
    query = select(CaseRow).join(OrderRow, CaseRow.order_id == OrderRow.id)
    text = wanted.text.strip()
    if text:
        pattern = _like(text)
        query = query.where(
            or_(
                func.lower(CaseRow.code).like(pattern, escape="\\"),
                func.lower(OrderRow.display_number).like(pattern, escape="\\"),
                func.lower(OrderRow.number).like(pattern, escape="\\"),
                func.lower(CaseRow.customer_email).like(pattern, escape="\\"),
                func.lower(OrderRow.email).like(pattern, escape="\\"),
            )
        )
    if wanted.status:
        query = query.where(CaseRow.status == wanted.status)
    if wanted.supplier:
        query = query.where(CaseRow.supplier_id == wanted.supplier)
    if wanted.reason:
        query = query.where(CaseRow.reason == wanted.reason)
    if wanted.since is not None:
        start = dt.datetime.combine(wanted.since, dt.time(), dt.UTC)
        query = query.where(CaseRow.created_at >= start)
    if wanted.until is not None:
        end = dt.datetime.combine(wanted.until + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(CaseRow.created_at < end)
    currency = desk.store.policy.currency
    with desk.session() as session:
        total = int(
            session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        )
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(1, wanted.page), pages)
        rows = session.execute(
            query.order_by(CaseRow.created_at.desc(), CaseRow.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        ).scalars()
        cases = [_row(view_case(session, row, currency), row) for row in rows]
    return CasePage(cases=cases, total=total, page=page, pages=pages)


def _row(view: CaseView, row: CaseRow) -> dict[str, Any]:
    return {
        "code": view.code,
        "order": view.order,
        "email": row.customer_email,
        "opened": f"{view.created_at:%Y-%m-%d}",
        "status": view.status.replace("_", " "),
        "waiting_for": WAITING_FOR.get(view.status, ""),
        "supplier": view.supplier_id,
        "item": f"{view.quantity} x {view.item}",
        "reason": view.reason.replace("_", " "),
        "refunded": view.refunded,
        "store_credit": view.store_credit,
        "supplier_credit": view.supplier_credit,
    }


# -- one case ---------------------------------------------------------------------------------


@dataclass
class CaseRecord:
    view: CaseView
    email: str
    customer_name: str
    note: str
    waiting_for: str
    review_reason: str
    timeline: list[dict[str, str]] = field(default_factory=list)
    amounts: list[tuple[str, str]] = field(default_factory=list)
    photos: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)


def _who(actor: str, supplier_names: dict[str, str]) -> str:
    if actor == "owner":
        return "You"
    if actor == "policy":
        return "The return policy"
    if actor == "timer":
        return "A timer"
    if actor == "system":
        return "ReturnBridge"
    kind, _, name = actor.partition(":")
    if kind == "customer":
        return f"The customer ({name})"
    if kind == "supplier":
        return f"Supplier {supplier_names.get(name, name)}"
    if kind == "rule":
        return f"Your rule {name}"
    return actor


def _said(action: str, data: dict[str, Any]) -> str:
    """What happened, in the owner's words."""
    money = f"{data.get('amount', '')} {data.get('currency', '')}".strip()
    event = str(data.get("event", "")).replace("_", " ")
    words = {
        "identity_verified": "proved they placed the order",
        "case_opened": (
            f"asked to return {data.get('quantity', '')} x {data.get('sku', '')}, reason "
            f"{str(data.get('reason', '')).replace('_', ' ')}, wanting a "
            f"{str(data.get('resolution', '')).replace('_', ' ')}"
        ),
        "eligibility_checked": (
            "checked the return window and what is left to return"
            if "within_window" in data
            else f"decided the next step: {str(data.get('outcome', '')).replace('_', ' ')}"
        ),
        "rule_applied": f"applied ({', '.join(map(str, data.get('actions') or []))})",
        "photo_received": "sent a photo",
        "review_requested": "sent the case to you for review",
        "owner_decision": f"decided: {data.get('decision', '')}",
        "supplier_authorization_requested": (
            f"asked supplier {data.get('supplier', '')} to authorise the return"
        ),
        "supplier_decision": (
            f"{'approved' if data.get('decision') == 'approve' else 'declined'} the return"
            + (f" (RMA {data['rma']})" if data.get("rma") else "")
        ),
        "supplier_reminded": "reminded the supplier",
        "label_generated": (
            f"made a return label: {data.get('carrier', '')} {data.get('tracking_number', '')}"
            f", cost {data.get('cost', '')}"
        ),
        "shipment_event": f"tracking: parcel {event}",
        "inspection_requested": "asked the supplier to inspect the parcel",
        "inspection_result": f"inspected the parcel: {data.get('result', '')}",
        "refund_issued": f"refunded {money} to the customer",
        "store_credit_issued": f"issued {money} of store credit",
        "replacement_ordered": "ordered a replacement",
        "partial_refund_offered": f"offered a partial refund of {money}",
        "supplier_credit_recorded": f"recorded that the supplier owes {money} of credit",
        "case_denied": "denied the return",
        "case_cancelled": "cancelled the return",
        "case_closed": f"closed the case ({str(data.get('status', '')).replace('_', ' ')})",
        "timer_fired": f"fired ({str(data.get('kind', '')).replace('_', ' ')})",
        "owner_alerted": "alerted you",
        "action_refused": "was refused an action",
        "case_quarantined": "set the case aside after repeated errors",
        "supplier_question": f"asked: {data.get('question', '')}",
        "handoff_requested": "asked for a person",
        "owner_reply": f"answered the {data.get('to', 'party')}",
        "supplier_credit_received": (
            f"paid {money} of credit (reference {data.get('reference', '')}), "
            f"still owing {data.get('still_owed', '')}"
        ),
        "supplier_credit_written_off": f"wrote off {money} of supplier credit",
        "marketplace_refund": f"the marketplace refunded {money}",
        "refund_capped": "lowered the refund to what the order can still give back",
        "owner_note": "added a note",
    }
    return words.get(action, action.replace("_", " "))


CLAUSE = re.compile(r"^([a-z_]+)(?:=([^:]*))?(?:: (.*))?$", re.S)
# The ledger actions that carry a supplier's own words (a question, a reason, a finding).
SUPPLIER_WORDS = ("supplier_question", "supplier_decision", "inspection_result")


def _why(row: DecisionRow, data: dict[str, Any]) -> str:
    """Why, naming the clause of the policy or the rule it was decided under."""
    reason = row.reason.strip()
    if row.action == "rule_applied":
        return f"rule {data.get('rule', '')}: {reason}" if reason else ""
    if row.action == "owner_note":
        return reason
    clause = str(data.get("clause") or "")
    found = CLAUSE.match(reason)
    if found and not clause and (found.group(2) is not None or found.group(3) is not None):
        clause, setting, reason = found.group(1), found.group(2), found.group(3) or ""
        if setting:
            clause = f"{clause} ({setting})"
    if clause:
        named = clause.replace("_", " ")
        return f"under {named}: {reason}" if reason else f"under {named}"
    return reason


def case_record(desk: ReturnsDesk, code: str) -> CaseRecord:
    """Everything about one case, read for the owner."""
    wanted = code.strip().upper()
    currency = desk.store.policy.currency
    names = {sid: agreement.name for sid, agreement in desk.store.suppliers.items()}
    with desk.session() as session:
        row = session.execute(select(CaseRow).where(CaseRow.code == wanted)).scalar_one_or_none()
        if row is None:
            raise CaseNotFound(f"There is no return {wanted}.")
        view = view_case(session, row, currency)
        record = CaseRecord(
            view=view,
            email=row.customer_email,
            customer_name=row.order.customer_name,
            note=row.note,
            waiting_for=WAITING_FOR.get(row.status, ""),
            review_reason=row.review_reason or "",
        )
        history = decisions.case_history(session, row.code)
        for entry in history:
            data = _data(entry.data)
            record.timeline.append(
                {
                    "at": f"{entry.at:%Y-%m-%d %H:%M}",
                    "who": _who(entry.actor, names),
                    "what": _said(entry.action, data),
                    "why": _why(entry, data),
                    "action": entry.action,
                }
            )
        record.amounts = _amounts(session, row, view, currency)
        record.photos = [
            {"id": photo.id, "description": photo.description, "at": f"{photo.at:%Y-%m-%d %H:%M}"}
            for photo in session.execute(
                select(PhotoRow).where(PhotoRow.case_code == row.code).order_by(PhotoRow.id)
            ).scalars()
        ]
        record.messages = _messages(session, row, history, names)
    return record


def _data(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _amounts(session: Any, row: CaseRow, view: CaseView, currency: str) -> list[tuple[str, str]]:
    def money(minor: int) -> str:
        return f"{Money(minor=minor, currency=currency).amount_str()} {currency}"

    label = session.execute(
        select(LabelRow).where(LabelRow.case_code == row.code)
    ).scalar_one_or_none()
    owed = next((c for c in credits(session, row.supplier_id) if c.case_code == row.code), None)
    return [
        ("Item price", money(row.line_item.unit_price_minor * row.quantity)),
        ("Refunded", f"{view.refunded} {currency}"),
        ("Store credit", f"{view.store_credit} {currency}"),
        ("Label cost", money(label.cost_minor) if label is not None else money(0)),
        ("Supplier credit owed", money(owed.recorded_minor) if owed else money(0)),
        ("Supplier credit received", money(owed.received_minor) if owed else money(0)),
        ("Written off", money(owed.written_off_minor) if owed else money(0)),
        ("Still owed by the supplier", money(owed.unpaid_minor) if owed else money(0)),
    ]


def _messages(
    session: Any, row: CaseRow, history: list[DecisionRow], names: dict[str, str]
) -> list[dict[str, str]]:
    """Every message to and from each party, oldest first."""
    found: list[tuple[dt.datetime, int, dict[str, str]]] = []

    def add(at: dt.datetime, party: str, direction: str, via: str, text: str) -> None:
        found.append(
            (
                at,
                len(found),
                {
                    "at": f"{at:%Y-%m-%d %H:%M}",
                    "party": party,
                    "direction": direction,
                    "via": via,
                    "text": text,
                },
            )
        )

    supplier = names.get(row.supplier_id, row.supplier_id)
    for sent in session.execute(
        select(OutboxRow).where(OutboxRow.case_code == row.code).order_by(OutboxRow.id)
    ).scalars():
        party = {"customer": "customer", "supplier": f"supplier {supplier}"}.get(
            sent.channel, sent.channel
        )
        add(sent.created_at, party, "to", f"{sent.channel} message", sent.text)
    chats = [
        link.session_id
        for link in session.execute(
            select(ChatCaseRow).where(ChatCaseRow.case_code == row.code)
        ).scalars()
    ]
    if chats:
        for said in session.execute(
            select(ChatMessageRow)
            .where(ChatMessageRow.session_id.in_(chats))
            .order_by(ChatMessageRow.id)
        ).scalars():
            direction = "from" if said.role == "customer" else "to"
            add(said.at, "customer", direction, "chat", said.text)
    for entry in history:
        if not entry.actor.startswith("supplier:") or entry.action not in SUPPLIER_WORDS:
            continue
        data = _data(entry.data)
        words = str(data.get("question") or "") or entry.reason.strip()
        if words:
            add(entry.at, f"supplier {supplier}", "from", "supplier thread", words)
    for item in session.execute(
        select(InboxItemRow).where(InboxItemRow.case_code == row.code).order_by(InboxItemRow.id)
    ).scalars():
        if item.reply and item.closed_at is not None:
            party = "customer" if item.party == "customer" else f"supplier {supplier}"
            add(item.closed_at, party, "to", "your answer", item.reply)
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [entry[2] for entry in found]


def add_note(desk: ReturnsDesk, code: str, text: str) -> str:
    """The owner's note on a case, kept in the ledger."""
    words = text.strip()[:NOTE_MAX]
    if not words:
        raise ReturnError("Write the note first.")
    with desk.session() as session:
        row = session.execute(
            select(CaseRow).where(CaseRow.code == code.strip().upper())
        ).scalar_one_or_none()
        if row is None:
            raise CaseNotFound(f"There is no return {code.strip().upper()}.")
        decisions.append(
            session,
            at=desk.clock.now(),
            case_code=row.code,
            actor="owner",
            action="owner_note",
            data={},
            reason=words,
        )
        return f"Note added to {row.code}."
