"""The owner console as a web page: type rules and decisions, review cases, keep the rules.

``/owner`` shows the owner's inbox with a reply box per item, a box for anything the owner
would type in the console (a rule, "yes", "approve 1001", "why was order 1001 denied?"), the
rule draft waiting for a yes, the cases waiting for a decision with approve and deny buttons,
the supplier scorecards with credit forms (``bot/web_owner_desk.py``), and the active rules
with retire buttons. Every form carries a signed token (against cross-site posts, since a browser
re-sends basic-auth credentials on its own).

Access: with ``RETURNBRIDGE_OWNER_PASSWORD`` set, HTTP basic auth with that password (any
user name). Unset, only requests made from this machine are served (client 127.0.0.1 or
::1 and no ``X-Forwarded-For`` header, so a local reverse proxy does not open it up).
"""

from __future__ import annotations

import secrets
from base64 import b64decode
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi import Path as PathPart
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from bot.request_limits import ID_MAX
from bot.web_owner_desk import add_desk_routes, desk_sections
from graph.desk import ReturnsDesk
from graph.owner_console import answer_owner
from graph.rule_compiler_llm import choose_compiler
from graph.rulebook import Rulebook
from ledger.repository import list_cases

HERE = Path(__file__).parent
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
FORM_MAX_AGE = 12 * 3600
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


def owner_guard(password: str | None) -> Any:
    """A dependency that lets the owner in, and nobody else."""

    def guard(request: Request) -> None:
        if password:
            given = _password_from(request)
            if given is None or not secrets.compare_digest(
                given.encode("utf-8"), password.encode("utf-8")
            ):
                raise HTTPException(
                    status_code=401,
                    detail="The owner page needs the owner password.",
                    headers={"WWW-Authenticate": 'Basic realm="ReturnBridge owner"'},
                )
            return
        host = request.client.host if request.client else ""
        if host not in LOOPBACK or request.headers.get("x-forwarded-for"):
            raise HTTPException(
                status_code=403,
                detail=(
                    "The owner page is open only on this machine. Set "
                    "RETURNBRIDGE_OWNER_PASSWORD to use it from elsewhere."
                ),
            )

    return guard


def owner_router(desk: ReturnsDesk, secret_key: str, password: str | None = None) -> APIRouter:
    """The ``/owner`` pages. ``password`` defaults to ``RETURNBRIDGE_OWNER_PASSWORD``."""
    if password is None:
        from bot.settings import get_settings

        password = get_settings().owner_password
    router = APIRouter(prefix="/owner", dependencies=[Depends(owner_guard(password))])
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    signer = TimestampSigner(secret_key, salt="owner-form")

    def book() -> Rulebook:
        return Rulebook(desk, choose_compiler(desk.store))

    def check_token(token: str) -> None:
        try:
            signer.unsign(token, max_age=FORM_MAX_AGE)
        except (BadSignature, SignatureExpired):
            raise HTTPException(
                status_code=403, detail="This form is too old; reload the page."
            ) from None

    def page(request: Request, reply: str = "", said: str = "") -> HTMLResponse:
        rules = book()
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
        return templates.TemplateResponse(
            request,
            "owner.html",
            {
                "store_name": desk.store.policy.name,
                "token": signer.sign(secrets.token_hex(8)).decode(),
                "reply": reply,
                "said": said,
                "draft": rules.pending(),
                "waiting": waiting,
                "rules": rules.active(),
                **desk_sections(desk),
            },
        )

    @router.get("", response_class=HTMLResponse)
    def owner_page(request: Request) -> HTMLResponse:
        return page(request)

    @router.post("/say", response_class=HTMLResponse)
    def say(request: Request, token: Token, text: Annotated[str, Form()] = "") -> HTMLResponse:
        check_token(token)
        words = text.strip()[:2000]
        if not words:
            return page(request, "Type a rule, a decision or a question.")
        return page(request, answer_owner(desk, words, book()), words)

    @router.post("/draft/{choice}", response_class=HTMLResponse)
    def draft(request: Request, choice: str, token: Token) -> HTMLResponse:
        check_token(token)
        if choice not in ("confirm", "discard"):
            raise HTTPException(status_code=404, detail="No such choice.")
        rules = book()
        return page(request, rules.confirm() if choice == "confirm" else rules.discard())

    @router.post("/cases/{code}/{verb}", response_class=HTMLResponse)
    def decide(
        request: Request, code: str, verb: str, token: Token, note: Annotated[str, Form()] = ""
    ) -> HTMLResponse:
        check_token(token)
        if verb not in ("approve", "deny"):
            raise HTTPException(status_code=404, detail="No such decision.")
        case = code.strip().upper()
        if not case.startswith("RB-"):
            raise HTTPException(status_code=404, detail="No such return.")
        text = f"{verb} {case}" + (f", {note.strip()[:500]}" if note.strip() else "")
        return page(request, answer_owner(desk, text, book()))

    @router.post("/rules/{rule_id}/retire", response_class=HTMLResponse)
    def retire(
        request: Request, rule_id: Annotated[int, PathPart(ge=1, le=ID_MAX)], token: Token
    ) -> HTMLResponse:
        check_token(token)
        return page(request, book().retire(rule_id))

    add_desk_routes(router, desk, page, check_token)
    return router
