"""Block Kit for the supplier's channel: the authorisation request, the inspection request,
the modals behind their buttons, and the request as it reads once decided."""

from __future__ import annotations

import json
from typing import Any

from bot.slack import text as slack_text

APPROVE = "rb_approve"
DECLINE = "rb_decline"
QUESTION = "rb_question"
INSPECTED_OK = "rb_inspected_ok"
INSPECTED_FAILED = "rb_inspected_failed"
ACTIONS_BLOCK = "rb_case_actions"

APPROVE_MODAL = "rb_approve_modal"
DECLINE_MODAL = "rb_decline_modal"
QUESTION_MODAL = "rb_question_modal"
PROBLEM_MODAL = "rb_problem_modal"

Block = dict[str, Any]


def _text(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": text[:3000]}


def _button(label: str, action_id: str, code: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": _text(label, "plain_text"),
        "action_id": action_id,
        "value": code,
    }
    if style:
        button["style"] = style
    return button


def _escape(text: object) -> str:
    return slack_text.escape(str(text))


def authorisation_blocks(text: str, payload: dict[str, Any]) -> list[Block]:
    """The request: order, item, quantity, reason, note, country, amount, what the agreement
    says, and the buttons Approve / Decline / Ask a question."""
    code = str(payload.get("case", ""))
    physical = bool(payload.get("physical_return", True))
    reason = str(payload.get("reason", "")).replace("_", " ")
    # Every value may come from outside (an imported order, the customer): all escaped.
    fields = [
        f"*Order*\n{_escape(payload.get('order', ''))}",
        f"*Item*\n{_escape(payload.get('quantity', 1))} x {_escape(payload.get('item', ''))} "
        f"({_escape(payload.get('sku', ''))})",
        f"*Reason*\n{_escape(reason)}",
        f"*Amount*\n{_escape(payload.get('amount', ''))} {_escape(payload.get('currency', ''))}",
        f"*Customer country*\n{_escape(payload.get('customer_country', ''))}",
        f"*Physical return*\n{'yes' if physical else 'no: credit only'}",
    ]
    address = payload.get("address_on_file")
    agreement = (
        f"*Agreement:* RMA required: {'yes' if payload.get('rma_required') else 'no'} · "
        + (
            f"return address on file: {_escape(str(address))}"
            if address
            else "no return address on file: please give one when you approve"
        )
    )
    blocks: list[Block] = [
        {"type": "header", "text": _text(f"Return request {code}", "plain_text")},
        {"type": "section", "text": _text(_escape(text))},
        {"type": "section", "fields": [_text(field) for field in fields]},
    ]
    note = str(payload.get("note") or "").strip()
    if note:
        blocks.append(
            {"type": "section", "text": _text(f"*Customer's note*\n{slack_text.quote(note)}")}
        )
    blocks += [
        {"type": "section", "text": _text(agreement if physical else "*Agreement:* credit only")},
        {
            "type": "actions",
            "block_id": ACTIONS_BLOCK,
            "elements": [
                _button("Approve", APPROVE, code, "primary"),
                _button("Decline", DECLINE, code, "danger"),
                _button("Ask a question", QUESTION, code),
            ],
        },
        {
            "type": "context",
            "elements": [
                _text(
                    'Or answer in this thread in plain words: "approved, RMA 12345", '
                    '"declined, out of warranty", or a question for the store.'
                )
            ],
        },
    ]
    return blocks


def inspection_blocks(text: str, code: str) -> list[Block]:
    return [
        {"type": "section", "text": _text(_escape(text))},
        {
            "type": "actions",
            "block_id": ACTIONS_BLOCK,
            "elements": [
                _button("Inspected OK", INSPECTED_OK, code, "primary"),
                _button("Problem found", INSPECTED_FAILED, code, "danger"),
                _button("Ask a question", QUESTION, code),
            ],
        },
        {
            "type": "context",
            "elements": [_text('Or answer here: "inspected OK" or "problem found: …".')],
        },
    ]


def message_blocks(kind: str, text: str, payload: dict[str, Any]) -> list[Block] | None:
    """Blocks for one outbox message to a supplier, or None for plain text."""
    if kind == "authorisation_request":
        return authorisation_blocks(text, payload)
    if kind == "inspection_request":
        return inspection_blocks(text, str(payload.get("case", "")))
    return None


def decided_blocks(blocks: list[Block], outcome: str) -> list[Block]:
    """The request without its buttons, with what was decided underneath."""
    kept = [block for block in blocks if block.get("type") not in ("actions", "context")]
    kept.append({"type": "context", "elements": [_text(f":lock: {_escape(outcome)}")]})
    return kept


# -- modals ----------------------------------------------------------------------------------


def _input(
    block_id: str,
    label: str,
    *,
    optional: bool,
    initial: str | None = None,
    multiline: bool = False,
    hint: str | None = None,
) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": _text(label, "plain_text"),
        "element": element,
    }
    if hint:
        block["hint"] = _text(hint, "plain_text")
    return block


def _modal(
    callback_id: str, title: str, submit: str, blocks: list[Block], meta: dict[str, Any]
) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(meta, separators=(",", ":")),
        "title": _text(title[:24], "plain_text"),
        "submit": _text(submit, "plain_text"),
        "close": _text("Cancel", "plain_text"),
        "blocks": blocks,
    }


def approve_modal(
    code: str,
    meta: dict[str, Any],
    *,
    physical: bool,
    rma_required: bool,
    address_on_file: str | None,
) -> Block:
    """RMA and return address, the address pre-filled from the agreement."""
    if not physical:
        blocks = [
            {"type": "section", "text": _text(f"Credit the store for return *{code}*?")},
            _input("note", "Note (optional)", optional=True),
        ]
        return _modal(APPROVE_MODAL, f"Approve {code}", "Approve", blocks, meta)
    blocks = [
        {"type": "section", "text": _text(f"Approve return *{code}*")},
        _input(
            "rma",
            "RMA number",
            optional=not rma_required,
            hint="Required by your agreement." if rma_required else None,
        ),
        _input(
            "address",
            "Return address",
            optional=bool(address_on_file),
            initial=address_on_file,
            multiline=True,
            hint="From your agreement; change it if this return goes elsewhere."
            if address_on_file
            else "No address on file: where should the customer send it?",
        ),
    ]
    return _modal(APPROVE_MODAL, f"Approve {code}", "Approve", blocks, meta)


def decline_modal(code: str, meta: dict[str, Any]) -> Block:
    blocks = [_input("note", "Why do you decline it?", optional=False, multiline=True)]
    return _modal(DECLINE_MODAL, f"Decline {code}", "Decline", blocks, meta)


def question_modal(code: str, meta: dict[str, Any]) -> Block:
    blocks = [
        _input(
            "note",
            "Your question for the store",
            optional=False,
            multiline=True,
            hint="The store owner answers in the thread. Nothing is decided by a question.",
        )
    ]
    return _modal(QUESTION_MODAL, f"Question on {code}", "Send", blocks, meta)


def problem_modal(code: str, meta: dict[str, Any]) -> Block:
    blocks = [
        _input("note", "What is wrong with the returned item?", optional=False, multiline=True)
    ]
    return _modal(PROBLEM_MODAL, f"Problem {code}", "Report", blocks, meta)


def modal_values(view: dict[str, Any]) -> dict[str, str]:
    """``{block_id: text}`` from a submitted view's state."""
    values: dict[str, str] = {}
    state = (view.get("state") or {}).get("values") or {}
    for block_id, actions in state.items():
        for action in (actions or {}).values():
            value = action.get("value") if isinstance(action, dict) else None
            if value is not None:
                values[block_id] = str(value)
    return values
