"""Reading and writing orders and cases."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from ledger import pending
from ledger.models import CaseRow, CaseStepRow, LineItemRow, OrderRow
from policies.models import OrderSpec, normalize_email, normalize_order_number
from policies.money import parse_amount

FINAL_STATUSES = frozenset({"resolved", "denied", "cancelled"})
RELEASED_STATUSES = frozenset({"denied", "cancelled"})


# Every step changes its case's row: one Core update at commit (``ledger.pending``).
pending.write_changes_at_commit(CaseRow)


def import_orders(session: Session, orders: Iterable[OrderSpec], currency: str) -> int:
    """Insert or replace orders by number; returns how many were written."""
    count = 0
    for spec in orders:
        number = normalize_order_number(spec.number)
        row = find_order(session, number)
        if row is None:
            row = OrderRow(number=number)
            session.add(row)
        elif any(True for _ in cases_for_order(session, row.id)):
            raise ValueError(f"order {spec.number} already has return cases; not replacing it")
        else:
            for item in list(row.items):
                session.delete(item)
            session.flush()
        row.display_number = spec.number.strip().lstrip("#")
        row.email = normalize_email(spec.email)
        row.phone = spec.phone.strip()
        row.channel = spec.channel
        row.refunded_before_minor = parse_amount(spec.refunded, currency)
        row.customer_name = spec.customer_name
        row.country = spec.country.upper()
        row.shipping_address = spec.shipping_address
        row.currency = currency
        row.placed_at = spec.placed_at
        row.delivered_at = spec.delivered_at
        row.external_id = spec.external_id
        row.payment_gateway = spec.payment_gateway.strip()[:200]
        row.channel = spec.channel
        row.items = [
            LineItemRow(
                position=position,
                sku=item.sku,
                name=item.name or item.sku,
                unit_price_minor=parse_amount(item.price, currency),
                quantity=item.quantity,
                supplier_id=item.supplier.strip(),
                vendor=item.vendor.strip(),
                final_sale=item.final_sale,
                paid_minor=parse_amount(item.paid, currency) if item.paid is not None else None,
                delivered=item.delivered,
                external_id=item.external_id,
            )
            for position, item in enumerate(spec.items, start=1)
        ]
        count += 1
    session.flush()
    return count


def find_order(session: Session, number: str) -> OrderRow | None:
    found = session.execute(_FIND_ORDER, {"number": normalize_order_number(number)})
    return found.unique().scalar_one_or_none()


def cases_for_order(session: Session, order_id: int) -> list[CaseRow]:
    return list(
        session.execute(select(CaseRow).where(CaseRow.order_id == order_id).order_by(CaseRow.id))
        .scalars()
        .all()
    )


def lock_line_item(session: Session, line_item_id: int) -> LineItemRow:
    """Lock a line item's row until the transaction ends, before counting what it holds.

    Everything that counts units in cases or money given back on a line item, and then writes
    on the strength of that count, takes this lock first: two processes never both see the
    last unit or the last cent as free. On PostgreSQL it is ``SELECT ... FOR UPDATE`` (and
    every count after it sees what the lock holder committed); on SQLite the transaction
    already holds the database's write lock (``BEGIN IMMEDIATE``), so the statement only reads.
    """
    return session.execute(_LOCK_LINE_ITEM, {"line_item_id": line_item_id}).scalar_one()


def lock_order(session: Session, order_id: int) -> OrderRow:
    """Lock an order's row until the transaction ends: its refund cap spans its lines. Taken
    after the line item's lock (:func:`lock_line_item`), never before it."""
    return session.execute(_LOCK_ORDER, {"order_id": order_id}).scalar_one()


def units_in_cases(session: Session, line_item_id: int) -> int:
    """Units of a line item held by cases that are not denied or cancelled."""
    total = session.execute(_UNITS_IN_CASES, {"line_item_id": line_item_id}).scalar_one()
    return int(total)


def new_case(session: Session, **fields: object) -> CaseRow:
    """Insert a case and give it its readable code, ``RB-000123``.

    The row goes in through one Core insert that answers with its id, and the case joins the
    session as loaded from it (the unit of work's insert cost twice the statement). The code
    comes from that id; it goes to the database with the case's next change (the opening's
    first step sets its status) in one update at commit (``ledger.pending``)."""
    values = {**_CASE_DEFAULTS, **fields, "code": f"tmp-{uuid.uuid4().hex[:20]}"}
    case_id = session.connection().execute(_INSERT_CASE, values).scalar_one()
    case = CaseRow(id=case_id, **values)
    make_transient_to_detached(case)  # what the insert was given counts as loaded
    session.add(case)
    case.code = f"RB-{case_id:06d}"
    return case


_CASES = pending.table_of(CaseRow)
_INSERT_CASE = insert(_CASES).returning(_CASES.c.id)


def _loaded_defaults(table: Table) -> dict[str, object]:
    """A new row's every column with the model's plain default (None where it has none).
    A column whose default the database or a function makes is left out: the insert makes
    it, and the ORM reads it when it is first asked for."""
    values: dict[str, object] = {}
    for column in table.c:
        if column.primary_key:
            continue
        if isinstance(column.default, ScalarElementColumnDefault):
            values[column.key] = column.default.arg
        elif column.default is None and column.server_default is None:
            values[column.key] = None
    return values


# The case is taken as loaded whole from what its insert was given.
_CASE_DEFAULTS = _loaded_defaults(_CASES)


def get_case(session: Session, code: str, *, lock: bool = False) -> CaseRow | None:
    query = _LOCK_CASE if lock else _GET_CASE
    return session.execute(query, {"code": code.strip().upper()}).scalar_one_or_none()


def get_case_for_step(
    session: Session, code: str, step_key: str
) -> tuple[CaseRow | None, dict[str, Any] | None]:
    """A case step's first read, in one statement: the case locked for the step (with its order
    and line item) and the result stored under ``step_key`` when the step already ran (None
    when it did not). (None, None) when there is no such case.

    The case's row lock comes first either way, as in every step (see ``lock_line_item``);
    a step found done takes it too, and lets it go with its short transaction."""
    row = session.execute(
        _LOCK_CASE_FOR_STEP, {"code": code.strip().upper(), "step_key": step_key}
    ).first()
    if row is None:
        return None, None
    case, result = row
    return case, (dict(result) if result is not None else None)


# The statements every case step runs, built once: a statement object reused with bound
# parameters keeps its cache key, so running it costs no construction or coercion.
_GET_CASE = select(CaseRow).where(CaseRow.code == bindparam("code"))
_LOCK_CASE = _GET_CASE.with_for_update(of=CaseRow)
# The outer join adds the step's stored result to the case's row: a step needs no statement of
# its own to see whether it already ran. ``FOR UPDATE OF cases`` locks the case alone (the
# step's row, when there is one, is never written again).
_LOCK_CASE_FOR_STEP = (
    select(CaseRow, CaseStepRow.result)
    .outerjoin(CaseStepRow, CaseStepRow.key == bindparam("step_key"))
    .where(CaseRow.code == bindparam("code"))
    .with_for_update(of=CaseRow)
)
# With its lines in the same statement: nearly every caller looks at them (the item asked
# for, the units left), and loading them lazily cost a second statement and the ORM's lazy
# loader.
_FIND_ORDER = (
    select(OrderRow)
    .where(OrderRow.number == bindparam("number"))
    .options(joinedload(OrderRow.items))
)
_LOCK_LINE_ITEM = (
    select(LineItemRow)
    .where(LineItemRow.id == bindparam("line_item_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_LOCK_ORDER = (
    select(OrderRow)
    .where(OrderRow.id == bindparam("order_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_UNITS_IN_CASES = select(func.coalesce(func.sum(CaseRow.quantity), 0)).where(
    CaseRow.line_item_id == bindparam("line_item_id"),
    CaseRow.status.not_in(RELEASED_STATUSES),
)


def list_cases(session: Session, status: str | None = None) -> list[CaseRow]:
    query = select(CaseRow).order_by(CaseRow.id)
    if status is not None:
        query = query.where(CaseRow.status == status)
    return list(session.execute(query).scalars())


def count_cases(session: Session) -> int:
    return int(session.execute(select(func.count(CaseRow.id))).scalar_one())
