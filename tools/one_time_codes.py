"""One-time codes for a customer who does not know the order number.

The customer gives the e-mail address of the order (or, for an order without e-mail, its
phone) and gets a 6-digit code there; the code lists the orders of that address, and nothing
about any order is shown before it. The code

- is kept only as a salted hash (``ledger.identity_models``), next to a hash of the address;
- works for ``LIFETIME`` (10 minutes), for ``TRIES`` (5) wrong guesses, and once;
- is sent at most ``SENDS_ALLOWED`` times per address within ``guess_throttle.WINDOW``
  (counted in the database with the guessing throttle's table, so every process agrees).

The answer to "send me a code" is the same whether or not the address has orders: a code row
is made either way, and only an address with orders is written to. Wrong codes also count
against the client's address in the guessing throttle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger import attempt_models, identity_models, outbox
from ledger.models import OrderRow, OutboxRow
from policies.models import (
    PHONE_MATCH_DIGITS,
    normalize_email,
    phone_digits,
    phones_match,
)
from tools import guess_throttle
from tools.errors import ReturnError

LIFETIME = dt.timedelta(minutes=10)
TRIES = 5
SENDS_ALLOWED = 3
DIGITS = 6
# Enough stretching that a stolen table does not give codes away at a glance; a 6-digit code
# cannot be made safe offline, which is why it lives 10 minutes.
HASH_ROUNDS = 10_000
SMS = "sms"  # the outbox channel of text messages to a phone
KIND = "sign_in_code"

SENT = (
    "If we have orders for that address, we've just sent a 6-digit code to it. It works for "
    "10 minutes; type it here to see your orders."
)


class CodeRefused(ReturnError):
    """A code that is wrong, used, expired, or tried too often: one message for all."""

    code = "code_not_valid"

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "That code is not valid or has expired. Ask for a new code and try again."
        )


class BadContact(ReturnError):
    code = "invalid_contact"

    def __init__(self) -> None:
        super().__init__(
            "Please give the e-mail address you ordered with (or, for an order without "
            "e-mail, its phone number)."
        )


class TooManyCodes(guess_throttle.TooManyAttempts):
    """Codes asked or guessed too often for one address or from one client."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        minutes = max(1, -(-self.retry_after // 60))
        self.message = (
            "For your security, no more codes can be sent or checked for that address right "
            f"now. Please try again in about {minutes} minute{'s' if minutes != 1 else ''}."
        )
        self.args = (self.message,)


@dataclass(frozen=True)
class Contact:
    kind: str  # "email" or "phone"
    value: str  # as the message is addressed
    key: str  # the hash the code is filed under

    @property
    def label(self) -> str:
        return "e-mail address" if self.kind == "email" else "phone"


@dataclass(frozen=True)
class OrderListing:
    """What the customer sees of one order once the code matched."""

    number: str
    placed_at: dt.datetime
    items: tuple[str, ...]
    delivered: bool


def read_contact(text: str) -> Contact:
    """An e-mail address or a phone number, normalised, with its hash."""
    given = (text or "").strip()
    if "@" in given:
        email = normalize_email(given)
        local, _, domain = email.partition("@")
        if not local or "." not in domain or len(email) > 320 or " " in email:
            raise BadContact()
        return Contact("email", email, _key("email:" + email))
    digits = phone_digits(given)
    if len(digits) < PHONE_MATCH_DIGITS or len(digits) > 15:
        raise BadContact()
    # Filed under the last digits, as phones are matched: +1 512 555 0100 and 512-555-0100.
    return Contact("phone", given[:40], _key("phone:" + digits[-PHONE_MATCH_DIGITS:]))


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_code(code: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac(
        "sha256", code.encode("utf-8"), bytes.fromhex(salt), HASH_ROUNDS
    ).hex()


def _check_throttle(
    session: Session, now: dt.datetime, contact: Contact, client: str | None
) -> None:
    waits = [
        guess_throttle.blocked_for(session, now, "code_to", contact.key, allowed=SENDS_ALLOWED),
        guess_throttle.blocked_for(session, now, "code_try", contact.key, allowed=TRIES * 2),
    ]
    if client:
        waits.append(guess_throttle.blocked_for(session, now, "client", client))
    wait = max(waits)
    if wait:
        raise TooManyCodes(wait)


def orders_of(session: Session, contact: Contact) -> list[OrderRow]:
    """The orders of an e-mail address, or the phone-only orders of a phone."""
    if contact.kind == "email":
        query = select(OrderRow).where(OrderRow.email == contact.value)
        return list(session.execute(query.order_by(OrderRow.placed_at)).scalars())
    tail = phone_digits(contact.value)[-4:]
    candidates = session.execute(
        select(OrderRow)
        .where(OrderRow.email == "", OrderRow.phone.contains(tail[-2:]))
        .order_by(OrderRow.placed_at)
    ).scalars()
    return [order for order in candidates if phones_match(contact.value, order.phone)]


def send_code(
    session: Session,
    now: dt.datetime,
    contact_text: str,
    client: str | None,
    *,
    code: str | None = None,
) -> str:
    """Make a code for the address and send it if the address has orders; the sentence to
    show, the same either way. ``code`` is for tests only."""
    contact = read_contact(contact_text)
    _check_throttle(session, now, contact, client)
    attempt_models.prune(session, now)
    attempt_models.add(session, scope="code_to", subject=contact.key, source="code", at=now)
    code = code or f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    salt = secrets.token_hex(16)
    row = identity_models.SignInCodeRow(
        kind=contact.kind,
        contact_key=contact.key,
        salt=salt,
        code_hash=hash_code(code, salt),
        created_at=now,
        expires_at=now + LIFETIME,
        tries=0,
    )
    session.add(row)
    session.flush()
    if orders_of(session, contact):
        text = (
            f"Your code is {code}. It shows your orders for the next 10 minutes and works "
            "once. If you did not ask for it, you can ignore this message."
        )
        outbox.enqueue(
            session,
            key=f"code:{row.id}",
            at=now,
            case_code=None,
            channel=outbox.CUSTOMER if contact.kind == "email" else SMS,
            recipient=contact.value,
            kind=KIND,
            text=text,
        )
    return SENT


def check_code(
    session: Session, now: dt.datetime, contact_text: str, code: str, client: str | None
) -> list[OrderListing] | CodeRefused:
    """The orders of the address when ``code`` is its newest live code, else the refusal to
    show. A refusal is returned, not raised, so that the caller's transaction keeps the try
    it counted."""
    contact = read_contact(contact_text)
    _check_throttle(session, now, contact, client)
    given = "".join(ch for ch in (code or "") if ch.isdigit())
    row = identity_models.newest(session, contact.key)
    if row is None or row.used_at is not None or now >= row.expires_at or row.tries >= TRIES:
        _count_wrong(session, now, contact, client)
        return CodeRefused()
    if len(given) != DIGITS or not hmac.compare_digest(hash_code(given, row.salt), row.code_hash):
        row.tries += 1
        _count_wrong(session, now, contact, client)
        left = TRIES - row.tries
        if left <= 0:
            return CodeRefused(
                "That code is not right, and it can't be tried again. Ask for a new code."
            )
        return CodeRefused(
            f"That code is not right. You can try {left} more time{'s' if left != 1 else ''}."
        )
    row.used_at = now
    return [
        OrderListing(
            number=order.display_number,
            placed_at=order.placed_at,
            items=tuple(item.name for item in order.items),
            delivered=order.delivered_at is not None,
        )
        for order in orders_of(session, contact)
    ]


def _count_wrong(session: Session, now: dt.datetime, contact: Contact, client: str | None) -> None:
    attempt_models.add(session, scope="code_try", subject=contact.key, source="code", at=now)
    if client:
        attempt_models.add(session, scope="client", subject=client, source="code", at=now)


def forget_code(session: Session, message_id: int) -> None:
    """Once the code's message has left (SMTP, an SMS provider, a file), the outbox keeps it
    without the code: only its hash stays here."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == message_id, OutboxRow.kind == KIND)
        .values(text="A one-time code was sent (the code itself is not kept).")
    )
