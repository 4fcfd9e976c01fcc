"""Delivering the customer's messages of a case: into its chat, and by e-mail over SMTP.

``RETURNBRIDGE_SMTP_URL`` names the server: ``smtp://host:port``, ``smtp+starttls://user:pass@
host:587`` or ``smtps://user:pass@host:465``. Unset, messages stay in the outbox (the returns
page and the chat show them).
"""

from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

from ledger import chat_log
from ledger.chat_models import ChatCaseRow
from ledger.models import OutboxRow


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
        digest = hashlib.sha256(row.idempotency_key.encode()).hexdigest()[:24]
        message["Message-ID"] = make_msgid(idstring=digest, domain="returnbridge.local")
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


def deliver_to_customer(
    session: Session, row: OutboxRow, mailer: SmtpMailer | None, label_url: str = ""
) -> bool:
    """Post the message into the chat of its case (if any) and mail it; False to retry later."""
    if row.case_code:
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
    if mailer is None or "@" not in row.recipient:
        return True  # no mailer, or a phone-only customer (cash on delivery): chat and pages
    try:
        mailer.send(row)
    except (OSError, smtplib.SMTPException) as error:
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        return False
    row.last_error = None
    return True


def mailer_from_settings() -> SmtpMailer | None:
    from bot.settings import get_settings

    settings = get_settings()
    if not settings.smtp_url:
        return None
    return SmtpMailer(settings.smtp_url, settings.mail_from)


def deliver_to_owner(row: OutboxRow, mailer: SmtpMailer | None) -> bool:
    """E-mail a new inbox item to the owner (``owner_email``) when Slack does not carry it;
    without SMTP it stays on the owner desk. False to retry later."""
    if mailer is None or "@" not in row.recipient:
        return True
    subject = "ReturnBridge inbox: " + str((row.payload or {}).get("inbox_kind", row.kind)).replace(
        "_", " "
    )
    if row.case_code:
        subject += f" ({row.case_code})"
    try:
        mailer.send(row, subject=subject)
    except (OSError, smtplib.SMTPException) as error:
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        return False
    row.last_error = None
    return True
