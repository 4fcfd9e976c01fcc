"""The chat's memory is a typed object (``DialogueState``), kept in checkpoints as plain JSON;
checkpoints written when it was a dict still load and the conversation goes on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from graph.chat_graph import CustomerChat
from graph.chat_state import DialogueState
from graph.desk import ReturnsDesk


def _old_dialogue(session_id: str) -> dict[str, Any]:
    """A dialogue as the dict-based code wrote it: waiting for the e-mail of order 1001."""
    return {
        "session": session_id,
        "backend": "offline",
        "verified": None,
        "pending_order": "1001",
        "pending_email": None,
        "goal": "return",
        "lines": [],
        "reason": None,
        "resolution": None,
        "note": "",
        "photos": [],
        "expecting": "email",
        "ambiguous": [],
        "unplaced": [],
        "cancel_code": None,
        "submitted": [],
        "quick_replies": [],
        "last_reason": None,
    }


def _write_old_checkpoint(chat: CustomerChat, session_id: str, dialogue: dict[str, Any]) -> None:
    # the dict-based code put its dict in the graph state exactly like this
    chat.graph.update_state(
        chat._config(session_id), {"dialogue": dialogue, "replies": []}, as_node="record"
    )


def _said(chat: CustomerChat, sid: str, text: str) -> str:
    return "\n".join(message.text for message in chat.say(sid, text))


@pytest.mark.parametrize("dropped", [(), ("unplaced", "last_reason", "quick_replies")])
def test_a_checkpoint_written_as_a_dict_resumes(
    desk: ReturnsDesk, dropped: tuple[str, ...]
) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    old = {k: v for k, v in _old_dialogue(sid).items() if k not in dropped}
    _write_old_checkpoint(chat, sid, old)

    state = chat.state(sid)
    assert isinstance(state, DialogueState)
    assert (state.pending_order, state.expecting, state.goal) == ("1001", "email", "return")

    answer = _said(chat, sid, "ana@example.com")
    assert "order number" not in answer  # the order given before the checkpoint was kept
    assert chat.state(sid).verified is not None
    _said(chat, sid, "one of the lamps, I changed my mind")
    assert "Done!" in _said(chat, sid, "yes")
    assert len(desk.cases_for_order("1001")) == 1
    assert chat.state(sid).submitted == [desk.cases_for_order("1001")[0].code]


def test_the_checkpoint_keeps_plain_json(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    _said(chat, sid, "order 1001 ana@example.com")
    stored = chat.graph.get_state(chat._config(sid)).values["dialogue"]
    assert type(stored) is dict
    assert json.loads(json.dumps(stored)) == stored
    assert DialogueState.load(stored) == chat.state(sid)


def test_load_fills_defaults_and_drops_keys_no_longer_used() -> None:
    state = DialogueState.load({"session": "s1", "misses": None, "retired_key": 1}, "other")
    assert state.session == "s1" and state.misses == 0 and state.lines == []
    assert "retired_key" not in state.dump()
    assert DialogueState.load(None, "s2").session == "s2"


def test_load_does_not_share_the_lines_it_was_given() -> None:
    raw = _old_dialogue("s1") | {"lines": [{"sku": "LAMP-1", "quantity": 1}]}
    state = DialogueState.load(raw)
    state.lines[0]["quantity"] = 2
    assert raw["lines"][0]["quantity"] == 1


def test_a_field_of_the_wrong_type_is_refused() -> None:
    state = DialogueState(session="s1")
    with pytest.raises(ValidationError):
        state.photos = ["not an id"]  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        DialogueState.load({"session": "s1", "lines": "the mug"})
