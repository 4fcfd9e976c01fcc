"""The chat graph: one LangGraph thread per chat session, on the case graph's checkpointer.

Each customer turn (a message, a quick-reply press or a photo) is one ``invoke`` on the
session's thread (thread id = session id). ``converse`` runs the turn on the session's
backend — the offline dialogue (``graph/chat_dialogue.py``) or the LLM agent
(``graph/chat_llm.py``), which both call the deterministic chat tools — and ``record`` writes
the replies, and any news from the session's cases, to the transcript.

:class:`CustomerChat` is the one entry point for the web API, the scenario runner and the
benchmark.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from graph import chat_tools, inline_background
from graph.chat_dialogue import OfflineDialogue
from graph.chat_state import DialogueState
from graph.chat_tools import ALREADY_HANDED
from graph.checkpoints import one_write
from graph.desk import ReturnsDesk
from graph.llm import LLM, LLMConfig
from graph.owner_inbox import FORWARDED, forward_customer_words
from ledger import chat_log
from ledger.chat_models import ChatMessageRow
from tools.errors import CaseNotFound, ReturnError

Backend = Literal["offline", "llm"]


class ChatMessage(BaseModel):
    """One line of the transcript as the widget shows it."""

    id: int
    role: str
    text: str
    at: str
    quick_replies: list[dict[str, str]] = Field(default_factory=list)
    case: str | None = None
    label_url: str | None = None


class ChatTurnState(TypedDict, total=False):
    # The dialogue as plain JSON (``DialogueState.dump``): a checkpoint never names a class,
    # and the dicts earlier versions wrote load with ``DialogueState.load``.
    dialogue: dict[str, Any]
    event: dict[str, Any]
    replies: list[dict[str, Any]]


# What a turn tells its graph nodes beyond the state; a configurable key that starts with
# "__" is never copied into the checkpoint's metadata.
_TURN_KEY = "__chat_turn"


@dataclass
class _Turn:
    start: chat_log.TurnStart  # where the session stood when the turn began
    answer: list[Any] = field(default_factory=list)  # the bot's messages since then


def state_submitted(state: ChatTurnState) -> list[str]:
    """The cases the session's dialogue opened (``DialogueState.submitted``)."""
    return list((state.get("dialogue") or {}).get("submitted") or [])


def _turn_of(config: RunnableConfig) -> _Turn | None:
    turn = (config.get("configurable") or {}).get(_TURN_KEY)
    return turn if isinstance(turn, _Turn) else None


def _message(row: ChatMessageRow | Any) -> ChatMessage:
    payload = row.payload or {}
    return ChatMessage(
        id=row.id,
        role=row.role,
        text=row.text,
        at=row.at.isoformat(),
        quick_replies=list(payload.get("quick_replies") or []),
        case=payload.get("case"),
        label_url=payload.get("label_url"),
    )


class CustomerChat:
    """Customer chat sessions over a returns desk.

    Args:
        desk: the returns desk; its checkpointer keeps the chat threads too.
        backend: ``"offline"``, ``"llm"``, or None for ``llm`` when ``OPENAI_API_KEY`` is set.
        llm: the model connection for the LLM backend (default: from the environment).
        label_url: ``label_url(session_id, case_code)`` gives the label link shown in the chat.
    """

    def __init__(
        self,
        desk: ReturnsDesk,
        backend: Backend | None = None,
        *,
        llm: LLM | None = None,
        label_url: Callable[[str, str], str] | None = None,
    ) -> None:
        self.desk = desk
        config = llm.config if llm is not None else LLMConfig.from_env()
        self.backend: Backend = backend or ("llm" if config.enabled else "offline")
        self._llm = llm
        self.offline = OfflineDialogue(desk)
        self._agent: Any = None
        self.label_url = label_url or (
            lambda session_id, code: f"/api/chat/sessions/{session_id}/cases/{code}/label.pdf"
        )
        self.graph = self._build()

    # -- the graph --------------------------------------------------------------------------

    def agent(self) -> Any:
        if self._agent is None:
            from graph.chat_llm import LLMAgent

            self._agent = LLMAgent(self.desk, self._llm or LLM(), self.offline)
        return self._agent

    def _build(self) -> Any:
        def converse(state: ChatTurnState, config: RunnableConfig) -> dict[str, Any]:
            # The dialogue comes from the thread's checkpoint (the turn's input carries only
            # the event): no second read of the checkpoint before the invoke.
            session_id = _session_of(config)
            dialogue = DialogueState.load(state.get("dialogue"), session_id)
            dialogue.session = session_id
            event = state.get("event") or {}
            turn = _turn_of(config)
            # Only a chat handed to the owner can have a handoff item open (``hand_off`` sets
            # the flag with the item): the others spare the owner's inbox a query.
            handed_off = turn.start.handed_off if turn is not None else True
            if handed_off and event.get("type") in ("text", "choice"):
                # A customer handed to the owner talks to the owner now, not to the bot;
                # only an order not yet identified is still read (so the owner can answer).
                identified = forward_customer_words(
                    self.desk, dialogue.session, str(event.get("text") or "")
                )
                if identified is not None:
                    # The words went to the owner's open item; the bot still answers what it
                    # can (a status, the return the customer goes on with), but does not
                    # start over with a menu or a "didn't get that".
                    forwarded = {"text": FORWARDED, "quick_replies": [], "payload": {}}
                    if dialogue.backend == "llm":
                        dialogue, replies = self.agent().turn(dialogue, event)
                    else:
                        dialogue, replies = self.offline.turn(dialogue, event)
                    kept = [r for r in replies if not _starts_over(str(r.get("text", "")))]
                    return {"dialogue": dialogue.dump(), "replies": [forwarded, *kept]}
            if dialogue.backend == "llm":
                dialogue, replies = self.agent().turn(dialogue, event)
            else:
                dialogue, replies = self.offline.turn(dialogue, event)
            return {"dialogue": dialogue.dump(), "replies": replies}

        def record(state: ChatTurnState, config: RunnableConfig) -> dict[str, Any]:
            # One write: the replies (one statement), the case news, and what the turn
            # answers (read back in the same transaction).
            session_id = _session_of(config)  # the dialogue's session, without loading it
            now = self.desk.clock.now()
            replies = []
            for item in state.get("replies") or []:
                payload = dict(item.get("payload") or {})
                payload["quick_replies"] = item.get("quick_replies") or []
                replies.append((str(item["text"]), payload))
            turn = _turn_of(config)
            # A chat without cases has no news; only this turn may have opened its first.
            news = turn is None or turn.start.has_cases or bool(state_submitted(state))
            with self.desk.session() as session:
                chat_log.add_bot_messages(session, session_id, now, replies)
                if news:
                    self._post_notices(session, session_id)
                if turn is None:
                    chat_log.touch(session, session_id, now)
                else:
                    turn.answer = chat_log.bot_messages_after(session, session_id, turn.start.mark)
            return {}

        builder = StateGraph(ChatTurnState)
        builder.add_node("converse", converse)
        builder.add_node("record", record)
        builder.add_edge(START, "converse")
        builder.add_edge("converse", "record")
        builder.add_edge("record", END)
        return builder.compile(checkpointer=self.desk.checkpointer)

    def _post_notices(self, session: Any, session_id: str) -> None:
        chat_log.post_case_notices(
            session,
            session_id,
            self.desk.clock.now(),
            label_url=lambda code: self.label_url(session_id, code),
        )

    def _session_lock(self, session_id: str) -> contextlib.AbstractContextManager[None]:
        """One turn at a time per session: in this process, and across processes on PostgreSQL
        (on the one connection the turn works on, see ``ReturnsDesk.serialized``)."""
        return self.desk.serialized(f"chat:{session_id}")

    # -- sessions ---------------------------------------------------------------------------

    def open_session(self, backend: Backend | None = None, greet: bool = True) -> str:
        """Start a conversation; returns its id (the customer's key to it)."""
        return self._open(backend, greet, read_back=False)[0]

    def start(
        self, backend: Backend | None = None, greet: bool = True
    ) -> tuple[str, list[ChatMessage]]:
        """``open_session`` and its transcript so far (the greeting), read back in the
        transaction that wrote it: a new chat has no case news to post first."""
        return self._open(backend, greet, read_back=True)

    def _open(
        self, backend: Backend | None, greet: bool, *, read_back: bool
    ) -> tuple[str, list[ChatMessage]]:
        chosen = backend or self.backend
        now = self.desk.clock.now()
        with self.desk.session() as session:
            session_id = chat_log.create_session(session, now, chosen)
            if greet:
                store = _sentence_end(self.desk.store.policy.name)
                greeting = (
                    f"Hi! I'm the returns assistant of {store} I can help you return an item, "
                    "check on a return, or answer questions about our returns policy. What can I "
                    "do for you?"
                )
                chat_log.add_bot_messages(
                    session, session_id, now, [(greeting, {"quick_replies": _menu()})]
                )
            rows = chat_log.messages_after(session, session_id, 0) if read_back else []
            messages = [_message(row) for row in rows]
        state = DialogueState(session=session_id, backend=chosen)
        self.graph.update_state(
            self._config(session_id), {"dialogue": state.dump(), "replies": []}, as_node="record"
        )
        return session_id, messages

    def exists(self, session_id: str) -> bool:
        with self.desk.reading() as session:
            return chat_log.get_session(session, session_id) is not None

    def _require(self, session_id: str) -> None:
        if not isinstance(session_id, str) or not self.exists(session_id):
            raise CaseNotFound("This chat was not found. Please start a new one.")

    @staticmethod
    def _config(session_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": f"chat:{session_id}"}}

    def _turn(
        self, session_id: str, event: dict[str, Any], customer_text: str
    ) -> list[ChatMessage]:
        if not isinstance(session_id, str):
            raise CaseNotFound("This chat was not found. Please start a new one.")
        with self._session_lock(session_id):
            # one transaction: the session exists, whether it was handed to the owner, where
            # its transcript stands, the message
            now = self.desk.clock.now()
            with self.desk.session() as session:
                start = chat_log.turn_start(session, session_id, now)
                if start is None:
                    raise CaseNotFound("This chat was not found. Please start a new one.")
                chat_log.add_customer_message(
                    session, session_id, now, customer_text, {"kind": event.get("type", "text")}
                )
            turn = _Turn(start)
            # One checkpoint per turn, written when the turn ends: a turn is one unit for
            # the customer (no step of it is ever resumed on its own), and every checkpoint
            # costs a write under the database's write lock.
            config = self._config(session_id)
            config["configurable"][_TURN_KEY] = turn
            # the turn's checkpoint written in its thread, in one transaction
            with inline_background.inline(), one_write(self.desk.checkpointer):
                self.graph.invoke({"event": event, "replies": []}, config, durability="exit")
        return [_message(row) for row in turn.answer]

    def say(self, session_id: str, text: str) -> list[ChatMessage]:
        """The customer types ``text``; returns what the bot says back."""
        text = str(text or "").strip()[:4000]
        if not text:
            return []
        return self._turn(session_id, {"type": "text", "text": text}, text)

    def press(self, session_id: str, value: str) -> list[ChatMessage]:
        """The customer presses a quick-reply button with this value."""
        value = str(value or "").strip()[:200]
        label = next(
            (b["label"] for b in self.quick_replies(session_id) if b["value"] == value), value
        )
        return self._turn(session_id, {"type": "choice", "text": value}, label)

    def send_photo(self, session_id: str, data: bytes, description: str = "") -> list[ChatMessage]:
        """The customer uploads a photo; ``InvalidUpload`` (a clear message) if it is not one."""
        self._require(session_id)
        photo_id = chat_tools.store_photo(self.desk, session_id, data, description)
        return self._turn(
            session_id,
            {"type": "photo", "photo_id": photo_id, "description": description},
            "[photo]" + (f" {description}" if description else ""),
        )

    def messages(self, session_id: str, after: int = 0) -> list[ChatMessage]:
        """The transcript after message ``after``, with the latest case news posted first."""
        return self._transcript(session_id, after, buttons=False)[0]

    def transcript(
        self, session_id: str, after: int = 0
    ) -> tuple[list[ChatMessage], list[dict[str, str]]]:
        """``messages`` and ``quick_replies`` in the same read: the widget's poll without news
        is one read-only transaction, not two."""
        return self._transcript(session_id, after, buttons=True)

    def _transcript(
        self, session_id: str, after: int, *, buttons: bool
    ) -> tuple[list[ChatMessage], list[dict[str, str]]]:
        if not isinstance(session_id, str):
            raise CaseNotFound("This chat was not found. Please start a new one.")
        # The widget asks every few seconds and there is seldom news: a read, no write lock.
        with self.desk.reading() as session:
            waiting = chat_log.news_waiting(session, session_id)
            if waiting is None:
                raise CaseNotFound("This chat was not found. Please start a new one.")
            if not waiting:
                rows = chat_log.messages_after(session, session_id, after)
                messages = [_message(row) for row in rows]
                return messages, _buttons(session, session_id, messages) if buttons else []
        with self.desk.session() as session:
            self._post_notices(session, session_id)
            rows = chat_log.messages_after(session, session_id, after)
            messages = [_message(row) for row in rows]
            return messages, _buttons(session, session_id, messages) if buttons else []

    def quick_replies(self, session_id: str) -> list[dict[str, str]]:
        # The buttons of the bot's last message that has some, unless the customer spoke
        # since: only the messages after the customer's last one are read.
        with self.desk.reading() as session:
            rows = chat_log.since_customer_spoke(session, session_id)
        return _buttons_of(rows)

    def state(self, session_id: str) -> DialogueState:
        """What the session remembers (a new session's state when it has none)."""
        snapshot = self.graph.get_state(self._config(session_id))
        return DialogueState.load((snapshot.values or {}).get("dialogue"), session_id)

    def label_pdf(self, session_id: str, code: str) -> bytes:
        """A label of a case this chat opened or whose order it verified."""
        self._require(session_id)
        code = code.strip().upper()
        with self.desk.session() as session:
            linked = code in chat_log.linked_cases(session, session_id)
            chat = chat_log.get_session(session, session_id)
            verified_order = chat.order_number if chat is not None else None
        if not linked:
            try:
                view = self.desk.case_view(code)
            except ReturnError:
                view = None
            if view is None or verified_order is None or view.order.upper() != verified_order:
                raise CaseNotFound("There is no label for that return in this chat.")
        pdf = self.desk.label_pdf(code)
        if pdf is None:
            raise CaseNotFound("This return has no label yet.")
        return pdf


def _buttons_of(rows: list[Any]) -> list[dict[str, str]]:
    """The buttons among what the bot said since the customer last spoke
    (``chat_log.since_customer_spoke``)."""
    for row in reversed(rows):
        if row.role == "bot" and (row.payload or {}).get("quick_replies"):
            return list(row.payload["quick_replies"])
    return []


def _buttons(session: Any, session_id: str, messages: list[ChatMessage]) -> list[dict[str, str]]:
    """The buttons shown now: found among ``messages`` (the newest of the transcript) when
    they reach back to a customer message or to a bot message with buttons, else read."""
    for message in reversed(messages):
        if message.role == "customer":
            return []
        if message.role == "bot" and message.quick_replies:
            return list(message.quick_replies)
    return _buttons_of(chat_log.since_customer_spoke(session, session_id))


def _sentence_end(name: str) -> str:
    """The store's name closing a sentence: "Acme Ltd." keeps its one full stop."""
    return name if name.endswith((".", "!", "?")) else f"{name}."


def _session_of(config: RunnableConfig) -> str:
    """The chat session of a turn, from its thread id (``chat:<session id>``)."""
    thread = str((config.get("configurable") or {}).get("thread_id", ""))
    return thread.removeprefix("chat:")


def _starts_over(text: str) -> bool:
    """A reply that would greet, offer the menu again or repeat the handoff."""
    return text.startswith(
        ("Sorry, I didn't get that", "Sorry, I still didn't", "Hi! I can help", ALREADY_HANDED)
    )


def quick_replies_of(messages: list[ChatMessage]) -> list[dict[str, str]]:
    """The buttons to show under these messages, the newest of a transcript or of one turn's
    answers: those of the last bot message that has some, unless the customer spoke since."""
    for message in reversed(messages):
        if message.role == "bot" and message.quick_replies:
            return list(message.quick_replies)
        if message.role == "customer":
            return []
    return []


def _menu() -> list[dict[str, str]]:
    from graph.chat_dialogue import MENU

    return list(MENU)
