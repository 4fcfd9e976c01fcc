"""Split an address kept as text ("412 Maple Ave, Apt 2B, Columbus, OH 43215, US") into the
fields a carrier asks for: street lines, city, state, postcode and country.

Addresses are kept as the text people wrote (orders, agreements, a supplier's reply), one
line or several. The reading works from the end: a country (code or name) on the last line,
then the line with the postcode ("OH 43215", "QC H2X 3L3", "50735 Köln", "London SW1A 1AA"),
the city before it or beside it, and the street lines before that; lines before the first
line with a house number are the company or the attention line. A US address written on one
line without commas is read with ``usaddress``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pycountry
import usaddress

from tools.service_errors import AddressUnreadable

_US_ZIP = r"\d{5}(?:-\d{4})?"
_CA_POSTCODE = r"[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d"
_UK_POSTCODE = r"[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}"
_NUMERIC = r"\d{4,6}"
_IE_EIRCODE = r"[A-Za-z]\d{2}(?: ?[A-Za-z\d]{4})?"
_POSTCODE = rf"(?:{_US_ZIP}|{_CA_POSTCODE}|{_UK_POSTCODE}|{_IE_EIRCODE}|{_NUMERIC}|\d{{2}}-\d{{3}})"
_STATE = r"[A-Z]{2,3}"

# "Fresno CA 93650" · "CA 93650" · "50735 Köln" · "London SW1A 1AA" · "75001"
_CITY_STATE_ZIP = re.compile(rf"^(?P<city>.+?),?\s+(?P<state>{_STATE})\s+(?P<zip>{_POSTCODE})$")
_STATE_ZIP = re.compile(rf"^(?P<state>{_STATE})\s+(?P<zip>{_POSTCODE})$")
_ZIP_CITY = re.compile(rf"^(?P<zip>{_POSTCODE})\s+(?P<city>\D.*)$")
_CITY_ZIP = re.compile(rf"^(?P<city>\D.*?)\s+(?P<zip>{_POSTCODE})$")
_ZIP_ONLY = re.compile(rf"^(?P<zip>{_POSTCODE})$")


@dataclass(frozen=True)
class PostalAddress:
    street1: str
    street2: str
    city: str
    state: str
    zip: str
    country: str
    company: str = ""


def country_code(text: str) -> str | None:
    """``"US"``, ``"usa"``, ``"Germany"``, ``"Deutschland"`` → the ISO alpha-2 code, else None."""
    word = text.strip().strip(".").strip()
    if not word or any(ch.isdigit() for ch in word):
        return None
    if len(word) == 2 and word.isalpha():
        found = pycountry.countries.get(alpha_2=word.upper())
        return found.alpha_2 if found is not None else None
    if len(word) == 3 and word.isalpha():
        found = pycountry.countries.get(alpha_3=word.upper())
        if found is not None:
            return str(found.alpha_2)
    aliases = {
        "usa": "US",
        "united states of america": "US",
        "u.s.a": "US",
        "u.s": "US",
        "uk": "GB",
        "england": "GB",
        "scotland": "GB",
        "wales": "GB",
        "deutschland": "DE",
        "españa": "ES",
        "italia": "IT",
        "österreich": "AT",
        "schweiz": "CH",
        "nederland": "NL",
    }
    if word.lower() in aliases:
        return aliases[word.lower()]
    try:
        return str(pycountry.countries.lookup(word).alpha_2)
    except LookupError:
        return None


def _parts(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n,]+", text) if part.strip()]


def _from_usaddress(text: str, country: str) -> PostalAddress | None:
    try:
        tagged, kind = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        return None
    if kind != "Street Address":
        return None
    street_keys = [
        key
        for key in tagged
        if key.startswith(("AddressNumber", "StreetName", "StreetNamePre", "StreetNamePost"))
    ]
    street1 = " ".join(tagged[key] for key in street_keys)
    street2 = " ".join(
        tagged[key] for key in ("OccupancyType", "OccupancyIdentifier") if key in tagged
    )
    city = tagged.get("PlaceName", "")
    if not (street1 and city):
        return None
    return PostalAddress(
        street1=street1,
        street2=street2,
        city=city,
        state=tagged.get("StateName", ""),
        zip=tagged.get("ZipCode", ""),
        country=country,
    )


def parse_address(text: str, *, default_country: str, what: str = "The address") -> PostalAddress:
    """Read ``text`` into a :class:`PostalAddress`, or raise :class:`AddressUnreadable` naming
    ``what`` and the part that is missing."""
    parts = _parts(text or "")
    if not parts:
        raise AddressUnreadable("carrier", f"{what} is empty; a label needs a full address.")
    country = (default_country or "").strip().upper()
    named = country_code(parts[-1]) if len(parts) > 1 else None
    if named is not None:
        country = named
        parts = parts[:-1]
    if not country:
        raise AddressUnreadable("carrier", f"{what} ({text.strip()!r}) names no country.")

    if len(parts) == 1 and country == "US":
        found = _from_usaddress(parts[0], country)
        if found is not None:
            return found
    city = state = postcode = ""
    last = parts[-1]
    rest = parts[:-1]
    if match := _CITY_STATE_ZIP.match(last):
        city, state, postcode = match["city"], match["state"], match["zip"]
    elif (match := _STATE_ZIP.match(last)) and rest:
        state, postcode = match["state"], match["zip"]
        city, rest = rest[-1], rest[:-1]
    elif match := _ZIP_CITY.match(last):
        postcode, city = match["zip"], match["city"]
    elif (match := _CITY_ZIP.match(last)) and rest:
        city, postcode = match["city"], match["zip"]
    elif (match := _ZIP_ONLY.match(last)) and rest:
        postcode = match["zip"]
        city, rest = rest[-1], rest[:-1]
    else:
        city = last  # places without postcodes keep the city on the last line

    if not rest:
        raise AddressUnreadable(
            "carrier", f"{what} ({text.strip()!r}) has no street line before the city."
        )
    if not city:
        raise AddressUnreadable("carrier", f"{what} ({text.strip()!r}) names no city.")
    if country in ("US", "CA") and not (state and postcode):
        raise AddressUnreadable(
            "carrier", f"{what} ({text.strip()!r}) needs a state or province and a postcode."
        )
    numbered = next((i for i, part in enumerate(rest) if any(ch.isdigit() for ch in part)), None)
    first = numbered if numbered is not None else len(rest) - 1
    street1 = rest[first]
    street2 = ", ".join(rest[first + 1 :])
    company = ", ".join(rest[:first])
    return PostalAddress(
        street1=street1,
        street2=street2,
        city=city.strip(),
        state=state,
        zip=postcode.upper() if country in ("CA", "GB", "IE") else postcode,
        country=country,
        company=company,
    )
