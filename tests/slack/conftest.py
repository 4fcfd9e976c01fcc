"""A desk with Slack suppliers, the local Slack Web API over HTTP, and the app pointed at it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from slack_sdk import WebClient
from sqlalchemy import select

from bot.slack import app as slack_app
from bot.slack.app import SupplierSlackApp
from bot.slack.local import InlineExecutor
from bot.slack.outbox import http_upload
from bot.slack.payloads import SignedRequest, SlackRequests
from bot.web.app import create_app
from bot.web.supplier import InboxLinks
from bot.worker import deliver_outbox
from graph.clock import FrozenClock
from graph.desk import CaseView, ReturnsDesk
from ledger.models import DecisionRow
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tests.slack.slack_api_server import SlackAPIServer
from tools.accept_photo import sample_jpeg
from tools.open_case import ReturnRequest

SECRET = "test-signing-secret"
INBOX_SECRET = "inbox-secret"  # signs supplier inbox links in the tests without Slack
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
SUPPLIERS: list[dict[str, Any]] = [
    {
        "id": "acme",
        "name": "Acme Home Goods",
        "role": "logistical",
        "country": "US",
        "return_address": "Acme Returns, 10 Main St, Fresno, CA 93650, US",
        "rma_required": True,
        "slack_channel": "C0ACME",
    },
    {
        "id": "trailhead",
        "name": "Trailhead Outfitters",
        "role": "logistical",
        "country": "US",
        "slack_channel": "C0TRAIL",
    },
]
ORDERS: list[dict[str, Any]] = [
    {
        "number": "3001",
        "email": "ana@example.com",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [
            {"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"},
            {"sku": "TENT-2", "name": "Tent", "price": "120.00", "supplier": "trailhead"},
        ],
    }
]


@dataclass
class SlackWorld:
    desk: ReturnsDesk
    server: SlackAPIServer
    slack: SupplierSlackApp
    http: TestClient
    requests: SlackRequests
    clock: FrozenClock

    def post(self, request: SignedRequest) -> Any:
        return self.http.post(
            "/slack/events", content=request.body.encode(), headers=request.headers
        )

    def deliver(self) -> int:
        return deliver_outbox(self.desk, slack=self.slack.outbox)

    def open_mug_case(self, note: str = "") -> CaseView:
        view = self.desk.submit_return(
            ReturnRequest(
                order="3001", email="ana@example.com", sku="MUG-1", reason="damaged", note=note
            ),
            photo=sample_jpeg("cracked mug"),
        )
        self.deliver()
        return view

    def root_ts(self, channel: str = "C0ACME") -> str:
        return self.server.api.top_level(channel)[-1].ts

    def actions(self, code: str) -> list[str]:
        with self.desk.session() as session:
            return list(
                session.execute(
                    select(DecisionRow.action)
                    .where(DecisionRow.case_code == code)
                    .order_by(DecisionRow.seq)
                ).scalars()
            )


@pytest.fixture
def slack_world(database_url: str) -> Iterator[SlackWorld]:
    store = store_from_data({}, SUPPLIERS, "test")
    clock = FrozenClock(NOW)
    desk = ReturnsDesk(database_url, store, clock)
    with desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "test", store), "USD")
    with SlackAPIServer() as server:
        slack = SupplierSlackApp(
            desk,
            token="xoxb-test",
            signing_secret=SECRET,
            client=WebClient(token="xoxb-test", base_url=server.base_url),
            owner_channel="C0OWNER",
            uploader=http_upload,
            listener_executor=InlineExecutor(),  # each request's work is done when it returns
        )
        app = FastAPI()
        app.state.slack = slack
        app.include_router(slack_app.router)
        with TestClient(app) as http:
            yield SlackWorld(desk, server, slack, http, SlackRequests(SECRET), clock)
    desk.close()


@pytest.fixture
def inbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ReturnsDesk, TestClient]]:
    """The real web app with Slack off: suppliers answer on their inbox page."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    store = store_from_data({}, SUPPLIERS, "test")
    desk = ReturnsDesk(f"sqlite:///{tmp_path / 'inbox.db'}", store, FrozenClock(NOW))
    with desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "test", store), "USD")
    with TestClient(create_app(desk, INBOX_SECRET)) as client:
        yield desk, client
    desk.close()


def inbox_page(client: TestClient, supplier: str) -> str:
    """The supplier's inbox page, through its own signed link."""
    response = client.get(f"/supplier/{InboxLinks(INBOX_SECRET).token(supplier)}")
    assert response.status_code == 200
    return response.text
