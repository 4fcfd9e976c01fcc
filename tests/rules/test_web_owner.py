"""bot.web.owner: the owner console page, its access rules and its forms."""

from __future__ import annotations

import base64
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.web import owner
from bot.web.access import LOCAL_HOSTS, WebAccess
from bot.web.app import create_app
from bot.web.owner import OwnerDesk
from graph.desk import ReturnsDesk
from graph.rulebook import Rulebook
from tools.open_case import ReturnRequest

SECRET = "test-secret"
LOCAL = ("127.0.0.1", 50000)
# TestClient's requests name the host "testserver".
ACCESS = WebAccess(allowed_hosts=frozenset({"testserver", *LOCAL_HOSTS}))


def app_for(desk: ReturnsDesk, password: str | None) -> FastAPI:
    app = FastAPI()
    app.state.owner_desk = OwnerDesk.build(desk, SECRET, password=password, access=ACCESS)
    for owner_pages in owner.ROUTERS:
        app.include_router(owner_pages)
    return app


def basic(password: str, user: str = "owner") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def token_of(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def test_with_a_password_the_page_needs_it(desk: ReturnsDesk) -> None:
    client = TestClient(app_for(desk, "s3cret"))
    assert client.get("/owner").status_code == 401
    assert client.get("/owner").headers["www-authenticate"].startswith("Basic")
    assert client.get("/owner", headers=basic("wrong")).status_code == 401
    assert client.get("/owner", headers={"Authorization": "Basic !!!"}).status_code == 401
    page = client.get("/owner", headers=basic("s3cret"))
    assert page.status_code == 200 and "Owner console" in page.text


def test_without_a_password_only_this_machine_gets_in(desk: ReturnsDesk) -> None:
    app = app_for(desk, None)
    assert TestClient(app, client=LOCAL).get("/owner").status_code == 200
    assert TestClient(app, client=("::1", 1)).get("/owner").status_code == 200
    elsewhere = TestClient(app, client=("203.0.113.9", 1)).get("/owner")
    assert elsewhere.status_code == 403 and "RETURNBRIDGE_OWNER_PASSWORD" in elsewhere.text
    proxied = TestClient(app, client=LOCAL).get(
        "/owner", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert proxied.status_code == 403


def test_the_app_serves_the_owner_page_and_keeps_it_closed_to_strangers(
    desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import settings

    monkeypatch.delenv("RETURNBRIDGE_OWNER_PASSWORD", raising=False)
    settings.get_settings.cache_clear()
    try:
        app = create_app(desk, SECRET)
    finally:
        settings.get_settings.cache_clear()
    local = "http://127.0.0.1:8000"
    assert TestClient(app, local, client=("198.51.100.7", 1)).get("/owner").status_code == 403
    assert TestClient(app, local, client=LOCAL).get("/owner").status_code == 200


def test_a_rule_typed_on_the_page_is_drafted_then_confirmed(desk: ReturnsDesk) -> None:
    client = TestClient(app_for(desk, "pw"), headers=basic("pw"))
    token = token_of(client.get("/owner").text)
    page = client.post(
        "/owner/say", data={"token": token, "text": "Refund items under $30 without a return"}
    )
    assert page.status_code == 200
    assert "unit price is under 30.00 USD" in page.text and "Yes, switch it on" in page.text
    assert Rulebook(desk).active() == []
    confirmed = client.post("/owner/draft/confirm", data={"token": token_of(page.text)})
    assert "Rule 1 is on" in confirmed.text
    assert [rule.id for rule in Rulebook(desk).active()] == [1]
    retired = client.post("/owner/rules/1/retire", data={"token": token_of(confirmed.text)})
    assert "Rule 1 is retired" in retired.text and Rulebook(desk).active() == []


def test_a_post_without_a_valid_token_changes_nothing(desk: ReturnsDesk) -> None:
    client = TestClient(app_for(desk, "pw"), headers=basic("pw"))
    forged = client.post(
        "/owner/say", data={"token": "forged", "text": "Returns over $5 need my OK"}
    )
    assert forged.status_code == 403
    missing = client.post("/owner/say", data={"text": "Returns over $5 need my OK"})
    assert missing.status_code == 422
    assert Rulebook(desk).pending() is None


def test_cases_in_review_are_listed_and_decided_with_the_buttons(desk: ReturnsDesk) -> None:
    Rulebook(desk).add_active("Returns over $20 need my approval")
    request = ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")  # type: ignore[arg-type]
    code = desk.submit_return(request).code
    client = TestClient(app_for(desk, "pw"), headers=basic("pw"))
    page = client.get("/owner")
    assert code in page.text and f"/owner/cases/{code}/approve" in page.text
    denied = client.post(
        f"/owner/cases/{code}/deny", data={"token": token_of(page.text), "note": "worn twice"}
    )
    assert f"Denied return {code}" in denied.text
    assert desk.case_view(code).status == "denied"
    again = client.post(f"/owner/cases/{code}/approve", data={"token": token_of(denied.text)})
    assert "nothing to approve" in again.text or "cannot take" in again.text
    assert (
        client.post(
            f"/owner/cases/{code}/explode", data={"token": token_of(denied.text)}
        ).status_code
        == 404
    )


def test_an_empty_message_gets_a_hint(desk: ReturnsDesk) -> None:
    client = TestClient(app_for(desk, "pw"), headers=basic("pw"))
    page = client.post(
        "/owner/say", data={"token": token_of(client.get("/owner").text), "text": "  "}
    )
    assert page.status_code == 200 and "Type a rule" in page.text
