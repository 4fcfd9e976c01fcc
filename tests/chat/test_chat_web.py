"""The chat's JSON API, the demo store page and the widget script."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.web import create_app
from graph.desk import ReturnsDesk
from tools.accept_photo import sample_jpeg


def client(desk: ReturnsDesk) -> TestClient:
    return TestClient(create_app(desk, "test-secret"))


def test_store_page_embeds_the_widget(desk: ReturnsDesk) -> None:
    web = client(desk)
    page = web.get("/")
    assert page.status_code == 200 and '<script src="/widget.js"' in page.text
    script = web.get("/widget.js")
    assert script.headers["content-type"].startswith("application/javascript")
    assert "/api/chat/sessions" in script.text
    assert web.get("/static/widget.css").status_code == 200


def test_a_conversation_over_the_api(desk: ReturnsDesk) -> None:
    web = client(desk)
    started = web.post("/api/chat/sessions")
    assert started.status_code == 201
    sid = started.json()["session"]
    assert started.json()["quick_replies"]

    said = web.post(
        f"/api/chat/sessions/{sid}/messages",
        json={"text": "order 1001, ana@example.com: the mug arrived cracked"},
    ).json()
    assert "yes or no" in said["messages"][-1]["text"]
    assert [b["value"] for b in said["quick_replies"]][:2] == ["yes", "no"]

    photo = web.post(
        f"/api/chat/sessions/{sid}/photos",
        files={"photo": ("crack.jpg", sample_jpeg("crack"), "image/jpeg")},
    )
    assert photo.status_code == 200 and "photo" in photo.json()["messages"][0]["text"]

    confirmed = web.post(f"/api/chat/sessions/{sid}/messages", json={"choice": "yes"}).json()
    code = desk.cases_for_order("1001")[0].code
    assert code in confirmed["messages"][0]["text"]
    assert desk.case_view(code).status == "awaiting_supplier"

    everything = web.get(f"/api/chat/sessions/{sid}/messages").json()["messages"]
    assert [m["role"] for m in everything].count("customer") == 3
    after = everything[-1]["id"]
    assert web.get(f"/api/chat/sessions/{sid}/messages?after={after}").json()["messages"] == []

    assert web.get(f"/api/chat/sessions/{sid}/cases/{code}/label.pdf").status_code == 404
    desk.supplier_action("acme", code, "approve", rma="RMA-1")
    pdf = web.get(f"/api/chat/sessions/{sid}/cases/{code}/label.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = web.post("/api/chat/sessions").json()["session"]
    assert web.get(f"/api/chat/sessions/{other}/cases/{code}/label.pdf").status_code == 404


def test_bad_requests_get_clear_answers_and_change_nothing(desk: ReturnsDesk) -> None:
    web = client(desk)
    sid = web.post("/api/chat/sessions").json()["session"]
    empty = web.post(f"/api/chat/sessions/{sid}/messages", json={"text": "  "})
    assert empty.status_code == 422 and "text" in empty.json()["error"]["message"]
    unknown = web.post("/api/chat/sessions/cs_nope/messages", json={"text": "hi"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "This chat was not found. Please start a new one."
    not_photo = web.post(
        f"/api/chat/sessions/{sid}/photos",
        files={"photo": ("x.jpg", b"plain text", "image/jpeg")},
    )
    assert not_photo.status_code == 415
    assert "not a photo we can read" in not_photo.json()["error"]["message"]
    too_big = web.post(
        f"/api/chat/sessions/{sid}/photos",
        files={"photo": ("x.jpg", sample_jpeg() + b"\0" * (10 * 1024 * 1024), "image/jpeg")},
    )
    assert too_big.status_code == 413
    assert desk.cases_for_order("1001") == []
