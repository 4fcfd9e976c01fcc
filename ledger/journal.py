"""The money journal: balanced double entries in integer minor units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BigInteger, Integer, String, Table, bindparam, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledger.models import JournalEntryRow, JournalLineRow, UTCDateTime

# Debit-positive accounts, named for the returns trade.
REFUNDS_PAID = "refunds_paid"  # value given back to customers, per line item
CUSTOMER_PAYMENTS = "customer_payments"  # money leaving the store towards customers
STORE_CREDIT_LIABILITY = "store_credit_liability"
STORE_CREDIT_BONUS = "store_credit_bonus"
SUPPLIER_RECEIVABLE = "supplier_receivable"
SUPPLIER_RECOVERIES = "supplier_recoveries"
RESTOCKING_FEES = "restocking_fees"
RETURN_SHIPPING = "return_shipping"
CARRIER_PAYABLE = "carrier_payable"
REPLACEMENTS = "replacements"
SUPPLIER_PAYABLE = "supplier_payable"
# Money a supplier paid (or credited) against its receivable, and what the owner gave up on.
SUPPLIER_REMITTANCES = "supplier_remittances"
SUPPLIER_CREDIT_WRITTEN_OFF = "supplier_credit_written_off"
# A refund the owner owes a customer who paid by hand (cash on delivery, a manual gateway):
# given back on the line item when it is asked for, paid out when the owner says it is.
REFUNDS_OWED_BY_HAND = "refunds_owed_by_hand"

ACCOUNTS = frozenset(
    {
        REFUNDS_PAID,
        CUSTOMER_PAYMENTS,
        STORE_CREDIT_LIABILITY,
        STORE_CREDIT_BONUS,
        SUPPLIER_RECEIVABLE,
        SUPPLIER_RECOVERIES,
        RESTOCKING_FEES,
        RETURN_SHIPPING,
        CARRIER_PAYABLE,
        REPLACEMENTS,
        SUPPLIER_PAYABLE,
        SUPPLIER_REMITTANCES,
        SUPPLIER_CREDIT_WRITTEN_OFF,
        REFUNDS_OWED_BY_HAND,
    }
)


class UnbalancedEntry(ValueError):
    pass


@dataclass(frozen=True)
class Line:
    account: str
    amount_minor: int
    line_item_id: int | None = None


@dataclass(frozen=True)
class PostedLine:
    account: str
    amount_minor: int
    currency: str
    line_item_id: int | None


@dataclass(frozen=True)
class PostedEntry:
    """An entry as posted: what :func:`cover` and the callers read of it."""

    id: int
    idempotency_key: str
    lines: list[PostedLine]


_ENTRIES = cast(Table, JournalEntryRow.__table__)
_LINES = cast(Table, JournalLineRow.__table__)
_INSERT_LINES = insert(_LINES)


def _insert_entry(dialect: str) -> Any:
    """The entry's insert, built once per dialect (a statement reused keeps its cache key)."""
    statement = _ENTRY_INSERTS.get(dialect)
    if statement is None:
        make: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _ENTRY_INSERTS[dialect] = (
            make(_ENTRIES)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(_ENTRIES.c.id)
        )
    return statement


_ENTRY_INSERTS: dict[str, Any] = {}

# PostgreSQL: a new entry and its lines in one statement. The lines are inserted only when the
# entry's key was new, and they answer with its id; no row back means the key was posted before.
_ENTRY_WITH_LINES_PG = text(
    "WITH entry AS ("
    " INSERT INTO journal_entries (idempotency_key, case_code, kind, memo, at)"
    " VALUES (:idempotency_key, :case_code, :kind, :memo, :at)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id)"
    " INSERT INTO journal_lines (entry_id, account, amount_minor, currency, line_item_id)"
    " SELECT entry.id, line.account, line.amount_minor, :currency, line.line_item_id"
    " FROM entry, unnest(:accounts, :amounts, :line_items)"
    " WITH ORDINALITY AS line(account, amount_minor, line_item_id, n)"
    " ORDER BY line.n"
    " RETURNING entry_id"
).bindparams(
    bindparam("at", type_=UTCDateTime()),
    bindparam("accounts", type_=postgresql.ARRAY(String(64))),
    bindparam("amounts", type_=postgresql.ARRAY(BigInteger)),
    bindparam("line_items", type_=postgresql.ARRAY(Integer)),
)


def post(
    session: Session,
    *,
    key: str,
    at: dt.datetime,
    case_code: str | None,
    kind: str,
    currency: str,
    lines: list[Line],
    memo: str = "",
) -> PostedEntry | JournalEntryRow:
    """Post one balanced entry; posting the same key again returns the first entry.

    A new entry costs two statements on SQLite (the entry, then its lines in one) and one on
    PostgreSQL, through Core: the entry's key decides in the insert itself whether it is new."""
    if sum(line.amount_minor for line in lines) != 0:
        raise UnbalancedEntry(f"entry {key!r} does not balance: {lines}")
    unknown = {line.account for line in lines} - ACCOUNTS
    if unknown:
        raise UnbalancedEntry(f"unknown accounts {sorted(unknown)}")
    connection = session.connection()
    values: dict[str, Any] = {
        "idempotency_key": key,
        "case_code": case_code,
        "kind": kind,
        "memo": memo,
        "at": at,
    }
    posted = [
        PostedLine(line.account, line.amount_minor, currency, line.line_item_id)
        for line in lines
        if line.amount_minor != 0
    ]
    dialect = connection.dialect.name
    if posted and dialect == "postgresql":
        values["currency"] = currency
        values["accounts"] = [line.account for line in posted]
        values["amounts"] = [line.amount_minor for line in posted]
        values["line_items"] = [line.line_item_id for line in posted]
        entry_id = connection.execute(_ENTRY_WITH_LINES_PG, values).scalar()
        if entry_id is None:
            return _posted_before(session, key)
        return PostedEntry(id=int(entry_id), idempotency_key=key, lines=posted)
    entry_id = connection.execute(_insert_entry(dialect), values).scalar()
    if entry_id is None:
        return _posted_before(session, key)
    if posted:
        connection.execute(
            _INSERT_LINES,
            [
                {
                    "entry_id": entry_id,
                    "account": line.account,
                    "amount_minor": line.amount_minor,
                    "currency": line.currency,
                    "line_item_id": line.line_item_id,
                }
                for line in posted
            ],
        )
    return PostedEntry(id=int(entry_id), idempotency_key=key, lines=posted)


def _posted_before(session: Session, key: str) -> JournalEntryRow:
    """The entry first posted with ``key``: it stands."""
    return session.execute(
        select(JournalEntryRow).where(JournalEntryRow.idempotency_key == key)
    ).scalar_one()


def cover(entry: PostedEntry | JournalEntryRow) -> dict[str, object]:
    """What a decision row carries of the journal entry it made: its key and its lines.

    The decision chain hashes it, so ``ledger verify`` can tell an amount edited in the
    journal (or a line added, or an entry deleted) from what was decided."""
    return {"key": entry.idempotency_key, "lines": entry_lines(entry)}


def entry_lines(entry: PostedEntry | JournalEntryRow) -> list[list[object]]:
    """An entry's lines as ``[account, amount_minor, currency, line_item_id]``, sorted."""
    lines = sorted(
        (line.account, line.amount_minor, line.currency, line.line_item_id or 0)
        for line in entry.lines
    )
    return [[account, amount, currency, item or None] for account, amount, currency, item in lines]


def balance(
    session: Session,
    account: str,
    *,
    case_code: str | None = None,
    line_item_id: int | None = None,
) -> int:
    """Debit-positive balance of an account, optionally for one case or one line item."""
    query = (
        select(func.coalesce(func.sum(JournalLineRow.amount_minor), 0))
        .join(JournalEntryRow)
        .where(JournalLineRow.account == account)
    )
    if case_code is not None:
        query = query.where(JournalEntryRow.case_code == case_code)
    if line_item_id is not None:
        query = query.where(JournalLineRow.line_item_id == line_item_id)
    return int(session.execute(query).scalar_one())


def case_balances(session: Session, case_code: str) -> dict[str, int]:
    """Every account's debit-positive balance for one case, in one query."""
    rows = session.execute(
        select(JournalLineRow.account, func.sum(JournalLineRow.amount_minor))
        .join(JournalEntryRow)
        .where(JournalEntryRow.case_code == case_code)
        .group_by(JournalLineRow.account)
    ).all()
    return {account: int(total) for account, total in rows}


def trial_balance(session: Session) -> int:
    """Sum of every line; zero while every entry balanced."""
    return int(
        session.execute(
            select(func.coalesce(func.sum(JournalLineRow.amount_minor), 0))
        ).scalar_one()
    )
