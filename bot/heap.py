"""The heap of a long-running process (``returnbridge serve`` and ``worker``).

Python's cycle collector walks every object it tracks on its rarest, full pass. A server that
has imported its modules and built its desk, graphs and app holds a quarter of a million such
objects, none of which will ever be garbage; a full pass over them measured ~140 ms, during
which no request thread runs (and a worker inside a transaction holds SQLite's write lock that
long). Under load that pass came every few hundred requests and was the tail of the chat's
latency. ``gc.freeze`` moves the objects alive once start-up is done to a generation the
collector never walks; what requests create afterwards is collected as before.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("returnbridge.heap")


def set_aside_startup_objects() -> int:
    """Collect start-up's garbage, then keep what is left out of the collector's passes;
    returns how many objects were set aside."""
    gc.collect()
    gc.freeze()
    count = gc.get_freeze_count()
    log.info("%d objects alive after start-up set aside from the garbage collector", count)
    return count
