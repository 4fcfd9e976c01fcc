"""Supplier onboarding pages: the supplier's terms form behind its onboarding link, and the
owner's invite and confirm buttons on ``/owner``.

The link is signed like the supplier inbox links (``bot.web.supplier.InboxLinks``, its own
salt) over a random invitation nonce, so it carries no supplier data; how long it opens the
form is the invitation's (``RETURNBRIDGE_ONBOARDING_LINK_DAYS``). A used, replaced or expired
link gets a page that says so. The form carries the same signed double-submit token and
same-site check as the supplier inbox forms (``bot.web.forms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature
from itsdangerous.encoding import base64_decode

from bot.settings import get_settings
from bot.web.access import WebAccess
from bot.web.deps import DeskDep, TemplatesDep
from bot.web.forms import FormRefused, FormTokens
from bot.web.owner_base import OwnerDep, owner_guard
from bot.web.supplier import InboxLinks
from graph.desk import ReturnsDesk
from graph.supplier_onboarding import confirm_supplier, invite_supplier, supplier_statuses
from policies.models import Reason
from tools import supplier_onboarding
from tools.errors import ReturnError
from tools.supplier_onboarding import FORM_FIELDS, LinkNotUsable

SALT = "supplier-onboarding"
REASON_WORDS = {reason.value: reason.value.replace("_", " ") for reason in Reason}


def onboarding_links(secret_key: str) -> InboxLinks:
    # The invitation's own expiry decides; the signature only has to be genuine.
    return InboxLinks(secret_key, 3650, salt=SALT)


def onboarding_url(secret_key: str, nonce: str) -> str:
    settings = get_settings()
    return f"{settings.base_url.rstrip('/')}/onboarding/{onboarding_links(secret_key).token(nonce)}"


def _nonce(links: InboxLinks, token: str) -> str | None:
    try:
        return base64_decode(links.signer.unsign(token.encode())).decode()
    except (BadSignature, ValueError):
        return None


@dataclass(frozen=True)
class OnboardingPages:
    """The onboarding form's link signer and form tokens of one app (``app.state``)."""

    links: InboxLinks
    forms: FormTokens

    @classmethod
    def build(cls, secret_key: str, *, access: WebAccess | None = None) -> OnboardingPages:
        forms = FormTokens(
            secret_key,
            "onboarding-form",
            access or WebAccess.from_settings(get_settings()),
            12 * 3600,
        )
        return cls(links=onboarding_links(secret_key), forms=forms)


def get_onboarding_pages(request: Request) -> OnboardingPages:
    pages: OnboardingPages = request.app.state.onboarding_pages
    return pages


OnboardingDep = Annotated[OnboardingPages, Depends(get_onboarding_pages)]
router = APIRouter()


@dataclass(frozen=True)
class _Page:
    """What one request's page is drawn with."""

    request: Request
    desk: ReturnsDesk
    pages: OnboardingPages
    templates: Jinja2Templates


def show(
    page: _Page,
    *,
    status: int = 200,
    said: str = "",
    supplier_id: str = "",
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    token: str = "",
    done: bool = False,
) -> HTMLResponse:
    request, desk, forms = page.request, page.desk, page.pages.forms
    csrf, fresh = forms.issue(request)
    response = page.templates.TemplateResponse(
        request,
        "supplier_onboarding.html",
        {
            "store_name": desk.store.policy.name,
            "supplier_id": supplier_id,
            "said": said,
            "values": values or {},
            "problems": problems or {},
            "form": bool(values) and not done,
            "done": done,
            "post_url": f"/onboarding/{token}",
            "csrf": csrf,
            "reasons": REASON_WORDS,
        },
        status_code=status,
    )
    forms.set_cookie(response, fresh)
    return response


def refused(page: _Page, error: LinkNotUsable) -> HTMLResponse:
    return show(page, status=404 if error.why == "unknown" else 410, said=error.message)


@router.get("/onboarding/{token}", response_class=HTMLResponse)
def onboarding_form(
    request: Request,
    token: str,
    desk: DeskDep,
    pages: OnboardingDep,
    templates: TemplatesDep,
) -> HTMLResponse:
    page = _Page(request, desk, pages, templates)
    nonce = _nonce(pages.links, token)
    try:
        if nonce is None:
            raise LinkNotUsable("unknown", "This onboarding link is not valid.")
        with desk.session() as session:
            row = supplier_onboarding.usable(session, desk.clock.now(), nonce)
            supplier_id = row.supplier_id
    except LinkNotUsable as error:
        return refused(page, error)
    values = supplier_onboarding.form_defaults(desk.store, supplier_id)
    return show(page, supplier_id=supplier_id, values=values, token=token)


@router.post("/onboarding/{token}", response_class=HTMLResponse)
async def onboarding_submit(
    request: Request,
    token: str,
    desk: DeskDep,
    pages: OnboardingDep,
    templates: TemplatesDep,
) -> HTMLResponse:
    form = await request.form()
    fields: dict[str, Any] = {key: str(form.get(key) or "") for key in FORM_FIELDS}
    fields["photo_required_reasons"] = [str(v) for v in form.getlist("photo_required_reasons")]
    accepted = str(form.get("accept") or "") in ("on", "yes", "true", "1")
    csrf = str(form.get("csrf") or "")
    return submit(_Page(request, desk, pages, templates), token, fields, accepted, csrf)


def submit(
    page: _Page, token: str, fields: dict[str, Any], accepted: bool, csrf: str
) -> HTMLResponse:
    desk = page.desk
    nonce = _nonce(page.pages.links, token)
    if nonce is None:
        return refused(page, LinkNotUsable("unknown", "This onboarding link is not valid."))
    try:
        page.pages.forms.check(page.request, csrf)
    except FormRefused as refusal:
        return show(page, status=403, said=str(refusal.detail))
    try:
        with desk.session() as session:
            supplier_id = supplier_onboarding.usable(session, desk.clock.now(), nonce).supplier_id
            outcome = supplier_onboarding.submit_terms(
                session, desk.clock.now(), nonce, fields, accepted
            )
    except LinkNotUsable as error:
        return refused(page, error)
    if isinstance(outcome, dict):
        values = {**fields, "rma_required": fields.get("rma_required") in ("on", "true", "1")}
        return show(
            page,
            status=422,
            said="Some answers need another look; see the notes by the fields.",
            supplier_id=supplier_id,
            values=values,
            problems=outcome,
            token=token,
        )
    return show(
        page,
        said=(
            "Thank you: your terms were sent to the store. They apply once the store "
            "confirms them; this link is now used."
        ),
        supplier_id=supplier_id,
        done=True,
    )


def onboarding_section(desk: ReturnsDesk) -> dict[str, Any]:
    """What ``/owner`` shows: each supplier's agreement state, flagged when not accepted."""
    statuses = supplier_statuses(desk)
    return {
        "agreements": [
            {
                "id": status.supplier_id,
                "name": status.name,
                "state": status.state,
                "words": status.words,
                "flagged": status.flagged,
                "terms": sorted((status.terms or {}).items()),
            }
            for status in statuses
        ],
        "agreements_flagged": sum(1 for status in statuses if status.flagged),
    }


Token = Annotated[str, Form()]


# The owner's half: ``POST /owner/suppliers/invite`` and ``POST /owner/suppliers/{id}/confirm``.
owner_router = APIRouter(prefix="/owner", dependencies=[Depends(owner_guard)])


@owner_router.post("/suppliers/invite", response_class=HTMLResponse)
def invite(
    request: Request, owner: OwnerDep, token: Token, supplier: Annotated[str, Form()] = ""
) -> HTMLResponse:
    owner.check(request, token)
    try:
        invitation = invite_supplier(owner.desk, supplier, get_settings().onboarding_link_days)
    except ReturnError as error:
        return owner.page(request, error.message, section="suppliers")
    url = onboarding_url(owner.secret_key, invitation.nonce)
    return owner.page(
        request,
        f"Onboarding link for {invitation.supplier_id} (until "
        f"{invitation.expires_at_text}); send it to the supplier: {url}",
        section="suppliers",
    )


@owner_router.post("/suppliers/{supplier_id}/confirm", response_class=HTMLResponse)
def confirm(request: Request, owner: OwnerDep, supplier_id: str, token: Token) -> HTMLResponse:
    owner.check(request, token)
    try:
        said = confirm_supplier(owner.desk, supplier_id, get_settings().store_dir)
    except ReturnError as error:
        said = error.message
    return owner.page(request, said, section="suppliers")
