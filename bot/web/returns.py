"""The customer's returns page and its JSON API: look an order up, quote, send the form,
follow the case with its signed link, add a photo, fetch the label."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, ValidationError

from bot.web.deps import DeskDep, TemplatesDep
from bot.web.quote import QuoteRequest, photo_reasons, quote_payload, refuse_missing_photo
from bot.web.shopper_words import FINAL_STATUSES, next_step, shopper_status
from graph.desk import CaseView, ReturnsDesk
from graph.identity_guard import guessing_guard
from ledger.repository import units_in_cases
from ledger.rules_models import active_rules
from policies.loader import describe_validation
from policies.models import Reason
from policies.money import Money
from tools.accept_photo import MAX_BYTES
from tools.errors import CaseNotFound
from tools.marketplace import customer_notice
from tools.open_case import ReturnRequest
from tools.text_checks import PlainText
from tools.verify_identity import verify_identity

REASON_LABELS = {
    Reason.DAMAGED: "Arrived damaged",
    Reason.DEFECTIVE: "Doesn't work / faulty",
    Reason.WRONG_ITEM: "Wrong item sent",
    Reason.NOT_AS_DESCRIBED: "Not as described",
    Reason.WRONG_SIZE: "Wrong size / doesn't fit",
    Reason.CHANGED_MIND: "Changed my mind",
    Reason.ARRIVED_LATE: "Arrived too late",
    Reason.OTHER: "Something else",
}
RESOLUTION_LABELS = {
    "refund": "Refund to my original payment",
    "store_credit": "Store credit",
    "replacement": "A replacement",
}


# What the store keeps to itself when it shows a case to the customer.
INTERNAL_FIELDS = {"supplier_id", "supplier_credit", "review_reason"}


class LookupRequest(BaseModel):
    order: str
    email: str = ""  # or the order's phone, for an order without email
    phone: str = ""


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class CaseLinks:
    """The case link's token carries the case code only (no e-mail, no name), signed and
    dated: it stops opening the case after RETURNBRIDGE_CASE_LINK_DAYS."""

    def __init__(self, secret_key: str, max_age_days: int) -> None:
        self.signer = URLSafeTimedSerializer(secret_key, salt="case-link")
        self.max_age = max_age_days * 86400

    def token(self, view: CaseView) -> str:
        return self.signer.dumps(view.code)

    def case(self, code: str, token: str) -> str:
        """The case a link opens; CaseNotFound when forged, altered, expired or another's."""
        try:
            case = self.signer.loads(token, max_age=self.max_age)
        except BadSignature:  # forged, altered or expired (SignatureExpired is one)
            raise CaseNotFound("That return link is not valid or has expired.") from None
        if not isinstance(case, str) or case != code.strip().upper():
            raise CaseNotFound("That return link is not valid or has expired.")
        return case


def get_case_links(request: Request) -> CaseLinks:
    links: CaseLinks = request.app.state.case_links
    return links


CaseLinksDep = Annotated[CaseLinks, Depends(get_case_links)]


def case_payload(desk: ReturnsDesk, view: CaseView, token: str) -> dict[str, Any]:
    return {
        "case": view.model_dump(mode="json", exclude=INTERNAL_FIELDS),
        "status_text": shopper_status(view, desk.store.policy),
        "next_step": next_step(view, desk.store.policy),
        "token": token,
        # A label the carrier sent back (the case went to review after it) is not offered,
        # nor one of a finished case: there is nothing left to send.
        "label_url": f"/api/cases/{view.code}/label.pdf?token={token}"
        if view.label and view.status not in ("pending_review", *FINAL_STATUSES)
        else None,
        "needs_photo": view.status == "awaiting_photo",
        "messages": desk.customer_messages(view.code),
    }


router = APIRouter()


@router.get("/returns", response_class=HTMLResponse)
def returns_page(request: Request, desk: DeskDep, templates: TemplatesDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "returns.html",
        {
            "store_name": desk.store.policy.name,
            "window_days": desk.store.policy.return_window_days,
        },
    )


@router.post("/api/returns/lookup")
def lookup(body: LookupRequest, desk: DeskDep) -> dict[str, Any]:
    with guessing_guard(desk, body.order, "lookup"), desk.session() as session:
        order = verify_identity(session, body.order, body.email.strip() or body.phone)
        currency = desk.store.policy.currency
        needs_photo = photo_reasons(desk, session, order, active_rules(session))
        items = [
            {
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "returnable": max(0, item.quantity - units_in_cases(session, item.id)),
                "unit_price": Money(minor=item.unit_price_minor, currency=currency).amount_str(),
                "currency": currency,
                "final_sale": item.final_sale,
                # the reasons whose return would wait for a photo: marked on the form
                "photo_reasons": needs_photo.get(item.sku, []),
            }
            for item in order.items
        ]
        return {
            "order": order.display_number,
            "customer_name": order.customer_name,
            "delivered": order.delivered_at is not None,
            # sold on a marketplace: returned there (its name, link and window)
            "marketplace": customer_notice(desk.store.policy, order),
            "items": items,
            "reasons": [{"code": r.value, "label": label} for r, label in REASON_LABELS.items()],
            "resolutions": [{"code": c, "label": label} for c, label in RESOLUTION_LABELS.items()],
            "store_credit_bonus_percent": desk.store.policy.store_credit_bonus_percent,
        }


@router.post("/api/returns/quote")
def quote(body: QuoteRequest, desk: DeskDep) -> dict[str, Any]:
    return quote_payload(desk, body)


@router.post("/api/returns", status_code=201, response_model=None)
async def submit(
    request: Request, desk: DeskDep, links: CaseLinksDep
) -> dict[str, Any] | JSONResponse:
    photo: bytes | None = None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_part_size=MAX_BYTES + 1024)
        fields: dict[str, Any] = {
            key: value for key, value in form.items() if isinstance(value, str) and value != ""
        }
        upload = form.get("photo")
        if upload is not None and not isinstance(upload, str):
            photo = await upload.read(MAX_BYTES + 1)
            if not photo:
                photo = None
        fields.pop("photo", None)
        if photo is not None:
            fields["photo"] = True
    else:
        try:
            fields = await request.json()
        except ValueError:
            return error(400, "bad_request", "Send the return form as JSON or a form upload.")
        if not isinstance(fields, dict):
            return error(400, "bad_request", "The return form must be a JSON object.")
        fields.pop("photo", None)
    try:
        return_request = ReturnRequest.model_validate(fields)
    except ValidationError as exc:
        return error(422, "invalid_form", describe_validation("form", exc).replace("form: ", ""))
    # The desk blocks (database, case graph, services): never on the event loop.
    return await run_in_threadpool(submit_in_thread, desk, links, return_request, photo)


def submit_in_thread(
    desk: ReturnsDesk, links: CaseLinks, return_request: ReturnRequest, photo: bytes | None
) -> dict[str, Any]:
    with guessing_guard(desk, return_request.order, "returns form"):
        if photo is None:
            refuse_missing_photo(
                desk,
                return_request.order,
                return_request.contact,
                return_request.sku,
                return_request.quantity,
                return_request.reason,
            )
        view = desk.submit_return(return_request, photo=photo)
    return case_payload(desk, view, links.token(view))


@router.get("/api/cases/{code}")
def case_status(code: str, token: str, desk: DeskDep, links: CaseLinksDep) -> dict[str, Any]:
    view = desk.case_view(links.case(code, token))
    return case_payload(desk, view, token)


@router.post("/api/cases/{code}/photos")
async def upload_photo(
    code: str,
    token: str,
    desk: DeskDep,
    links: CaseLinksDep,
    photo: Annotated[UploadFile, File()],
    description: Annotated[PlainText, Form(max_length=500)] = "",
) -> dict[str, Any]:
    data = await photo.read(MAX_BYTES + 1)
    return await run_in_threadpool(add_photo_in_thread, desk, links, code, token, data, description)


def add_photo_in_thread(
    desk: ReturnsDesk, links: CaseLinks, code: str, token: str, data: bytes, description: str
) -> dict[str, Any]:
    view = desk.add_photo(links.case(code, token), data, description=description)
    return case_payload(desk, view, token)


@router.get("/api/cases/{code}/label.pdf")
def label(code: str, token: str, desk: DeskDep, links: CaseLinksDep) -> Response:
    pdf = desk.label_pdf(links.case(code, token))
    if pdf is None:
        raise CaseNotFound("This return has no label yet.")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{code}-label.pdf"'},
    )
