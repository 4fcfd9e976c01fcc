"""Socket Mode past start-up: the app opens its connection through ``apps.connections.open``
on the local Slack API, a local WebSocket server says ``hello`` and sends envelopes in Slack's
shapes, and the app acknowledges each ``envelope_id`` and acts on the payload once. Loopback
only; every wait is bounded."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from bot.slack.local import LocalSlackAPI
from tests.slack.conftest import SlackWorld
from tests.slack.socket_mode_server import SocketModeServer

WAIT = 10.0


def _payload(request_body: str) -> dict[str, Any]:
    """What an HTTP request carried, as a Socket Mode envelope carries it."""
    body = request_body
    if body.startswith("payload="):
        body = urllib.parse.parse_qs(body)["payload"][0]
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def _until(check: Any) -> bool:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_socket_mode_acknowledges_envelopes_and_acts_once(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    with SocketModeServer() as socket_server:
        slack_world.server.api.socket_url = socket_server.url
        handler = slack_world.slack.socket_mode("xapp-1-A111-local")
        handler.connect()
        try:
            assert _until(lambda: socket_server.connections == 1)
            [opened] = slack_world.server.api.calls_to("apps.connections.open")
            assert opened == {}  # the app token went as the bearer, not in the body
            press = slack_world.requests.button(
                "rb_approve", view.code, channel="C0ACME", message_ts=root
            )
            envelope = socket_server.send_interactive(_payload(press.body))
            assert socket_server.acked(envelope) is not None
            assert _until(lambda: len(slack_world.server.api.views) == 1)

            reply = _payload(
                slack_world.requests.thread_reply("C0ACME", root, "approved, RMA 3310").body
            )
            first = socket_server.send_event(reply)
            again = socket_server.send_event(reply, retry_attempt=1)  # Slack's retry
            assert socket_server.acked(first) == {"envelope_id": first}
            assert socket_server.acked(again) == {"envelope_id": again}
            assert _until(
                lambda: slack_world.desk.case_view(view.code).status == "awaiting_shipment"
            )
            assert slack_world.desk.case_view(view.code).rma == "3310"
            assert slack_world.actions(view.code).count("supplier_decision") == 1
        finally:
            handler.close()


def test_socket_mode_needs_an_app_level_token() -> None:
    api = LocalSlackAPI()
    api.socket_url = "ws://127.0.0.1:9/link"
    assert api.call("apps.connections.open", {}, "xoxb-test") == {
        "ok": False,
        "error": "not_allowed_token_type",
    }
    assert api.call("apps.connections.open", {}, "xapp-1")["url"] == api.socket_url
