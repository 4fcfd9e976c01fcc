"""Settings from ``RETURNBRIDGE_*`` environment variables (and a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETURNBRIDGE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/returnbridge.db"
    store_dir: Path = Path("store")
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    # Signs links and form tokens. Unset: generated once per installation and kept in
    # <data_dir>/secret_key (bot/install_secret.py).
    secret_key: str | None = None
    # Where the generated secret key lives; unset: the SQLite file's folder, else var/.
    data_dir: Path | None = None
    smtp_url: str | None = None
    mail_from: str = "returns@example.com"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    worker_interval_seconds: float = 1.0
    # Threads of a web process that run the blocking work (routes, desk calls), and the
    # database connections of a process. Unset, the pool is sized from the threads: each
    # thread needs at most one connection at a time, plus the worker thread and one spare.
    web_threads: int = Field(default=16, ge=1, le=1000)
    # Chat turns one web process runs at once (each on a request thread); more wait in line.
    # Unset: by the database (``chat_turns``).
    chat_turns: int | None = Field(default=None, ge=1, le=1000)
    # The server's event loop and HTTP parser (uvicorn's names). "auto": uvloop and httptools,
    # installed with ReturnBridge, where the platform has them; asyncio and h11 otherwise.
    web_loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    web_http: Literal["auto", "h11", "httptools"] = "auto"
    db_pool_size: int | None = Field(default=None, ge=1)
    db_max_overflow: int | None = Field(default=None, ge=0)
    # The LLM backend is on when OPENAI_API_KEY is set (graph/llm.py reads these too).
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = 30.0
    llm_max_retries: int = 2
    # Slack (issue: suppliers in Slack). Unset tokens: the supplier inbox page stands in.
    slack_bot_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "RETURNBRIDGE_SLACK_BOT_TOKEN"),
    )
    slack_signing_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "RETURNBRIDGE_SLACK_SIGNING_SECRET"),
    )
    slack_app_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "RETURNBRIDGE_SLACK_APP_TOKEN"),
    )
    slack_owner_channel: str | None = None
    # The store's own Slack team id (T…): its members do not speak for suppliers in shared
    # channels. Unset: learned from auth.test at start.
    slack_team_id: str | None = None
    slack_api_url: str | None = None
    supplier_link_days: int = 30
    # Sites whose pages embed the chat widget from this server (comma-separated origins,
    # "https://shop.example"); their calls to /api/chat… are allowed (bot/web/cors.py).
    chat_allowed_origins: str = ""
    # Customer photos (tools/accept_photo.py): refused above this many megapixels before they
    # are decoded, and at most this many per case and per chat session.
    photo_max_megapixels: float = Field(default=40.0, gt=0)
    photos_per_case: int = Field(default=10, ge=1)
    photos_per_chat: int = Field(default=10, ge=1)
    # How long the customer's private link to a case (returns page, e-mail) opens it.
    case_link_days: int = Field(default=90, ge=1)
    # The owner console page (/owner): HTTP basic auth with this password; unset, the page
    # answers only requests from this machine (127.0.0.1 / ::1, not through a proxy).
    owner_password: str | None = None
    # Reverse proxies whose Forwarded / X-Forwarded-For / X-Real-IP headers are believed
    # (addresses or networks, comma-separated); unset: none, the TCP peer is the client.
    trusted_proxies: str = ""
    # Host names the owner page answers to (comma-separated); unset: the base URL's host,
    # localhost, 127.0.0.1 and ::1.
    allowed_hosts: str = ""
    # Real services (adapters/easypost_carrier.py, adapters/shopify_payments.py). "local" renders
    # labels here and records refunds in the journal only.
    carrier: Literal["local", "easypost", "shippo"] = "local"
    easypost_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("EASYPOST_API_KEY", "RETURNBRIDGE_EASYPOST_API_KEY"),
    )
    easypost_url: str | None = None
    easypost_webhook_secret: str | None = None
    easypost_service: str | None = None
    easypost_parcel_weight_oz: float = Field(default=16.0, gt=0)
    # Shippo (adapters/shippo_carrier.py), the other carrier behind the same port.
    shippo_api_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SHIPPO_API_TOKEN", "RETURNBRIDGE_SHIPPO_API_TOKEN"),
    )
    shippo_url: str | None = None
    shippo_service: str | None = None
    shippo_webhook_token: str | None = None
    payments: Literal["local", "shopify"] = "local"
    shopify_shop: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SHOPIFY_SHOP", "RETURNBRIDGE_SHOPIFY_SHOP"),
    )
    shopify_access_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SHOPIFY_ACCESS_TOKEN", "RETURNBRIDGE_SHOPIFY_ACCESS_TOKEN"),
    )
    shopify_api_version: str = "2026-10"
    shopify_url: str | None = None
    shopify_transit_days: int = Field(default=0, ge=0)
    # The app's client secret (API secret key): Shopify signs its webhooks with it. Unset: every
    # Shopify webhook is refused.
    shopify_webhook_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "SHOPIFY_API_SECRET", "SHOPIFY_CLIENT_SECRET", "RETURNBRIDGE_SHOPIFY_WEBHOOK_SECRET"
        ),
    )
    # A webhook triggered longer ago than this is refused (Shopify retries for a few hours).
    shopify_webhook_max_age_hours: int = Field(default=6, ge=1)
    # The location refunded units are restocked at (policy restock_returns); unset: Shopify's
    # default for the order.
    shopify_location_id: str | None = None
    # Text messages (one-time codes for orders without e-mail, tools/sms.py): "local" keeps
    # them in the outbox (and appends them to sms_file when set), "package.module:factory"
    # plugs in a provider.
    sms_sender: str = "local"
    sms_file: Path | None = None
    # How long a supplier's onboarding link opens its terms form.
    onboarding_link_days: int = Field(default=14, ge=1)


def pool_sizes(settings: Settings) -> tuple[int, int]:
    """``(pool_size, max_overflow)`` of the database pool for these settings."""
    size = settings.db_pool_size or settings.web_threads + 2
    overflow = settings.db_max_overflow if settings.db_max_overflow is not None else 2
    return size, overflow


# Chat turns a web process runs at once when the setting is unset, by database. On SQLite a
# turn is CPU-bound Python under the file's one write lock: more at once only take the
# interpreter and the lock from each other. On PostgreSQL a turn spends much of its time
# waiting for the server's answers (40-odd round trips for the turn that opens a case), time
# other turns can use: 200 paced sessions on two web processes measured p99 1.2-3.7 s with 2
# at once, 0.34-0.57 s with 4 to 8.
CHAT_TURNS_SQLITE = 2
CHAT_TURNS_POSTGRESQL = 6


def chat_turns(settings: Settings) -> int:
    """Chat turns one web process runs at once: the setting, else the database's default,
    never more than the request threads."""
    wanted = settings.chat_turns
    if wanted is None:
        sqlite = settings.database_url.startswith("sqlite")
        wanted = CHAT_TURNS_SQLITE if sqlite else CHAT_TURNS_POSTGRESQL
    return min(wanted, settings.web_threads)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
