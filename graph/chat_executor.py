"""A chat turn's graph runs its background work in the turn's own thread.

LangGraph gives every ``invoke`` a new thread pool for its background work; a chat turn's
only such work is writing its one checkpoint (``durability="exit"``), which the turn then waits
for. The pool starts a thread for it and shuts down after: a thread created and joined per
turn, the largest single cost of a turn outside the dialogue on a busy web process. The chat
graph has one node per step, so nothing of its runs in parallel anyway: for the chat threads
(thread id ``chat:<session id>``) the work is done where it is handed over, in the same order,
its errors raised the same way (through the future). Every other graph (the case graph, also
when a chat turn opens a case) keeps LangGraph's own pool.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from langgraph.pregel import _executor

CHAT_THREAD_PREFIX = "chat:"


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
def _inline() -> Iterator[concurrent.futures.Executor]:
    yield InlineExecutor()


def _is_chat_thread(config: Any) -> bool:
    configurable = (config or {}).get("configurable") or {}
    return str(configurable.get("thread_id", "")).startswith(CHAT_THREAD_PREFIX)


def install() -> None:
    """Route the chat threads' background work through :class:`InlineExecutor` (once; a
    LangGraph without the hook keeps its pool)."""
    original = getattr(_executor, "get_executor_for_config", None)
    if original is None or getattr(original, "chat_inline", False):
        return

    def executor_for(config: Any) -> Any:
        return _inline() if _is_chat_thread(config) else original(config)

    executor_for.chat_inline = True  # type: ignore[attr-defined]
    _executor.get_executor_for_config = executor_for  # type: ignore[assignment]
