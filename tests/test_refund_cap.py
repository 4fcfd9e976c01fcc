"""No line item is ever refunded beyond what was paid for it, whatever is attempted."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import journal
from ledger.models import CaseRow
from ledger.repository import get_case, import_orders
from policies.loader import orders_from_data
from tests.conftest import NOW, make_store
from tools.context import ToolContext
from tools.effects import run_unit
from tools.errors import RefundCapExceeded
from tools.issue_refund import RefundResult, issue_refund
from tools.issue_store_credit import issue_store_credit
from tools.open_case import ReturnRequest, open_case

_orders = itertools.count(1)


@pytest.fixture(scope="module")
def cap_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReturnsDesk]:
    folder: Path = tmp_path_factory.mktemp("cap")
    desk = ReturnsDesk(f"sqlite:///{folder / 'cap.db'}", make_store(), FrozenClock(NOW))
    yield desk
    desk.close()


attempt = st.tuples(
    st.sampled_from(["refund", "store_credit"]),
    st.integers(min_value=0, max_value=50_000),
    st.integers(min_value=0, max_value=3),  # which step key: repeats must not pay twice
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    price=st.integers(min_value=1, max_value=20_000),
    quantity=st.integers(min_value=1, max_value=4),
    attempts=st.lists(attempt, min_size=1, max_size=12),
)
def test_refunds_never_exceed_what_was_paid(
    cap_desk: ReturnsDesk, price: int, quantity: int, attempts: list[tuple[str, int, int]]
) -> None:
    number = f"CAP-{next(_orders)}"
    order = {
        "number": number,
        "email": "cap@example.com",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [
            {"sku": "X", "price": f"{price / 100:.2f}", "quantity": quantity, "supplier": "acme"}
        ],
    }
    with cap_desk.session() as session:
        import_orders(session, orders_from_data([order], "cap"), "USD")
        ctx = cap_desk.context(session)
        codes = [
            open_case(
                ctx,
                ReturnRequest(
                    order=number, email="cap@example.com", sku="X", quantity=1, reason="damaged"
                ),
            ).code
            for _ in range(quantity)
        ]
    paid = price * quantity
    accepted: dict[str, int] = {}
    for index, (kind, amount, step) in enumerate(attempts):
        code = codes[index % len(codes)]
        key = f"{code}:{kind}:{step}"

        def give_back(
            ctx: ToolContext,
            code: str = code,
            kind: str = kind,
            amount: int = amount,
            step: int = step,
        ) -> int:
            case = get_case(ctx.session, code)
            assert isinstance(case, CaseRow)
            if kind == "refund":
                result = issue_refund(
                    ctx, case, amount, step=str(step), actor="system", reason="test"
                )
                return result.amount_minor
            credit = issue_store_credit(
                ctx, case, amount, amount // 10, step=str(step), actor="system", reason="test"
            )
            return credit.amount_minor - credit.bonus_minor

        try:
            # A refund pays outside the transaction: run it as the case graph runs its steps.
            accepted.setdefault(key, run_unit(cap_desk.sessions, cap_desk.context, give_back))
        except RefundCapExceeded:
            assert sum(accepted.values()) + amount > paid
    with cap_desk.session() as session:
        line_item_id = get_case(session, codes[0]).line_item_id  # type: ignore[union-attr]
        given_back = journal.balance(session, journal.REFUNDS_PAID, line_item_id=line_item_id)
    assert given_back == sum(accepted.values())
    assert given_back <= paid


def test_the_same_refund_step_pays_once(cap_desk: ReturnsDesk) -> None:
    number = "CAP-ONCE"
    order = {
        "number": number,
        "email": "once@example.com",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [{"sku": "X", "price": "10.00", "supplier": "acme"}],
    }
    with cap_desk.session() as session:
        import_orders(session, orders_from_data([order], "cap"), "USD")
        code = open_case(
            cap_desk.context(session),
            ReturnRequest(order=number, email="once@example.com", sku="X", reason="damaged"),
        ).code

    def refund(ctx: ToolContext) -> RefundResult:
        case = get_case(ctx.session, code)
        assert case is not None
        return issue_refund(ctx, case, 1000, step="settle", actor="system", reason="t")

    first = run_unit(cap_desk.sessions, cap_desk.context, refund)
    again = run_unit(cap_desk.sessions, cap_desk.context, refund)
    with cap_desk.session() as session:
        total = journal.balance(session, journal.CUSTOMER_PAYMENTS, case_code=code)
    assert first.issued_now and not again.issued_now
    assert total == -1000
