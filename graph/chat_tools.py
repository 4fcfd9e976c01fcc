"""The deterministic tools of the customer chat, shared by the offline dialogue and the LLM agent.

Each tool checks what it is given against the store and answers in plain words. Nothing here
decides money: returns are opened through ``ReturnsDesk.submit_return``, which runs the same
eligibility, policy and case graph as the returns page.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, func, select

from graph.desk import CaseView, ReturnsDesk, view_case
from graph.identity_guard import count_failure, refuse_if_guessing
from ledger import chat_log, decisions
from ledger.chat_models import ChatHandoffRow, ChatIdentityFailureRow
from ledger.models import CaseRow, LineItemRow, PhotoRow
from ledger.owner_models import HANDOFF
from ledger.repository import RELEASED_STATUSES, find_order, get_case
from policies.models import Reason, normalize_email, normalize_order_number
from policies.money import Money
from tools import owner_inbox, refund_caps
from tools.accept_photo import accept_photo
from tools.check_eligibility import check_eligibility, find_line_item
from tools.compute_amounts import compute_amounts
from tools.errors import IdentityError, ReturnError
from tools.guess_throttle import TooManyAttempts
from tools.marketplace import customer_notice
from tools.notify import notify_owner
from tools.open_case import ReturnRequest
from tools.photo_quota import check_chat_may_send
from tools.verify_identity import verify_identity

FAILED_PAIRS_BEFORE_SLOWDOWN = 5
SLOWDOWN = dt.timedelta(minutes=5)
MAX_SLOWDOWN = dt.timedelta(hours=1)

STATUS_NEXT = {
    "open": "We're checking it now.",
    "awaiting_photo": "Next step: please upload a photo that shows the problem.",
    "pending_review": "Next step: the store is reviewing it and will let you know.",
    "awaiting_supplier": "Next step: we're arranging it with the supplier; your label or refund "
    "comes next.",
    "awaiting_shipment": "Next step: print your return label and drop the parcel off with the "
    "carrier.",
    "in_transit": "Next step: the parcel is on its way back; the money follows once it has "
    "arrived and been checked.",
    "awaiting_inspection": "Next step: it has arrived and is being inspected; your money follows.",
    "resolved": "It's done.",
    "denied": "It was not accepted.",
    "cancelled": "It was cancelled.",
}
STATUS_WORDS = {
    "open": "received",
    "awaiting_photo": "waiting for your photo",
    "pending_review": "being reviewed by the store",
    "awaiting_supplier": "being arranged with the supplier",
    "awaiting_shipment": "approved: the return label is ready",
    "in_transit": "on its way back",
    "awaiting_inspection": "arrived and being inspected",
    "resolved": "resolved",
    "denied": "not accepted",
    "cancelled": "cancelled",
}
RESOLUTION_WORDS = {
    "refund": "a refund to your original payment",
    "store_credit": "store credit",
    "replacement": "a replacement",
}


class ItemInfo(BaseModel):
    """A line item as the chat may show it once identity is verified."""

    sku: str
    name: str
    quantity: int
    left: int
    position: int
    price: str
    final_sale: bool


class Verified(BaseModel):
    order: str
    email: str
    customer_name: str
    delivered: bool
    items: list[ItemInfo]
    # Sold on a marketplace: what the customer is told instead (its return is made there).
    marketplace: str | None = None


class ReturnLine(BaseModel):
    """One item of a return being prepared: validated like any tool input."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=100)
    quantity: int = Field(default=1, ge=1, le=10_000)
    reason: Reason
    # What the customer wrote about this item; the draft's note when none was (one message
    # about two items gives each case its own part).
    note: str = Field(default="", max_length=4000)


class Draft(BaseModel):
    """A return the customer is about to confirm."""

    model_config = ConfigDict(extra="forbid")

    lines: list[ReturnLine] = Field(min_length=1, max_length=20)
    resolution: str = "refund"
    note: str = Field(default="", max_length=4000)
    photo_ids: list[int] = Field(default_factory=list)


class ChatToolError(ReturnError):
    code = "chat_tool_error"


@dataclass
class IdentityOutcome:
    verified: Verified | None
    message: str
    slowed: bool = False
    # The order's cases, read in the same transaction (the dialogue asks for them next).
    cases: list[CaseView] | None = None


# An order's lines with the units cases hold of each (``units_in_cases``), in one statement
# instead of the lines' load and one count per line: built once, bound per call.
_HELD = (
    select(func.coalesce(func.sum(CaseRow.quantity), 0))
    .where(CaseRow.line_item_id == LineItemRow.id, CaseRow.status.not_in(RELEASED_STATUSES))
    .correlate(LineItemRow)
    .scalar_subquery()
)
_LINES_AND_HELD = (
    select(
        LineItemRow.sku,
        LineItemRow.name,
        LineItemRow.quantity,
        LineItemRow.position,
        LineItemRow.unit_price_minor,
        LineItemRow.final_sale,
        _HELD.label("held"),
    )
    .where(LineItemRow.order_id == bindparam("order_id"))
    .order_by(LineItemRow.position, LineItemRow.id)
)


# The order's cases (``cases_for_order``), the statement built once.
_ORDER_CASES = select(CaseRow).where(CaseRow.order_id == bindparam("order_id")).order_by(CaseRow.id)


def _items(desk: ReturnsDesk, session: Any, order: Any) -> list[ItemInfo]:
    currency = desk.store.policy.currency
    return [
        ItemInfo(
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            left=max(0, line.quantity - int(line.held)),
            position=line.position,
            price=str(Money(minor=line.unit_price_minor, currency=currency)),
            final_sale=line.final_sale,
        )
        for line in session.execute(_LINES_AND_HELD, {"order_id": order.id})
    ]


def _verified(desk: ReturnsDesk, session: Any, order: Any) -> Verified:
    return Verified(
        order=order.display_number,
        email=order.email or order.phone,
        customer_name=order.customer_name,
        delivered=order.delivered_at is not None,
        items=_items(desk, session, order),
        marketplace=customer_notice(desk.store.policy, order),
    )


def order_snapshot(desk: ReturnsDesk, order_number: str, email: str) -> Verified:
    with desk.reading() as session:
        return _verified(desk, session, verify_identity(session, order_number, email))


def verify_customer(
    desk: ReturnsDesk, session_id: str, order_number: str, email: str
) -> IdentityOutcome:
    """Check an order number and email pair; count failures; slow down and alert at five.

    A wrong pair gets the same answer as an unknown order. While the session is slowed down,
    no pair is checked at all.
    """
    now = desk.clock.now()
    with desk.session() as session:
        chat = chat_log.get_session(session, session_id, lock=True)
        if chat is None:
            raise ChatToolError("This chat has ended. Please start a new one.")
        try:  # the count shared with the returns page, other chats and other processes
            refuse_if_guessing(desk, session, order_number)
        except TooManyAttempts as refused:
            return IdentityOutcome(
                None, refused.message + " You can also ask for a person from the store.", True
            )
        if chat.slowed_until is not None and chat.slowed_until > now:
            wait = max(1, math.ceil((chat.slowed_until - now).total_seconds() / 60))
            return IdentityOutcome(
                None,
                "For your security, I can't check more order numbers in this chat right now. "
                f"Please wait about {wait} minute{'s' if wait != 1 else ''} and try again, or "
                "ask for a person from the store.",
                slowed=True,
            )
        try:
            order = verify_identity(session, order_number, email)
        except IdentityError as error:
            count_failure(desk, session, order_number, "chat")
            chat.failed_identity += 1
            chat.updated_at = now
            session.add(
                ChatIdentityFailureRow(
                    session_id=session_id,
                    at=now,
                    order_number=normalize_order_number(order_number)[:64],
                    email=normalize_email(email)[:320],
                )
            )
            failures = chat.failed_identity
            message = error.message
            if failures >= FAILED_PAIRS_BEFORE_SLOWDOWN:
                extra = failures - FAILED_PAIRS_BEFORE_SLOWDOWN
                pause = min(MAX_SLOWDOWN, SLOWDOWN * (2**extra))
                chat.slowed_until = now + pause
                if failures == FAILED_PAIRS_BEFORE_SLOWDOWN:
                    ctx = desk.context(session)
                    notify_owner(
                        ctx,
                        None,
                        "chat_identity_attempts",
                        f"A chat session has tried {failures} order number and email pairs "
                        "that did not match. The chat is slowed down; nothing was revealed.",
                        {"chat_session": session_id, "failures": failures},
                        key_suffix=f":{session_id}",
                    )
                    decisions.append(
                        session,
                        at=now,
                        case_code=None,
                        actor="system",
                        action="owner_alerted",
                        data={"chat_session": session_id, "failed_identity": failures},
                        reason="too many order number and email pairs that did not match",
                    )
                minutes = int(pause.total_seconds() // 60)
                message += f" For your security, please wait {minutes} minutes before trying again."
            return IdentityOutcome(None, message)
        chat.order_number = order.number
        # A phone-only order (cash on delivery) is known by its phone where others have email.
        chat.email = order.email or order.phone
        chat.updated_at = now
        # what this chat already handed to the owner belongs to the order it now identified
        # (only a chat handed to the owner has items: ``hand_off`` sets the flag with them)
        if chat.handed_off:
            owner_inbox.attach_order(session, session_id, order.number, order.email)
        currency = desk.store.policy.currency
        return IdentityOutcome(
            _verified(desk, session, order),
            "",
            cases=[
                view_case(session, row, currency)
                for row in session.execute(_ORDER_CASES, {"order_id": order.id}).scalars()
            ],
        )


def check_draft(desk: ReturnsDesk, verified: Verified, draft: Draft) -> list[str]:
    """Problems that would stop the draft from opening a case (read-only)."""
    with desk.reading() as session:
        try:
            order = verify_identity(session, verified.order, verified.email)
        except IdentityError as error:
            return [error.message]
        return _problems(desk, session, order, draft)


def check_and_quote(desk: ReturnsDesk, verified: Verified, draft: Draft) -> tuple[list[str], str]:
    """``check_draft`` and, when it finds no problem, ``quote_draft``, in one read."""
    with desk.reading() as session:
        try:
            order = verify_identity(session, verified.order, verified.email)
        except IdentityError as error:
            return [error.message], ""
        problems = _problems(desk, session, order, draft)
        if problems:
            return problems, ""
        return [], _quote(desk, order, draft)


def _problems(desk: ReturnsDesk, session: Any, order: Any, draft: Draft) -> list[str]:
    problems = []
    wanted: dict[str, int] = {}
    for line in draft.lines:
        try:
            item = find_line_item(order, line.sku)
            wanted[item.sku] = wanted.get(item.sku, 0) + line.quantity
            check_eligibility(
                session,
                desk.store.policy,
                order,
                item,
                wanted[item.sku],
                desk.clock.now(),
            )
        except ReturnError as error:
            problems.append(error.message)
    return problems


def quote_draft(desk: ReturnsDesk, verified: Verified, draft: Draft) -> str:
    """The money of the draft in words, computed by the same tool the cases use: what comes
    back for each line, the label cost taken off, and the store credit with its bonus.
    Read-only; the label line assumes the item is sent back (the supplier may waive it)."""
    with desk.reading() as session:
        return _quote(desk, verify_identity(session, verified.order, verified.email), draft)


def _quote(desk: ReturnsDesk, order: Any, draft: Draft) -> str:
    policy = desk.store.policy
    currency = policy.currency
    parts = []
    for line in draft.lines:
        item = find_line_item(order, line.sku)
        unit_price, quantity = refund_caps.priced_units(item, line.quantity)
        amounts = compute_amounts(
            policy,
            desk.store.terms_for(item.supplier_id),
            unit_price_minor=unit_price,
            quantity=quantity,
            reason=line.reason,
            return_required=True,
        )
        label = Money(minor=amounts.label_deduction, currency=currency)
        label_words = (
            f"return label {label} taken off" if amounts.label_deduction else "return label free"
        )
        if draft.resolution == "store_credit":
            bonus = Money(minor=amounts.store_credit_bonus, currency=currency)
            credit = Money(minor=amounts.store_credit, currency=currency)
            money = f"store credit {credit} (bonus {bonus} included)"
        elif draft.resolution == "replacement":
            money = "a replacement, no money back"
        else:
            money = f"refund {Money(minor=amounts.refund, currency=currency)}"
        parts.append(f"{line.quantity} x {item.name}: {money}, {label_words}")
    return "; ".join(parts)


def submit_draft(
    desk: ReturnsDesk, session_id: str, verified: Verified, draft: Draft
) -> tuple[list[CaseView], list[str], Verified]:
    """Open one case per line; a line that cannot open says why and opens nothing. Returns
    the cases opened, the problems, and the order as it stands after them (what is left to
    return, for the next request in the chat).

    The cases are linked to the chat, and the order read again, in one transaction after the
    last case: one commit for the turn's chat bookkeeping instead of one per case and a read
    of its own."""
    opened: list[CaseView] = []
    problems: list[str] = []
    now = desk.clock.now()
    earlier: tuple[tuple[str, dict[str, object]], ...] = (
        ("identity_verified", {"channel": "chat", "chat_session": session_id}),
    )
    try:
        for index, line in enumerate(draft.lines):
            photo_ids = (
                tuple(draft.photo_ids) if index == 0 else _copy_photos(desk, draft.photo_ids)
            )
            request = ReturnRequest(
                order=verified.order,
                email=verified.email,
                sku=line.sku,
                quantity=line.quantity,
                reason=line.reason,
                resolution=draft.resolution,  # type: ignore[arg-type]
                note=line.note or draft.note,
                photo=bool(photo_ids),
            )
            try:
                view = desk.submit_return(
                    request, channel="chat", earlier=earlier, photo_ids=photo_ids
                )
            except ReturnError as error:
                problems.append(error.message)
                continue
            opened.append(view)
    except BaseException:
        # a later line failed outright: the cases already open still belong to this chat
        if opened:
            with desk.session() as session:
                for view in opened:
                    chat_log.link_case(session, session_id, view.code, now)
        raise
    refused: IdentityError | None = None
    with desk.session() as session:
        for view in opened:
            chat_log.link_case(session, session_id, view.code, now)
        try:
            fresh = _verified(
                desk, session, verify_identity(session, verified.order, verified.email)
            )
        except IdentityError as error:
            refused = error  # raised once the links are committed
    if refused is not None:
        raise refused
    return opened, problems, fresh


def _copy_photos(desk: ReturnsDesk, photo_ids: list[int]) -> tuple[int, ...]:
    """The same photo for a second item of one request: a copy, so each case owns its own."""
    copies = []
    with desk.session() as session:
        for photo_id in photo_ids:
            original = session.get(PhotoRow, photo_id)
            if original is None:
                continue
            copy = PhotoRow(
                case_code=None,
                chat_session=original.chat_session,
                description=original.description,
                content_type=original.content_type,
                sha256=original.sha256,
                data=original.data,
                at=original.at,
            )
            session.add(copy)
            session.flush()
            copies.append(copy.id)
    return tuple(copies)


def store_photo(desk: ReturnsDesk, session_id: str, data: bytes, description: str) -> int:
    """Check and keep a photo sent in the chat (no case yet); raises ``InvalidUpload``, or
    ``PhotoNotAllowed`` / ``PhotoLimitReached`` before the photo is even looked at."""
    with desk.session() as session:
        check_chat_may_send(session, session_id, desk.photo_limits)
    accepted = accept_photo(data, max_pixels=desk.photo_limits.max_pixels)
    with desk.session() as session:
        row = PhotoRow(
            case_code=None,
            chat_session=session_id,
            description=description[:500],
            content_type="image/jpeg",
            sha256=accepted.sha256,
            data=accepted.jpeg,
            at=desk.clock.now(),
        )
        session.add(row)
        session.flush()
        return row.id


def case_status(
    desk: ReturnsDesk,
    verified: Verified,
    code: str | None = None,
    views: list[CaseView] | None = None,
) -> str:
    """Where the order's returns stand, and the next step of each (``views``: the order's
    cases when the caller has them already)."""
    if views is None:
        views = desk.cases_for_order(verified.order)
    if code is not None:
        views = [view for view in views if view.code == code.upper()]
        if not views:
            return f"I can't find a return {code.upper()} on order {verified.order}."
    if not views:
        return f"There is no return on order {verified.order} yet."
    parts = []
    for view in views:
        text = f"Return {view.code} ({view.quantity} x {view.item}) is {STATUS_WORDS[view.status]}."
        if view.status == "resolved":
            text += " " + _resolved_words(view)
        elif view.status in ("awaiting_shipment", "in_transit") and view.label:
            text += " Your return label is ready to download"
            text += f" (tracking {view.tracking_number})." if view.tracking_number else "."
            if view.rma:
                text += f" Write RMA {view.rma} on the parcel."
            if view.status == "in_transit":
                text += " " + STATUS_NEXT[view.status]
        else:
            text += " " + STATUS_NEXT[view.status]
        parts.append(text)
    return "\n".join(parts)


def _resolved_words(view: CaseView) -> str:
    if view.resolution == "store_credit":
        return f"Store credit of {Money.parse(view.store_credit, view.currency)} was issued."
    if view.resolution == "replacement":
        return "A replacement was sent."
    if Money.parse(view.owed_by_hand, view.currency).minor > 0:
        # Paid on delivery: decided, but not paid yet; never say it was refunded.
        return (
            f"A refund of {Money.parse(view.refunded, view.currency)} was approved; you paid "
            "on delivery, so the store pays it back to you directly and we will tell you when "
            "it has been paid."
        )
    return f"A refund of {Money.parse(view.refunded, view.currency)} was issued."


def policy_answer(desk: ReturnsDesk, topics: set[str]) -> str:
    """The store policy in plain words; the parts asked about, or a short overview."""
    policy = desk.store.policy
    currency = policy.currency
    parts = []
    window = (
        f"You can return items within {policy.return_window_days} days of delivery. "
        "Later requests are looked at by the store, not refused outright."
    )
    label = Money(minor=policy.return_label_cost.minor(currency), currency=currency)
    if policy.return_shipping_paid_by == "store":
        shipping = "Return shipping is on us: the return label is free."
    elif policy.return_shipping_paid_by == "customer":
        shipping = f"Return shipping is paid by you: the label ({label}) comes off the refund."
    else:
        shipping = (
            "If the item arrived damaged, faulty, wrong, not as described or late, return "
            "shipping is on us. For other reasons (wrong size, changed your mind) the return "
            f"label ({label}) comes off the refund."
        )
    photo_reasons = ", ".join(r.value.replace("_", " ") for r in policy.photo_required_reasons)
    photo = (
        f"For these reasons we ask for a photo: {photo_reasons}."
        if photo_reasons
        else "No photo is needed for a return."
    )
    credit = (
        f"If you pick store credit instead of a refund, you get {policy.store_credit_bonus_percent}"
        "% extra."
        if policy.store_credit_bonus_percent
        else "Store credit is worth the same as a refund."
    )
    final = "Items sold as final sale can't be returned."
    fees = "We don't charge a restocking fee. " + shipping
    timing = (
        "Refunds go back to your original payment once the return is approved and the item "
        "is checked; when no return is needed, straight away."
    )
    amounts = (
        "A refund is what you paid for the items you send back"
        + (
            ""
            if policy.return_shipping_paid_by == "store"
            else ", less the return label when the return shipping is yours to pay"
        )
        + ". "
        + credit
        + " Before you confirm a return I show you the exact amounts."
    )
    by_topic = {
        "amounts": amounts,
        "window": window,
        "shipping": shipping,
        "photo": photo,
        "store_credit": credit,
        "final_sale": final,
        "refund_time": timing,
        "fees": fees,
    }
    if "fees" in topics:
        topics = topics - {"shipping"}
    for topic in (
        "window",
        "amounts",
        "shipping",
        "fees",
        "photo",
        "store_credit",
        "final_sale",
        "refund_time",
    ):
        if topic in topics:
            parts.append(by_topic[topic])
    if not parts:
        parts = [window, shipping, photo, credit, final]
    return " ".join(parts)


ALREADY_HANDED = (
    "This conversation is already with a person from the store; they will answer you here "
    "and by e-mail."
)


def hand_off(
    desk: ReturnsDesk,
    session_id: str,
    customer_text: str,
    verified: Verified | None,
) -> str:
    """Put the conversation in the owner's review queue."""
    now = desk.clock.now()
    with desk.session() as session:
        chat = chat_log.get_session(session, session_id, lock=True)
        if chat is None:
            raise ChatToolError("This chat has ended. Please start a new one.")
        if owner_inbox.open_items(session, chat_session=session_id, kind=HANDOFF):
            # already with the owner: the words went to the open item (see the chat graph)
            return ALREADY_HANDED
        codes = chat_log.linked_cases(session, session_id)
        handoff = ChatHandoffRow(
            session_id=session_id,
            at=now,
            order_number=verified.order if verified else None,
            case_code=codes[-1] if codes else None,
            customer_text=customer_text[:2000],
            status="open",
        )
        session.add(handoff)
        session.flush()
        chat.handed_off = True
        chat.updated_at = now
        about = f" about order {verified.order} ({verified.email})" if verified else ""
        ctx = desk.context(session)
        case = get_case(session, handoff.case_code) if handoff.case_code else None
        order_number = chat.order_number or (case.order.number if case is not None else None)
        email = chat.email or (verified.email if verified else "")
        owner_inbox.raise_item(
            ctx,
            kind=HANDOFF,
            party="customer",
            party_id=email or "",
            words=customer_text,
            summary=(
                f"A customer in the chat asks for a person{about}. They wrote: "
                f"{customer_text[:300]!r}. Chat session {session_id}."
            ),
            notice_kind="chat_handoff",
            case=case,
            order_number=order_number,
            chat_session=session_id,
            payload={
                "chat_session": session_id,
                "handoff": handoff.id,
                "order": handoff.order_number,
            },
            key_suffix=f":{session_id}:{handoff.id}",
        )
        decisions.append(
            session,
            at=now,
            case_code=case.code if case is not None else None,
            actor=f"customer:{email}" if email else "system",
            action="handoff_requested",
            data={"chat_session": session_id, "order": order_number, "words": customer_text[:500]},
            reason="the customer asked for a person",
        )
    if verified:
        return (
            "I've passed this conversation to a person from the store. They will answer you "
            f"here and by e-mail at {verified.email}; anything you add here goes to them too."
        )
    return (
        "I've passed this conversation to a person from the store. So they can reach you, "
        "tell me your order number and the email you ordered with."
    )


def cancel_case(desk: ReturnsDesk, verified: Verified, code: str) -> str:
    with desk.session() as session:
        order = find_order(session, verified.order)
        if order is None:
            return "I can't find that return."
    views = [view for view in desk.cases_for_order(verified.order) if view.code == code]
    if not views:
        return f"I can't find a return {code} on order {verified.order}."
    try:
        desk.cancel(code, actor=f"customer:{verified.email}", note="cancelled in the chat")
    except ReturnError as error:
        return error.message
    return f"Return {code} is cancelled. Nothing more is needed from you."
