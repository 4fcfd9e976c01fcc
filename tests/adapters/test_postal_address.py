"""Addresses kept as text become the fields a carrier asks for."""

from __future__ import annotations

import pytest

from adapters.postal_address import PostalAddress, country_code, parse_address
from tools.service_errors import AddressUnreadable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "412 Maple Ave, Apt 2B, Columbus, OH 43215, US",
            PostalAddress("412 Maple Ave", "Apt 2B", "Columbus", "OH", "43215", "US"),
        ),
        (
            "Acme Returns\n10 Main St\nFresno, CA 93650",
            PostalAddress("10 Main St", "", "Fresno", "CA", "93650", "US", "Acme Returns"),
        ),
        (
            "Rheinhaus Wohnen GmbH, Retouren, Industriestraße 14, 50735 Köln, DE",
            PostalAddress(
                "Industriestraße 14",
                "",
                "Köln",
                "",
                "50735",
                "DE",
                "Rheinhaus Wohnen GmbH, Retouren",
            ),
        ),
        (
            "3450 Rue Saint-Denis, Montréal, QC h2x 3l3, Canada",
            PostalAddress("3450 Rue Saint-Denis", "", "Montréal", "QC", "H2X 3L3", "CA"),
        ),
        (
            "10 Downing Street\nLondon SW1A 2AA\nUnited Kingdom",
            PostalAddress("10 Downing Street", "", "London", "", "SW1A 2AA", "GB"),
        ),
        (
            "1600 Pennsylvania Ave NW Washington DC 20500",
            PostalAddress("1600 Pennsylvania Ave NW", "", "Washington", "DC", "20500", "US"),
        ),
        (
            "ul. Prosta 5, 00-850 Warszawa, Poland",
            PostalAddress("ul. Prosta 5", "", "Warszawa", "", "00-850", "PL"),
        ),
    ],
)
def test_addresses_are_split(text: str, expected: PostalAddress) -> None:
    assert parse_address(text, default_country="US") == expected


def test_the_default_country_fills_in() -> None:
    assert parse_address("12 rue de Rivoli, 75001 Paris", default_country="FR").country == "FR"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty"),
        ("Fresno, CA 93650", "no street line"),
        ("10 Main St, Fresno, US", "state or province and a postcode"),
    ],
)
def test_what_is_missing_is_named(text: str, words: str) -> None:
    with pytest.raises(AddressUnreadable, match=words):
        parse_address(text, default_country="US", what="The return address of Acme")


def test_country_words() -> None:
    assert country_code("usa") == "US"
    assert country_code("Deutschland") == "DE"
    assert country_code("Main St") is None
    assert country_code("93650") is None
