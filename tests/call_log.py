"""Record the calls made to a function while a test runs, and let each go through."""

from __future__ import annotations

import functools
from typing import Any

import pytest


def calls_to(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[tuple[Any, ...]]:
    """Replace ``owner.name`` (undone with ``monkeypatch``) by a wrapper that calls the real
    one; returns the list the positional arguments of each call are appended to."""
    calls: list[tuple[Any, ...]] = []
    real = getattr(owner, name)

    @functools.wraps(real)
    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recorded)
    return calls
