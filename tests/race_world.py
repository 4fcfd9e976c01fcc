"""A small store for the race tests, and the money invariants checked straight from the database.

The race tests (``test_races_postgres.py``, ``test_races_sqlite.py``) fire many requests at the
same unit, the same case or the same decision at once, then read the tables themselves: what
the desk answered is not taken on trust.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import audit, decisions
from ledger.models import CaseRow, JournalLineRow, LineItemRow
from ledger.repository import RELEASED_STATUSES

REPO_STORE = Path(__file__).resolve().parents[1] / "store"
EMAIL = "kai.race@example.com"

# Order number -> what it is for. Every order has one line item.
FORM_ORDER = "5001"  # one 89.00 unit, international financial supplier: a keep-it refund
CHAT_ORDER = "5002"  # the same, returned through the chat
SUPPLIER_ORDER = "5003"  # one 40.00 unit from a supplier that takes goods back: asks approval
OWNER_ORDER = "5004"  # one 300.00 unit: above review_above, the owner decides
OWNER_MIXED_ORDER = "5005"  # the same, with approvals and denials at once


def write_store(folder: Path) -> Path:
    """The demo store's policy and two of its suppliers, in a folder of its own."""
    (folder / "suppliers").mkdir(parents=True, exist_ok=True)
    policy = yaml.safe_load((REPO_STORE / "policy.yaml").read_text())
    policy.pop("vendors", None)  # it names suppliers this store leaves out
    (folder / "policy.yaml").write_text(yaml.safe_dump(policy))
    for supplier in ("acme", "shenzhen-gadgets"):
        shutil.copy(REPO_STORE / "suppliers" / f"{supplier}.yaml", folder / "suppliers")
    return folder


def race_orders(now: dt.datetime) -> list[dict[str, Any]]:
    placed = (now - dt.timedelta(days=9)).isoformat()
    delivered = (now - dt.timedelta(days=4)).isoformat()

    def order(number: str, sku: str, name: str, price: str, supplier: str) -> dict[str, Any]:
        return {
            "number": number,
            "email": EMAIL,
            "customer_name": "Kai Race",
            "country": "US",
            "shipping_address": "1 Test St, Portland, OR 97214, US",
            "placed_at": placed,
            "delivered_at": delivered,
            "items": [{"sku": sku, "name": name, "price": price, "supplier": supplier}],
        }

    return [
        order(FORM_ORDER, "HP-1", "Headphones", "89.00", "shenzhen-gadgets"),
        order(CHAT_ORDER, "HP-2", "Headphones", "89.00", "shenzhen-gadgets"),
        order(SUPPLIER_ORDER, "LAMP-3", "Desk lamp", "40.00", "acme"),
        order(OWNER_ORDER, "TV-4", "Television", "300.00", "shenzhen-gadgets"),
        order(OWNER_MIXED_ORDER, "TV-5", "Television", "300.00", "shenzhen-gadgets"),
    ]


def form(order: str, sku: str, reason: str = "changed_mind") -> dict[str, Any]:
    return {"order": order, "email": EMAIL, "sku": sku, "reason": reason}


CHAT_REQUEST = f"order {CHAT_ORDER}, {EMAIL}: the headphones, I changed my mind"


def told_decided(text: str) -> bool:
    """The answer a loser of a race gets: the case was decided before it, nothing changed."""
    return "already decided" in text or "cannot take" in text


def money_problems(session: Session) -> list[str]:
    """Every broken money invariant, read from the tables; empty when all hold."""
    problems: list[str] = []
    items = session.execute(select(LineItemRow)).scalars().all()
    for item in items:
        held = session.execute(
            select(func.coalesce(func.sum(CaseRow.quantity), 0)).where(
                CaseRow.line_item_id == item.id, CaseRow.status.not_in(RELEASED_STATUSES)
            )
        ).scalar_one()
        if held > item.quantity:
            problems.append(
                f"line item {item.sku}: {held} units in live cases, {item.quantity} sold"
            )
        given = session.execute(
            select(func.coalesce(func.sum(JournalLineRow.amount_minor), 0)).where(
                JournalLineRow.line_item_id == item.id,
                JournalLineRow.account == "refunds_paid",
            )
        ).scalar_one()
        paid = item.unit_price_minor * item.quantity
        if given > paid:
            problems.append(f"line item {item.sku}: {given} given back, {paid} paid")
    unbalanced = session.execute(
        select(JournalLineRow.entry_id, func.sum(JournalLineRow.amount_minor))
        .group_by(JournalLineRow.entry_id)
        .having(func.sum(JournalLineRow.amount_minor) != 0)
    ).all()
    problems.extend(f"journal entry {entry} sums to {total}" for entry, total in unbalanced)
    report = decisions.verify(session)
    if not report.ok:
        problems.append(f"ledger verify: {report.problem}")
    money = audit.verify_money(session)
    if not money.ok:
        problems.append(f"ledger verify: {money.problem}")
    return problems


def count_actions(session: Session, action: str, case_code: str | None = None) -> int:
    query = (
        select(func.count())
        .select_from(decisions.DecisionRow)
        .where(decisions.DecisionRow.action == action)
    )
    if case_code is not None:
        query = query.where(decisions.DecisionRow.case_code == case_code)
    return int(session.execute(query).scalar_one())
