"""policies.money: amounts are integers of minor units, parsed once, rounded half up once."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.money import Money, MoneyError, exponent, parse_amount, percent_of, round_half_up

# -- parse_amount -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("24", 2400),
        ("24.00", 2400),
        ("24.5", 2450),
        ("$24.50", 2450),
        ("1,234.56", 123456),
        (" 7.99 ", 799),
        ("0", 0),
        ("0.01", 1),
    ],
)
def test_a_dollar_amount_as_owners_write_it_becomes_cents(text: str, minor: int) -> None:
    assert parse_amount(text, "USD") == minor


def test_integers_and_decimals_parse_like_their_text() -> None:
    assert parse_amount(24, "USD") == 2400
    assert parse_amount(Decimal("3.99"), "USD") == 399


def test_yen_has_no_minor_unit() -> None:
    assert exponent("JPY") == 0
    assert parse_amount("1500", "JPY") == 1500
    assert parse_amount("¥1,500", "JPY") == 1500


def test_half_a_yen_is_refused() -> None:
    with pytest.raises(MoneyError, match="JPY"):
        parse_amount("1.5", "JPY")


def test_three_decimal_currency_keeps_fils() -> None:
    assert parse_amount("1.234", "BHD") == 1234


def test_currency_code_is_case_insensitive_for_the_exponent() -> None:
    assert parse_amount("1500", "jpy") == 1500


@pytest.mark.parametrize("text", ["abc", "NaN", "nan", "Infinity", "-Infinity", "", "24.00 USD"])
def test_text_that_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(MoneyError, match="not an amount"):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["24.001", "0.005", "1,234.567"])
def test_more_decimals_than_cents_is_refused_not_rounded(text: str) -> None:
    with pytest.raises(MoneyError, match="more decimals than USD allows"):
        parse_amount(text, "USD")


def test_money_error_is_a_value_error() -> None:
    """Callers that catch ValueError (pydantic validators) also catch a bad amount."""
    with pytest.raises(ValueError):
        parse_amount("abc", "USD")


# -- round_half_up ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(1, 2), 1),
        (Fraction(3, 2), 2),
        (Fraction(5, 2), 3),  # not banker's rounding: 2.5 goes up to 3
        (Fraction(7, 2), 4),
        (Fraction(49, 100), 0),
        (Fraction(51, 100), 1),
        (Fraction(2), 2),
        (Fraction(0), 0),
        (Fraction(11385, 10), 1139),  # 1138.5 cents
        (Fraction(1, 3), 0),
        (Fraction(2, 3), 1),
    ],
)
def test_round_half_up_rounds_exact_halves_up(value: Fraction, rounded: int) -> None:
    assert round_half_up(value) == rounded


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(-1, 2), -1),
        (Fraction(-3, 2), -2),
        (Fraction(-5, 2), -3),
        (Fraction(-49, 100), 0),
        (Fraction(-51, 100), -1),
        (Fraction(-7, 3), -2),
    ],
)
def test_negative_halves_round_away_from_zero_like_decimal_round_half_up(
    value: Fraction, rounded: int
) -> None:
    assert round_half_up(value) == rounded


@given(st.fractions(max_denominator=1000).filter(lambda f: abs(f) < 10**9))
def test_round_half_up_agrees_with_decimal_round_half_up(value: Fraction) -> None:
    from decimal import ROUND_HALF_UP, localcontext

    with localcontext() as ctx:
        ctx.prec = 50
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert round_half_up(value) == expected


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_round_half_up_leaves_whole_numbers_alone(n: int) -> None:
    assert round_half_up(Fraction(n)) == n


# -- percent_of ---------------------------------------------------------------------------------


def test_percent_of_is_exact_until_rounded() -> None:
    # 10% of $10.35 is 103.5 cents: kept exact, not rounded to 103 or 104.
    assert percent_of(1035, 10) == Fraction(207, 2)
    assert round_half_up(percent_of(1035, 10)) == 104


def test_percent_of_takes_decimal_and_fraction_percentages() -> None:
    assert percent_of(2000, Decimal("12.5")) == 250
    assert percent_of(300, Fraction(1, 3)) == 1
    assert percent_of(2400, 0) == 0
    assert percent_of(2400, 100) == 2400


# -- Money --------------------------------------------------------------------------------------


def test_money_adds_and_subtracts_in_one_currency() -> None:
    price = Money.parse("24.00", "usd")
    label = Money.parse("7.50", "USD")
    assert price.currency == "USD"
    assert (price - label).minor == 1650
    assert (price + label).minor == 3150
    assert (label * 3).minor == 2250


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
def test_dollars_and_euros_never_mix(operation) -> None:  # type: ignore[no-untyped-def]
    dollars = Money.parse("10", "USD")
    euros = Money.parse("10", "EUR")
    with pytest.raises(MoneyError, match="cannot mix USD and EUR"):
        operation(dollars, euros)


def test_money_compares_within_a_currency() -> None:
    small, big = Money.parse("9.99", "USD"), Money.parse("10", "USD")
    assert small < big
    assert big >= small
    assert not big <= small


def test_clamp_zero_turns_a_negative_remainder_into_nothing() -> None:
    assert Money(minor=-150, currency="USD").clamp_zero() == Money.zero("USD")
    assert Money(minor=150, currency="USD").clamp_zero().minor == 150


def test_money_is_frozen() -> None:
    money = Money.parse("1", "USD")
    with pytest.raises(ValueError):
        money.minor = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (2400, "USD", "24.00"),
        (5, "USD", "0.05"),
        (0, "EUR", "0.00"),
        (123456, "USD", "1234.56"),
        (1500, "JPY", "1500"),
        (1234, "BHD", "1.234"),
        (-750, "USD", "-7.50"),
    ],
)
def test_amount_str_writes_every_minor_digit(minor: int, currency: str, text: str) -> None:
    assert Money(minor=minor, currency=currency).amount_str() == text


def test_str_names_the_currency() -> None:
    assert str(Money.parse("24", "USD")) == "24.00 USD"


@given(
    minor=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(["USD", "EUR", "JPY", "BHD", "KRW", "GBP"]),
)
def test_amount_str_parses_back_to_the_same_minor_units(minor: int, currency: str) -> None:
    money = Money(minor=minor, currency=currency)
    assert parse_amount(money.amount_str(), currency) == minor
    assert Money.parse(money.amount_str(), currency) == money
