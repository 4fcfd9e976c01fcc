"""Our graphs run LangGraph's background work in the calling thread.

LangGraph gives every ``invoke`` a new thread pool for its background work (checkpoint and
pending-write saves, tasks of a step that runs several nodes at once) and shuts it down when
the invoke returns: a thread or two created and joined per call. Our graphs (the chat's, one
per conversation, and the case graph, one per return) run one node per step and write their
checkpoint once, when the invoke stops (``durability="exit"``), and the caller waits for that
write before it answers: nothing of theirs runs in parallel, so the pool only costs the
threads. Inside :func:`inline` that work runs where it is handed over, in the same order, its
errors raised the same way (through the future, at the loop's exit). Any graph invoked outside
the block keeps LangGraph's pool.

LangGraph has no setting for its executor; the hook is the function its background executor
calls (``langgraph.pregel._executor.get_executor_for_config``). A LangGraph without it keeps
its pool, and ``tests/chat/test_statements_per_turn.py`` fails on the threads it starts.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from langgraph.pregel import _executor

_inline_here: ContextVar[bool] = ContextVar("inline_background", default=False)


class InlineExecutor(concurrent.futures.Executor):
    """Runs each task when it is submitted and hands back its finished future."""

    def submit(  # type: ignore[override]
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed over like the pool's: raised on the loop's exit
            future.set_exception(error)
        return future


@contextlib.contextmanager
def _inline_executor() -> Iterator[concurrent.futures.Executor]:
    yield InlineExecutor()


@contextlib.contextmanager
def inline() -> Iterator[None]:
    """Graphs invoked inside the block run their background work in this thread."""
    install()
    token = _inline_here.set(True)
    try:
        yield
    finally:
        _inline_here.reset(token)


def install() -> None:
    """Put the hook in place (once; a LangGraph without it keeps its pool)."""
    original = getattr(_executor, "get_executor_for_config", None)
    if original is None or getattr(original, "inline_background", False):
        return

    def executor_for(config: Any) -> Any:
        return _inline_executor() if _inline_here.get() else original(config)

    executor_for.inline_background = True  # type: ignore[attr-defined]
    _executor.get_executor_for_config = executor_for  # type: ignore[assignment]
