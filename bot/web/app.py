"""The web app: the customer's returns page and its JSON API."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError

from bot.db_health import RETRY_AFTER_SECONDS, check_database, is_database_trouble, lost_connection
from bot.install_secret import PUBLISHED_DEFAULT
from bot.settings import get_settings
from bot.slack import app as slack_app
from bot.slack.app import SupplierSlackApp, slack_from_settings
from bot.web import carrier, chat, codes, onboarding, owner, returns, shippo, shopify, supplier
from bot.web.access import WebAccess, WebGuard
from bot.web.cors import ChatCors, parse_origins
from bot.web.deps import WebhookSettings, page_templates
from bot.web.onboarding import OnboardingPages
from bot.web.owner import OwnerDesk
from bot.web.request_limits import install_request_limits
from bot.web.returns import CaseLinks, error
from bot.web.supplier import SupplierPages
from graph.chat_graph import CustomerChat
from graph.desk import ReturnsDesk
from tools.errors import CaseNotFound, IdentityError, InvalidUpload, ReturnError
from tools.guess_throttle import TooManyAttempts
from tools.service_errors import ServiceUnavailable

HERE = Path(__file__).parent
log = logging.getLogger("returnbridge.web")
# Threads that run the blocking routes (every plain ``def`` route and each desk call of an
# ``async`` route). The database pool is sized from the same figure (bot/composition.py), so a
# thread never waits for a connection another thread holds.
DEFAULT_WEB_THREADS = 16
# Chat turns one web process runs at once (bot/web/chat.py): the rest wait their turn.
DEFAULT_CHAT_TURNS = 2

# How long a request thread may keep the interpreter before another waiting one gets it
# (Python's default is 5 ms). A thread that holds SQLite's write lock lets go of the
# interpreter on every statement and then waits to get it back while the other request
# threads run Python: at 5 ms a turn, every write held the lock many times longer than its
# work, and the threads queued behind it. Under paced load the median answer fell from
# seconds to a few hundred milliseconds with 1 ms.
SERVER_SWITCH_INTERVAL_SECONDS = 0.001


def server_loop_and_parser(loop: str = "auto", http: str = "auto") -> tuple[str, str]:
    """uvicorn's event loop and HTTP parser for these settings, "auto" resolved the way
    uvicorn resolves it: uvloop and httptools when installed (their C code parses requests
    and runs the loop at a fraction of the interpreter time of asyncio and h11, time the
    request threads get back), asyncio and h11 otherwise."""
    if loop == "auto":
        fast = sys.platform != "win32" and importlib.util.find_spec("uvloop") is not None
        loop = "uvloop" if fast else "asyncio"
    if http == "auto":
        http = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    return loop, http


def tune_interpreter() -> None:
    """Set up the interpreter of a server process (``returnbridge serve``)."""
    sys.setswitchinterval(SERVER_SWITCH_INTERVAL_SECONDS)


def create_app(
    desk: ReturnsDesk,
    secret_key: str,
    *,
    threads: int = DEFAULT_WEB_THREADS,
    chat_turns: int = DEFAULT_CHAT_TURNS,
    chat_origins: str | None = None,
    webhooks: WebhookSettings | None = None,
    slack: SupplierSlackApp | None = None,
) -> FastAPI:
    """``chat_turns``: chat turns run at once (at most ``threads``);
    ``chat_origins``: the sites that embed the chat widget (default: the setting);
    ``webhooks``: the carrier and Shopify webhook secrets (default: the settings');
    ``slack``: the suppliers' Slack app (default: the one the settings configure, if any)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        loop = type(asyncio.get_running_loop())
        log.info("event loop: %s.%s", loop.__module__, loop.__qualname__)
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
    app.state.templates = page_templates()
    app.state.case_links = CaseLinks(secret_key, get_settings().case_link_days)
    app.state.chat = CustomerChat(desk)  # the chat widget's conversations
    app.state.chat_turns = anyio.CapacityLimiter(min(chat_turns, threads))
    app.state.supplier_pages = SupplierPages.build(secret_key, access=access)
    app.state.onboarding_pages = OnboardingPages.build(secret_key, access=access)
    app.state.owner_desk = OwnerDesk.build(desk, secret_key, access=access)
    app.state.slack = slack if slack is not None else slack_from_settings(desk)

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

    app.include_router(returns.router)  # the returns page and its API: /returns, /api/…
    app.include_router(slack_app.router)  # suppliers in Slack: /slack/events
    app.include_router(supplier.router)  # /supplier/…
    app.include_router(onboarding.router)  # terms form
    app.include_router(chat.router)  # the chat widget: /, /widget.js, /api/chat/…
    app.include_router(codes.router)  # a one-time code lists a customer's orders
    for owner_pages in owner.ROUTERS:  # the owner console: /owner/…
        app.include_router(owner_pages)
    app.include_router(carrier.router)  # carrier tracking: /webhooks/easypost
    app.include_router(shippo.router)  # and /webhooks/shippo
    app.include_router(shopify.router)  # Shopify order webhooks: /webhooks/shopify
    return app
