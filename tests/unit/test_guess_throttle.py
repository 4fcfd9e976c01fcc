"""One throttle against guessing order number and e-mail pairs: per address and per order,
across the lookup, the returns form, fresh chat sessions and processes (it is in the database)."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from bot.web.app import create_app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import outbox

RIGHT = {"order": "1001", "email": "ana@example.com"}


def _web(desk: ReturnsDesk, address: str) -> TestClient:
    return TestClient(create_app(desk, "throttle-secret"), client=(address, 40000))


def _chat(web: TestClient, text: str) -> str:
    sid = web.post("/api/chat/sessions").json()["session"]
    said = web.post(f"/api/chat/sessions/{sid}/messages", json={"text": text})
    assert said.status_code == 200, said.text
    return " ".join(m["text"] for m in said.json()["messages"])


def _alerts(desk: ReturnsDesk) -> list[str]:
    with desk.session() as session:
        return [
            row.text
            for row in outbox.messages(session, channel=outbox.OWNER)
            if row.kind == "identity_guessing"
        ]


def test_wrong_pairs_from_one_address_count_across_endpoints_and_chat_sessions(
    desk: ReturnsDesk, clock: FrozenClock
) -> None:
    web = _web(desk, "198.51.100.7")
    for n in range(4):
        wrong = web.post("/api/returns/lookup", json={"order": f"50{n}1", "email": "x@example.com"})
        assert wrong.status_code == 404
    for n in range(3):
        form = {"order": f"60{n}1", "email": "x@example.com", "sku": "MUG-1", "reason": "damaged"}
        assert web.post("/api/returns", json=form).status_code == 404
    for n in range(3):  # a fresh chat session each time: no per-session slowdown to reset
        assert "Ana" not in _chat(web, f"order 70{n}1 ana@example.com")

    refused = web.post("/api/returns/lookup", json=RIGHT)  # even the right pair now
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    form = {**RIGHT, "sku": "MUG-1", "reason": "damaged"}
    assert web.post("/api/returns", json=form).status_code == 429
    said = _chat(web, "order 1001 ana@example.com")
    assert "too many attempts" in said and "Ana" not in said

    assert _web(desk, "203.0.113.20").post("/api/returns/lookup", json=RIGHT).status_code == 200
    alerts = _alerts(desk)
    assert len(alerts) == 1 and "198.51.100.7" in alerts[0]

    clock.advance(dt.timedelta(minutes=16))
    assert web.post("/api/returns/lookup", json=RIGHT).status_code == 200


def test_wrong_pairs_for_one_order_count_across_addresses(desk: ReturnsDesk) -> None:
    for n in range(10):
        web = _web(desk, f"192.0.2.{n + 1}")
        guess = {"order": "1001", "email": f"guess{n}@example.com"}
        assert web.post("/api/returns/lookup", json=guess).status_code == 404
    stranger = _web(desk, "192.0.2.200")
    assert stranger.post("/api/returns/lookup", json=RIGHT).status_code == 429
    assert "too many attempts" in _chat(stranger, "order 1001 ana@example.com")
    for _ in range(5):  # refused checks are not counted again: one alert for the burst
        stranger.post("/api/returns/lookup", json=RIGHT)
    alerts = _alerts(desk)
    assert len(alerts) == 1 and "order number 1001" in alerts[0]


def test_fresh_chat_sessions_do_not_reset_the_count(desk: ReturnsDesk) -> None:
    web = _web(desk, "198.51.100.30")
    for n in range(10):
        assert "too many attempts" not in _chat(web, f"order 80{n}1 ana@example.com")
    said = _chat(web, "order 1001 ana@example.com")
    assert "too many attempts" in said and "Ana" not in said


def test_the_count_is_shared_by_processes_on_one_database(
    desk: ReturnsDesk, clock: FrozenClock
) -> None:
    other = ReturnsDesk(desk.url, desk.store, clock)  # a second web process
    try:
        first, second = _web(desk, "198.51.100.40"), _web(other, "198.51.100.40")
        for n in range(10):
            web = first if n % 2 else second
            guess = {"order": f"90{n}1", "email": "x@example.com"}
            assert web.post("/api/returns/lookup", json=guess).status_code == 404
        assert first.post("/api/returns/lookup", json=RIGHT).status_code == 429
        assert second.post("/api/returns/lookup", json=RIGHT).status_code == 429
    finally:
        other.close()
