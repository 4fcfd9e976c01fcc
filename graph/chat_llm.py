"""The LLM backend of the customer chat: a tool-calling agent over the same chat tools.

The model reads the conversation and calls tools; every tool argument is validated by a
pydantic model (``extra="forbid"``) and a bad call is answered as a tool error, so a model can
never get more than the tools allow. There is no tool that submits a return or names an
amount: prepare_return shows the customer a summary, and only the customer's own "yes" to it
submits (the same deterministic step as the offline dialogue). Photos and yes/no answers to a
pending question are handled deterministically. When the model cannot be reached, the turn
falls back to the offline dialogue.

The system prompt (``prompts/customer_agent.txt``) holds the store policy and only the
agreements of the suppliers on the verified order, so it does not grow with the store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

from openai.types.chat import ChatCompletionMessageFunctionToolCall
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graph import chat_tools
from graph.chat_dialogue import OfflineDialogue, reply
from graph.chat_state import DialogueState
from graph.chat_tools import Draft, ReturnLine, Verified
from graph.desk import ReturnsDesk
from graph.llm import LLM, LLMError
from graph.order_code_chat import code_path
from language.customer import read_message
from language.customer.answers import yes_or_no
from prompts import render_prompt

log = logging.getLogger("returnbridge.chat")

MAX_TOOL_ROUNDS = 4
HISTORY = 20


class VerifyOrderArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    order_number: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=320)


class ReturnStatusArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    case_code: str | None = Field(default=None, max_length=32)


class PrepareReturnArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    items: list[ReturnLine] = Field(min_length=1, max_length=20)
    resolution: Literal["refund", "store_credit", "replacement"] = "refund"
    note: str = Field(default="", max_length=1000)


class RequestHumanArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(default="", max_length=1000)


TOOLS: dict[str, tuple[type[BaseModel], str]] = {
    "verify_order": (
        VerifyOrderArgs,
        "Check the customer's order number and email. Must succeed before anything about the "
        "order is said. Returns the order's items when they match.",
    ),
    "return_status": (
        ReturnStatusArgs,
        "Where the verified order's returns stand and what happens next.",
    ),
    "prepare_return": (
        PrepareReturnArgs,
        "Prepare a return of items of the verified order (sku, quantity, reason) with the "
        "resolution the customer wants. Shows the customer a summary to confirm with yes/no.",
    ),
    "request_human": (
        RequestHumanArgs,
        "Hand the conversation to a person from the store (the owner's review queue).",
    ),
}


def tool_specs() -> list[dict[str, Any]]:
    """The tools as OpenAI function specs, their parameters from the pydantic models."""
    specs = []
    for name, (model, description) in TOOLS.items():
        schema = model.model_json_schema()
        specs.append(
            {
                "type": "function",
                "function": {"name": name, "description": description, "parameters": schema},
            }
        )
    return specs


def policy_text(desk: ReturnsDesk) -> str:
    policy = desk.store.policy
    facts = policy.model_dump(mode="json", exclude={"owner_email", "address"})
    lines = [f"- {key}: {value}" for key, value in facts.items()]
    lines.append("- In plain words: " + chat_tools.policy_answer(desk, set()))
    return "\n".join(lines)


def suppliers_text(desk: ReturnsDesk, verified: Verified | None) -> str:
    if verified is None:
        return "(none yet: the order is not verified)"
    ids: list[str] = []
    with desk.session() as session:
        from ledger.repository import find_order

        order = find_order(session, verified.order)
        if order is not None:
            ids = sorted({item.supplier_id for item in order.items})
    lines = []
    for supplier_id in ids:
        try:
            agreement = desk.store.supplier(supplier_id)
        except KeyError:
            continue
        lines.append(
            "- " + json.dumps(agreement.model_dump(mode="json", exclude={"slack_channel"}))
        )
    return "\n".join(lines) or "(none)"


def system_prompt(desk: ReturnsDesk, verified: Verified | None) -> str:
    return render_prompt(
        "customer_agent",
        store_name=desk.store.policy.name,
        policy=policy_text(desk),
        suppliers=suppliers_text(desk, verified),
    )


class LLMAgent:
    """One chat turn through the model and the tools."""

    def __init__(self, desk: ReturnsDesk, llm: LLM, offline: OfflineDialogue) -> None:
        self.desk = desk
        self.llm = llm
        self.offline = offline

    def turn(
        self, state: DialogueState | Mapping[str, Any], event: dict[str, Any]
    ) -> tuple[DialogueState, list[dict[str, Any]]]:
        st = DialogueState.load(state)
        text = str(event.get("text") or "")
        deterministic = (
            event.get("type") == "photo"
            or (
                st.expecting in ("confirm", "cancel_confirm")
                and yes_or_no(text) is not None
                and not read_message(text, st.expecting).has_return_details
            )
            or (
                # The one-time code path is the offline dialogue's: a code never goes to a model.
                not st.verified and code_path(st, text)
            )
        )
        if deterministic:
            return self.offline.turn(st, event)
        history = list(st.llm_messages or [])[-HISTORY:]
        history.append({"role": "user", "content": text[:4000]})
        replies: list[dict[str, Any]] = []
        try:
            for _round in range(MAX_TOOL_ROUNDS + 1):
                verified = self.offline._verified(st)
                messages = [{"role": "system", "content": system_prompt(self.desk, verified)}]
                message = self.llm.chat(
                    [*messages, *history],
                    tools=tool_specs() if _round < MAX_TOOL_ROUNDS else None,
                )
                calls = [
                    call
                    for call in message.tool_calls or []
                    if isinstance(call, ChatCompletionMessageFunctionToolCall)
                ]
                if _round == MAX_TOOL_ROUNDS:
                    calls = []  # no tools were offered in the last round: nothing more runs
                if not calls:
                    answer = (message.content or "").strip()
                    history.append({"role": "assistant", "content": answer})
                    if answer and st.expecting != "confirm":
                        replies.insert(0, reply(answer))
                    elif answer and not replies:
                        replies.append(reply(answer))
                    break
                history.append(
                    {
                        "role": "assistant",
                        "content": message.content or "",
                        "tool_calls": [
                            {
                                "id": call.id,
                                "type": "function",
                                "function": {
                                    "name": call.function.name,
                                    "arguments": call.function.arguments,
                                },
                            }
                            for call in calls
                        ],
                    }
                )
                for call in calls:
                    result, shown = self.run_tool(
                        st, call.function.name, call.function.arguments, text
                    )
                    replies.extend(shown)
                    history.append(
                        {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
                    )
        except LLMError as error:
            log.warning("chat LLM turn fell back to the offline dialogue: %s", error)
            st.llm_messages = history[:-1][-HISTORY:]
            return self.offline.turn(st, event)
        st.llm_messages = _trim(history)
        if not replies:
            replies.append(reply("Sorry, could you say that again?"))
        if st.expecting == "confirm" and not replies[-1]["quick_replies"]:
            replies[-1]["quick_replies"] = [
                {"label": "Yes, submit it", "value": "yes"},
                {"label": "No", "value": "no"},
            ]
        st.quick_replies = replies[-1]["quick_replies"]
        return st, replies

    # -- tools ------------------------------------------------------------------------------

    def run_tool(
        self, st: DialogueState, name: str, arguments: str, customer_text: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Run one tool call; returns the result for the model and replies for the customer."""
        if name not in TOOLS:
            return {"error": f"unknown tool {name!r}; the tools are {sorted(TOOLS)}"}, []
        model, _ = TOOLS[name]
        try:
            raw = json.loads(arguments or "{}")
        except json.JSONDecodeError:
            return {"error": "the arguments are not valid JSON"}, []
        try:
            args = model.model_validate(raw)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                for e in error.errors()[:5]
            )
            return {"error": f"invalid arguments: {problems}"}, []
        try:
            return getattr(self, f"_tool_{name}")(st, args, customer_text)  # type: ignore[no-any-return]
        except chat_tools.ReturnError as error:
            return {"error": error.message}, []

    def _tool_verify_order(
        self, st: DialogueState, args: VerifyOrderArgs, _text: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        outcome = chat_tools.verify_customer(self.desk, st.session, args.order_number, args.email)
        if outcome.verified is None:
            return {"verified": False, "message": outcome.message}, []
        previous = self.offline._verified(st)
        if previous is not None and previous.order != outcome.verified.order:
            self.offline._clear_draft(st)
        st.verified = outcome.verified.model_dump()
        verified = outcome.verified
        return {
            "verified": True,
            "order": verified.order,
            "customer_name": verified.customer_name,
            "delivered": verified.delivered,
            "marketplace_return": verified.marketplace,
            "items": [item.model_dump() for item in verified.items],
        }, []

    def _tool_return_status(
        self, st: DialogueState, args: ReturnStatusArgs, _text: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        verified = self.offline._verified(st)
        if verified is None:
            return {"error": "verify the order number and email first"}, []
        return {"status": chat_tools.case_status(self.desk, verified, args.case_code)}, []

    def _tool_prepare_return(
        self, st: DialogueState, args: PrepareReturnArgs, text: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        verified = self.offline._verified(st)
        if verified is None:
            return {"error": "verify the order number and email first"}, []
        draft = Draft(
            lines=args.items,
            resolution=args.resolution,
            note=args.note or text[:500],
            photo_ids=list(st.photos or []),
        )
        problems = chat_tools.check_draft(self.desk, verified, draft)
        if problems:
            return {"error": " ".join(problems)}, []
        st.lines = [
            {"sku": line.sku, "quantity": line.quantity, "reason": line.reason.value}
            for line in args.items
        ]
        st.resolution = args.resolution
        st.note = draft.note
        st.goal = "return"
        shown = self.offline._confirm(st, verified)
        return {"prepared": True, "shown_to_customer": shown[-1]["text"]}, shown

    def _tool_request_human(
        self, st: DialogueState, args: RequestHumanArgs, text: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        verified = self.offline._verified(st)
        message = chat_tools.hand_off(self.desk, st.session, args.reason or text, verified)
        return {"handed_off": True}, [reply(message)]


def _trim(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the last turns, never starting with a tool result cut off from its call."""
    kept = history[-HISTORY:]
    while kept and kept[0].get("role") == "tool":
        kept = kept[1:]
    return kept
