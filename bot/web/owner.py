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

import math
import secrets
from base64 import b64decode
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi import Path as PathPart
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.web.access import WebAccess, is_loopback
from bot.web.charts import products_section, supplier_charts
from bot.web.forms import FormTokens
from bot.web.onboarding import add_onboarding_routes, onboarding_section
from bot.web.owner_cases import add_case_routes
from bot.web.owner_desk import NAV, add_desk_routes, inbox_section, supplier_section
from bot.web.owner_rules import (
    RuleForm,
    add_rule_form_routes,
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
from ledger import attempt_models
from ledger.repository import list_cases
from tools.guess_throttle import blocked_for

HERE = Path(__file__).parent
FORM_MAX_AGE = 12 * 3600
WRONG_PASSWORDS_ALLOWED = 10
Token = Annotated[str, Form()]


def _password_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2]


def owner_guard(password: str | None, desk: ReturnsDesk, access: WebAccess) -> Any:
    """A dependency that lets the owner in, and nobody else."""

    def guard(request: Request) -> None:
        host = request.headers.get("host", "")
        if not access.host_allowed(host):
            raise HTTPException(
                status_code=400,
                detail="The owner page is not served under this host name "
                "(RETURNBRIDGE_ALLOWED_HOSTS).",
            )
        peer = request.client.host if request.client else ""
        client = access.client_address(peer, request.headers)
        if password:
            _check_password(desk, client, _password_from(request), password)
            return
        if access.forwarded_by_stranger(peer, request.headers) or not is_loopback(client):
            raise HTTPException(
                status_code=403,
                detail=(
                    "The owner page is open only on this machine. Set "
                    "RETURNBRIDGE_OWNER_PASSWORD to use it from elsewhere."
                ),
            )

    return guard


def _check_password(desk: ReturnsDesk, client: str, given: str | None, password: str) -> None:
    """Let the right password in; count wrong ones per address and lock the address out."""
    now = desk.clock.now()
    with desk.session() as session:
        wait = blocked_for(session, now, "owner", client, allowed=WRONG_PASSWORDS_ALLOWED)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        raise HTTPException(
            status_code=429,
            detail="Too many wrong owner passwords from this address; try again in about "
            f"{minutes} minute{'s' if minutes != 1 else ''}.",
            headers={"Retry-After": str(wait)},
        )
    if given is not None and secrets.compare_digest(
        given.encode("utf-8"), password.encode("utf-8")
    ):
        return
    if given is not None:  # no credentials at all is the browser asking, not a wrong guess
        with desk.session() as session:
            attempt_models.add(session, scope="owner", subject=client, source="owner", at=now)
    raise HTTPException(
        status_code=401,
        detail="The owner page needs the owner password.",
        headers={"WWW-Authenticate": 'Basic realm="ReturnBridge owner"'},
    )


def owner_router(
    desk: ReturnsDesk,
    secret_key: str,
    password: str | None = None,
    *,
    access: WebAccess | None = None,
) -> APIRouter:
    """The ``/owner`` pages. ``password`` defaults to ``RETURNBRIDGE_OWNER_PASSWORD``, ``access``
    (trusted proxies, allowed host names) to the settings."""
    from bot.settings import get_settings

    if password is None:
        password = get_settings().owner_password
    if access is None:
        access = WebAccess.from_settings(get_settings())
    guard = owner_guard(password, desk, access)
    router = APIRouter(prefix="/owner", dependencies=[Depends(guard)])
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    forms = FormTokens(secret_key, "owner-form", access, FORM_MAX_AGE)

    def book() -> Rulebook:
        return Rulebook(desk, choose_compiler(desk.store))

    config = LLMConfig.from_env()
    # With a key, the model rewords the products page's suggestions (remembered per process).
    wording = llm_wording(LLM(config)) if config.enabled else None

    def rule_form(form: RuleForm | None) -> dict[str, Any]:
        """The draft's reading as a form (or the form given: a refused or unsaved one)."""
        draft = book().pending()
        if form is None and draft is not None:
            form = form_of_rule(draft)
        return {"rule_form": form, **form_choices(desk.store)}

    def section_context(section: str) -> dict[str, Any]:
        """What one section of the back office shows; only that section is read."""
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
            rules = book()
            return {"draft": rules.pending(), "rules": rules.active()}
        if section == "suppliers":
            return supplier_section(desk) | supplier_charts(desk)
        if section == "products":
            return products_section(desk, wording)
        return {}

    def page(
        request: Request,
        reply: str = "",
        said: str = "",
        *,
        section: str = "inbox",
        template: str | None = None,
        extra: dict[str, Any] | None = None,
        form: RuleForm | None = None,
    ) -> HTMLResponse:
        inbox = inbox_section(desk)
        token, fresh = forms.issue(request)
        response = templates.TemplateResponse(
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
                **section_context(section),
                **(extra or {}),
                **(onboarding_section(desk) if section in ("suppliers", "inbox") else {}),
                **(rule_form(form) if section == "rules" else {}),
            },
        )
        forms.set_cookie(response, fresh)
        return response

    @router.get("/rules", response_class=HTMLResponse)
    def rules_page(request: Request) -> HTMLResponse:
        return page(request, section="rules")

    @router.get("/suppliers", response_class=HTMLResponse)
    def suppliers_page(request: Request) -> HTMLResponse:
        return page(request, section="suppliers")

    @router.get("/products", response_class=HTMLResponse)
    def products_page(request: Request) -> HTMLResponse:
        return page(request, section="products")

    @router.get("", response_class=HTMLResponse)
    def owner_page(request: Request) -> HTMLResponse:
        return page(request)

    @router.post("/say", response_class=HTMLResponse)
    def say(request: Request, token: Token, text: Annotated[str, Form()] = "") -> HTMLResponse:
        forms.check(request, token)
        words = text.strip()[:2000]
        if not words:
            return page(request, "Type a rule, a decision or a question.", section="rules")
        reply = answer_owner(desk, words, book())
        form = None
        pending = book().pending()
        if pending is not None and pending.text == words:
            form = form_of_draft(pending, desk.store)
        elif reply.startswith("I couldn't make that into a rule"):
            # the parts that were read, in the form, to finish instead of rewording
            form = form_of_words(words, desk.store)
        return page(request, reply, words, form=form, section="rules")

    @router.post("/draft/{choice}", response_class=HTMLResponse)
    def draft(request: Request, choice: str, token: Token) -> HTMLResponse:
        forms.check(request, token)
        if choice not in ("confirm", "discard"):
            raise HTTPException(status_code=404, detail="No such choice.")
        rules = book()
        said = rules.confirm() if choice == "confirm" else rules.discard()
        return page(request, said, section="rules")

    @router.post("/rules/{rule_id}/retire", response_class=HTMLResponse)
    def retire(
        request: Request, rule_id: Annotated[int, PathPart(ge=1, le=ID_MAX)], token: Token
    ) -> HTMLResponse:
        forms.check(request, token)
        return page(request, book().retire(rule_id), section="rules")

    add_desk_routes(router, desk, page, forms.check)
    add_case_routes(router, desk, page, forms.check)
    add_onboarding_routes(router, desk, page, forms.check, secret_key)
    add_rule_form_routes(router, desk, page, forms.check, book)
    return router
