"""Supplier credit allocation, overdue and write-offs; the scorecard's arithmetic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.supplier_money import record_credit, write_off
from ledger import decisions, journal
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests.conftest import NOW, ORDERS, make_store
from tools.errors import ReturnError
from tools.open_case import ReturnRequest
from tools.supplier_credit import Credit, allocate, credits
from tools.supplier_scorecard import median, one_decimal, percent, scorecard


def test_allocate_settles_oldest_first_and_keeps_the_rest_open() -> None:
    open_credits = [("RB-1", 2400), ("RB-2", 1600), ("RB-3", 500)]
    assert allocate(open_credits, 3000) == [("RB-1", 2400), ("RB-2", 600)]
    assert allocate(open_credits, 2400) == [("RB-1", 2400)]
    assert allocate(open_credits, 100) == [("RB-1", 100)]
    assert allocate(open_credits, 4500) == [("RB-1", 2400), ("RB-2", 1600), ("RB-3", 500)]
    # a settled credit (nothing unpaid) is skipped; what cannot be placed is left out
    assert allocate([("RB-1", 0), ("RB-2", 300)], 1000) == [("RB-2", 300)]


def test_overdue_is_the_unpaid_part_after_the_due_days() -> None:
    credit = Credit("RB-1", 1, "1001", "acme", 2400, NOW, received_minor=400)
    assert credit.unpaid_minor == 2000
    assert credit.overdue_minor(NOW + dt.timedelta(days=30), 30) == 0  # exactly 30 days
    assert credit.overdue_minor(NOW + dt.timedelta(days=30, seconds=1), 30) == 2000
    credit.written_off_minor = 2000
    assert credit.overdue_minor(NOW + dt.timedelta(days=90), 30) == 0


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (2, 15, "13.3%"),
        (1, 16, "6.3%"),  # 6.25 rounds half-up
        (1, 8, "12.5%"),
        (2, 3, "66.7%"),
        (3, 20, "15.0%"),
        (0, 7, "0.0%"),
        (0, 0, "0.0%"),
        (40, 40, "100.0%"),
    ],
)
def test_percent_to_one_decimal_half_up(part: int, whole: int, shown: str) -> None:
    assert percent(part, whole) == shown


def test_median_and_one_decimal() -> None:
    assert median([5.0, 12.0, 20.0]) == 12.0
    assert median([1.0, 2.0]) == 1.5
    assert median([]) is None
    assert one_decimal(None) == "-"
    assert one_decimal(1.25) == "1.3"


@pytest.fixture
def keep_it_desk(database_url: str) -> Iterator[ReturnsDesk]:
    """Returns under 100.00 are refunded at once and the supplier credit is recorded."""
    store = make_store({"keep_it_under": "100.00"})
    desk = ReturnsDesk(database_url, store, FrozenClock(NOW))
    with desk.session() as session:
        import_orders(session, orders_from_data(ORDERS, "test", store), store.policy.currency)
    yield desk
    desk.close()


def _resolved(desk: ReturnsDesk, sku: str, quantity: int = 1) -> str:
    view = desk.submit_return(
        ReturnRequest(
            order="1001", email="ana@example.com", sku=sku, quantity=quantity, reason="wrong_size"
        )
    )
    assert view.status == "resolved", view
    return view.code


def test_payments_settle_oldest_first_balanced_and_refuse_what_is_not_owed(
    keep_it_desk: ReturnsDesk,
) -> None:
    desk = keep_it_desk
    assert isinstance(desk.clock, FrozenClock)
    mug = _resolved(desk, "MUG-1")  # acme owes 24.00
    desk.clock.advance(dt.timedelta(hours=1))
    lamp = _resolved(desk, "LAMP-1")  # credit-co owes 60.00
    with pytest.raises(ReturnError, match=r"owes 24\.00"):
        record_credit(desk, "acme", "25.00", "CN-1")
    with pytest.raises(ReturnError, match="no supplier"):
        record_credit(desk, "nobody", "1.00", "CN-1")
    with pytest.raises(ReturnError, match="more than zero"):
        record_credit(desk, "acme", "0", "CN-1")
    with pytest.raises(ReturnError, match="reference"):
        record_credit(desk, "acme", "1.00", "  ")
    assert "still owes 14.00" in record_credit(desk, "acme", "10.00", "CN-1")
    with pytest.raises(ReturnError, match="already recorded"):
        record_credit(desk, "acme", "10.00", "CN-1")
    desk.clock.advance(dt.timedelta(days=2))
    assert "still owes 0.00" in record_credit(desk, "acme", "14.00", "CN-2")
    with pytest.raises(ReturnError, match="no open credit"):
        write_off(desk, "acme", case_code=mug)
    assert "Wrote off 60.00" in write_off(desk, "credit-co", order="1001")
    with desk.session() as session:
        by_case = {c.case_code: c for c in credits(session)}
        assert (by_case[mug].received_minor, by_case[mug].unpaid_minor) == (2400, 0)
        assert by_case[mug].received_at == NOW + dt.timedelta(days=2, hours=1)
        assert (by_case[lamp].written_off_minor, by_case[lamp].received_at) == (6000, None)
        assert journal.trial_balance(session) == 0
        assert journal.balance(session, journal.SUPPLIER_RECEIVABLE) == 0
        assert journal.balance(session, journal.SUPPLIER_REMITTANCES) == 2400
        assert decisions.verify(session).ok
        card = scorecard(session, desk.store, "acme", desk.clock.now())
        assert card.median_days_to_credit == pytest.approx((2 * 24 + 1) / 24)
        assert (card.credit_owed_minor, card.credit_received_minor) == (0, 2400)
        assert "supplier_credit_received" in decisions.case_actions(session, mug)
        assert "supplier_credit_written_off" in decisions.case_actions(session, lamp)
    assert desk.case_view(mug).supplier_credit == "24.00"  # what was owed, paid or not


def test_scorecard_counts_units_not_cases(keep_it_desk: ReturnsDesk) -> None:
    desk = keep_it_desk
    _resolved(desk, "LAMP-1", quantity=2)
    with desk.session() as session:
        card = scorecard(session, desk.store, "credit-co", desk.clock.now())
        acme = scorecard(session, desk.store, "acme", desk.clock.now())
    assert (card.units_sold, card.units_returned, card.return_rate) == (2, 2, "100.0%")
    assert card.fault_return_rate == "0.0%" and card.credit_owed_minor == 12000
    assert (acme.units_sold, acme.return_rate, acme.median_decision_hours) == (1, "0.0%", None)
