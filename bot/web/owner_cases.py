"""The owner desk's cases: ``/owner/cases`` (search, filters, pages) and one page per case.

The case page shows the timeline, amounts, photos and messages (``graph.case_record``) and
the owner's actions as forms with the same signed token as every other owner form: approve,
deny, cancel, refund anyway (the owner's yes to a return the supplier declined) and a note,
which lands in the ledger. Photos are served only here, behind the owner's guard.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi import Path as PathPart
from fastapi.responses import HTMLResponse, Response

from bot.web.owner_base import OwnerDep, OwnerPages, owner_guard
from bot.web.request_limits import ID_MAX
from graph.case_record import CaseFilter, add_note, case_record, search_cases
from graph.owner_console import OwnerCommand, Verb
from graph.owner_console import decide as decide_case
from ledger.models import PhotoRow
from policies.models import Reason
from tools.errors import ReturnError

Token = Annotated[str, Form()]
Text = Annotated[str, Form()]
Short = Annotated[str, Query(max_length=100)]

STATUSES = (
    "open",
    "awaiting_photo",
    "pending_review",
    "awaiting_supplier",
    "awaiting_shipment",
    "in_transit",
    "awaiting_inspection",
    "resolved",
    "denied",
    "cancelled",
    "closed",
)
VERBS = ("approve", "deny", "cancel", "refund-anyway", "note")


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _code(text: str) -> str:
    code = text.strip().upper()
    if not code.startswith("RB-") or len(code) > 32:
        raise HTTPException(status_code=404, detail="No such return.")
    return code


def _list_page(request: Request, owner: OwnerPages, reply: str = "", **given: str) -> HTMLResponse:
    desk = owner.desk
    wanted = CaseFilter(
        text=given.get("q", "")[:100],
        status=given.get("status", ""),
        supplier=given.get("supplier", ""),
        reason=given.get("reason", ""),
        since=_date(given.get("since", "")),
        until=_date(given.get("until", "")),
        page=int(given.get("page") or 1),
    )
    found = search_cases(desk, wanted)
    kept = {key: value for key, value in given.items() if value and key != "page"}
    return owner.page(
        request,
        reply,
        section="cases",
        extra={
            "found": found,
            "filters": {
                "q": wanted.text,
                "status": wanted.status,
                "supplier": wanted.supplier,
                "reason": wanted.reason,
                "since": wanted.since.isoformat() if wanted.since else "",
                "until": wanted.until.isoformat() if wanted.until else "",
            },
            "kept": kept,
            "statuses": STATUSES,
            "suppliers": sorted((sid, a.name) for sid, a in desk.store.suppliers.items()),
            "reasons": [reason.value for reason in Reason],
        },
    )


def _one_case(request: Request, owner: OwnerPages, code: str, reply: str = "") -> HTMLResponse:
    desk = owner.desk
    try:
        record = case_record(desk, code)
    except ReturnError as error:
        raise HTTPException(status_code=404, detail=error.message) from None
    declined = any(
        step["action"] == "supplier_decision" and "declined" in step["what"]
        for step in record.timeline
    )
    return owner.page(
        request,
        reply,
        section="cases",
        template="owner/case.html",
        extra={
            "case": record,
            "supplier_declined": declined,
            "section_title": record.view.code,
        },
    )


router = APIRouter(prefix="/owner", dependencies=[Depends(owner_guard)])


@router.get("/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    owner: OwnerDep,
    q: Short = "",
    status: Short = "",
    supplier: Short = "",
    reason: Short = "",
    since: Short = "",
    until: Short = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    return _list_page(
        request,
        owner,
        q=q,
        status=status,
        supplier=supplier,
        reason=reason,
        since=since,
        until=until,
        page=str(page_number),
    )


@router.get("/cases/{code}", response_class=HTMLResponse)
def case_page(
    request: Request, owner: OwnerDep, code: Annotated[str, PathPart(max_length=32)]
) -> HTMLResponse:
    return _one_case(request, owner, _code(code))


@router.get("/cases/{code}/photos/{photo_id}")
def case_photo(
    owner: OwnerDep,
    code: Annotated[str, PathPart(max_length=32)],
    photo_id: Annotated[int, PathPart(ge=1, le=ID_MAX)],
) -> Response:
    with owner.desk.session() as session:
        photo = session.get(PhotoRow, photo_id)
        if photo is None or photo.case_code != _code(code):
            raise HTTPException(status_code=404, detail="No such photo.")
        return Response(
            photo.data,
            media_type=photo.content_type,
            headers={"Cache-Control": "private, no-store"},
        )


@router.post("/cases/{code}/{verb}", response_class=HTMLResponse)
def decide(
    request: Request,
    owner: OwnerDep,
    code: Annotated[str, PathPart(max_length=32)],
    verb: str,
    token: Token,
    note: Text = "",
    back: Text = "",
) -> HTMLResponse:
    owner.check(request, token)
    if verb not in VERBS:
        raise HTTPException(status_code=404, detail="No such decision.")
    case = _code(code)
    words = note.strip()[:500]
    if verb == "note":
        try:
            said = add_note(owner.desk, case, note)
        except ReturnError as error:
            said = error.message
    else:
        if verb == "refund-anyway":
            words = words or "refund anyway"
        command: Verb = "approve" if verb == "refund-anyway" else verb  # type: ignore[assignment]
        said = decide_case(owner.desk, OwnerCommand(command, case, None, words))
    if back == "case" or verb == "note":
        return _one_case(request, owner, case, said)
    return owner.page(request, said)
