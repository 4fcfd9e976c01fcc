"""What can still be given back: on a line item, and on its order.

A line item's cap is what the line paid after discounts (not unit price x quantity: three
units paying 100.00 have a unit price of 33.33, yet the line may give back 100.00). An
order's cap is what its lines paid, less what was refunded before the order was imported
(Shopify's ``Refunded Amount``). What this desk gave back (refunds and store credit at face
value) comes off both.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import bindparam, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from ledger import decisions, journal
from ledger.models import CaseRow, JournalEntryRow, JournalLineRow, LineItemRow, OrderRow
from policies.money import Money, round_half_up
from tools.compute_amounts import CaseAmounts
from tools.context import ToolContext


@dataclass(frozen=True)
class Left:
    line: int
    order: int

    @property
    def amount(self) -> int:
        return max(0, min(self.line, self.order))


def paid_for_units(line: LineItemRow, quantity: int) -> int:
    """What the line paid for ``quantity`` of its units: all of it for all units, else its
    share, rounded half up."""
    if quantity >= line.quantity:
        return line.paid_total_minor
    return round_half_up(Fraction(line.paid_total_minor * quantity, line.quantity))


def priced_units(line: LineItemRow, quantity: int) -> tuple[int, int]:
    """``(unit_price_minor, quantity)`` for the money of a case: the unit price when it
    multiplies out to what was paid, else the paid amount as one unit."""
    value = paid_for_units(line, quantity)
    if line.unit_price_minor * quantity == value:
        return line.unit_price_minor, quantity
    return value, 1


def order_paid(order: OrderRow) -> int:
    """What the order paid for its items, after discounts, less refunds made before import."""
    return sum(item.paid_total_minor for item in order.items) - order.refunded_before_minor


def _given(session: Session, line_id: int, order_id: int) -> tuple[int, int]:
    """What this desk gave back on the line, and on its whole order, in one query."""
    on_line, on_order = session.execute(_GIVEN, {"line_id": line_id, "order_id": order_id}).one()
    return int(on_line), int(on_order)


# Built once: every settlement counts it, and a statement object reused keeps its cache key.
_AMOUNT = JournalLineRow.amount_minor
_GIVEN = (
    select(
        func.coalesce(
            func.sum(sql_case((JournalLineRow.line_item_id == bindparam("line_id"), _AMOUNT))), 0
        ),
        func.coalesce(func.sum(_AMOUNT), 0),
    )
    .join(JournalEntryRow)
    .where(
        JournalLineRow.account == journal.REFUNDS_PAID,
        JournalLineRow.line_item_id.in_(
            select(LineItemRow.id).where(LineItemRow.order_id == bindparam("order_id"))
        ),
    )
)


def left_for_line(session: Session, line: LineItemRow, order: OrderRow) -> Left:
    on_line, on_order = _given(session, line.id, order.id)
    return Left(line=line.paid_total_minor - on_line, order=order_paid(order) - on_order)


def left_for(session: Session, case: CaseRow) -> Left:
    return left_for_line(session, case.line_item, case.order)


def refundable_left(session: Session, case: CaseRow) -> int:
    """What can still be given back on the case's line item, within its order's cap."""
    return left_for(session, case).amount


def lower_to_left(ctx: ToolContext, case: CaseRow, amounts: CaseAmounts) -> CaseAmounts:
    """The case's money lowered to what is left on its line or order; the ledger says so.

    A refund computed above the cap is never refused for that: the customer gets what can
    still be given back (an order partly refunded in the store before it came here).
    """
    left = left_for(ctx.session, case)
    if amounts.refund <= left.amount:
        return amounts
    lowered = left.amount
    bonus = (
        round_half_up(Fraction(amounts.store_credit_bonus * lowered, amounts.refund))
        if amounts.refund
        else 0
    )
    which = "order" if left.order < left.line else "line item"

    def money(minor: int) -> str:
        return Money(minor=minor, currency=ctx.currency).amount_str()

    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="policy",
        action="refund_capped",
        data={
            "computed": money(amounts.refund),
            "lowered_to": money(lowered),
            "left_on_line": money(max(0, left.line)),
            "left_on_order": money(max(0, left.order)),
            "currency": ctx.currency,
        },
        reason=(
            f"only {money(lowered)} {ctx.currency} is left to give back on this {which} "
            f"(computed {money(amounts.refund)})"
        ),
    )
    return amounts.model_copy(
        update={
            "refund": lowered,
            "store_credit": lowered + bonus,
            "store_credit_bonus": bonus,
        }
    )
