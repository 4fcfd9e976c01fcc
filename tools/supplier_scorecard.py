"""The supplier scorecard and the supplier statement, over the orders in the store.

Figures, as the design defines them:

- units sold: all units of the supplier's line items;
- return rate: units in its cases that are not denied or cancelled / units sold;
- fault return rate: the same for fault reasons only;
- median hours from the authorisation request to the supplier's decision;
- credit owed (recorded, not yet received or written off), received, overdue (the unpaid
  part of credits recorded more than ``credit_due_days`` ago), written off;
- median days from a credit recorded to it received in full.

Percentages are given to one decimal, rounded half-up.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.models import CaseRow, DecisionRow, LabelRow, LineItemRow
from policies.models import Reason, Store
from policies.money import Money
from tools.supplier_credit import Credit, credits, due_days

NOT_RETURNED = ("denied", "cancelled")


def percent(part: int, whole: int) -> str:
    """``part / whole`` as a percentage to one decimal, half-up: ``"5.0%"``."""
    if whole <= 0:
        return "0.0%"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value}%"


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def one_decimal(value: float | None) -> str:
    if value is None:
        return "-"
    return str(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


@dataclass(frozen=True)
class Scorecard:
    supplier_id: str
    name: str
    currency: str
    units_sold: int
    units_returned: int
    fault_units_returned: int
    median_decision_hours: float | None
    credit_owed_minor: int
    credit_received_minor: int
    credit_overdue_minor: int
    credit_written_off_minor: int
    median_days_to_credit: float | None

    @property
    def return_rate(self) -> str:
        return percent(self.units_returned, self.units_sold)

    @property
    def fault_return_rate(self) -> str:
        return percent(self.fault_units_returned, self.units_sold)

    def money(self, minor: int) -> str:
        return Money(minor=minor, currency=self.currency).amount_str()

    def figures(self) -> dict[str, str | int]:
        """Every figure as the owner reads it (money as decimal strings)."""
        return {
            "id": self.supplier_id,
            "units_sold": self.units_sold,
            "return_rate": self.return_rate,
            "fault_return_rate": self.fault_return_rate,
            "median_decision_hours": one_decimal(self.median_decision_hours),
            "credit_owed": self.money(self.credit_owed_minor),
            "credit_received": self.money(self.credit_received_minor),
            "credit_overdue": self.money(self.credit_overdue_minor),
            "credit_written_off": self.money(self.credit_written_off_minor),
            "median_days_to_credit": one_decimal(self.median_days_to_credit),
        }


def _decision_hours(session: Session, codes: list[str]) -> list[float]:
    """Per case: hours from its first authorisation request to the supplier's first decision."""
    if not codes:
        return []
    rows = session.execute(
        select(DecisionRow.case_code, DecisionRow.action, DecisionRow.at)
        .where(
            DecisionRow.case_code.in_(codes),
            DecisionRow.action.in_(("supplier_authorization_requested", "supplier_decision")),
        )
        .order_by(DecisionRow.seq)
    ).all()
    asked: dict[str, dt.datetime] = {}
    hours: dict[str, float] = {}
    for code, action, at in rows:
        if code is None:
            continue
        if action == "supplier_authorization_requested":
            asked.setdefault(code, at)
        elif code in asked and code not in hours:
            hours[code] = (at - asked[code]).total_seconds() / 3600
    return list(hours.values())


def scorecard(session: Session, store: Store, supplier_id: str, now: dt.datetime) -> Scorecard:
    agreement = store.suppliers.get(supplier_id)
    sold = int(
        session.execute(
            select(func.coalesce(func.sum(LineItemRow.quantity), 0)).where(
                LineItemRow.supplier_id == supplier_id
            )
        ).scalar_one()
    )
    cases = list(
        session.execute(select(CaseRow).where(CaseRow.supplier_id == supplier_id)).scalars()
    )
    kept = [case for case in cases if case.status not in NOT_RETURNED]
    fault = [case for case in kept if Reason(case.reason).is_fault]
    owed = credits(session, supplier_id)
    days = due_days(store, supplier_id)
    return Scorecard(
        supplier_id=supplier_id,
        name=agreement.name if agreement is not None else supplier_id,
        currency=store.policy.currency,
        units_sold=sold,
        units_returned=sum(case.quantity for case in kept),
        fault_units_returned=sum(case.quantity for case in fault),
        median_decision_hours=median(_decision_hours(session, [case.code for case in cases])),
        credit_owed_minor=sum(c.unpaid_minor for c in owed),
        credit_received_minor=sum(c.received_minor for c in owed),
        credit_overdue_minor=sum(c.overdue_minor(now, days) for c in owed),
        credit_written_off_minor=sum(c.written_off_minor for c in owed),
        median_days_to_credit=median(
            [
                (c.received_at - c.recorded_at).total_seconds() / 86400
                for c in owed
                if c.received_at is not None
            ]
        ),
    )


def scorecards(session: Session, store: Store, now: dt.datetime) -> list[Scorecard]:
    return [scorecard(session, store, sid, now) for sid in sorted(store.suppliers)]


STATEMENT_COLUMNS = [
    "case",
    "order",
    "sku",
    "item",
    "quantity",
    "reason",
    "status",
    "opened",
    "authorisation_requested",
    "supplier_decision",
    "rma",
    "tracking_number",
    "tracking_events",
    "credit_recorded_at",
    "credit_due",
    "currency",
    "credit",
    "received",
    "written_off",
    "still_owed",
    "overdue",
]


def statement_csv(session: Session, store: Store, supplier_id: str, now: dt.datetime) -> str:
    """One row per case of the supplier: dates, tracking events and amounts, for disputes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    writer.writerows(statement_rows(session, store, supplier_id, now))
    return out.getvalue()


def statement_rows(
    session: Session, store: Store, supplier_id: str, now: dt.datetime
) -> list[list[str | int]]:
    """The statement's rows, in the order of ``STATEMENT_COLUMNS`` (CSV and PDF alike)."""
    currency = store.policy.currency
    days = due_days(store, supplier_id)
    by_case: dict[str, Credit] = {c.case_code: c for c in credits(session, supplier_id)}
    cases = list(
        session.execute(
            select(CaseRow).where(CaseRow.supplier_id == supplier_id).order_by(CaseRow.id)
        ).scalars()
    )
    rows: list[list[str | int]] = []

    def money(minor: int) -> str:
        return Money(minor=minor, currency=currency).amount_str()

    def stamp(at: dt.datetime | None) -> str:
        return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if at is not None else ""

    for case in cases:
        history = list(
            session.execute(
                select(DecisionRow)
                .where(DecisionRow.case_code == case.code)
                .order_by(DecisionRow.seq)
            ).scalars()
        )
        asked = next(
            (r.at for r in history if r.action == "supplier_authorization_requested"), None
        )
        decided = next((r.at for r in history if r.action == "supplier_decision"), None)
        events = [
            f"{stamp(r.at)} {_event_name(r.data)}" for r in history if r.action == "shipment_event"
        ]
        label = session.execute(
            select(LabelRow).where(LabelRow.case_code == case.code)
        ).scalar_one_or_none()
        credit = by_case.get(case.code)
        rows.append(
            [
                case.code,
                case.order.display_number,
                case.line_item.sku,
                case.line_item.name,
                case.quantity,
                case.reason,
                case.status,
                stamp(case.created_at),
                stamp(asked),
                stamp(decided),
                case.rma or "",
                label.tracking_number if label is not None else "",
                "; ".join(events),
                stamp(credit.recorded_at) if credit else "",
                stamp(credit.due_at(days)) if credit else "",
                currency,
                money(credit.recorded_minor) if credit else "0.00",
                money(credit.received_minor) if credit else "0.00",
                money(credit.written_off_minor) if credit else "0.00",
                money(credit.unpaid_minor) if credit else "0.00",
                money(credit.overdue_minor(now, days)) if credit else "0.00",
            ]
        )
    return rows


def _event_name(data: str) -> str:
    import json

    try:
        return str(json.loads(data).get("event", ""))
    except (ValueError, AttributeError):
        return ""
