"""Phone numbers in customer messages: cash-on-delivery orders identify with one."""

from __future__ import annotations

import pytest

from language.customer import read_message
from language.customer.identifiers import phones


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my phone is +61 412 345 678", ["+61 412 345 678"]),
        ("0412 345 678", ["0412 345 678"]),
        ("call me on 0412345678", ["0412345678"]),
        ("(617) 555-0100 is my number", ["(617) 555-0100"]),
        ("phone 55501000", ["55501000"]),
        ("order 1001", []),
        ("order 12345678", []),  # a long order number after "order" stays one
        ("delivered 2026-03-05 10:00", []),
        ("it cost 1400.00", []),
        ("ana@example.com", []),
    ],
)
def test_phones(text: str, expected: list[str]) -> None:
    assert phones(text) == expected


def test_a_phone_is_no_order_number_and_the_order_number_beside_it_still_is() -> None:
    reading = read_message("order 1004, my phone is 0412 345 678")
    assert reading.order_numbers == ["1004"]
    assert reading.phones == ["0412 345 678"]
    assert reading.emails == []
    bare = read_message("0412 345 678", expecting="email")
    assert bare.phones == ["0412 345 678"] and bare.order_numbers == []
