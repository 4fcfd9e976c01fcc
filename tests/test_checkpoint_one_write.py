"""A graph run's checkpoint goes to SQLite in one transaction (``QueuedSqliteSaver.one_write``).

A desk call saves its checkpoint once, where the graph stops, with the pending write of the
interrupt it waits at: two writes that were two transactions. Inside ``one_write`` they are
held and written together when the block ends; a read in the block sees them; an error in the
block still writes them (as the saver would have) and keeps its own error; the checkpoint the
desk looks at before a resume is not read a second time by the graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.base import empty_checkpoint

from graph.checkpoints import QueuedSqliteSaver, make_checkpointer, one_write
from tests.test_one_checkpoint_per_call import _desk
from tools.open_case import ReturnRequest


class Statements:
    """The statements a SQLite connection runs, as it runs them."""

    def __init__(self, saver: QueuedSqliteSaver) -> None:
        self.seen: list[str] = []
        saver.conn.set_trace_callback(self.seen.append)

    def commits(self) -> int:
        return sum(1 for sql in self.seen if sql.strip().upper() == "COMMIT")

    def reads(self) -> int:
        return sum(1 for sql in self.seen if "FROM checkpoints" in sql)


@pytest.fixture
def saver(tmp_path: Path) -> Iterator[QueuedSqliteSaver]:
    made, close = make_checkpointer(f"sqlite:///{tmp_path / 'cp.db'}")
    assert isinstance(made, QueuedSqliteSaver)
    yield made
    close()


def _put(saver: QueuedSqliteSaver, thread: str) -> Any:
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    saved = saver.put(config, empty_checkpoint(), {"step": 0}, {})
    saver.put_writes(saved, [("__interrupt__", {"at": 1})], "task-1")
    return saved


def test_a_checkpoint_and_its_writes_are_one_transaction(saver: QueuedSqliteSaver) -> None:
    statements = Statements(saver)
    with one_write(saver):
        saved = _put(saver, "t1")
        assert statements.commits() == 0  # held until the block ends
    assert statements.commits() == 1
    found = saver.get_tuple({"configurable": {"thread_id": "t1"}})
    assert found is not None
    assert found.config["configurable"]["checkpoint_id"] == saved["configurable"]["checkpoint_id"]
    assert [write[1] for write in found.pending_writes or []] == ["__interrupt__"]


def test_outside_the_block_every_write_commits_alone(saver: QueuedSqliteSaver) -> None:
    statements = Statements(saver)
    _put(saver, "t1")
    assert statements.commits() == 2


def test_a_read_in_the_block_sees_what_the_block_wrote(saver: QueuedSqliteSaver) -> None:
    with one_write(saver):
        saved = _put(saver, "t1")
        found = saver.get_tuple({"configurable": {"thread_id": "t1"}})
        assert found is not None
        assert (
            found.config["configurable"]["checkpoint_id"]
            == (saved["configurable"]["checkpoint_id"])
        )


def test_an_error_in_the_block_still_writes_and_keeps_its_error(
    saver: QueuedSqliteSaver,
) -> None:
    with pytest.raises(KeyError, match="the graph's own error"), one_write(saver):
        _put(saver, "t1")
        raise KeyError("the graph's own error")
    assert saver.get_tuple({"configurable": {"thread_id": "t1"}}) is not None


def test_a_nested_block_writes_when_it_ends(saver: QueuedSqliteSaver) -> None:
    """A desk call made inside a chat turn: the case's checkpoint is written when the call's
    block ends (under the case's lock), not when the turn's does."""
    statements = Statements(saver)
    with one_write(saver):
        with one_write(saver):
            _put(saver, "case")
        assert statements.commits() == 1
        assert saver.get_tuple({"configurable": {"thread_id": "case"}}) is not None
        _put(saver, "chat")
        assert statements.commits() == 1
    assert statements.commits() == 2


def test_blocks_of_two_savers_keep_their_own_writes(tmp_path: Path) -> None:
    first, close_first = make_checkpointer(f"sqlite:///{tmp_path / 'one.db'}")
    second, close_second = make_checkpointer(f"sqlite:///{tmp_path / 'two.db'}")
    try:
        assert isinstance(first, QueuedSqliteSaver) and isinstance(second, QueuedSqliteSaver)
        with one_write(first):
            _put(second, "b")  # no block of its own: written at once, to its own file
            with one_write(second):
                _put(first, "a")
                _put(second, "c")
        assert first.get_tuple({"configurable": {"thread_id": "a"}}) is not None
        for thread in ("b", "c"):
            assert second.get_tuple({"configurable": {"thread_id": thread}}) is not None
            assert first.get_tuple({"configurable": {"thread_id": thread}}) is None
        assert second.get_tuple({"configurable": {"thread_id": "a"}}) is None
    finally:
        close_first()
        close_second()


def test_the_latest_checkpoint_is_read_once_in_a_block(saver: QueuedSqliteSaver) -> None:
    _put(saver, "t1")
    _put(saver, "t2")
    statements = Statements(saver)
    latest: Any = {"configurable": {"thread_id": "t1"}}
    with one_write(saver):
        first = saver.get_tuple(latest)
        again = saver.get_tuple(latest)  # the graph's read after the desk's look
        assert again is first
        assert statements.reads() == 1
        saver.get_tuple(latest)  # handed out once only: the graph changes what it got
        assert statements.reads() == 2
        saver.get_tuple({"configurable": {"thread_id": "t2"}})
        saver.get_tuple(latest)  # another thread read between: read again
        assert statements.reads() == 4
        _put(saver, "t1")  # written since: read again
        fresh = saver.get_tuple(latest)
        assert statements.reads() == 5
    assert fresh is not None and fresh is not first


def test_each_desk_call_writes_its_checkpoint_in_one_transaction(tmp_path: Path) -> None:
    desk = _desk(f"sqlite:///{tmp_path / 'desk.db'}", orders=True)
    try:
        saver = desk.checkpointer
        assert isinstance(saver, QueuedSqliteSaver)
        statements = Statements(saver)
        request = ReturnRequest(order="B1", email="b1@example.com", sku="MUG-1", reason="damaged")
        code = desk.submit_return(request).code
        calls: list[tuple[str, Any]] = [
            ("approve", lambda: desk.supplier_action("acme", code, "approve", rma="R1")),
            ("delivered", lambda: desk.carrier_event(code, "delivered")),
            ("inspected", lambda: desk.supplier_action("acme", code, "inspected_ok")),
        ]
        assert (statements.commits(), statements.reads()) == (1, 1)  # the open
        for name, call in calls:
            statements.seen.clear()
            call()
            # one commit; the checkpoint read once, by the desk's look before the resume
            assert (statements.commits(), statements.reads()) == (1, 1), name
        assert desk.case_view(code).status == "resolved"
    finally:
        desk.close()
