"""Reading a supplier's reply with a language model (structured output), when a key is set.

The model only reads: its answer is checked against the reply before anyone acts on it. An
RMA number or an address the reply does not contain is dropped; a decision the offline reader
sees as a question stays a question; an intent that does not fit what the case waits for is
"unclear". Any failure of the model falls back to the offline reader.
"""

from __future__ import annotations

import logging
import re
from importlib import resources
from typing import Literal

from pydantic import BaseModel

from graph.llm import LLM, LLMConfig, LLMError
from graph.supplier_answers import Reader
from language.supplier.reader import (
    Expecting,
    SupplierReading,
    clean_slack_text,
    read_supplier_reply,
)

log = logging.getLogger("returnbridge.supplier_reader")

_FITS: dict[str, set[str]] = {
    "authorisation": {"approve", "decline", "question", "unclear"},
    "inspection": {"inspected_ok", "inspected_failed", "question", "unclear"},
    "any": {"approve", "decline", "inspected_ok", "inspected_failed", "question", "unclear"},
}


class SupplierReplyReading(BaseModel):
    """The shape the model answers in."""

    intent: Literal["approve", "decline", "inspected_ok", "inspected_failed", "question", "unclear"]
    rma: str | None = None
    address: str | None = None
    question: str | None = None
    conditions: list[str] = []
    note: str = ""


def _prompt(expecting: Expecting) -> str:
    text = resources.files("prompts").joinpath("supplier_reply.txt").read_text(encoding="utf-8")
    return text.replace("{expecting}", expecting)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _grounded_rma(rma: str | None, reply: str) -> str | None:
    if not rma or not re.search(r"\d", rma):
        return None
    bare = _squash(rma).removeprefix("rma")
    return rma.strip().upper() if bare and bare in _squash(reply) else None


def _grounded_address(address: str | None, reply: str) -> str | None:
    if not address or not address.strip():
        return None
    numbers = re.findall(r"\d+", address)
    words = [w for w in re.findall(r"[^\W\d_]{3,}", address.lower())]
    text = reply.lower()
    if not numbers or any(n not in reply for n in numbers):
        return None
    if words and sum(w in text for w in words) < max(1, len(words) // 2):
        return None
    return re.sub(r"\s+", " ", address).strip(" ,")


def _grounded_conditions(conditions: list[str], reply: str) -> list[str]:
    """The conditions whose words the reply holds (most of them): a condition is told to the
    customer, so one the model made up is dropped."""
    kept = []
    text = reply.lower()
    for condition in conditions:
        words = re.findall(r"[^\W\d_]{3,}", condition.lower())
        if words and sum(w in text for w in words) * 3 >= len(words) * 2:
            kept.append(re.sub(r"\s+", " ", condition).strip(" ,."))
    return kept


def read_with_llm(llm: LLM, text: str, expecting: Expecting) -> SupplierReading:
    """The model's reading, checked against the reply. Raises ``LLMError`` when it fails."""
    clean = clean_slack_text(text)
    answer = llm.structured(
        [
            {"role": "system", "content": _prompt(expecting)},
            {"role": "user", "content": clean},
        ],
        SupplierReplyReading,
    )
    offline = read_supplier_reply(text, expecting)
    intent = answer.intent if answer.intent in _FITS[expecting] else "unclear"
    if intent in ("approve", "decline", "inspected_ok", "inspected_failed") and (
        offline.intent == "question"
    ):
        intent = "question"  # a question is never read as a decision
    return SupplierReading(
        intent=intent,
        rma=_grounded_rma(answer.rma, clean),
        address=_grounded_address(answer.address, clean),
        note=(answer.note or "").strip()[:500] or re.sub(r"\s+", " ", clean).strip()[:500],
        question=(answer.question or "").strip() or offline.question,
        conditions=(
            (_grounded_conditions(answer.conditions, clean) or offline.conditions)
            if intent == "approve"
            else []
        ),
        text=text,
        backend="llm",
    )


def llm_reader(llm: LLM) -> Reader:
    """A reader that asks the model and falls back to the offline reader on any failure."""

    def read(text: str, expecting: Expecting) -> SupplierReading:
        try:
            return read_with_llm(llm, text, expecting)
        except LLMError as error:
            log.warning("supplier reply read offline: %s", error)
            return read_supplier_reply(text, expecting)

    return read


def reader_from_env() -> Reader:
    """The LLM reader when ``OPENAI_API_KEY`` is set, else the offline one."""
    config = LLMConfig.from_env()
    if not config.enabled:
        return read_supplier_reply
    return llm_reader(LLM(config))
