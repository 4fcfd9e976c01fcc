"""``ledger verify`` for the money: every journal entry balances and is covered by the decision
chain, and no line item was given back beyond what was paid for it.

The decision chain (``ledger/decisions.py``) proves the decisions were not edited; each money
decision carries its journal entry's key and lines (``journal.cover``), so an amount edited in
the journal, a line added or an entry removed no longer matches the chain. Given back is
refunds plus store credit at face value (the ``refunds_paid`` account, per line item); the
store-credit bonus is the store's cost, not money given back for the item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import journal
from ledger.models import DecisionRow, JournalEntryRow, JournalLineRow, LineItemRow, OrderRow
from policies.money import Money

# The decisions that move money, each written with the journal entry it made.
MONEY_ACTIONS = (
    "refund_issued",
    "store_credit_issued",
    "label_generated",
    "replacement_ordered",
    "supplier_credit_recorded",
    "supplier_credit_received",
    "supplier_credit_written_off",
    "refund_by_hand_requested",
)


@dataclass(frozen=True)
class MoneyReport:
    entries: int
    line_items: int
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_money(session: Session) -> MoneyReport:
    """Check the journal against the chain and the line items; name the first bad entry."""
    covers: dict[str, tuple[int, object]] = {}
    for seq, data in session.execute(
        select(DecisionRow.seq, DecisionRow.data)
        .where(DecisionRow.action.in_(MONEY_ACTIONS))
        .order_by(DecisionRow.seq)
    ):
        try:
            found = json.loads(data).get("journal")
        except (ValueError, AttributeError):
            found = None  # the chain check names a row whose data is not JSON
        if isinstance(found, dict) and isinstance(found.get("key"), str):
            covers.setdefault(found["key"], (seq, found.get("lines")))
    count = 0
    entries = session.execute(select(JournalEntryRow).order_by(JournalEntryRow.id)).scalars()
    for entry in entries:
        count += 1
        name = f"journal entry {entry.id} ({entry.idempotency_key})"
        total = sum(line.amount_minor for line in entry.lines)
        if total != 0:
            return MoneyReport(count, 0, f"{name}: its lines sum to {total}, not 0")
        cover = covers.pop(entry.idempotency_key, None)
        if cover is None:
            return MoneyReport(count, 0, f"{name} is not covered by the decision chain")
        seq, lines = cover
        if lines != journal.entry_lines(entry):
            return MoneyReport(
                count, 0, f"{name}: its lines differ from what decision row {seq} recorded"
            )
    if covers:
        key, (seq, _) = min(covers.items(), key=lambda item: item[1][0])
        return MoneyReport(
            count, 0, f"decision row {seq} records journal entry {key}, which is missing"
        )
    given_back = session.execute(
        select(
            LineItemRow.id,
            OrderRow.display_number,
            LineItemRow.sku,
            func.coalesce(
                LineItemRow.paid_minor, LineItemRow.unit_price_minor * LineItemRow.quantity
            ),
            OrderRow.currency,
            func.sum(JournalLineRow.amount_minor),
        )
        .join(JournalLineRow, JournalLineRow.line_item_id == LineItemRow.id)
        .join(OrderRow, OrderRow.id == LineItemRow.order_id)
        .where(JournalLineRow.account == journal.REFUNDS_PAID)
        .group_by(
            LineItemRow.id,
            OrderRow.display_number,
            LineItemRow.sku,
            LineItemRow.paid_minor,
            LineItemRow.unit_price_minor,
            LineItemRow.quantity,
            OrderRow.currency,
        )
        .order_by(LineItemRow.id)
    ).all()
    for item_id, order, sku, paid, currency, given in given_back:
        if given > paid:
            return MoneyReport(
                count,
                len(given_back),
                f"line item {item_id} (order {order}, {sku}): "
                f"{Money(minor=int(given), currency=currency)} given back, "
                f"{Money(minor=int(paid), currency=currency)} paid",
            )
    return MoneyReport(count, len(given_back))
