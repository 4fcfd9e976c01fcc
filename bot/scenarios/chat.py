"""The customer chat inside the scenario runner: ``customer``, ``customer_choice`` and
``customer_photo`` steps drive the chat graph, one chat session per ``session:`` name.

``use_backend("llm")`` (the runner's ``--llm``) plays the same files against the LLM backend:
the customer chat, and also the supplier replies (``supplier_reader``) and the owner's rules
(``rule_compiler``), each under the same contract as offline: the model proposes a structured
reading, and deterministic code validates it and decides.
"""

from __future__ import annotations

from typing import Any

from graph.chat_graph import Backend, ChatMessage, CustomerChat
from graph.rulebook import Compiler
from graph.supplier_answers import Reader
from language.customer.text import fold
from language.supplier.reader import read_supplier_reply
from policies.models import Store
from tools.accept_photo import sample_jpeg
from tools.errors import ReturnError

_backend: Backend = "offline"


def use_backend(backend: Backend) -> None:
    """Which backend the chats, supplier replies and owner rules of the following scenario
    runs use."""
    global _backend
    _backend = backend


def supplier_reader() -> Reader:
    """How supplier replies are read: the model's reading checked against the reply on the
    LLM backend (the offline reader when the model fails), else the offline reader."""
    if _backend != "llm":
        return read_supplier_reply
    from graph.supplier_reader_llm import reader_from_env

    return reader_from_env()


def rule_compiler(store: Store) -> Compiler | None:
    """How owner rules are read: the model's rule validated against the store on the LLM
    backend (the offline compiler when the model fails); None is the offline compiler."""
    if _backend != "llm":
        return None
    from graph.rule_compiler_llm import choose_compiler

    return choose_compiler(store)


class ScenarioChats:
    """The chat sessions of one scenario run, by name."""

    def __init__(self, run: Any) -> None:
        self.chat = CustomerChat(run.desk, _backend)
        self.sessions: dict[str, str] = {}

    def session(self, name: str) -> str:
        if name not in self.sessions:
            self.sessions[name] = self.chat.open_session()
        return self.sessions[name]


def _chats(run: Any) -> ScenarioChats:
    chats = getattr(run, "_scenario_chats", None)
    if chats is None:
        chats = ScenarioChats(run)
        run._scenario_chats = chats
    return chats


def spoken(value: Any) -> str:
    """What a YAML value says: an unquoted ``yes`` / ``no`` is read as a boolean."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _texts(messages: list[ChatMessage]) -> list[str]:
    return [message.text for message in messages]


def chat_session_open(run: Any, name: str) -> bool:
    chats = getattr(run, "_scenario_chats", None)
    return chats is not None and name in chats.sessions


def customer_says(run: Any, name: str, text: Any) -> list[str]:
    chats = _chats(run)
    return _texts(chats.chat.say(chats.session(name), spoken(text)))


def customer_presses(run: Any, name: str, value: Any) -> list[str]:
    """Press the offered button whose value or label is ``value``; typed words otherwise."""
    value = spoken(value)
    chats = _chats(run)
    session_id = chats.session(name)
    wanted = fold(value).replace("_", " ").strip()
    for button in chats.chat.quick_replies(session_id):
        labels = (fold(button["value"]).replace("_", " "), fold(button["label"]).replace("_", " "))
        if wanted in labels:
            return _texts(chats.chat.press(session_id, button["value"]))
    return _texts(chats.chat.say(session_id, value))


def customer_sends_photo(run: Any, name: str, description: str) -> list[str]:
    chats = _chats(run)
    try:
        return _texts(
            chats.chat.send_photo(chats.session(name), sample_jpeg(description), description)
        )
    except ReturnError as error:
        return [error.message]
