"""Run an external effect once per idempotency key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.models import EffectRow
from tools.context import ToolContext


def once(
    ctx: ToolContext,
    key: str,
    kind: str,
    case_code: str | None,
    effect: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """The effect's result and whether it ran now (False: it had run before)."""
    done = ctx.session.get(EffectRow, key)
    if done is not None:
        return done.result, False
    result = effect()
    ctx.session.add(
        EffectRow(idempotency_key=key, kind=kind, case_code=case_code, result=result, at=ctx.now)
    )
    ctx.session.flush()
    return result, True
