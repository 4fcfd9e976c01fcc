"""One-time codes: hashed at rest, 10 minutes, 5 tries, once, throttled, no enumeration."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.order_codes import ask_for_code, orders_by_code
from ledger import outbox
from ledger.identity_models import SignInCodeRow
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tools import one_time_codes
from tools.one_time_codes import SENT, CodeRefused, TooManyCodes

PHONE_ORDER = {
    "number": "2001",
    "phone": "+1 512 555 0100",
    "customer_name": "Bea Cash",
    "placed_at": "2026-03-02T10:00:00Z",
    "delivered_at": "2026-03-06T10:00:00Z",
    "items": [{"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"}],
}


def _code_sent(desk: ReturnsDesk, recipient: str) -> str:
    with desk.session() as session:
        rows = [
            row
            for row in outbox.messages(session)
            if row.kind == one_time_codes.KIND and row.recipient == recipient
        ]
    assert rows, f"no code sent to {recipient}"
    return next(word for word in rows[-1].text.replace(".", " ").split() if word.isdigit())


def _codes(desk: ReturnsDesk) -> list[SignInCodeRow]:
    with desk.session() as session:
        return list(session.execute(select(SignInCodeRow)).scalars())


def test_the_code_lists_the_orders_of_the_address_once(desk: ReturnsDesk) -> None:
    assert ask_for_code(desk, " Ana@Example.com ") == SENT
    code = _code_sent(desk, "ana@example.com")
    orders = orders_by_code(desk, "ana@example.com", code)
    assert [order.number for order in orders] == ["1001"]
    assert orders[0].items == ("Ceramic mug", "Desk lamp")
    with pytest.raises(CodeRefused):  # single use
        orders_by_code(desk, "ana@example.com", code)


def test_the_code_is_kept_only_as_a_salted_hash(desk: ReturnsDesk) -> None:
    ask_for_code(desk, "ana@example.com")
    code = _code_sent(desk, "ana@example.com")
    (row,) = _codes(desk)
    assert code not in row.code_hash and row.code_hash != code
    assert "ana" not in row.contact_key
    assert row.code_hash == one_time_codes.hash_code(code, row.salt)
    assert row.code_hash != one_time_codes.hash_code(code, "00" * 16)  # the salt counts


def test_the_code_expires_after_ten_minutes(desk: ReturnsDesk, clock: FrozenClock) -> None:
    ask_for_code(desk, "ana@example.com")
    code = _code_sent(desk, "ana@example.com")
    clock.advance(dt.timedelta(minutes=10))
    with pytest.raises(CodeRefused, match="expired"):
        orders_by_code(desk, "ana@example.com", code)


def test_a_code_still_works_just_inside_ten_minutes(desk: ReturnsDesk, clock: FrozenClock) -> None:
    ask_for_code(desk, "ana@example.com")
    code = _code_sent(desk, "ana@example.com")
    clock.advance(dt.timedelta(minutes=9, seconds=59))
    assert [o.number for o in orders_by_code(desk, "ana@example.com", code)] == ["1001"]


def test_five_wrong_tries_burn_the_code(desk: ReturnsDesk) -> None:
    ask_for_code(desk, "ana@example.com")
    code = _code_sent(desk, "ana@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(CodeRefused, match=f"try {left} more"):
            orders_by_code(desk, "ana@example.com", wrong)
    with pytest.raises(CodeRefused, match="can't be tried again"):
        orders_by_code(desk, "ana@example.com", wrong)
    with pytest.raises(CodeRefused):  # the right code too, now
        orders_by_code(desk, "ana@example.com", code)
    assert _codes(desk)[0].tries == 5


def test_the_answer_is_the_same_for_an_address_without_orders(desk: ReturnsDesk) -> None:
    assert ask_for_code(desk, "nobody@example.com") == ask_for_code(desk, "ana@example.com")
    with desk.session() as session:
        sent_to = {row.recipient for row in outbox.messages(session)}
    assert sent_to == {"ana@example.com"}  # nobody@ is not written to
    assert len(_codes(desk)) == 2  # but a code row exists for both: the same work is done
    with pytest.raises(CodeRefused):
        orders_by_code(desk, "nobody@example.com", "123456")


def test_codes_are_throttled_per_address(desk: ReturnsDesk, clock: FrozenClock) -> None:
    for _ in range(one_time_codes.SENDS_ALLOWED):
        ask_for_code(desk, "ana@example.com")
    with pytest.raises(TooManyCodes) as refused:
        ask_for_code(desk, "ANA@example.com")
    assert 0 < refused.value.retry_after <= 15 * 60
    with pytest.raises(TooManyCodes):  # same answer for an address without orders
        for _ in range(one_time_codes.SENDS_ALLOWED + 1):
            ask_for_code(desk, "nobody@example.com")
    ask_for_code(desk, "other@example.com")  # another address is not held up
    clock.advance(dt.timedelta(minutes=16))
    assert ask_for_code(desk, "ana@example.com") == SENT


def test_a_phone_only_order_gets_its_code_by_text_message(desk: ReturnsDesk) -> None:
    with desk.session() as session:
        import_orders(
            session, orders_from_data([PHONE_ORDER], "test", desk.store), desk.store.policy.currency
        )
    ask_for_code(desk, "(512) 555-0100")
    with desk.session() as session:
        (row,) = [r for r in outbox.messages(session) if r.kind == one_time_codes.KIND]
    assert row.channel == one_time_codes.SMS
    code = _code_sent(desk, "(512) 555-0100")
    assert [o.number for o in orders_by_code(desk, "+1 512 555 0100", code)] == ["2001"]


def test_not_an_address_at_all_is_said_plainly(desk: ReturnsDesk) -> None:
    with pytest.raises(one_time_codes.BadContact):
        ask_for_code(desk, "my order")
