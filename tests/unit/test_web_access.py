"""Cross-site forms, the owner page's host names and proxies, lock-out, security headers."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import Headers

from bot import settings
from bot.web import owner
from bot.web.access import LOCAL_HOSTS, WebAccess, parse_networks
from bot.web.app import create_app
from bot.web.owner import OwnerDesk
from bot.web.supplier import InboxLinks
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.rulebook import Rulebook
from tools.open_case import ReturnRequest

SECRET = "access-secret"
LOCAL = ("127.0.0.1", 50000)
ACCESS = WebAccess(allowed_hosts=frozenset({"testserver", *LOCAL_HOSTS}))
RULE = {"text": "Returns over $5 need my OK"}


def _owner_app(desk: ReturnsDesk, password: str | None, access: WebAccess = ACCESS) -> FastAPI:
    app = FastAPI()
    app.state.owner_desk = OwnerDesk.build(desk, SECRET, password=password, access=access)
    for owner_pages in owner.ROUTERS:
        app.include_router(owner_pages)
    return app


def _basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"owner:{password}".encode()).decode()}


def _token(html: str, name: str = "token") -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


# -- cross-site forms --


def test_owner_forms_hold_against_another_site(desk: ReturnsDesk) -> None:
    owner = TestClient(_owner_app(desk, "pw"), headers=_basic("pw"))
    token = _token(owner.get("/owner").text)
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://shop.evil.example"}):
        refused = owner.post("/owner/say", data={"token": token, **RULE}, headers=headers)
        assert refused.status_code == 403 and "another site" in refused.text
    # a token taken from another browser (its own cookie) does not go with this one
    other = TestClient(_owner_app(desk, "pw"), headers=_basic("pw"))
    stolen = _token(other.get("/owner").text)
    assert owner.post("/owner/say", data={"token": stolen, **RULE}).status_code == 403
    without_cookie = TestClient(_owner_app(desk, "pw"), headers=_basic("pw"))
    assert without_cookie.post("/owner/say", data={"token": token, **RULE}).status_code == 403
    assert Rulebook(desk).pending() is None

    same_site = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    page = owner.post("/owner/say", data={"token": token, **RULE}, headers=same_site)
    assert page.status_code == 200 and Rulebook(desk).pending() is not None


def test_supplier_forms_need_the_pages_token(desk: ReturnsDesk) -> None:
    request = ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="wrong_size")  # type: ignore[arg-type]
    code = desk.submit_return(request).code
    assert desk.case_view(code).status == "awaiting_supplier"
    app = FastAPI()
    from bot.web import supplier
    from bot.web.deps import page_templates

    app.state.desk, app.state.templates = desk, page_templates()
    app.state.supplier_pages = supplier.SupplierPages.build(
        SECRET,
        reader=lambda *_: None,
        access=ACCESS,  # type: ignore[arg-type]
    )
    app.include_router(supplier.router)
    link = f"/supplier/{InboxLinks(SECRET).token('acme')}"
    supplier = TestClient(app)
    form = {"action": "decline", "note": "worn", "nonce": "n-12345678"}
    forged = supplier.post(f"{link}/cases/{code}", data=form, follow_redirects=False)
    assert forged.status_code == 403
    assert desk.case_view(code).status == "awaiting_supplier"
    csrf = _token(supplier.get(link).text, "csrf")
    cross = supplier.post(
        f"{link}/cases/{code}",
        data={**form, "csrf": csrf},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert cross.status_code == 403 and desk.case_view(code).status == "awaiting_supplier"
    done = supplier.post(
        f"{link}/cases/{code}", data={**form, "csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and desk.case_view(code).status == "pending_review"


def test_a_form_posted_from_a_page_without_referrer_is_taken(desk: ReturnsDesk) -> None:
    """Our pages send no referrer, so a browser posts their forms with "Origin: null" and
    vouches for them with Sec-Fetch-Site; a null origin alone proves nothing."""
    owner = TestClient(_owner_app(desk, "pw"), headers=_basic("pw"))
    token = _token(owner.get("/owner").text)
    for site in ("cross-site", "same-site", None):
        headers = {"Origin": "null"} | ({"Sec-Fetch-Site": site} if site else {})
        refused = owner.post("/owner/say", data={"token": token, **RULE}, headers=headers)
        assert refused.status_code == 403, site
    assert Rulebook(desk).pending() is None
    browser = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    page = owner.post("/owner/say", data={"token": token, **RULE}, headers=browser)
    assert page.status_code == 200 and Rulebook(desk).pending() is not None


# -- the owner page without a password: this machine only --


def test_forwarding_headers_from_an_untrusted_peer_keep_the_page_closed(desk: ReturnsDesk) -> None:
    local = TestClient(_owner_app(desk, None), client=LOCAL)
    assert local.get("/owner").status_code == 200
    for header in (
        {"X-Forwarded-For": "203.0.113.9"},
        {"X-Real-IP": "203.0.113.9"},
        {"Forwarded": "for=203.0.113.9;proto=https"},
    ):
        assert local.get("/owner", headers=header).status_code == 403, header


def test_a_trusted_proxy_says_who_the_client_is(desk: ReturnsDesk) -> None:
    behind = WebAccess(
        trusted_proxies=parse_networks("127.0.0.1, 10.0.0.0/8"), allowed_hosts=ACCESS.allowed_hosts
    )
    proxy = TestClient(_owner_app(desk, None, behind), client=LOCAL)
    assert proxy.get("/owner", headers={"X-Real-IP": "127.0.0.1"}).status_code == 200
    assert proxy.get("/owner", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    # a remote client pretending to be local: the proxy appends the real address
    spoofed = {"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}
    assert proxy.get("/owner", headers=spoofed).status_code == 403
    assert proxy.get("/owner", headers={"Forwarded": 'for="[::1]:5000"'}).status_code == 200


def test_the_owner_page_answers_only_its_host_names(
    desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RETURNBRIDGE_OWNER_PASSWORD", raising=False)
    monkeypatch.setenv("RETURNBRIDGE_BASE_URL", "https://returns.example.com")
    settings.get_settings.cache_clear()
    try:
        app = create_app(desk, SECRET)
    finally:
        settings.get_settings.cache_clear()
    for base in ("http://localhost:8000", "http://127.0.0.1:8000", "https://returns.example.com"):
        assert TestClient(app, base, client=LOCAL).get("/owner").status_code == 200, base
    rebound = TestClient(app, "http://attacker.example:8000", client=LOCAL).get("/owner")
    assert rebound.status_code == 400 and "RETURNBRIDGE_ALLOWED_HOSTS" in rebound.text


def test_client_addresses_from_the_forwarding_headers() -> None:
    access = WebAccess(trusted_proxies=parse_networks("10.0.0.2"))
    chain = Headers({"forwarded": 'for=192.0.2.60;proto=http, for="[2001:db8::17]:4711"'})
    assert access.client_address("10.0.0.2", chain) == "2001:db8::17"
    assert access.client_address("192.0.2.1", chain) == "192.0.2.1"  # not a trusted proxy
    assert access.client_address("10.0.0.2", Headers({"x-real-ip": "198.51.100.4"})) == (
        "198.51.100.4"
    )
    both = Headers({"x-forwarded-for": "198.51.100.4, 10.0.0.2"})
    assert access.client_address("10.0.0.2", both) == "198.51.100.4"


def test_two_apps_serve_the_one_owner_router_each_with_its_own_owner_desk(
    desk: ReturnsDesk,
) -> None:
    """The owner routers are defined once; the password and the form secret are each app's."""
    first = TestClient(_owner_app(desk, "first-pw"))
    second_app = FastAPI()
    second_app.state.owner_desk = OwnerDesk.build(desk, "other-secret", "second-pw", access=ACCESS)
    for owner_pages in owner.ROUTERS:
        second_app.include_router(owner_pages)
    second = TestClient(second_app)
    assert first.get("/owner", headers=_basic("first-pw")).status_code == 200
    assert first.get("/owner", headers=_basic("second-pw")).status_code == 401
    assert second.get("/owner", headers=_basic("first-pw")).status_code == 401
    page = second.get("/owner/rules", headers=_basic("second-pw"))
    assert page.status_code == 200
    # the same browser cookie with a token signed by the first app's secret is refused
    forged = _token(first.get("/owner", headers=_basic("first-pw")).text)
    refused = second.post("/owner/say", data={"token": forged, **RULE}, headers=_basic("second-pw"))
    assert refused.status_code == 403 and Rulebook(desk).pending() is None
    taken = second.post(
        "/owner/say", data={"token": _token(page.text), **RULE}, headers=_basic("second-pw")
    )
    assert taken.status_code == 200 and Rulebook(desk).pending() is not None


# -- lock-out and headers --


def test_wrong_owner_passwords_lock_the_address_out(desk: ReturnsDesk, clock: FrozenClock) -> None:
    app = _owner_app(desk, "pw")
    guesser = TestClient(app, client=("198.51.100.7", 1))
    assert guesser.get("/owner").status_code == 401  # the browser asking is no guess
    for n in range(10):
        assert guesser.get("/owner", headers=_basic(f"guess-{n}")).status_code == 401
    locked = guesser.get("/owner", headers=_basic("pw"))
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 900
    assert (
        TestClient(app, client=("203.0.113.5", 1)).get("/owner", headers=_basic("pw")).status_code
        == 200
    )
    clock.advance(dt.timedelta(minutes=16))
    assert guesser.get("/owner", headers=_basic("pw")).status_code == 200


def test_every_page_sends_the_security_headers(
    desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RETURNBRIDGE_OWNER_PASSWORD", raising=False)
    settings.get_settings.cache_clear()
    try:
        web = TestClient(create_app(desk, SECRET), "http://127.0.0.1:8000", client=LOCAL)
    finally:
        settings.get_settings.cache_clear()
    for path in ("/", "/returns", "/owner", "/supplier/nothing", "/widget.js", "/healthz"):
        answer = web.get(path)
        policy = answer.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
        assert answer.headers.get("x-frame-options") == "DENY", path
        assert answer.headers.get("x-content-type-options") == "nosniff", path
    assert web.get("/widget.js").headers["content-type"].startswith("application/javascript")


def test_a_no_referrer_page_posting_its_own_form_is_let_in(desk: ReturnsDesk) -> None:
    # the owner page says "no-referrer", so a browser sends "Origin: null" with its forms;
    # only the browser's own Sec-Fetch-Site may vouch for such a post
    owner = TestClient(_owner_app(desk, "pw"), headers=_basic("pw"))
    token = _token(owner.get("/owner").text)
    for headers in ({"Origin": "null"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"}):
        refused = owner.post("/owner/say", data={"token": token, **RULE}, headers=headers)
        assert refused.status_code == 403 and "another site" in refused.text
    assert Rulebook(desk).pending() is None
    own = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    page = owner.post("/owner/say", data={"token": token, **RULE}, headers=own)
    assert page.status_code == 200 and Rulebook(desk).pending() is not None
