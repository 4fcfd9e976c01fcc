"""Supplier money as the owner handles it: record a credit note or payment, write a credit
off, read the scorecard and the statement. One sentence back for each, for the command
line, the owner desk and the owner console alike."""

from __future__ import annotations

from graph.desk import ReturnsDesk
from policies.money import Money, MoneyError
from tools import supplier_credit
from tools.statement_pdf import StatementContent, render_statement_pdf
from tools.supplier_credit import CreditRefused, Settlement
from tools.supplier_scorecard import (
    Scorecard,
    scorecard,
    scorecards,
    statement_csv,
    statement_rows,
)


def parse_amount(desk: ReturnsDesk, text: str) -> int:
    currency = desk.store.policy.currency
    cleaned = str(text).strip().lstrip("$€£¥").replace(",", "")
    try:
        return Money.parse(cleaned, currency).minor
    except (MoneyError, ValueError, ArithmeticError):
        raise CreditRefused(f"{text!r} is not an amount in {currency}.") from None


def _words(desk: ReturnsDesk, done: Settlement) -> str:
    currency = desk.store.policy.currency

    def money(minor: int) -> str:
        return str(Money(minor=minor, currency=currency))

    cases = ", ".join(f"{code} {money(part)}" for code, part in done.settled)
    what = "Recorded" if done.kind == "received" else "Wrote off"
    source = f" from {done.supplier_id} ({done.reference})" if done.kind == "received" else ""
    return (
        f"{what} {money(done.amount_minor)}{source}: {cases}. "
        f"{done.supplier_id} still owes {money(done.still_owed_minor)}."
    )


def record_credit(
    desk: ReturnsDesk,
    supplier_id: str,
    amount: str | int,
    reference: str,
    *,
    order: str | None = None,
    case_code: str | None = None,
) -> str:
    """A credit note or payment from a supplier; raises ``CreditRefused`` with the reason."""
    minor = amount if isinstance(amount, int) else parse_amount(desk, amount)
    with desk.session() as session:
        done = supplier_credit.record_received(
            desk.context(session),
            supplier_id,
            minor,
            reference,
            order=order,
            case_code=case_code,
        )
    return _words(desk, done)


def write_off(
    desk: ReturnsDesk,
    supplier_id: str,
    *,
    order: str | None = None,
    case_code: str | None = None,
    amount: str | None = None,
    note: str = "",
) -> str:
    minor = parse_amount(desk, amount) if amount else None
    with desk.session() as session:
        done = supplier_credit.write_off(
            desk.context(session),
            supplier_id,
            order=order,
            case_code=case_code,
            amount_minor=minor,
            note=note,
        )
    return _words(desk, done)


def supplier_scorecards(desk: ReturnsDesk, supplier_id: str | None = None) -> list[Scorecard]:
    with desk.session() as session:
        now = desk.clock.now()
        if supplier_id is None:
            return scorecards(session, desk.store, now)
        if supplier_id not in desk.store.suppliers:
            raise CreditRefused(f"There is no supplier {supplier_id!r}.")
        return [scorecard(session, desk.store, supplier_id, now)]


def supplier_statement(desk: ReturnsDesk, supplier_id: str) -> str:
    if supplier_id not in desk.store.suppliers:
        raise CreditRefused(f"There is no supplier {supplier_id!r}.")
    with desk.session() as session:
        return statement_csv(session, desk.store, supplier_id, desk.clock.now())


def supplier_statement_pdf(desk: ReturnsDesk, supplier_id: str) -> bytes:
    """The statement as a PDF: the CSV's cases, dates, tracking events and amounts, with totals."""
    agreement = desk.store.suppliers.get(supplier_id)
    if agreement is None:
        raise CreditRefused(f"There is no supplier {supplier_id!r}.")
    now = desk.clock.now()
    with desk.session() as session:
        rows = statement_rows(session, desk.store, supplier_id, now)
    return render_statement_pdf(
        StatementContent(
            store_name=desk.store.policy.name,
            supplier_id=supplier_id,
            supplier_name=agreement.name,
            currency=desk.store.policy.currency,
            made_at=now,
            rows=rows,
        )
    )


def open_credit_cases(desk: ReturnsDesk, supplier_id: str) -> list[supplier_credit.Credit]:
    with desk.session() as session:
        return [c for c in supplier_credit.credits(session, supplier_id) if c.unpaid_minor > 0]
