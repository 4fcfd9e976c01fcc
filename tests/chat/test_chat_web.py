"""The chat's JSON API, the demo store page and the widget script."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from bot.web.app import create_app
from graph.desk import ReturnsDesk
from ledger.models import PhotoRow
from tools.accept_photo import PhotoLimits, sample_jpeg


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
    web.post(f"/api/chat/sessions/{sid}/messages", json={"text": "order 1001, ana@example.com"})
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


def photo_count(desk: ReturnsDesk) -> int:
    with desk.session() as session:
        return int(session.scalar(select(func.count()).select_from(PhotoRow)) or 0)


def send_photo(web: TestClient, sid: str, description: str = "crack") -> Any:
    return web.post(
        f"/api/chat/sessions/{sid}/photos",
        data={"description": description},
        files={"photo": ("crack.jpg", sample_jpeg(description), "image/jpeg")},
    )


def test_a_chat_that_has_not_matched_an_order_cannot_send_photos(desk: ReturnsDesk) -> None:
    web = client(desk)
    sid = web.post("/api/chat/sessions").json()["session"]
    early = send_photo(web, sid)
    assert early.status_code == 403
    assert early.json()["error"]["code"] == "photo_not_allowed"
    assert "order number and the email" in early.json()["error"]["message"]
    wrong = web.post(
        f"/api/chat/sessions/{sid}/messages", json={"text": "order 1001, eve@example.com"}
    )
    assert wrong.status_code == 200
    assert send_photo(web, sid).status_code == 403  # a wrong pair verifies nothing
    assert photo_count(desk) == 0

    web.post(f"/api/chat/sessions/{sid}/messages", json={"text": "order 1001, ana@example.com"})
    assert send_photo(web, sid).status_code == 200
    assert photo_count(desk) == 1


def test_a_chat_session_takes_a_limited_number_of_photos(desk: ReturnsDesk) -> None:
    desk.photo_limits = PhotoLimits(per_chat=2)
    web = client(desk)
    sid = web.post("/api/chat/sessions").json()["session"]
    web.post(f"/api/chat/sessions/{sid}/messages", json={"text": "order 1001, ana@example.com"})
    assert send_photo(web, sid, "one").status_code == 200
    assert send_photo(web, sid, "two").status_code == 200
    third = send_photo(web, sid, "three")
    assert third.status_code == 422
    assert third.json()["error"]["code"] == "photo_limit_reached"
    assert "2 photos in this chat" in third.json()["error"]["message"]
    assert photo_count(desk) == 2


def test_a_case_takes_a_limited_number_of_photos_through_its_link(desk: ReturnsDesk) -> None:
    desk.photo_limits = PhotoLimits(per_case=2)
    web = client(desk)
    opened = web.post(
        "/api/returns",
        data={"order": "1001", "email": "ana@example.com", "sku": "MUG-1", "reason": "damaged"},
        files={"photo": ("mug.jpg", sample_jpeg("mug"), "image/jpeg")},
    )
    assert opened.status_code == 201, opened.text
    code, token = opened.json()["case"]["code"], opened.json()["token"]
    more = f"/api/cases/{code}/photos?token={token}"
    files = {"photo": ("mug.jpg", sample_jpeg("closer"), "image/jpeg")}
    assert web.post(more, files=files).status_code == 200
    refused = web.post(more, files=files)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "photo_limit_reached"
    assert f"Return {code} already has 2 photos" in refused.json()["error"]["message"]
    forged = web.post(f"/api/cases/{code}/photos?token=forged", files=files)
    assert forged.status_code == 404  # no photo without the case's own signed link
    assert photo_count(desk) == 2


def test_a_9000_by_9000_png_is_refused_by_its_pixel_count(desk: ReturnsDesk) -> None:
    from tests.unit.test_accept_photo import blank_png

    bomb = blank_png(9000, 9000)
    web = client(desk)
    sid = web.post("/api/chat/sessions").json()["session"]
    web.post(f"/api/chat/sessions/{sid}/messages", json={"text": "order 1001, ana@example.com"})
    in_chat = web.post(
        f"/api/chat/sessions/{sid}/photos", files={"photo": ("big.png", bomb, "image/png")}
    )
    on_form = web.post(
        "/api/returns",
        data={"order": "1001", "email": "ana@example.com", "sku": "MUG-1", "reason": "damaged"},
        files={"photo": ("big.png", bomb, "image/png")},
    )
    for refused in (in_chat, on_form):
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "too_many_pixels"
        assert "9000 x 9000" in refused.json()["error"]["message"]
    assert photo_count(desk) == 0 and desk.cases_for_order("1001") == []


def test_a_poll_reads_the_transcript_and_its_buttons_in_one_transaction(desk: ReturnsDesk) -> None:
    # The widget polls every few seconds: the messages and the buttons shown now come from
    # one read (they were two, the buttons read in a transaction of their own).
    web = client(desk)
    sid = web.post("/api/chat/sessions").json()["session"]
    said = web.post(
        f"/api/chat/sessions/{sid}/messages",
        json={"text": "order 1001, ana@example.com: the mug arrived cracked"},
    ).json()
    shown = said["quick_replies"]
    assert [b["value"] for b in shown][:2] == ["yes", "no"]
    last = said["messages"][-1]["id"]
    transactions: list[str] = []

    @event.listens_for(desk.engine, "begin")
    def _begun(*_: Any) -> None:
        transactions.append("begin")

    polls = {
        after: web.get(f"/api/chat/sessions/{sid}/messages?after={after}").json()
        for after in (0, last)
    }
    counted = list(transactions)
    event.remove(desk.engine, "begin", _begun)
    assert polls[last]["messages"] == [] and polls[0]["messages"][-1]["id"] == last
    assert polls[0]["quick_replies"] == polls[last]["quick_replies"] == shown
    assert shown == desk_buttons(web, sid)
    assert counted == ["begin", "begin"], counted


def desk_buttons(web: TestClient, session_id: str) -> list[dict[str, str]]:
    chat: Any = web.app.state.chat  # type: ignore[attr-defined]
    return list(chat.quick_replies(session_id))


def test_a_new_chat_is_written_and_read_back_in_one_transaction(desk: ReturnsDesk) -> None:
    # The greeting the answer shows is read back where it was written (the transcript was
    # read again in a transaction of its own); the thread's checkpoint has its own connection.
    web = client(desk)
    transactions: list[str] = []

    @event.listens_for(desk.engine, "begin")
    def _begun(*_: Any) -> None:
        transactions.append("begin")

    started = web.post("/api/chat/sessions")
    counted = list(transactions)
    event.remove(desk.engine, "begin", _begun)
    assert started.status_code == 201
    sid = started.json()["session"]
    assert (
        started.json()["messages"]
        == web.get(f"/api/chat/sessions/{sid}/messages").json()["messages"]
    )
    assert started.json()["messages"][0]["text"].startswith("Hi! I'm the returns assistant")
    assert started.json()["quick_replies"] == desk_buttons(web, sid)
    assert counted == ["begin"], counted
