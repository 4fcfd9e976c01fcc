"""What the web routes get from their app: each router is defined once at module level, and
its handlers read the desk and this installation's settings from ``app.state`` through these
dependencies. ``create_app`` (bot/web/app.py) sets them once; a test app sets them itself."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from adapters.easypost_carrier import key_mode
from adapters.shippo_carrier import token_mode
from bot.settings import Settings, get_settings
from graph.chat_graph import CustomerChat
from graph.desk import ReturnsDesk


@dataclass(frozen=True)
class WebhookSettings:
    """The shared secrets and modes the carrier and Shopify webhooks check. An empty secret
    refuses every event of its webhook (403); an empty mode accepts events of any mode."""

    easypost_secret: str = ""
    easypost_mode: str = ""
    shippo_token: str = ""
    shippo_mode: str = ""
    shopify_secret: str = ""
    shopify_max_age_hours: int = 6
    shopify_transit_days: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookSettings:
        return cls(
            easypost_secret=settings.easypost_webhook_secret or "",
            easypost_mode=key_mode(settings.easypost_api_key) or "",
            shippo_token=settings.shippo_webhook_token or "",
            shippo_mode=token_mode(settings.shippo_api_token) or "",
            shopify_secret=settings.shopify_webhook_secret or "",
            shopify_max_age_hours=settings.shopify_webhook_max_age_hours,
            shopify_transit_days=settings.shopify_transit_days,
        )


def webhook_settings(**changes: Any) -> WebhookSettings:
    """The settings' webhook secrets with ``changes`` (a test's own secret, say)."""
    return replace(WebhookSettings.from_settings(get_settings()), **changes)


def page_templates() -> Jinja2Templates:
    """The pages' Jinja templates (bot/web/templates)."""
    return Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def get_desk(request: Request) -> ReturnsDesk:
    desk: ReturnsDesk = request.app.state.desk
    return desk


def get_webhooks(request: Request) -> WebhookSettings:
    webhooks: WebhookSettings = request.app.state.webhooks
    return webhooks


def get_chat(request: Request) -> CustomerChat:
    chat: CustomerChat = request.app.state.chat
    return chat


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


DeskDep = Annotated[ReturnsDesk, Depends(get_desk)]
WebhooksDep = Annotated[WebhookSettings, Depends(get_webhooks)]
ChatDep = Annotated[CustomerChat, Depends(get_chat)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
