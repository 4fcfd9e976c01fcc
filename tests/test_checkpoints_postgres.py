"""The PostgreSQL checkpointer lets threads checkpoint at once, each on its own connection.

LangGraph's saver holds one lock around every use of its connection. Given a pool it needs
none (each thread gets its own connection), and the lock made every chat turn's and every case
event's checkpoint in a process wait for the one before it, round trips and all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph.checkpoints import make_checkpointer


def test_a_checkpoint_read_does_not_wait_for_another_threads_checkpoint(
    tmp_path: Path, database_factory: Callable[[str, Path], Any]
) -> None:
    with database_factory("postgresql", tmp_path) as url:
        saver, close = make_checkpointer(url, pool_size=2)
        try:
            holding, release = threading.Event(), threading.Event()

            def busy() -> None:  # another thread mid-checkpoint, its connection in use
                with saver._cursor() as cursor:  # type: ignore[attr-defined]
                    cursor.execute("select 1")
                    holding.set()
                    release.wait(10)

            other = threading.Thread(target=busy)
            other.start()
            assert holding.wait(10)
            read: list[object] = []
            reader = threading.Thread(
                target=lambda: read.append(saver.get_tuple({"configurable": {"thread_id": "c1"}}))
            )
            reader.start()
            reader.join(10)
            done = not reader.is_alive()
            release.set()
            other.join(10)
            reader.join(10)
            assert done, "the read waited for the other thread's checkpoint"
            assert read == [None]
        finally:
            close()
