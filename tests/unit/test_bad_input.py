"""Bad input at the edge: NUL characters, broken text, deep JSON, huge numbers and huge bodies
get a 4xx with a sentence on both engines, never a 500 or a traceback, and change nothing."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from bot.web.request_limits import MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_UPLOAD_BYTES
from bot.web.supplier import InboxLinks
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import count_cases, import_orders
from policies.loader import orders_from_data
from tests.conftest import ENGINES, NOW, ORDERS, make_store
from tools.accept_photo import sample_jpeg

SECRET = "test-secret"
MUG = {"order": "1001", "email": "ana@example.com", "sku": "MUG-1", "reason": "changed_mind"}


@pytest.fixture(scope="module", params=ENGINES)
def desk(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    database_factory: Callable[[str, Path], contextlib.AbstractContextManager[str]],
) -> Iterator[ReturnsDesk]:
    """One desk per engine for the whole file: every request here is refused and changes
    nothing (each test checks), so the tests share it and the database is made once."""
    with database_factory(request.param, tmp_path_factory.mktemp("bad-input")) as url:
        store = make_store({"return_label_cost": "7.50"})
        shared = ReturnsDesk(url, store, FrozenClock(NOW))
        with shared.session() as session:
            import_orders(session, orders_from_data(ORDERS, "test", store), "USD")
        yield shared
        shared.close()


@pytest.fixture
def web(desk: ReturnsDesk) -> Iterator[TestClient]:
    # From this machine, so the owner page answers; server errors come back as 500s here.
    with TestClient(
        create_app(desk, SECRET),
        "http://127.0.0.1:8000",  # a host name the owner page answers to
        raise_server_exceptions=False,
        client=("127.0.0.1", 5000),
    ) as client:
        yield client


def refused(response: object, status: int, *words: str) -> str:
    """The response is a ``status`` refusal that says ``words``; returns its message."""
    assert getattr(response, "status_code", None) == status, getattr(response, "text", "")
    text = str(getattr(response, "text", ""))
    assert "Traceback" not in text and "Internal Server Error" not in text
    try:
        message = str(response.json()["error"]["message"])  # type: ignore[attr-defined]
    except ValueError:
        message = text  # an HTML page for a browser's form
    for word in words:
        assert word in message, message
    return message


def cases(desk: ReturnsDesk) -> int:
    with desk.session() as session:
        return count_cases(session)


def chat(web: TestClient) -> str:
    return str(web.post("/api/chat/sessions").json()["session"])


# -- NUL and broken text ---------------------------------------------------------------------


def test_nul_in_the_lookup_is_refused(web: TestClient) -> None:
    response = web.post("/api/returns/lookup", json={"order": "1001\x00", "email": "a@b.co"})
    refused(response, 422, "NUL", "order")


def test_nul_in_a_return_note_is_refused_as_json_and_as_a_form(
    web: TestClient, desk: ReturnsDesk
) -> None:
    as_json = web.post("/api/returns", json={**MUG, "note": "broken\x00handle"})
    refused(as_json, 422, "NUL", "note")
    as_form = web.post(
        "/api/returns",
        data={**MUG, "note": "broken\x00handle"},
        files={"photo": ("mug.jpg", sample_jpeg(), "image/jpeg")},
    )
    refused(as_form, 422, "NUL", "note")
    assert cases(desk) == 0


def test_a_lone_surrogate_is_refused(web: TestClient) -> None:
    body = b'{"order": "1001", "email": "ana@example.com", "sku": "MUG-1", '
    body += b'"reason": "damaged", "note": "\\ud800"}'
    response = web.post("/api/returns", content=body, headers={"content-type": "application/json"})
    refused(response, 422, "surrogate", "note")


@pytest.mark.parametrize("field", ["text", "choice"])
def test_nul_in_a_chat_message_is_refused(web: TestClient, field: str) -> None:
    session = chat(web)
    response = web.post(f"/api/chat/sessions/{session}/messages", json={field: "1001\x00 hi"})
    refused(response, 422, "NUL", field)
    fine = web.post(f"/api/chat/sessions/{session}/messages", json={"text": "hello"})
    assert fine.status_code == 200


def test_nul_in_a_photo_description_is_refused(web: TestClient) -> None:
    session = chat(web)
    response = web.post(
        f"/api/chat/sessions/{session}/photos",
        data={"description": "crack\x00"},
        files={"photo": ("crack.jpg", sample_jpeg(), "image/jpeg")},
    )
    refused(response, 422, "NUL")


def test_nul_in_the_address_is_refused(web: TestClient, desk: ReturnsDesk) -> None:
    refused(web.get("/api/cases/RB-000001?token=abc%00def"), 400, "NUL")
    refused(web.get("/api/cases/RB%00000001?token=abc"), 400, "NUL")
    session = chat(web)
    refused(web.get(f"/api/chat/sessions/{session}%00/messages"), 400, "NUL")


def test_nul_in_the_owner_form_is_refused(web: TestClient, desk: ReturnsDesk) -> None:
    page = web.get("/owner")
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    response = web.post(
        "/owner/say",
        data={"token": token.group(1), "text": "approve 10\x0001"},
        headers={"accept": "text/html"},
    )
    message = refused(response, 422, "NUL")
    assert message.startswith("<!doctype html>")  # a page for the browser, not JSON


def test_nul_in_the_supplier_form_is_refused(web: TestClient, desk: ReturnsDesk) -> None:
    token = InboxLinks(SECRET).token("acme")
    response = web.post(
        f"/supplier/{token}/cases/RB-000001",
        data={"action": "question", "nonce": "n" * 16, "text": "when\x00?"},
    )
    refused(response, 422, "NUL")


# -- numbers ---------------------------------------------------------------------------------


def test_a_number_past_64_bits_is_refused_in_json(web: TestClient, desk: ReturnsDesk) -> None:
    body = (
        b'{"order": "1001", "email": "ana@example.com", "sku": "MUG-1", '
        b'"reason": "damaged", "quantity": 99999999999999999999999}'
    )
    response = web.post("/api/returns", content=body, headers={"content-type": "application/json"})
    refused(response, 422, "out of range")
    session = chat(web)
    response = web.post(
        f"/api/chat/sessions/{session}/messages",
        content=b'{"choice": 1e999999, "text": 184467440737095516160}',
        headers={"content-type": "application/json"},
    )
    refused(response, 422, "out of range")
    assert cases(desk) == 0


def test_nan_and_infinity_are_refused(web: TestClient) -> None:
    response = web.post(
        "/api/returns",
        content=b'{"order": "1001", "quantity": NaN}',
        headers={"content-type": "application/json"},
    )
    refused(response, 422, "NaN")


def test_a_number_past_64_bits_in_the_address_is_refused(web: TestClient) -> None:
    session = chat(web)
    huge = "99999999999999999999"
    refused(web.get(f"/api/chat/sessions/{session}/messages?after={huge}"), 422, "out of range")
    page = web.get("/owner")
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    response = web.post(f"/owner/rules/{huge}/retire", data={"token": token.group(1)})
    refused(response, 422, "out of range")
    # Past a 32-bit id column but within 64 bits: PostgreSQL refuses even to compare it.
    big = "9999999999"
    after = web.get(f"/api/chat/sessions/{session}/messages?after={big}")
    refused(after, 422, "after", "2147483647")
    response = web.post(f"/owner/rules/{big}/retire", data={"token": token.group(1)})
    refused(response, 422, "rule_id", "2147483647")


# -- shape and size --------------------------------------------------------------------------


def deep(levels: int) -> bytes:
    return b'{"order": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_refused_on_every_json_endpoint(
    web: TestClient, desk: ReturnsDesk, levels: int
) -> None:
    session = chat(web)
    for path in (
        "/api/returns",
        "/api/returns/lookup",
        f"/api/chat/sessions/{session}/messages",
        "/webhooks/easypost",
    ):
        response = web.post(
            path, content=deep(levels), headers={"content-type": "application/json"}
        )
        refused(response, 400, f"more than {MAX_JSON_DEPTH} levels")
    assert cases(desk) == 0


def test_json_with_too_many_values_is_refused(web: TestClient) -> None:
    body = b'{"order": [' + b"[]," * 25_000 + b"[]]}"
    assert len(body) < MAX_BODY_BYTES
    response = web.post("/api/returns", content=body, headers={"content-type": "application/json"})
    refused(response, 400, "more than 20,000 values")


def test_json_within_the_depth_limit_reaches_the_route(web: TestClient) -> None:
    response = web.post(
        "/api/returns/lookup",
        content=deep(MAX_JSON_DEPTH - 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422  # the route's own answer: order is not a string
    assert "levels" not in response.text


def test_a_body_over_the_limit_is_refused_before_it_is_read(web: TestClient) -> None:
    big = b'{"order": "' + b"1" * MAX_BODY_BYTES + b'", "email": "a@b.co"}'
    response = web.post(
        "/api/returns/lookup", content=big, headers={"content-type": "application/json"}
    )
    refused(response, 413, "larger than")


def test_an_upload_without_a_length_is_refused_while_it_streams(web: TestClient) -> None:
    """A chunked upload (no Content-Length) is counted as it arrives: the refusal comes once
    the limit is passed, and the rest of the body is never read."""
    boundary = "rbboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    megabyte = b"\xff" * (1024 * 1024)
    chunks = [head] + [megabyte] * 40 + [f"\r\n--{boundary}--\r\n".encode()]
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled >= len(chunks):
            return {"type": "http.disconnect"}
        pulled += 1
        return {
            "type": "http.request",
            "body": chunks[pulled - 1],
            "more_body": pulled < len(chunks),
        }

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    session = chat(web)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/api/chat/sessions/{session}/photos",
        "raw_path": f"/api/chat/sessions/{session}/photos".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", f"multipart/form-data; boundary={boundary}".encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
        "app": web.app,
    }
    asyncio.run(web.app(scope, receive, send))  # type: ignore[arg-type]
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 413, body
    assert b"larger than" in body
    assert pulled < 20, f"{pulled} of {len(chunks)} chunks read before the refusal"
    assert pulled * len(megabyte) <= MAX_UPLOAD_BYTES + 2 * len(megabyte)
