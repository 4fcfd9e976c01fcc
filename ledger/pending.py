"""Rows written at commit, one statement per table, instead of one unit of work per row.

A case step appends several decisions, queues messages and timers, keeps an effect key and its
own step record. Written one by one through the ORM, each costs a round trip (and a
select-before-insert for the keyed ones). Here they wait in the session until it commits, then
go out as one multi-row insert per table, in the same transaction: nothing is visible to
another transaction earlier than before, and a rollback drops them with everything else.

A statement of the same transaction that reads or changes one of these tables first sends what
is waiting for that table (``do_orm_execute``), so the session always sees its own writes.
The decision ledger's rows are chained at that moment (``ledger.decisions``).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Hashable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, event, insert, inspect, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

_INFO_KEY = "pending_writes"

# Tables whose waiting rows another module writes itself (the decision chain): table name ->
# function that sends them.
_WRITERS: dict[str, Callable[[Session, bool], None]] = {}


@dataclass
class _Inserts:
    table: Table
    conflict_column: str | None
    rows: dict[Hashable, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Pending:
    """What one transaction of a session holds back."""

    transaction: SessionTransaction
    inserts: dict[str, _Inserts] = field(default_factory=dict)
    # Modules' own waiting rows (the decision chain keeps its list here).
    extra: dict[str, Any] = field(default_factory=dict)


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, typed for Core statements."""
    return cast(Table, model.__table__)


def for_session(session: Session) -> Pending:
    """This transaction's waiting writes (a transaction is begun if none is)."""
    transaction = session.get_transaction()
    if transaction is None:
        session.connection()  # begin now: the rows belong to this transaction
        transaction = session.get_transaction()
        assert transaction is not None
    pending: Pending | None = session.info.get(_INFO_KEY)
    if pending is None or pending.transaction is not transaction:
        # none yet, or left by a transaction that rolled back: start afresh
        pending = Pending(transaction)
        session.info[_INFO_KEY] = pending
    return pending


def holds_any(session: Session) -> bool:
    """Whether this transaction was given any row to write at commit (sent already or not)."""
    return _current(session) is not None


def _current(session: Session) -> Pending | None:
    pending: Pending | None = session.info.get(_INFO_KEY)
    if pending is None:
        return None
    if pending.transaction is not session.get_transaction():
        del session.info[_INFO_KEY]
        return None
    return pending


def add(
    session: Session,
    table: Table,
    values: dict[str, Any],
    *,
    key: Hashable,
    skip_existing: str | None = None,
) -> bool:
    """Hold one row of ``table`` back until commit; False when this transaction already holds
    a row with ``key`` (the first one stays).

    ``skip_existing`` names a unique column: a row whose value is already in the table is then
    left out silently (``ON CONFLICT DO NOTHING``), as a second enqueue of the same message is.
    Without it a duplicate fails the commit, as an insert through the ORM would.
    """
    pending = for_session(session)
    held = pending.inserts.get(table.name)
    if held is None:
        held = pending.inserts[table.name] = _Inserts(table, skip_existing)
    if key in held.rows:
        return False
    held.rows[key] = values
    return True


def holds(session: Session, table: Table, key: Hashable) -> bool:
    """Whether this transaction holds back a row of ``table`` with ``key``."""
    pending = _current(session)
    if pending is None:
        return False
    held = pending.inserts.get(table.name)
    return held is not None and key in held.rows


def register(table_name: str, writer: Callable[[Session, bool], None]) -> None:
    """``writer(session, at_commit)`` sends what waits for ``table_name`` (see the module doc)."""
    _WRITERS[table_name] = writer


def flush(
    session: Session, tables: AbstractSet[str] | None = None, *, at_commit: bool = False
) -> None:
    """Send what waits (for ``tables``, or all of it) in this transaction."""
    pending = _current(session)
    if pending is None:
        return
    for name in list(pending.inserts):
        if tables is not None and name not in tables:
            continue
        held = pending.inserts.pop(name)
        if held.rows:
            _insert(session, held)
    called: list[Callable[[Session, bool], None]] = []
    for name, writer in _WRITERS.items():
        if (tables is None or name in tables) and writer not in called:
            called.append(writer)
            writer(session, at_commit)


def _insert(session: Session, held: _Inserts) -> None:
    connection = session.connection()
    rows = list(held.rows.values())
    dialect = connection.dialect.name
    if held.conflict_column is not None and dialect not in ("postgresql", "sqlite"):
        # no portable "skip what exists": fall back to one check per row
        column = held.table.c[held.conflict_column]
        for row in rows:
            found = connection.execute(
                column.table.select().where(column == row[held.conflict_column])
            ).first()
            if found is None:
                connection.execute(insert(held.table), [row])
        return
    connection.execute(_statement(held.table, held.conflict_column, dialect), rows)


# Inserts built once per table, conflict column and dialect: a statement object reused keeps
# its cache key, so a step's writes cost no statement construction.
_STATEMENTS: dict[tuple[str, str | None, str], Any] = {}


def _statement(table: Table, conflict_column: str | None, dialect: str) -> Any:
    key = (table.name, conflict_column, dialect)
    statement = _STATEMENTS.get(key)
    if statement is None:
        if conflict_column is None:
            statement = insert(table)
        else:
            make: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = make(table).on_conflict_do_nothing(index_elements=[conflict_column])
        statement = _STATEMENTS.setdefault(key, statement)
    return statement


def _waiting(pending: Pending) -> bool:
    return any(held.rows for held in pending.inserts.values()) or any(
        isinstance(value, list) and value for value in pending.extra.values()
    )


# Mapped classes whose changed rows are written by one Core update each at commit
# (``write_changes_at_commit``).
_UPDATED_AT_COMMIT: set[type[Any]] = set()
# Updates built once per table and set of changed columns (see ``_STATEMENTS``).
_UPDATES: dict[tuple[str, frozenset[str]], Any] = {}
_COLUMN_KEYS: dict[type[Any], frozenset[str]] = {}


def write_changes_at_commit(model: type[Any]) -> None:
    """Write the changed columns of ``model``'s loaded rows with one Core ``UPDATE`` each when
    the transaction commits, not through the ORM's unit of work.

    A case step changes the case's row (its status, what it waits for) and nothing else of
    the ORM's: flushing that one row through the unit of work cost ~180 µs of the step's
    commit (dependency processing, sorting, bookkeeping) around a ~60 µs statement. The row
    is written first at commit, before the rows held back here and the ledger's head: the
    order every step takes its locks in. It is then let go from the session (the session
    ends with the commit; the object keeps its values). A row with a changed relationship
    is left to the ORM."""
    _UPDATED_AT_COMMIT.add(model)


def _write_changed_rows(session: Session) -> None:
    for instance in list(session.dirty):
        if type(instance) not in _UPDATED_AT_COMMIT:
            continue
        state = inspect(instance)
        mapper = state.mapper
        changed = set(state.committed_state)
        columns = _COLUMN_KEYS.get(mapper.class_)
        if columns is None:
            columns = _COLUMN_KEYS[mapper.class_] = frozenset(mapper.column_attrs.keys())
        if not changed or not changed <= columns:
            continue  # a relationship changed (or nothing): the ORM writes it
        values = {key: state.dict[key] for key in changed if state.attrs[key].history.has_changes()}
        if values:
            table = cast(Table, mapper.local_table)
            (primary,) = mapper.primary_key
            key = (table.name, frozenset(values))
            statement = _UPDATES.get(key)
            if statement is None:
                statement = (
                    update(table)
                    .where(table.c[primary.key] == bindparam("_primary_key"))
                    .values({name: bindparam(name) for name in values})
                )
                statement = _UPDATES.setdefault(key, statement)
            identity = mapper.primary_key_from_instance(instance)[0]
            done = session.connection().execute(statement, {"_primary_key": identity, **values})
            if done.rowcount != 1:
                raise StaleDataError(
                    f"{table.name} row {identity} was to be updated; {done.rowcount} matched"
                )
        session.expunge(instance)


@event.listens_for(Session, "before_commit")
def _at_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the rows belong to the whole transaction
    if _UPDATED_AT_COMMIT and session.dirty:
        _write_changed_rows(session)
    pending = _current(session)
    if pending is not None:
        flush(session, at_commit=True)
        session.info.pop(_INFO_KEY, None)


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    session = state.session
    pending = _current(session)
    if pending is None or not _waiting(pending):
        return
    flush(session, _tables_of(cast(ClauseElement, state.statement)) or None)


# The tables a statement reads or writes, kept per statement object: the statements of a step
# are mostly built once and reused, and looking into one costs more than its execution.
_TABLES_OF: weakref.WeakKeyDictionary[ClauseElement, frozenset[str]] = weakref.WeakKeyDictionary()


def _tables_of(statement: ClauseElement) -> frozenset[str]:
    """The names of the tables ``statement`` touches; none when it cannot be looked into
    (text), which sends everything first."""
    try:
        names = _TABLES_OF.get(statement)
    except TypeError:  # not weakly referable
        names = None
    if names is not None:
        return names
    try:
        found = find_tables(statement, include_joins=True, include_crud=True, check_columns=True)
        names = frozenset(table.name for table in found)
    except Exception:  # a statement it cannot look into (text): send everything first
        names = frozenset()
    with contextlib.suppress(TypeError):
        _TABLES_OF[statement] = names
    return names
