"""The owner desk's inbox, supplier credit and scorecard, and the back office's navigation.

The inbox lists what waits for the owner with a reply box per item (the answer goes to that
customer or supplier and closes the item); supplier credit is recorded or written off in two
small forms; the scorecard is a table, and each supplier's statement a CSV download.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from bot.web.owner_base import OwnerDep, OwnerPages, owner_guard
from graph.desk import ReturnsDesk
from graph.exports import cases_csv, journal_csv
from graph.owner_inbox import close_item, open_inbox, reply_to_item
from graph.supplier_money import (
    record_credit,
    supplier_scorecards,
    supplier_statement,
    supplier_statement_pdf,
    write_off,
)
from tools.errors import ReturnError

Token = Annotated[str, Form()]
Text = Annotated[str, Form()]

KIND_WORDS = {
    "handoff": "Customer asks for you",
    "supplier_question": "Supplier question",
    "pending_review": "Return to decide",
    "supplier_silent": "Supplier silent",
    "service_failing": "Service failing",
    "refund_by_hand": "Refund to pay by hand",
}


# The back office's sections: key, label, address.
NAV = (
    ("inbox", "Inbox", "/owner"),
    ("cases", "Cases", "/owner/cases"),
    ("suppliers", "Suppliers", "/owner/suppliers"),
    ("products", "Products", "/owner/products"),
    ("rules", "Rules", "/owner/rules"),
)


def inbox_section(desk: ReturnsDesk) -> list[dict[str, Any]]:
    """What waits for the owner, one entry per open inbox item."""
    return [
        {
            "id": item.id,
            "kind": KIND_WORDS.get(item.kind, item.kind),
            "order": item.order or "",
            "case": item.case or "",
            "party": item.party,
            "party_id": item.party_id,
            "words": item.words or item.summary,
            "summary": item.summary,
            "at": f"{item.at:%Y-%m-%d %H:%M}",
            "answerable": item.party in ("customer", "supplier") and item.kind != "pending_review",
        }
        for item in open_inbox(desk)
    ]


def supplier_section(desk: ReturnsDesk) -> dict[str, Any]:
    """The scorecards, with the credit forms and statements under them."""
    cards = [card.figures() | {"name": card.name} for card in supplier_scorecards(desk)]
    return {"scorecards": cards}


def _done(
    request: Request, owner: OwnerPages, action: Callable[[], str], section: str = "inbox"
) -> HTMLResponse:
    try:
        return owner.page(request, action(), section=section)
    except ReturnError as error:
        return owner.page(request, error.message, section=section)


router = APIRouter(prefix="/owner", dependencies=[Depends(owner_guard)])


@router.post("/inbox/{item_id}/reply", response_class=HTMLResponse)
def inbox_reply(
    request: Request, owner: OwnerDep, item_id: int, token: Token, text: Text = ""
) -> HTMLResponse:
    owner.check(request, token)
    return _done(request, owner, lambda: reply_to_item(owner.desk, item_id, text.strip()[:2000]))


@router.post("/inbox/{item_id}/close", response_class=HTMLResponse)
def inbox_close(request: Request, owner: OwnerDep, item_id: int, token: Token) -> HTMLResponse:
    owner.check(request, token)
    return _done(request, owner, lambda: close_item(owner.desk, item_id))


@router.post("/suppliers/credit", response_class=HTMLResponse)
def credit(
    request: Request,
    owner: OwnerDep,
    token: Token,
    supplier: Text = "",
    amount: Text = "",
    reference: Text = "",
    order: Text = "",
) -> HTMLResponse:
    owner.check(request, token)
    return _done(
        request,
        owner,
        lambda: record_credit(
            owner.desk, supplier.strip(), amount.strip(), reference, order=order.strip() or None
        ),
        "suppliers",
    )


@router.post("/suppliers/writeoff", response_class=HTMLResponse)
def writeoff(
    request: Request,
    owner: OwnerDep,
    token: Token,
    supplier: Text = "",
    order: Text = "",
    amount: Text = "",
    note: Text = "",
) -> HTMLResponse:
    owner.check(request, token)
    return _done(
        request,
        owner,
        lambda: write_off(
            owner.desk,
            supplier.strip(),
            order=order.strip() or None,
            amount=amount.strip() or None,
            note=note.strip()[:500],
        ),
        "suppliers",
    )


@router.get("/exports/{name}.csv")
def export(name: str, owner: OwnerDep) -> Response:
    makers = {"cases": cases_csv, "journal": journal_csv}
    if name not in makers:
        raise HTTPException(status_code=404, detail="There is no such export.")
    return Response(
        makers[name](owner.desk),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/suppliers/{supplier_id}/statement.csv")
def statement(supplier_id: str, owner: OwnerDep) -> Response:
    try:
        text = supplier_statement(owner.desk, supplier_id)
    except ReturnError as error:
        raise HTTPException(status_code=404, detail=error.message) from None
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{supplier_id}-statement.csv"'},
    )


@router.get("/suppliers/{supplier_id}/statement.pdf")
def statement_pdf(supplier_id: str, owner: OwnerDep) -> Response:
    try:
        data = supplier_statement_pdf(owner.desk, supplier_id)
    except ReturnError as error:
        raise HTTPException(status_code=404, detail=error.message) from None
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{supplier_id}-statement.pdf"'},
    )
