"""The Slack app over HTTP: signed requests in Slack's real shapes into /slack/events, the app's
Web API calls going to a local Slack API server, and the case moving (or not) accordingly."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from bot.slack.app import slack_from_settings
from bot.slack.local import Message
from ledger import outbox
from ledger.models import OutboxRow
from tests.slack.conftest import SlackWorld


def _view_submission_values(world: SlackWorld, **values: str) -> tuple[dict, dict[str, str]]:
    view = world.server.api.views[-1]
    filled = {
        block["block_id"]: block["element"].get("initial_value", "")
        for block in view["blocks"]
        if block["type"] == "input"
    }
    filled.update(values)
    return view, filled


def test_url_verification_answers_the_challenge(slack_world: SlackWorld) -> None:
    response = slack_world.post(slack_world.requests.url_verification("abc123"))
    assert response.status_code == 200
    assert response.json() == {"challenge": "abc123"}


def test_authorisation_request_is_a_new_thread_with_buttons_and_photos(
    slack_world: SlackWorld,
) -> None:
    view = slack_world.open_mug_case(note="Handle came off")
    api = slack_world.server.api
    [root] = api.top_level("C0ACME")
    texts = json.dumps(root.blocks)
    for fact in ("3001", "Ceramic mug", "MUG-1", "damaged", "24.00", "Handle came off"):
        assert fact in texts
    assert "RMA required: yes" in texts and "10 Main St" in texts
    actions = next(b for b in root.blocks if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == ["rb_approve", "rb_decline", "rb_question"]
    assert {a["value"] for a in actions} == {view.code}
    # the photo went up in three steps, its bytes to the upload URL, into the thread
    [ticket] = api.calls_to("files.getUploadURLExternal")
    assert int(ticket["length"]) > 100
    [complete] = api.calls_to("files.completeUploadExternal")
    assert complete["channel_id"] == "C0ACME" and complete["thread_ts"] == root.ts
    uploads = [r for r in slack_world.server.requests if r.path.startswith("/upload/")]
    assert len(uploads) == 1 and uploads[0].body[:2] == b"\xff\xd8"  # a JPEG
    # the recorded request carried the bot token
    posts = [r for r in slack_world.server.requests if r.path == "/api/chat.postMessage"]
    assert posts[0].headers["authorization"] == "Bearer xoxb-test"
    # delivering again posts nothing twice
    slack_world.deliver()
    assert len(api.calls_to("chat.postMessage")) == 1


def test_reply_in_thread_approves_and_the_bot_says_what_it_understood(
    slack_world: SlackWorld,
) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    reply = slack_world.requests.thread_reply("C0ACME", root, "approved - RMA 55102 thx")
    assert slack_world.post(reply).status_code == 200
    assert slack_world.desk.case_view(view.code).status == "awaiting_shipment"
    assert slack_world.desk.case_view(view.code).rma == "55102"
    slack_world.deliver()
    thread = slack_world.server.api.thread("C0ACME", root)
    said = thread[-1].text
    assert said.startswith("Approved, RMA 55102, return address Acme Returns, 10 Main St")
    # the request lost its buttons
    [update] = slack_world.server.api.calls_to("chat.update")
    assert update["ts"] == root
    assert all(block["type"] != "actions" for block in update["blocks"])


def test_slack_retries_act_once(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    reply = slack_world.requests.thread_reply(
        "C0ACME", slack_world.root_ts(), "can you send a photo of the label?"
    )
    for attempt in range(4):
        retry = slack_world.requests.resign(reply, retry_num=attempt) if attempt else reply
        assert slack_world.post(retry).status_code == 200
    assert slack_world.actions(view.code).count("supplier_question") == 1
    with slack_world.desk.session() as session:
        owner = outbox.messages(session, channel=outbox.OWNER, case_code=view.code)
    assert [row.kind for row in owner] == ["supplier_question"]
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"


def test_forged_and_stale_signatures_get_401_and_change_nothing(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    reply = slack_world.requests.thread_reply("C0ACME", slack_world.root_ts(), "declined")
    forged = slack_world.requests.resign(reply, secret="someone-else")
    stale = slack_world.requests.resign(reply, timestamp=int(time.time()) - 600)
    unsigned = slack_world.http.post(
        "/slack/events", content=reply.body, headers={"content-type": "application/json"}
    )
    assert slack_world.post(forged).status_code == 401
    assert slack_world.post(stale).status_code == 401
    assert unsigned.status_code == 401
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    assert "supplier_decision" not in slack_world.actions(view.code)


def test_other_channel_is_refused_and_logged(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    for channel in ("C0TRAIL", "C0NOBODY"):
        reply = slack_world.requests.thread_reply(channel, root, "approved RMA 1")
        assert slack_world.post(reply).status_code == 200
    press = slack_world.requests.button(
        "rb_inspected_ok", view.code, channel="C0TRAIL", message_ts=root
    )
    assert slack_world.post(press).status_code == 200
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    assert slack_world.actions(view.code).count("action_refused") == 3
    with slack_world.desk.session() as session:
        acks = [
            r.text
            for r in session.execute(select(OutboxRow)).scalars()
            if r.kind == "acknowledgement"
        ]
    assert all("nothing was changed" in text for text in acks) and len(acks) == 3


def test_approve_button_opens_a_prefilled_modal_and_requires_the_rma(
    slack_world: SlackWorld,
) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    press = slack_world.requests.button("rb_approve", view.code, channel="C0ACME", message_ts=root)
    assert slack_world.post(press).status_code == 200
    [opened] = slack_world.server.api.calls_to("views.open")
    modal = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    address = next(b for b in modal["blocks"] if b.get("block_id") == "address")
    assert address["element"]["initial_value"].startswith("Acme Returns, 10 Main St")
    assert next(b for b in modal["blocks"] if b.get("block_id") == "rma")["optional"] is False

    modal_view, values = _view_submission_values(slack_world, rma="")
    response = slack_world.post(slack_world.requests.submission(modal_view, values))
    assert response.status_code == 200
    assert response.json()["response_action"] == "errors"
    assert "rma" in response.json()["errors"]
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"

    # the same modal again (a new view id), this time with the RMA
    press = slack_world.requests.button("rb_approve", view.code, channel="C0ACME", message_ts=root)
    slack_world.post(press)
    modal_view, values = _view_submission_values(slack_world, rma="RMA-2024-0042")
    submission = slack_world.requests.submission(modal_view, values)
    assert slack_world.post(submission).status_code == 200
    assert slack_world.desk.case_view(view.code).rma == "RMA-2024-0042"
    # the same submission delivered twice acts once
    slack_world.post(slack_world.requests.resign(submission, retry_num=1))
    assert slack_world.actions(view.code).count("supplier_decision") == 1


def test_inspection_request_in_thread_and_inspected_ok_button(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    slack_world.post(slack_world.requests.thread_reply("C0ACME", root, "ok RMA 12"))
    slack_world.desk.carrier_event(view.code, "delivered")
    slack_world.deliver()
    thread = slack_world.server.api.thread("C0ACME", root)
    inspection = [m for m in thread if m.blocks and "rb_inspected_ok" in json.dumps(m.blocks)]
    assert len(inspection) == 1 and inspection[0].thread_ts == root
    for _ in range(2):  # a double click
        press = slack_world.requests.button(
            "rb_inspected_ok",
            view.code,
            channel="C0ACME",
            message_ts=inspection[0].ts,
            thread_ts=root,
        )
        assert slack_world.post(press).status_code == 200
    assert slack_world.desk.case_view(view.code).status == "resolved"
    assert slack_world.actions(view.code).count("inspection_result") == 1
    assert slack_world.actions(view.code).count("refund_issued") == 1


def test_reminder_goes_in_the_thread_and_the_alert_to_the_owner_channel(
    slack_world: SlackWorld,
) -> None:
    slack_world.open_mug_case()
    root = slack_world.root_ts()
    slack_world.clock.advance(dt.timedelta(hours=97))
    slack_world.desk.fire_due_timers()
    slack_world.deliver()
    thread = slack_world.server.api.thread("C0ACME", root)
    assert any(m.text.startswith("Reminder:") and m.thread_ts == root for m in thread)
    [alert] = slack_world.server.api.top_level("C0OWNER")
    assert "has not answered" in alert.text


def test_the_bots_own_messages_and_top_level_chatter_are_ignored(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    payload = json.loads(slack_world.requests.thread_reply("C0ACME", root, "declined").body)
    payload["event"]["bot_id"] = "BRB001"
    own = slack_world.requests.sign(json.dumps(payload), content_type="application/json")
    top = slack_world.requests.thread_reply("C0ACME", "", "declined")
    for request in (own, top):
        assert slack_world.post(request).status_code == 200
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"


def test_a_failed_post_stays_queued_and_is_posted_once_later(slack_world: SlackWorld) -> None:
    slack_world.server.api.fail("chat.postMessage", "ratelimited")
    view = slack_world.open_mug_case()
    with slack_world.desk.session() as session:
        [row] = outbox.messages(session, channel=outbox.SUPPLIER, case_code=view.code)
        assert row.delivered_at is None and "ratelimited" in (row.last_error or "")
    slack_world.deliver()
    slack_world.deliver()
    assert len(slack_world.server.api.top_level("C0ACME")) == 1
    with slack_world.desk.session() as session:
        undelivered = session.execute(
            select(func.count(OutboxRow.id)).where(OutboxRow.delivered_at.is_(None))
        ).scalar_one()
    assert undelivered == 0


def test_without_tokens_there_is_no_slack_app(
    slack_world: SlackWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    assert slack_from_settings(slack_world.desk, Settings(_env_file=None)) is None
    with_token = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    assert slack_from_settings(slack_world.desk, with_token) is not None


def test_the_owner_channel_is_the_owner_console(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    decline = slack_world.requests.thread_reply(
        "C0ACME", slack_world.root_ts(), "sorry, we can't take this one back"
    )
    assert slack_world.post(decline).status_code == 200
    assert slack_world.desk.case_view(view.code).status == "pending_review"
    say = slack_world.requests.thread_reply("C0OWNER", "", f"deny {view.order}, it was used")
    said = json.loads(say.body)["event"]
    # The owner's own message is in the channel, so the bot can answer in its thread.
    slack_world.server.api.messages.append(
        Message(channel="C0OWNER", ts=said["ts"], text=said["text"])
    )
    for attempt in range(3):  # Slack retries: one decision, one answer
        retry = slack_world.requests.resign(say, retry_num=attempt) if attempt else say
        assert slack_world.post(retry).status_code == 200
    assert slack_world.desk.case_view(view.code).status == "denied"
    answers = [m for m in slack_world.server.api.thread("C0OWNER", said["ts"]) if m.thread_ts]
    assert len(answers) == 1
    assert "denied" in answers[0].text.lower()
    assert slack_world.actions(view.code).count("owner_decision") == 1
