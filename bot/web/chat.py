"""The chat widget on the store's site: the demo store page, ``/widget.js`` and its JSON API.

Any page embeds the chat with one tag, ``<script src="https://returns.example/widget.js"
defer></script>``. The session id the API hands out is the customer's key to the
conversation; the widget keeps it in ``localStorage``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.web.deps import ChatDep, DeskDep, TemplatesDep
from bot.web.request_limits import ID_MAX
from graph.chat_graph import ChatMessage, CustomerChat, quick_replies_of
from tools.accept_photo import MAX_BYTES
from tools.errors import InvalidUpload
from tools.text_checks import PlainText

HERE = Path(__file__).parent
T = TypeVar("T")


class ChatInput(BaseModel):
    """What the customer sends: typed text, or the value of a quick-reply button."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=4000)
    choice: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_of(self) -> ChatInput:
        if not (self.text or "").strip() and not (self.choice or "").strip():
            raise ValueError("send 'text' or 'choice'")
        return self


class ChatReply(BaseModel):
    session: str
    messages: list[ChatMessage]
    quick_replies: list[dict[str, str]]


router = APIRouter()


async def in_turn(request: Request, work: Callable[..., T], *args: Any) -> T:
    """Run a chat turn (or a read of one) on a request thread, at most ``chat_turns`` at
    once in this process (``app.state.chat_turns``). A turn is CPU-bound Python: with more
    of them runnable at once they only take the interpreter from each other (and, holding a
    database lock, keep the others waiting for it). The ones over the limit wait here, on
    the event loop, first come first served, without a thread of their own: the other
    routes keep theirs."""
    turns: anyio.CapacityLimiter = request.app.state.chat_turns
    return await anyio.to_thread.run_sync(work, *args, limiter=turns)


def answer_turn(session_id: str, messages: list[ChatMessage]) -> ChatReply:
    # the whole transcript, or all of one turn's answers: their own buttons, no second read
    return ChatReply(
        session=session_id, messages=messages, quick_replies=quick_replies_of(messages)
    )


@router.get("/", response_class=HTMLResponse)
def demo_store(request: Request, desk: DeskDep, templates: TemplatesDep) -> HTMLResponse:
    policy = desk.store.policy
    return templates.TemplateResponse(
        request,
        "store.html",
        {"store_name": policy.name, "window_days": policy.return_window_days},
    )


@router.get("/widget.js")
def widget(desk: DeskDep) -> Response:
    script = (HERE / "static" / "widget.js").read_text(encoding="utf-8")
    # The store's colour: a "#rrggbb" the policy has already checked, written as JSON.
    colour = json.dumps(desk.store.policy.brand_colour)
    return Response(
        script.replace("/*RB_BRAND*/null", colour, 1),
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.post("/api/chat/sessions", status_code=201)
async def start(request: Request, chat: ChatDep) -> ChatReply:
    return await in_turn(request, open_session, chat)


def open_session(chat: CustomerChat) -> ChatReply:
    session_id, messages = chat.start()  # the greeting read back where it was written
    return answer_turn(session_id, messages)


@router.get("/api/chat/sessions/{session_id}/messages")
async def transcript(
    request: Request,
    session_id: str,
    chat: ChatDep,
    after: Annotated[int, Query(ge=0, le=ID_MAX)] = 0,
) -> ChatReply:
    return await in_turn(request, read_transcript, chat, session_id, after)


def read_transcript(chat: CustomerChat, session_id: str, after: int) -> ChatReply:
    # the messages and the buttons shown now in one read (a poll seldom has news)
    messages, buttons = chat.transcript(session_id, after)
    return ChatReply(session=session_id, messages=messages, quick_replies=buttons)


@router.post("/api/chat/sessions/{session_id}/messages")
async def send(request: Request, session_id: str, body: ChatInput, chat: ChatDep) -> ChatReply:
    return await in_turn(request, take_turn, chat, session_id, body)


def take_turn(chat: CustomerChat, session_id: str, body: ChatInput) -> ChatReply:
    if body.choice and body.choice.strip():
        messages = chat.press(session_id, body.choice)
    else:
        messages = chat.say(session_id, body.text or "")
    return answer_turn(session_id, messages)


@router.post("/api/chat/sessions/{session_id}/photos")
async def photo(
    request: Request,
    session_id: str,
    chat: ChatDep,
    photo: Annotated[UploadFile, File()],
    description: Annotated[PlainText, Form(max_length=500)] = "",
) -> ChatReply:
    data = await photo.read(MAX_BYTES + 1)
    if not data:
        raise InvalidUpload("The upload is empty. Please choose a photo.")
    # The turn and the quick replies read and write the database: off the event loop.
    return await in_turn(request, send_photo, chat, session_id, data, description)


def send_photo(chat: CustomerChat, session_id: str, data: bytes, description: str) -> ChatReply:
    return answer_turn(session_id, chat.send_photo(session_id, data, description))


@router.get("/api/chat/sessions/{session_id}/cases/{code}/label.pdf")
def label(session_id: str, code: str, chat: ChatDep) -> Response:
    pdf = chat.label_pdf(session_id, code)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{code.upper()}-label.pdf"'},
    )


def describe(reply: ChatReply) -> dict[str, Any]:
    return reply.model_dump(mode="json")
