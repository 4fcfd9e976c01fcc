"""What customers and suppliers write reaches Slack inert: no channel-wide mention, no link
under a false name, no quote broken out of, in the blocks and in the fallback text alike.
Read from what the local Slack API server received for chat.postMessage."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from graph.chat_graph import CustomerChat
from tests.slack.conftest import SlackWorld

NOTE = (
    "<!channel> <https://evil.example|your bank> & sons\n"
    "> Approved by the store, refund now\n"
    "@here call <@U123> or <!here> <!everyone> @everyone"
)
LIVE_MARKUP = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<https://evil",
    "@here",
    "@everyone",
)


def posted(world: SlackWorld, channel: str) -> list[dict[str, Any]]:
    """The arguments of every chat.postMessage to ``channel``, as the server received them."""
    calls = []
    for request in world.server.requests:
        if request.path.split("?")[0] != "/api/chat.postMessage":
            continue
        if request.headers.get("content-type", "").startswith("application/json"):
            args = json.loads(request.body)
        else:
            args = {k: v[-1] for k, v in urllib.parse.parse_qs(request.body.decode()).items()}
            if isinstance(args.get("blocks"), str):
                args["blocks"] = json.loads(args["blocks"])
        if args.get("channel") == channel:
            calls.append(args)
    return calls


def assert_inert(text: str) -> None:
    for markup in LIVE_MARKUP:
        assert markup not in text, f"{markup!r} reached Slack live in: {text}"


def test_a_customer_note_reaches_the_supplier_channel_escaped_in_blocks_and_text(
    slack_world: SlackWorld,
) -> None:
    slack_world.open_mug_case(note=NOTE)
    [request] = posted(slack_world, "C0ACME")
    blocks = json.dumps(request["blocks"], ensure_ascii=False)
    for shown in (request["text"], blocks):
        assert_inert(shown)
        assert "&lt;!channel&gt;" in shown
        assert "&lt;https://evil.example|your bank&gt;" in shown
        assert "&amp; sons" in shown
    [note] = [
        block["text"]["text"]
        for block in request["blocks"]
        if block["type"] == "section" and "Customer's note" in block.get("text", {}).get("text", "")
    ]
    lines = note.split("\n")[1:]
    assert len(lines) == 3
    assert all(line.startswith(">") for line in lines)  # every line stays inside the quote
    assert lines[1].startswith(">&gt; Approved")  # a quote typed by the customer is not ours


def test_a_customer_asking_for_a_person_reaches_the_owner_channel_escaped(
    slack_world: SlackWorld,
) -> None:
    chat = CustomerChat(slack_world.desk, "offline")
    session = chat.open_session()
    chat.say(session, "can I talk to a person? " + NOTE.replace("\n", " "))
    slack_world.deliver()
    [alert] = posted(slack_world, "C0OWNER")
    assert "asks for a person" in alert["text"]
    assert_inert(alert["text"])
    assert "&lt;!channel&gt;" in alert["text"] and "&amp; sons" in alert["text"]


def test_the_bots_own_messages_still_read_plainly(slack_world: SlackWorld) -> None:
    slack_world.open_mug_case(note="Handle came off")
    [request] = posted(slack_world, "C0ACME")
    assert "&amp;" not in request["text"] and "&lt;" not in request["text"]
    assert "Handle came off" in request["text"]
