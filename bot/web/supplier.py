"""The supplier inbox page: Slack's stand-in when no Slack token is set.

Each supplier gets a private link, signed and expiring (``TimestampSigner`` over the supplier
id with ``RETURNBRIDGE_SECRET_KEY``; ``RETURNBRIDGE_SUPPLIER_LINK_DAYS`` long). The page lists
the supplier's open returns with the same actions as in Slack (approve with RMA and address,
decline with a reason, ask a question, inspected OK, problem found, or an answer in plain
words) and every message of each case. Answers go through the same handler functions as
Slack's; a form carries a one-time nonce, so a double submit acts once, and a signed
double-submit token with a same-site check (``bot.web.forms``), so a page on another site
cannot post it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.encoding import base64_decode, base64_encode
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.settings import get_settings
from bot.web.access import WebAccess
from bot.web.deps import DeskDep, TemplatesDep
from bot.web.forms import FormRefused, FormTokens
from graph.desk import ReturnsDesk, view_case
from graph.supplier_answers import ACK_CHANNEL, Reader, SupplierSource, answer_button, answer_text
from ledger import outbox
from ledger.models import CaseRow, OutboxRow, PhotoRow
from ledger.slack_models import claim_event
from policies.money import Money
from tools.errors import CaseNotFound, ReturnError

log = logging.getLogger("returnbridge.supplier_inbox")
SALT = "supplier-inbox"
FINAL = ("resolved", "denied", "cancelled")
HISTORY_ROWS = 50  # the supplier's most recent finished returns on its page
STATUS_WORDS = {
    "awaiting_photo": "waiting for the customer's photo",
    "pending_review": "with the store owner",
    "awaiting_supplier": "waiting for your answer",
    "awaiting_shipment": "approved: the customer has the label",
    "in_transit": "on its way back to you",
    "awaiting_inspection": "delivered to you: waiting for your inspection",
}
OUTCOME_WORDS = {
    "refund": "refunded",
    "partial_refund": "partly refunded",
    "store_credit": "store credit",
    "replacement": "replaced",
    "marketplace": "refunded by the marketplace",
}


class InboxLinks:
    """Signs and reads the private links."""

    def __init__(self, secret_key: str, max_age_days: int = 30, salt: str = SALT) -> None:
        self.signer = TimestampSigner(secret_key, salt=salt)
        self.max_age = max_age_days * 86400

    def token(self, supplier_id: str) -> str:
        return self.signer.sign(base64_encode(supplier_id.encode())).decode()

    def supplier(self, token: str) -> str | None:
        """The supplier a token names, or None when it is forged, altered or too old."""
        try:
            value = self.signer.unsign(token.encode(), max_age=self.max_age)
            return base64_decode(value).decode()
        except (SignatureExpired, BadSignature, ValueError):
            return None

    def url(self, base_url: str, supplier_id: str) -> str:
        return f"{base_url.rstrip('/')}/supplier/{self.token(supplier_id)}"


@dataclass(frozen=True)
class SupplierPages:
    """What the inbox pages of one app sign and read with: the links, the forms' tokens and
    the reader of answers in plain words (set on ``app.state.supplier_pages``)."""

    links: InboxLinks
    forms: FormTokens
    read: Reader

    @classmethod
    def build(
        cls,
        secret_key: str,
        *,
        link_days: int | None = None,
        reader: Reader | None = None,
        access: WebAccess | None = None,
    ) -> SupplierPages:
        settings = get_settings()
        links = InboxLinks(secret_key, link_days or settings.supplier_link_days)
        forms = FormTokens(
            secret_key, "supplier-form", access or WebAccess.from_settings(settings), 12 * 3600
        )
        if reader is None:
            from graph.supplier_reader_llm import reader_from_env

            reader = reader_from_env()
        if not (settings.slack_bot_token and settings.slack_signing_secret):
            # The links themselves are keys: never written to a log, printed only on request.
            log.info(
                "suppliers answer on their inbox pages; `returnbridge slack links` prints them"
            )
        return cls(links=links, forms=forms, read=reader)


def get_supplier_pages(request: Request) -> SupplierPages:
    pages: SupplierPages = request.app.state.supplier_pages
    return pages


PagesDep = Annotated[SupplierPages, Depends(get_supplier_pages)]
router = APIRouter()


def refused_page(
    request: Request, desk: ReturnsDesk, templates: Jinja2Templates, said: str = ""
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "supplier_inbox.html",
        {
            "store_name": desk.store.policy.name,
            "supplier_name": "supplier",
            "said": said or "This link has expired or is not valid. Ask the store for a new one.",
            "cases": [],
            "history": [],
            "nonce": lambda: "",
            "csrf": "",
        },
        status_code=403,
    )


@router.get("/supplier/{token}", response_class=HTMLResponse)
def inbox(
    request: Request,
    token: str,
    desk: DeskDep,
    pages: PagesDep,
    templates: TemplatesDep,
    said: str = "",
) -> HTMLResponse:
    forms = pages.forms
    supplier_id = pages.links.supplier(token)
    if supplier_id is None or supplier_id not in desk.store.suppliers:
        return refused_page(request, desk, templates)
    agreement = desk.store.supplier(supplier_id)
    csrf, fresh = forms.issue(request)
    response = templates.TemplateResponse(
        request,
        "supplier_inbox.html",
        {
            "store_name": desk.store.policy.name,
            "supplier_name": agreement.name,
            "said": said[:1000],
            "cases": _open_cases(desk, supplier_id, f"/supplier/{token}"),
            "history": _past_returns(desk, supplier_id),
            "currency": desk.store.policy.currency,
            "nonce": lambda: secrets.token_urlsafe(12),
            "csrf": csrf,
        },
    )
    forms.set_cookie(response, fresh)
    return response


@router.get("/supplier/{token}/photos/{photo_id}.jpg")
def photo(token: str, photo_id: int, desk: DeskDep, pages: PagesDep) -> Response:
    """A customer's photo of one of this supplier's returns; the link is the key."""
    supplier_id = pages.links.supplier(token)
    with desk.session() as session:
        row = session.get(PhotoRow, photo_id) if supplier_id else None
        owner = None
        if row is not None and row.case_code:
            owner = session.execute(
                select(CaseRow.supplier_id).where(CaseRow.code == row.case_code)
            ).scalar_one_or_none()
        if row is None or owner is None or owner != supplier_id:
            raise CaseNotFound("There is no such photo.")  # 404, another's or none
        data, content_type = row.data, row.content_type
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": "private, no-store", "Content-Disposition": "inline"},
    )


@router.post("/supplier/{token}/cases/{code}", response_model=None)
def answer(
    request: Request,
    token: str,
    code: str,
    desk: DeskDep,
    pages: PagesDep,
    templates: TemplatesDep,
    action: Annotated[str, Form()],
    nonce: Annotated[str, Form(min_length=8, max_length=64)],
    rma: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    supplier_id = pages.links.supplier(token)
    if supplier_id is None or supplier_id not in desk.store.suppliers:
        return refused_page(request, desk, templates)
    try:
        pages.forms.check(request, csrf)
    except FormRefused as refused:
        return refused_page(request, desk, templates, str(refused.detail))
    who = SupplierSource(supplier_id=supplier_id, event_key=f"inbox:{nonce}", source="inbox")
    code = code.strip().upper()
    if action == "parcel_arrived":
        said = _parcel_arrived(desk, who, code)
        return RedirectResponse(
            f"/supplier/{token}?said={quote(said)}#case-{code}", status_code=303
        )
    if action == "reply":
        result = answer_text(desk, code, who, text, pages.read)
    else:
        result = answer_button(desk, code, who, action, rma=rma, address=address, note=note)
    said = result.ack or "Already done: that form was sent before."
    return RedirectResponse(f"/supplier/{token}?said={quote(said)}#case-{code}", status_code=303)


def _parcel_arrived(desk: ReturnsDesk, who: SupplierSource, code: str) -> str:
    """With the local carrier there is no tracking feed: the supplier says the parcel came."""
    with desk.session() as session:
        if not claim_event(session, who.event_key, source="inbox", at=desk.clock.now()):
            return "Already done: that form was sent before."
    try:
        desk.check_supplier(who.supplier_id or "", code, "parcel_arrived")
        desk.carrier_event(code, "delivered")
    except ReturnError as error:
        return error.message
    return f"Parcel for {code} marked as arrived. Please inspect it and answer below."


def _photo_ids(session: Session, code: str) -> list[int]:
    return list(
        session.execute(
            select(PhotoRow.id).where(PhotoRow.case_code == code).order_by(PhotoRow.id)
        ).scalars()
    )


def _past_returns(desk: ReturnsDesk, supplier_id: str) -> list[dict[str, Any]]:
    """The supplier's finished returns, newest first: what was decided and the money."""
    currency = desk.store.policy.currency
    with desk.session() as session:
        rows = session.execute(
            select(CaseRow)
            .where(CaseRow.supplier_id == supplier_id, CaseRow.status.in_(FINAL))
            .order_by(CaseRow.id.desc())
            .limit(HISTORY_ROWS)
        ).scalars()
        past = []
        for case in rows:
            view = view_case(session, case, currency)
            outcome = case.status
            if case.status == "resolved":
                outcome = OUTCOME_WORDS.get(case.resolution or "", "closed")
            past.append(
                {
                    "code": case.code,
                    "order": case.order.display_number,
                    "item": f"{case.quantity} x {case.line_item.name}",
                    "reason": case.reason.replace("_", " "),
                    "opened": f"{case.created_at:%Y-%m-%d}",
                    "status": case.status,
                    "outcome": outcome,
                    "credit": view.supplier_credit,
                }
            )
        return past


def _open_cases(desk: ReturnsDesk, supplier_id: str, base: str) -> list[dict[str, Any]]:
    currency = desk.store.policy.currency
    agreement = desk.store.supplier(supplier_id)
    with desk.session() as session:
        rows = session.execute(
            select(CaseRow)
            .where(CaseRow.supplier_id == supplier_id, CaseRow.status.not_in(FINAL))
            .order_by(CaseRow.id)
        ).scalars()
        cases = []
        for case in rows:
            said = session.execute(
                select(OutboxRow)
                .where(
                    OutboxRow.case_code == case.code,
                    OutboxRow.channel.in_((outbox.SUPPLIER, ACK_CHANNEL)),
                )
                .order_by(OutboxRow.id)
            ).scalars()
            messages = [
                {"who": "store" if row.channel == outbox.SUPPLIER else "ack", "text": row.text}
                for row in said
                if row.channel == outbox.SUPPLIER or row.recipient == supplier_id
            ]
            if not messages:
                continue  # the supplier has not been asked anything about it yet
            value = Money(minor=case.line_item.unit_price_minor * case.quantity, currency=currency)
            cases.append(
                {
                    "code": case.code,
                    "order": case.order.display_number,
                    "item": case.line_item.name,
                    "sku": case.line_item.sku,
                    "quantity": case.quantity,
                    "reason": case.reason.replace("_", " "),
                    "note": case.note,
                    "amount": str(value),
                    "country": case.order.country,
                    "status": case.status,
                    "status_words": STATUS_WORDS.get(case.status, case.status),
                    "rma": case.rma,
                    "physical": bool(case.return_required),
                    "rma_required": agreement.rma_required,
                    "address_on_file": agreement.return_address,
                    "messages": messages,
                    "post_url": f"{base}/cases/{case.code}",
                    "photos": [
                        f"{base}/photos/{photo_id}.jpg"
                        for photo_id in _photo_ids(session, case.code)
                    ],
                }
            )
        return cases
