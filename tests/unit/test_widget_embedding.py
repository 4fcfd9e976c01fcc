"""The chat widget on the store's own site: CORS for the chat API only for the configured
origins (never ``*``, never credentials), and the store's colour in ``/widget.js``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from bot.web.app import create_app
from bot.web.cors import BadOrigin, parse_origins
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.chat_models import ChatSessionRow
from policies.loader import store_from_data
from policies.models import StorePolicy

SHOP = "https://shop.example"
NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    store = store_from_data({"brand_colour": "#0B6E4F"}, [{"id": "acme"}])
    returns_desk = ReturnsDesk(f"sqlite:///{tmp_path}/c.db", store, FrozenClock(NOW))
    yield returns_desk
    returns_desk.close()


@pytest.fixture
def client(desk: ReturnsDesk) -> TestClient:
    app = create_app(desk, "secret", chat_origins=f"{SHOP}, http://localhost:3000/")
    return TestClient(app, base_url="http://returns.example")


def sessions(desk: ReturnsDesk) -> int:
    with desk.session() as session:
        return session.query(ChatSessionRow).count()


def test_an_allowed_site_is_answered_by_name_without_credentials(client: TestClient) -> None:
    preflight = client.options(
        "/api/chat/sessions",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers

    started = client.post("/api/chat/sessions", headers={"Origin": SHOP})
    assert started.status_code == 201
    assert started.headers["access-control-allow-origin"] == SHOP
    assert "Origin" in started.headers["vary"]
    assert "access-control-allow-credentials" not in started.headers
    local = client.post("/api/chat/sessions", headers={"Origin": "http://localhost:3000"})
    assert local.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_another_site_is_refused_and_nothing_is_opened(
    client: TestClient, desk: ReturnsDesk
) -> None:
    before = sessions(desk)
    for origin in ("https://evil.example", "null", "https://shop.example.evil.example"):
        response = client.post("/api/chat/sessions", headers={"Origin": origin})
        assert response.status_code == 403, origin
        assert response.json()["error"]["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in response.headers
        preflight = client.options(
            "/api/chat/sessions",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers
    assert sessions(desk) == before


def test_the_servers_own_pages_and_other_paths_are_left_alone(client: TestClient) -> None:
    own = client.post("/api/chat/sessions", headers={"Origin": "http://returns.example"})
    assert own.status_code == 201
    assert "access-control-allow-origin" not in own.headers
    lookup = client.post(
        "/api/returns/lookup",
        json={"order": "1", "email": "a@example.com"},
        headers={"Origin": SHOP},
    )
    assert "access-control-allow-origin" not in lookup.headers


def test_without_the_setting_no_site_may_call_the_chat(desk: ReturnsDesk) -> None:
    client = TestClient(create_app(desk, "secret", chat_origins=""))
    assert client.post("/api/chat/sessions", headers={"Origin": SHOP}).status_code == 403
    assert client.post("/api/chat/sessions").status_code == 201  # no Origin: not a browser page


@pytest.mark.parametrize(
    "setting", ["*", "https://*.example", "shop.example", "https://shop.example/chat", "ftp://x"]
)
def test_a_wildcard_or_a_malformed_origin_is_refused_at_start(setting: str) -> None:
    with pytest.raises(BadOrigin):
        parse_origins(setting)


def test_the_widget_carries_the_stores_colour(client: TestClient) -> None:
    script = client.get("/widget.js").text
    assert 'var STORE_COLOUR = "#0b6e4f";' in script
    assert "/*RB_BRAND*/" not in script


@pytest.mark.parametrize(
    "colour", ["red", "#12345", "#0b6e4f; background: url(x)", "expression(alert(1))", "#ggg"]
)
def test_only_a_hex_colour_is_a_brand_colour(colour: str) -> None:
    with pytest.raises(ValidationError):
        StorePolicy(brand_colour=colour)
