"""Delivering the customer's messages of a case: into its chat, and by e-mail over SMTP.

``RETURNBRIDGE_SMTP_URL`` names the server: ``smtp://host:port``, ``smtp+starttls://user:pass@
host:587`` or ``smtps://user:pass@host:465``. Unset, messages stay in the outbox (the returns
page and the chat show them).

The worker posts into the chat inside a short transaction and mails outside any: a slow or
hung SMTP server never holds the database. Each mail's Message-ID comes from its outbox key,
so a resend after a crash carries the same one and mail clients fold the two.
"""

from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

from ledger import chat_log
from ledger.chat_models import ChatCaseRow
from ledger.models import OutboxRow
from tools.one_time_codes import KIND as SIGN_IN_CODE
from tools.sms import SmsSender, sms_sender


class SmtpMailer:
    def __init__(self, url: str, sender: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ValueError(f"RETURNBRIDGE_SMTP_URL must look like smtp://host:port, got {url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    def send(self, row: OutboxRow, subject: str | None = None) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = row.recipient
        message["Subject"] = subject or (
            f"Your return {row.case_code}" if row.case_code else "Your return"
        )
        message["Message-ID"] = message_id(row.idempotency_key, self.sender)
        message.set_content(row.text)
        client: smtplib.SMTP
        if self.scheme == "smtps":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.scheme == "smtp+starttls":
                client.starttls()
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(message)


def message_id(key: str, sender: str) -> str:
    """The same Message-ID for every send of one outbox message, on the sender's domain."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "returnbridge"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def post_to_chat(session: Session, row: OutboxRow, label_url: str = "") -> None:
    """Show the case's news in the chat it came from, if any (a database write)."""
    if not row.case_code:
        return
    link = session.get(ChatCaseRow, row.case_code)
    if link is not None:
        chat_log.post_case_notices(
            session,
            link.session_id,
            row.created_at,
            label_url=lambda code: (
                f"{label_url}/api/chat/sessions/{link.session_id}/cases/{code}/label.pdf"
            ),
        )


def mail_customer(row: OutboxRow, mailer: SmtpMailer | None) -> str | None:
    """Mail the message; None when sent (or no SMTP is set), else why it failed. Call it
    outside any database transaction."""
    if mailer is None or "@" not in row.recipient:
        return None  # no mailer, or a phone-only customer (cash on delivery): chat and pages
    try:
        if row.kind == SIGN_IN_CODE:
            mailer.send(row, subject="Your code")
        else:
            mailer.send(row)
    except (OSError, smtplib.SMTPException) as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None


def send_text_message(row: OutboxRow, sender: SmsSender) -> str | None:
    """Text the message to the row's phone; None when sent (or kept locally), else why it
    failed. Call it outside any database transaction."""
    try:
        sender.send(row.recipient, row.text)
    except Exception as error:  # a provider's client raises its own kinds
        return f"{type(error).__name__}: {error}"[:500]
    return None


def sms_from_settings() -> SmsSender:
    from bot.settings import get_settings

    settings = get_settings()
    return sms_sender(settings.sms_sender, settings.sms_file, settings)


def mailer_from_settings() -> SmtpMailer | None:
    from bot.settings import get_settings

    settings = get_settings()
    if not settings.smtp_url:
        return None
    return SmtpMailer(settings.smtp_url, settings.mail_from, settings.smtp_timeout_seconds)


def mail_owner(row: OutboxRow, mailer: SmtpMailer | None) -> str | None:
    """E-mail a new inbox item to the owner (``owner_email``) when Slack does not carry it;
    without SMTP it stays on the owner desk. None when sent or kept, else why it failed.
    Call it outside any database transaction."""
    if mailer is None or "@" not in row.recipient:
        return None
    kind = str((row.payload or {}).get("inbox_kind", row.kind)).replace("_", " ")
    subject = str((row.payload or {}).get("subject") or f"ReturnBridge inbox: {kind}")
    if row.case_code:
        subject += f" ({row.case_code})"
    try:
        mailer.send(row, subject=subject)
    except (OSError, smtplib.SMTPException) as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None
