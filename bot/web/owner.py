"""The owner console as a back office: one page per section under one navigation.

``/owner`` is the inbox (a reply box per item, the cases waiting for a decision with approve
and deny buttons, and a box for anything the owner would type in the console: a rule, "yes",
"approve 1001", "why was order 1001 denied?"); ``/owner/cases`` every case and one page per
case; ``/owner/suppliers`` the scorecards, credit forms and statements
(``bot/web/owner_desk.py``); ``/owner/products`` returns per product; ``/owner/rules`` the
rule draft waiting for a yes and the active rules with retire buttons. Every form carries a
signed double-submit token and is refused when the browser says it comes from another site
(``bot.web.forms``), since a browser re-sends basic-auth credentials on its own.

Access: only under the host names of ``RETURNBRIDGE_ALLOWED_HOSTS``. With
``RETURNBRIDGE_OWNER_PASSWORD`` set, HTTP basic auth with that password (any user name);
ten wrong passwords from one address within fifteen minutes lock that address out for
fifteen minutes (429), counted in the database. Unset, only clients on this machine are
served: the client address (``bot.web.access``: forwarding headers believed only from
``RETURNBRIDGE_TRUSTED_PROXIES``) must be a loopback address, and forwarding headers from
any other peer refuse the request, so a local reverse proxy does not open it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi import Path as PathPart
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.web import onboarding, owner_cases, owner_desk, owner_rules
from bot.web.access import WebAccess
from bot.web.charts import products_section, supplier_charts
from bot.web.deps import page_templates
from bot.web.forms import FormTokens
from bot.web.onboarding import onboarding_section
from bot.web.owner_base import OwnerDep, owner_guard
from bot.web.owner_desk import NAV, inbox_section, supplier_section
from bot.web.owner_rules import (
    RuleForm,
    form_choices,
    form_of_draft,
    form_of_rule,
    form_of_words,
)
from bot.web.request_limits import ID_MAX
from graph.desk import ReturnsDesk
from graph.llm import LLM, LLMConfig
from graph.owner_console import answer_owner
from graph.product_wording import llm_wording
from graph.rule_compiler_llm import choose_compiler
from graph.rulebook import Rulebook
from ledger.repository import list_cases
from tools.product_insights import Wording

FORM_MAX_AGE = 12 * 3600
Token = Annotated[str, Form()]


@dataclass(frozen=True)
class OwnerDesk:
    """The owner back office of one app (``app.state.owner_desk``): the desk, who may come
    in (``password``, ``access``), the signed form tokens, the templates and the model's
    wording for the products page, with the page renderer every owner route answers with."""

    desk: ReturnsDesk
    secret_key: str
    password: str | None
    access: WebAccess
    forms: FormTokens
    templates: Jinja2Templates
    wording: Wording | None = None

    @classmethod
    def build(
        cls,
        desk: ReturnsDesk,
        secret_key: str,
        password: str | None = None,
        *,
        access: WebAccess | None = None,
    ) -> OwnerDesk:
        """``password`` defaults to ``RETURNBRIDGE_OWNER_PASSWORD``, ``access`` (trusted
        proxies, allowed host names) to the settings."""
        from bot.settings import get_settings

        if password is None:
            password = get_settings().owner_password
        if access is None:
            access = WebAccess.from_settings(get_settings())
        config = LLMConfig.from_env()
        # With a key, the model rewords the products page's suggestions (remembered per app).
        wording = llm_wording(LLM(config)) if config.enabled else None
        return cls(
            desk=desk,
            secret_key=secret_key,
            password=password,
            access=access,
            forms=FormTokens(secret_key, "owner-form", access, FORM_MAX_AGE),
            templates=page_templates(),
            wording=wording,
        )

    def check(self, request: Request, token: str) -> None:
        self.forms.check(request, token)

    def book(self) -> Rulebook:
        return Rulebook(self.desk, choose_compiler(self.desk.store))

    def rule_form(self, form: RuleForm | None) -> dict[str, Any]:
        """The draft's reading as a form (or the form given: a refused or unsaved one)."""
        draft = self.book().pending()
        if form is None and draft is not None:
            form = form_of_rule(draft)
        return {"rule_form": form, **form_choices(self.desk.store)}

    def section_context(self, section: str) -> dict[str, Any]:
        """What one section of the back office shows; only that section is read."""
        desk = self.desk
        if section == "inbox":
            with desk.session() as session:
                waiting = [
                    {
                        "code": case.code,
                        "order": case.order.display_number,
                        "item": f"{case.quantity} x {case.line_item.name}",
                        "reason": case.reason.replace("_", " "),
                        "why": case.review_reason or "",
                    }
                    for case in list_cases(session, "pending_review")
                ]
            return {"waiting": waiting}
        if section == "rules":
            rules = self.book()
            return {"draft": rules.pending(), "rules": rules.active()}
        if section == "suppliers":
            return supplier_section(desk) | supplier_charts(desk)
        if section == "products":
            return products_section(desk, self.wording)
        return {}

    def page(
        self,
        request: Request,
        reply: str = "",
        said: str = "",
        *,
        section: str = "inbox",
        template: str | None = None,
        extra: dict[str, Any] | None = None,
        form: RuleForm | None = None,
    ) -> HTMLResponse:
        desk = self.desk
        inbox = inbox_section(desk)
        token, fresh = self.forms.issue(request)
        response = self.templates.TemplateResponse(
            request,
            template or f"owner/{section}.html",
            {
                "store_name": desk.store.policy.name,
                "currency": desk.store.policy.currency,
                "nav": NAV,
                "section": section,
                "section_title": dict((key, label) for key, label, _ in NAV).get(section, ""),
                "inbox_count": len(inbox),
                "token": token,
                "reply": reply,
                "said": said,
                **({"inbox": inbox} if section == "inbox" else {}),
                **self.section_context(section),
                **(extra or {}),
                **(onboarding_section(desk) if section in ("suppliers", "inbox") else {}),
                **(self.rule_form(form) if section == "rules" else {}),
            },
        )
        self.forms.set_cookie(response, fresh)
        return response


def get_owner_desk(request: Request) -> OwnerDesk:
    owner: OwnerDesk = request.app.state.owner_desk
    return owner


# The inbox, the products page and the rules; the other owner pages are in owner_desk.py,
# owner_cases.py, owner_rules.py and onboarding.py, each behind the same guard.
router = APIRouter(prefix="/owner", dependencies=[Depends(owner_guard)])


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, owner: OwnerDep) -> HTMLResponse:
    return owner.page(request, section="rules")


@router.get("/suppliers", response_class=HTMLResponse)
def suppliers_page(request: Request, owner: OwnerDep) -> HTMLResponse:
    return owner.page(request, section="suppliers")


@router.get("/products", response_class=HTMLResponse)
def products_page(request: Request, owner: OwnerDep) -> HTMLResponse:
    return owner.page(request, section="products")


@router.get("", response_class=HTMLResponse)
def owner_page(request: Request, owner: OwnerDep) -> HTMLResponse:
    return owner.page(request)


@router.post("/say", response_class=HTMLResponse)
def say(
    request: Request, owner: OwnerDep, token: Token, text: Annotated[str, Form()] = ""
) -> HTMLResponse:
    owner.check(request, token)
    words = text.strip()[:2000]
    if not words:
        return owner.page(request, "Type a rule, a decision or a question.", section="rules")
    desk = owner.desk
    reply = answer_owner(desk, words, owner.book())
    form = None
    pending = owner.book().pending()
    if pending is not None and pending.text == words:
        form = form_of_draft(pending, desk.store)
    elif reply.startswith("I couldn't make that into a rule"):
        # the parts that were read, in the form, to finish instead of rewording
        form = form_of_words(words, desk.store)
    return owner.page(request, reply, words, form=form, section="rules")


@router.post("/draft/{choice}", response_class=HTMLResponse)
def draft(request: Request, owner: OwnerDep, choice: str, token: Token) -> HTMLResponse:
    owner.check(request, token)
    if choice not in ("confirm", "discard"):
        raise HTTPException(status_code=404, detail="No such choice.")
    rules = owner.book()
    said = rules.confirm() if choice == "confirm" else rules.discard()
    return owner.page(request, said, section="rules")


@router.post("/rules/{rule_id}/retire", response_class=HTMLResponse)
def retire(
    request: Request,
    owner: OwnerDep,
    rule_id: Annotated[int, PathPart(ge=1, le=ID_MAX)],
    token: Token,
) -> HTMLResponse:
    owner.check(request, token)
    return owner.page(request, owner.book().retire(rule_id), section="rules")


# Every owner page, each module's router behind the same guard; create_app includes them all.
ROUTERS = (
    router,
    owner_desk.router,
    owner_cases.router,
    onboarding.owner_router,
    owner_rules.router,
)
