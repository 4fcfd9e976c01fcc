"""The web app: the customer's returns page and its JSON API."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import psycopg
import psycopg_pool
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError

from bot.db_health import RETRY_AFTER_SECONDS, check_database, is_database_trouble, lost_connection
from bot.install_secret import PUBLISHED_DEFAULT
from bot.settings import get_settings
from bot.slack import app as slack_app
from bot.slack.app import SupplierSlackApp, slack_from_settings
from bot.web import carrier, chat, codes, onboarding, shippo, shopify, supplier
from bot.web.access import WebAccess, WebGuard
from bot.web.cors import ChatCors, parse_origins
from bot.web.deps import DeskDep, WebhookSettings, page_templates
from bot.web.onboarding import OnboardingPages
from bot.web.owner import owner_router
from bot.web.quote import QuoteRequest, photo_reasons, quote_payload, refuse_missing_photo
from bot.web.request_limits import install_request_limits
from bot.web.shopper_words import FINAL_STATUSES, next_step, shopper_status
from bot.web.supplier import SupplierPages
from graph.chat_graph import CustomerChat
from graph.desk import CaseView, ReturnsDesk
from graph.identity_guard import guessing_guard
from ledger.repository import units_in_cases
from ledger.rules_models import active_rules
from policies.loader import describe_validation
from policies.models import Reason
from policies.money import Money
from tools.accept_photo import MAX_BYTES
from tools.errors import CaseNotFound, IdentityError, InvalidUpload, ReturnError
from tools.guess_throttle import TooManyAttempts
from tools.marketplace import customer_notice
from tools.open_case import ReturnRequest
from tools.service_errors import ServiceUnavailable
from tools.text_checks import PlainText
from tools.verify_identity import verify_identity

HERE = Path(__file__).parent
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


# Threads that run the blocking routes (every plain ``def`` route and each desk call of an
# ``async`` route). The database pool is sized from the same figure (bot/composition.py), so a
# thread never waits for a connection another thread holds.
DEFAULT_WEB_THREADS = 16

# How long a request thread may keep the interpreter before another waiting one gets it
# (Python's default is 5 ms). A thread that holds SQLite's write lock lets go of the
# interpreter on every statement and then waits to get it back while the other request
# threads run Python: at 5 ms a turn, every write held the lock many times longer than its
# work, and the threads queued behind it. Under paced load the median answer fell from
# seconds to a few hundred milliseconds with 1 ms.
SERVER_SWITCH_INTERVAL_SECONDS = 0.001


def tune_interpreter() -> None:
    """Set up the interpreter of a server process (``returnbridge serve``)."""
    sys.setswitchinterval(SERVER_SWITCH_INTERVAL_SECONDS)


def create_app(
    desk: ReturnsDesk,
    secret_key: str,
    *,
    threads: int = DEFAULT_WEB_THREADS,
    chat_origins: str | None = None,
    webhooks: WebhookSettings | None = None,
    slack: SupplierSlackApp | None = None,
) -> FastAPI:
    """``chat_origins``: the sites that embed the chat widget (default: the setting);
    ``webhooks``: the carrier and Shopify webhook secrets (default: the settings');
    ``slack``: the suppliers' Slack app (default: the one the settings configure, if any)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(
        title="ReturnBridge",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    if not secret_key or secret_key == PUBLISHED_DEFAULT:
        raise ValueError("the web app needs this installation's own secret key to sign links")
    # Everything the module-level routers read per app (bot/web/deps.py), set once here.
    app.state.desk = desk
    app.state.webhooks = webhooks or WebhookSettings.from_settings(get_settings())
    access = WebAccess.from_settings(get_settings())
    origins = parse_origins(
        get_settings().chat_allowed_origins if chat_origins is None else chat_origins
    )
    # the widget on the store's own site calls /api/chat… from there: a preflight is
    # answered, and a site not allowed refused, before any route runs
    app.add_middleware(ChatCors, origins=origins, base_url=get_settings().base_url)
    app.add_middleware(WebGuard, access=access)  # client address, security headers
    install_request_limits(app)  # body size, JSON depth, NUL and out-of-range numbers
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = page_templates()
    app.state.templates = templates
    app.state.chat = CustomerChat(desk)  # the chat widget's conversations
    app.state.supplier_pages = SupplierPages.build(secret_key, access=access)
    app.state.onboarding_pages = OnboardingPages.build(secret_key, access=access)
    app.state.slack = slack if slack is not None else slack_from_settings(desk)
    # The case link's token carries the case code only (no e-mail, no name), signed and
    # dated: it stops opening the case after RETURNBRIDGE_CASE_LINK_DAYS.
    signer = URLSafeTimedSerializer(secret_key, salt="case-link")
    link_age = get_settings().case_link_days * 86400

    def token_for(view: CaseView, email: str) -> str:
        return signer.dumps(view.code)

    def case_from_token(code: str, token: str) -> str:
        try:
            case = signer.loads(token, max_age=link_age)
        except BadSignature:  # forged, altered or expired (SignatureExpired is one)
            raise CaseNotFound("That return link is not valid or has expired.") from None
        if not isinstance(case, str) or case != code.strip().upper():
            raise CaseNotFound("That return link is not valid or has expired.")
        return case

    def case_payload(view: CaseView, token: str) -> dict[str, Any]:
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

    @app.exception_handler(ReturnError)
    async def _friendly(_: Request, exc: ReturnError) -> JSONResponse:
        status = 404 if isinstance(exc, CaseNotFound | IdentityError) else 422
        if isinstance(exc, InvalidUpload):
            status = 413 if exc.too_large else 415
        if isinstance(exc, ServiceUnavailable):
            status = 503  # a carrier or payment service is down; the same request can be retried
        if isinstance(exc, TooManyAttempts):
            answer = error(429, exc.code, exc.message)
            answer.headers["Retry-After"] = str(exc.retry_after)
            return answer
        return error(status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'][1:]) or 'request'}: {problem['msg']}"
            for problem in exc.errors()
        )
        return error(422, "invalid_request", problems or "The request is not valid.")

    @app.exception_handler(DBAPIError)
    @app.exception_handler(sqlite3.Error)  # the case graph's SQLite checkpointer
    @app.exception_handler(psycopg.Error)  # ... and its PostgreSQL one
    @app.exception_handler(psycopg_pool.PoolTimeout)
    async def _database_trouble(_: Request, exc: Exception) -> JSONResponse:
        # Down, locked, read-only or full: the request can be sent again later. Anything
        # else from the database is a bug and stays a 500.
        if not is_database_trouble(exc):
            raise exc
        if lost_connection(exc):
            desk.engine.dispose()  # no stale connection is handed out once it is back
        response = error(
            503,
            "database_unavailable",
            "The returns desk cannot reach its database just now. "
            "Please try again in a few seconds.",
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    # /healthz runs on the event loop and checks the database on threads of its own: a full
    # request thread pool never stalls it.
    health_threads = anyio.CapacityLimiter(2)

    @app.get("/healthz", response_model=None)
    async def health() -> dict[str, str] | JSONResponse:
        problem = await anyio.to_thread.run_sync(
            check_database, desk.engine, limiter=health_threads
        )
        if problem is None:
            return {"status": "ok"}
        return JSONResponse(
            {"status": "unavailable", "database": problem},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.get("/returns", response_class=HTMLResponse)
    def returns_page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "returns.html",
            {
                "store_name": desk.store.policy.name,
                "window_days": desk.store.policy.return_window_days,
            },
        )

    @app.post("/api/returns/lookup")
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
                    "unit_price": Money(
                        minor=item.unit_price_minor, currency=currency
                    ).amount_str(),
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
                "reasons": [
                    {"code": r.value, "label": label} for r, label in REASON_LABELS.items()
                ],
                "resolutions": [
                    {"code": c, "label": label} for c, label in RESOLUTION_LABELS.items()
                ],
                "store_credit_bonus_percent": desk.store.policy.store_credit_bonus_percent,
            }

    @app.post("/api/returns/quote")
    def quote(body: QuoteRequest, desk: DeskDep) -> dict[str, Any]:
        return quote_payload(desk, body)

    @app.post("/api/returns", status_code=201, response_model=None)
    async def submit(request: Request, desk: DeskDep) -> dict[str, Any] | JSONResponse:
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
            return error(
                422, "invalid_form", describe_validation("form", exc).replace("form: ", "")
            )
        # The desk blocks (database, case graph, services): never on the event loop.
        return await run_in_threadpool(submit_in_thread, desk, return_request, photo)

    def submit_in_thread(
        desk: ReturnsDesk, return_request: ReturnRequest, photo: bytes | None
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
        return case_payload(view, token_for(view, return_request.contact))

    @app.get("/api/cases/{code}")
    def case_status(code: str, token: str, desk: DeskDep) -> dict[str, Any]:
        view = desk.case_view(case_from_token(code, token))
        return case_payload(view, token)

    @app.post("/api/cases/{code}/photos")
    async def upload_photo(
        code: str,
        token: str,
        desk: DeskDep,
        photo: Annotated[UploadFile, File()],
        description: Annotated[PlainText, Form(max_length=500)] = "",
    ) -> dict[str, Any]:
        data = await photo.read(MAX_BYTES + 1)
        return await run_in_threadpool(add_photo_in_thread, desk, code, token, data, description)

    def add_photo_in_thread(
        desk: ReturnsDesk, code: str, token: str, data: bytes, description: str
    ) -> dict[str, Any]:
        view = desk.add_photo(case_from_token(code, token), data, description=description)
        return case_payload(view, token)

    @app.get("/api/cases/{code}/label.pdf")
    def label(code: str, token: str, desk: DeskDep) -> Response:
        pdf = desk.label_pdf(case_from_token(code, token))
        if pdf is None:
            raise CaseNotFound("This return has no label yet.")
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{code}-label.pdf"'},
        )

    app.include_router(slack_app.router)  # suppliers in Slack: /slack/events
    app.include_router(supplier.router)  # /supplier/…
    app.include_router(onboarding.router)  # terms form
    app.include_router(chat.router)  # the chat widget: /, /widget.js, /api/chat/…
    app.include_router(codes.router)  # a one-time code lists a customer's orders
    app.include_router(owner_router(desk, secret_key, access=access))  # the owner console
    app.include_router(carrier.router)  # carrier tracking: /webhooks/easypost
    app.include_router(shippo.router)  # and /webhooks/shippo
    app.include_router(shopify.router)  # Shopify order webhooks: /webhooks/shopify
    return app
