"""A supplier's answer, from whichever way it came in (a Slack thread, a Slack button, the
supplier inbox page, a scenario step), handed to the returns desk.

Every answer is claimed once by its event key, so a Slack retry or a double click acts once.
The desk decides who may act (the case's own supplier, in the case's own channel); this module
reads plain words into a decision or a question and writes the acknowledgement the supplier
sees in the thread: what was understood and what happened, so a misreading shows at once.
Acknowledgements are queued on their own outbox channel (``supplier_ack``): they are replies to
the supplier, not messages the case sent it, and the ``supplier_messages`` count leaves them out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import select

from graph.desk import ReturnsDesk
from language.supplier.reader import Expecting, SupplierReading, read_supplier_reply
from ledger import decisions, outbox
from ledger.models import DecisionRow
from ledger.repository import get_case
from ledger.slack_models import claim_event
from tools.errors import ActionRefused, ReturnError

ACK_CHANNEL = "supplier_ack"
Reader = Callable[[str, Expecting], SupplierReading]

_STATUS_WORDS = {
    "awaiting_shipment": "the customer gets the return label now",
    "awaiting_supplier": "still waiting for your answer",
    "pending_review": "the store owner decides next",
    "awaiting_inspection": "waiting for your inspection",
    "resolved": "settled",
    "denied": "closed as denied",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class SupplierSource:
    """Who speaks and from where. ``supplier_id`` None: a channel no agreement names.
    ``speaker``: ``supplier`` (its people, or its bot where the agreement allows it) or
    ``store_staff`` (a member of the store's own team writing in the shared channel, who does
    not speak for the supplier)."""

    supplier_id: str | None
    event_key: str
    source: str = "slack"
    channel: str | None = None
    thread_ts: str | None = None
    user: str | None = None
    speaker: str = "supplier"


@dataclass
class SupplierAnswer:
    code: str | None
    ack: str = ""
    acted: bool = False
    refused: bool = False
    duplicate: bool = False
    reading: SupplierReading | None = None


def expecting_for(status: str) -> Expecting:
    if status == "awaiting_supplier":
        return "authorisation"
    if status == "awaiting_inspection":
        return "inspection"
    return "any"


def answer_text(
    desk: ReturnsDesk,
    code: str,
    who: SupplierSource,
    text: str,
    reader: Reader = read_supplier_reply,
) -> SupplierAnswer:
    """A plain-word reply in the case's thread."""
    if not _claim(desk, who, code):
        return SupplierAnswer(code=code, duplicate=True)
    if who.speaker != "supplier":
        return _refuse_store_staff(desk, code, who, "reply")
    with desk.session() as session:
        case = get_case(session, code)
        status = case.status if case is not None else ""
    if case is None:
        return SupplierAnswer(code=None, ack=f"There is no return {code}.", refused=True)
    reading = reader(text, expecting_for(status))
    return _act(desk, case.code, who, reading)


def answer_button(
    desk: ReturnsDesk,
    code: str,
    who: SupplierSource,
    action: str,
    *,
    rma: str | None = None,
    address: str | None = None,
    note: str = "",
) -> SupplierAnswer:
    """A button (or a form) with its fields: approve, decline, inspected_ok, inspected_failed
    or question (the note is the question)."""
    if action not in ("approve", "decline", "inspected_ok", "inspected_failed", "question"):
        return SupplierAnswer(code=code, ack=f"Unknown action {action!r}.", refused=True)
    if not _claim(desk, who, code):
        return SupplierAnswer(code=code, duplicate=True)
    if who.speaker != "supplier":
        return _refuse_store_staff(desk, code, who, action)
    reading = SupplierReading(
        intent=action,  # type: ignore[arg-type]
        rma=(rma or "").strip() or None,
        address=(address or "").strip() or None,
        note=note.strip(),
        question=note.strip() if action == "question" else None,
        text=note,
        backend="button",
    )
    return _act(desk, code.strip().upper(), who, reading)


def answer_edit(
    desk: ReturnsDesk,
    code: str,
    who: SupplierSource,
    text: str,
    previous: str,
    reader: Reader = read_supplier_reply,
) -> SupplierAnswer:
    """An edited reply, read again. An edit that says what the message said before (a typo
    fixed, a link unfurled, the same approval reworded) does nothing a second time; one that
    adds or changes a fact (the RMA the approval lacked) is an answer like a new reply."""
    if not _claim(desk, who, code):
        return SupplierAnswer(code=code, duplicate=True)
    if who.speaker != "supplier":
        return _refuse_store_staff(desk, code, who, "edit")
    with desk.session() as session:
        case = get_case(session, code)
        status = case.status if case is not None else ""
    if case is None:
        return SupplierAnswer(code=None, ack=f"There is no return {code}.", refused=True)
    expecting = expecting_for(status)
    reading = reader(text, expecting)
    if previous.strip() and same_meaning(reader(previous, expecting), reading):
        return SupplierAnswer(code=case.code, reading=reading)
    return _act(desk, case.code, who, reading)


def same_meaning(before: SupplierReading, after: SupplierReading) -> bool:
    """Two readings that would decide, carry and ask the same."""

    def plain(value: str | None) -> str:
        return " ".join(re.sub(r"[^\w\s]", " ", (value or "").lower()).split())

    def alike(first: str | None, second: str | None) -> bool:
        # a typo fixed or a word added to the same question or address reads the same
        a, b = plain(first), plain(second)
        return a == b or (bool(a) and bool(b) and SequenceMatcher(None, a, b).ratio() >= 0.9)

    return (
        before.intent == after.intent
        and plain(before.rma).replace(" ", "") == plain(after.rma).replace(" ", "")
        and alike(before.address, after.address)
        and alike(before.question, after.question)
    )


def _refuse_store_staff(
    desk: ReturnsDesk, code: str, who: SupplierSource, what: str
) -> SupplierAnswer:
    """A store member's words in the supplier's channel decide nothing for the supplier. The
    refusal is in the ledger; the thread gets no answer (people of both teams talk there)."""
    _log_refusal(
        desk,
        code,
        who,
        what,
        "a member of the store's own Slack team does not speak for the supplier",
    )
    return SupplierAnswer(
        code=code,
        refused=True,
        ack="Only the supplier's own people answer for the supplier; nothing was changed.",
    )


def _claim(desk: ReturnsDesk, who: SupplierSource, code: str) -> bool:
    with desk.session() as session:
        return claim_event(
            session, who.event_key, source=who.source, at=desk.clock.now(), case_code=code
        )


def _act(
    desk: ReturnsDesk, code: str, who: SupplierSource, reading: SupplierReading
) -> SupplierAnswer:
    answer = SupplierAnswer(code=code, reading=reading)
    if who.supplier_id is None:
        _refuse_unknown_channel(desk, code, who, reading.intent)
        answer.refused = True
        answer.ack = (
            f"This channel is not the channel of the supplier of return {code}; "
            "nothing was changed."
        )
        _acknowledge(desk, code, who, answer.ack, decided=None)
        return answer
    parts: list[str] = []
    if reading.intent == "approve":
        reading = _with_thread_details(desk, code, who.supplier_id, reading)
        answer.reading = reading
    try:
        if reading.intent in ("approve", "decline", "inspected_ok", "inspected_failed"):
            desk.supplier_action(
                who.supplier_id,
                code,
                reading.intent,  # type: ignore[arg-type]
                rma=reading.rma,
                address=reading.address,
                note=reading.note,
                channel=who.channel,
                conditions=reading.conditions,
            )
            answer.acted = True
            parts.append(_decided_words(desk, code, reading))
            if reading.question:
                desk.supplier_question(who.supplier_id, code, reading.question, channel=who.channel)
                parts.append(f"I passed your question to the store: {reading.question}")
        elif reading.intent == "question":
            question = reading.question or reading.text
            desk.supplier_question(who.supplier_id, code, question, channel=who.channel)
            parts.append(
                f"I passed your question to the store: {question} "
                "Nothing is decided yet; the store will answer here."
            )
        else:
            desk.check_supplier(who.supplier_id, code, "reply", who.channel)
            parts.append(_unclear_words(desk, code, reading))
    except ActionRefused as refusal:
        answer.refused = True
        kept = reading.rma or reading.address or reading.conditions
        if reading.intent == "approve" and kept and "is needed" in refusal.message:
            _note_details(desk, code, who, reading, refusal.message)
        parts.append(_refusal_words(code, reading, refusal))
    except ReturnError as error:
        answer.refused = True
        parts.append(error.message)
    answer.ack = " ".join(parts)
    _acknowledge(desk, code, who, answer.ack, decided=reading.intent if answer.acted else None)
    return answer


def _note_details(
    desk: ReturnsDesk, code: str, who: SupplierSource, reading: SupplierReading, why: str
) -> None:
    """An approval that lacks a field the agreement requires waits, but what it did give (an
    address, conditions, the RMA) is kept in the ledger: the thread's next message adds to it."""
    with desk.session() as session:
        case = get_case(session, code)
        if case is None:
            return
        decisions.append(
            session,
            at=desk.clock.now(),
            case_code=case.code,
            actor=f"supplier:{who.supplier_id}",
            action="action_refused",
            data={
                "action": "approve",
                "channel": who.channel,
                "rma": reading.rma,
                "address": reading.address,
                "conditions": list(reading.conditions),
                "details_kept": True,
            },
            reason=why,
        )


def _with_thread_details(
    desk: ReturnsDesk, code: str, supplier_id: str, reading: SupplierReading
) -> SupplierReading:
    """An approval with the details the supplier gave earlier in this round of the thread
    (the address in one message, the RMA in a later one): what this message says wins, what
    it leaves out comes from the newest earlier message that said it."""
    with desk.session() as session:
        case = get_case(session, code)
        if case is None or case.status != "awaiting_supplier":
            return reading
        rows = session.scalars(
            select(DecisionRow)
            .where(DecisionRow.case_code == case.code)
            .where(DecisionRow.action.in_(("supplier_authorization_requested", "action_refused")))
            .order_by(DecisionRow.seq)
        ).all()
    rma, address, conditions = reading.rma, reading.address, list(reading.conditions)
    kept: list[dict[str, Any]] = []
    for row in rows:
        if row.action == "supplier_authorization_requested":
            kept = []  # a new request starts a new round
            continue
        data = json.loads(row.data or "{}")
        if row.actor == f"supplier:{supplier_id}" and data.get("details_kept"):
            kept.append(data)
    for data in reversed(kept):
        rma = rma or data.get("rma") or None
        address = address or data.get("address") or None
        for condition in data.get("conditions") or []:
            if condition not in conditions:
                conditions.insert(0, condition)
    if (rma, address, conditions) == (reading.rma, reading.address, reading.conditions):
        return reading
    return reading.model_copy(update={"rma": rma, "address": address, "conditions": conditions})


def _decided_words(desk: ReturnsDesk, code: str, reading: SupplierReading) -> str:
    with desk.session() as session:
        case = get_case(session, code)
        assert case is not None
        rma, address, status = case.rma, case.return_address, case.status
        return_required = bool(case.return_required)
    if reading.intent == "approve":
        facts = ["Approved"]
        if rma:
            facts.append(f"RMA {rma}")
        if return_required and address:
            on_file = "" if reading.address else " (on file)"
            facts.append(f"return address {address}{on_file}")
        if reading.conditions:
            facts.append(f"on condition: {'; '.join(reading.conditions)}")
        said = ", ".join(facts) + "."
    else:
        said = reading.understood() + ("" if reading.understood().endswith(".") else ".")
    return f"{said} Return {code}: {_STATUS_WORDS.get(status, status.replace('_', ' '))}."


def _unclear_words(desk: ReturnsDesk, code: str, reading: SupplierReading) -> str:
    with desk.session() as session:
        case = get_case(session, code)
        status = case.status if case is not None else ""
    seen = []
    if reading.rma:
        seen.append(f"RMA {reading.rma}")
    if reading.address:
        seen.append(f"address {reading.address}")
    noted = f" (I noted {', '.join(seen)})" if seen else ""
    if status == "awaiting_supplier":
        hint = 'reply "approved, RMA 12345" or "declined, <reason>", or use the buttons'
    elif status == "awaiting_inspection":
        hint = 'reply "inspected OK" or "problem found: <what is wrong>", or use the buttons'
    else:
        return (
            f"Thanks{noted}. Return {code}: "
            f"{_STATUS_WORDS.get(status, status.replace('_', ' '))}; nothing was changed."
        )
    return f"I'm not sure what you meant for return {code}{noted}, so nothing was changed: {hint}."


def _refusal_words(code: str, reading: SupplierReading, refusal: ActionRefused) -> str:
    message = refusal.message
    if "RMA number is needed" in message:
        return f'{message} Nothing was changed: reply with it, e.g. "approved, RMA 12345".'
    if "return address is needed" in message:
        return (
            f"{message} Nothing was changed: reply with the address, e.g. "
            '"approved, send to 10 Main St, Fresno, CA 93650".'
        )
    if reading.intent != "unclear" and "cannot take" in message:
        return f"I read: {reading.understood()}. {message} Nothing was changed."
    return message


def _refuse_unknown_channel(desk: ReturnsDesk, code: str, who: SupplierSource, intent: str) -> None:
    _log_refusal(
        desk, code, who, intent, "a message from a channel that no supplier agreement names"
    )


def _log_refusal(desk: ReturnsDesk, code: str, who: SupplierSource, what: str, why: str) -> None:
    """Write to the ledger that a message from ``who`` about the case changed nothing."""
    with desk.session() as session:
        case = get_case(session, code)
        if case is None:
            return
        decisions.append(
            session,
            at=desk.clock.now(),
            case_code=case.code,
            actor="system",
            action="action_refused",
            data={"action": what, "channel": who.channel, "user": who.user},
            reason=why,
        )


def _acknowledge(
    desk: ReturnsDesk, code: str, who: SupplierSource, text: str, *, decided: str | None
) -> None:
    if not text:
        return
    payload: dict[str, Any] = {
        "case": code,
        "channel": who.channel,
        "thread_ts": who.thread_ts,
        "decided": decided,
        "source": who.source,
    }
    with desk.session() as session:
        outbox.enqueue(
            session,
            key=f"{code}:{ACK_CHANNEL}:{who.event_key}",
            at=desk.clock.now(),
            case_code=code,
            channel=ACK_CHANNEL,
            recipient=who.supplier_id or "unknown",
            kind="acknowledgement",
            text=text,
            payload=payload,
        )
