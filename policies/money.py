"""Money in integer minor units.

Amounts never travel as floats: a decimal string from a policy or an order is parsed once
into minor units, arithmetic stays on integers, and rounding (half up) happens once at the
end of each computation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import core_schema

# ISO 4217 currencies whose minor unit is not the cent.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}


def exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit."""
    return _EXPONENTS.get(currency.upper(), 2)


class MoneyError(ValueError):
    """An amount that cannot be read or does not fit its currency."""


def parse_amount(text: str | int | Decimal, currency: str) -> int:
    """Parse a decimal amount such as ``"24.00"`` or ``"$24"`` into minor units."""
    raw = str(text).strip().replace(",", "").lstrip("$€£¥")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"not an amount: {text!r}")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{text!r} has more decimals than {currency} allows")
    return int(scaled)


def round_half_up(value: Fraction) -> int:
    """Round an exact fraction of minor units half up (away from zero on .5)."""
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    if 2 * rest >= magnitude.denominator:
        whole += 1
    return sign * whole


def percent_of(minor: int, percent: Fraction | int | Decimal) -> Fraction:
    """Exact ``minor * percent / 100`` without rounding."""
    return Fraction(minor) * Fraction(str(percent)) / 100


class Money(BaseModel):
    """An amount of one currency in integer minor units."""

    model_config = ConfigDict(frozen=True)

    minor: int
    currency: str

    @classmethod
    def parse(cls, text: str | int | Decimal, currency: str) -> Money:
        return cls(minor=parse_amount(text, currency), currency=currency.upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(minor=0, currency=currency.upper())

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(minor=self.minor + other.minor, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(minor=self.minor - other.minor, currency=self.currency)

    def __mul__(self, count: int) -> Money:
        return Money(minor=self.minor * count, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def clamp_zero(self) -> Money:
        return self if self.minor >= 0 else Money.zero(self.currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def amount_str(self) -> str:
        """The amount as a plain decimal string, ``"24.00"``."""
        places = exponent(self.currency)
        value = self.to_decimal().quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return f"{value:.{places}f}"

    def __str__(self) -> str:
        return f"{self.amount_str()} {self.currency}"


class Amount(str):
    """A decimal string in a policy file, kept as text until a currency gives it minor units."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls._validate,
            core_schema.union_schema(
                [core_schema.str_schema(), core_schema.int_schema(), core_schema.float_schema()]
            ),
            serialization=core_schema.to_string_ser_schema(),
        )

    @classmethod
    def _validate(cls, value: str | int | float) -> Amount:
        text = str(value).strip()
        try:
            number = Decimal(text.replace(",", "").lstrip("$€£¥"))
        except InvalidOperation as exc:
            raise ValueError(f'{value!r} is not an amount like "24.00"') from exc
        if not number.is_finite() or number < 0:
            raise ValueError(f"{value!r} is not a non-negative amount")
        return cls(text)

    def minor(self, currency: str) -> int:
        return parse_amount(self, currency)
