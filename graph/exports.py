"""CSV exports for the owner's books and spreadsheets: every case, and the money journal.

Amounts are decimal strings in the store currency (never floats), dates are UTC; the same
files come from ``returnbridge cases export`` and ``returnbridge ledger journal``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select

from graph.desk import CaseView, ReturnsDesk, view_case
from ledger.models import JournalEntryRow
from ledger.repository import list_cases
from policies.money import Money

CASE_COLUMNS = (
    "case",
    "order",
    "created_at",
    "status",
    "waiting_for",
    "supplier",
    "sku",
    "item",
    "quantity",
    "reason",
    "requested_resolution",
    "resolution",
    "refunded",
    "store_credit",
    "supplier_credit",
    "currency",
    "tracking_number",
    "rma",
)
JOURNAL_COLUMNS = ("entry", "key", "at", "case", "kind", "account", "amount", "currency", "memo")

# Who a case in each status waits for: the column owners sort by.
WAITING_FOR = {
    "open": "the desk",
    "awaiting_photo": "the customer",
    "pending_review": "the owner",
    "awaiting_supplier": "the supplier",
    "awaiting_shipment": "the customer",
    "in_transit": "the carrier",
    "awaiting_inspection": "the supplier",
}


def _waiting_for(view: CaseView) -> str:
    # A resolved case whose refund is still owed by hand (cash on delivery) waits for the
    # owner to pay it.
    if view.status == "resolved" and Money.parse(view.owed_by_hand, view.currency).minor > 0:
        return "the owner"
    return WAITING_FOR.get(view.status, "")


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def cases_csv(desk: ReturnsDesk, status: str | None = None) -> str:
    """One row per case, oldest first, with its amounts and the party it waits for."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CASE_COLUMNS)
    with desk.session() as session:
        for row in list_cases(session, status):
            view = view_case(session, row, desk.store.policy.currency)
            writer.writerow(
                (
                    view.code,
                    view.order,
                    _stamp(view.created_at),
                    view.status,
                    _waiting_for(view),
                    view.supplier_id,
                    view.sku,
                    view.item,
                    view.quantity,
                    view.reason,
                    view.requested_resolution,
                    view.resolution or "",
                    view.refunded,
                    view.store_credit,
                    view.supplier_credit,
                    view.currency,
                    view.tracking_number or "",
                    view.rma or "",
                )
            )
    return out.getvalue()


def journal_csv(desk: ReturnsDesk) -> str:
    """One row per journal line, entries in the order they were written; each entry's lines
    add up to zero."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(JOURNAL_COLUMNS)
    with desk.session() as session:
        entries = session.execute(select(JournalEntryRow).order_by(JournalEntryRow.id)).scalars()
        for entry in entries:
            for line in sorted(entry.lines, key=lambda line: line.id):
                writer.writerow(
                    (
                        entry.id,
                        entry.idempotency_key,
                        _stamp(entry.at),
                        entry.case_code or "",
                        entry.kind,
                        line.account,
                        Money(minor=line.amount_minor, currency=line.currency).amount_str(),
                        line.currency,
                        entry.memo,
                    )
                )
    return out.getvalue()
