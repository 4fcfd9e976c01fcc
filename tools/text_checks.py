"""Text the database can store: no NUL character, no lone UTF-16 surrogate.

PostgreSQL refuses both (``A string literal cannot contain NUL``, and a surrogate cannot be
encoded as UTF-8), so a request carrying one would fail deep inside a write. The edge
refuses it first with a sentence (``bot/web/request_limits.py`` for JSON, forms and addresses;
``PlainText`` for the fields of models and multipart forms).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored, in words, or None."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000), which text cannot hold"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a broken character (a lone UTF-16 surrogate)"
    return None


def no_nul(value: str) -> str:
    """A pydantic validator for any text field."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"the text {problem}")
    return value


def refuse_bad_text(values: Any) -> Any:
    """A ``model_validator(mode="before")`` body: every text value of a model's input."""
    if isinstance(values, dict):
        for value in values.values():
            if isinstance(value, str):
                no_nul(value)
    return values


PlainText = Annotated[str, AfterValidator(no_nul)]
