"""What a chat session remembers between turns: :class:`DialogueState`.

Both chat backends (the offline dialogue and the LLM agent) work on this typed object. The
chat graph's checkpointer keeps it as the plain JSON of :meth:`DialogueState.dump`, not as a
pickled class, so a checkpoint stays readable whatever the code is called later, and the dicts
that earlier versions wrote (the same keys, some of them missing) load through
:meth:`DialogueState.load`: a key not written takes its default, a key no longer used is
dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class DialogueState(BaseModel):
    """One chat session's memory. Everything is JSON-able; money is never kept here (amounts are
    computed from the ledger when a summary is shown)."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    session: str = ""
    """The chat session id (the customer's key to the conversation)."""
    backend: str = "offline"
    """Which backend answers: ``offline`` (the dialogue) or ``llm`` (the agent)."""
    verified: dict[str, Any] | None = None
    """The order once its number and e-mail matched (``chat_tools.Verified`` as a dict, with
    what is left to return); None before, and nothing about an order is said until then."""
    pending_order: str | None = None
    """An order number given before its e-mail."""
    pending_email: str | None = None
    """An e-mail given before its order number."""
    goal: str | None = None
    """What the customer came for: ``return``, ``status``, or ``identify`` (decided once the
    order is found)."""
    lines: list[dict[str, Any]] = Field(default_factory=list)
    """The return being drafted, one line per item: ``sku``, ``name``, ``quantity`` and, once
    said, ``reason`` and ``note`` (the note is the customer's words about that item)."""
    quantity: int | str | None = None
    """A quantity said before the item it belongs to (an int, or ``"all"``)."""
    reason: str | None = None
    """A reason code said before the item it belongs to."""
    resolution: str | None = None
    """``refund``, ``store_credit`` or ``replacement``, once chosen; applies to every line."""
    note: str = ""
    """The customer's own words about the problem said before an item was placed."""
    photos: list[int] = Field(default_factory=list)
    """Ids of photos uploaded for the return being drafted."""
    expecting: str | None = None
    """The question the bot asked last (``order``, ``email``, ``item``, ``quantity``,
    ``reason``, ``resolution``, ``confirm``, ``change``, ``cancel_confirm``), so a bare answer
    ("2", "yes") counts."""
    ambiguous: list[str] = Field(default_factory=list)
    """SKUs the customer's words could mean, when they named more than one item alike."""
    unplaced: list[str] = Field(default_factory=list)
    """Messages said before the order was verified, read again once it is (the last ten)."""
    cancel_code: str | None = None
    """The case the customer is asked to confirm cancelling."""
    submitted: list[str] = Field(default_factory=list)
    """Case codes this chat opened."""
    quick_replies: list[dict[str, str]] = Field(default_factory=list)
    """The buttons under the bot's last message."""
    last_reason: str | None = None
    """The reason of the last submitted return ("same problem" in a later request)."""
    last_asked: str | None = None
    """The last question asked, to count how often it was asked in a row."""
    misses: int = 0
    """How many times in a row ``last_asked`` was asked again; after two the choices come as
    buttons with a person."""
    code_contact: str | None = None
    """The e-mail or phone a one-time code went to (graph/order_code_chat.py)."""
    code_listed: bool = False
    """The code listed the customer's orders: the pick is checked offline, never by a model."""
    llm_messages: list[dict[str, Any]] = Field(default_factory=list)
    """The LLM agent's recent conversation (its own message format); empty offline."""
    _cases: dict[str, list[Any]] = PrivateAttr(default_factory=dict)
    # The cases of an order as read in this turn (never kept in the checkpoint): one turn asks
    # the ledger once, and forgets them when it opens or cancels a case.

    def cases_of(self, order: str, read: Callable[[str], list[Any]]) -> list[Any]:
        """The order's cases: ``read(order)`` the first time in this turn."""
        if order not in self._cases:
            self._cases[order] = read(order)
        return self._cases[order]

    def know_cases(self, order: str, cases: list[Any]) -> None:
        """The order's cases as just read with the order itself."""
        self._cases[order] = cases

    def forget_cases(self) -> None:
        """Cases were opened or cancelled (or a new turn begins): read them again."""
        self._cases = {}

    @classmethod
    def load(
        cls, raw: DialogueState | Mapping[str, Any] | None, session: str = ""
    ) -> DialogueState:
        """The state from a checkpoint: a dict as any version wrote it, or None for a new one."""
        if isinstance(raw, DialogueState):
            return raw.model_copy(deep=True)
        data = {key: value for key, value in dict(raw or {}).items() if value is not None}
        if session and not data.get("session"):
            data["session"] = session
        return cls.model_validate(data)

    def dump(self) -> dict[str, Any]:
        """The state as plain JSON for the checkpoint."""
        return self.model_dump(mode="json")
