"""Text messages to a phone (one-time codes for orders without e-mail), behind a small port.

``RETURNBRIDGE_SMS_SENDER`` picks the sender: ``local`` (the default) keeps each message in the
outbox, like e-mail without SMTP, and appends it to ``RETURNBRIDGE_SMS_FILE`` when that is set;
``package.module:factory`` names a callable that takes the settings and returns an object with
``send(phone, text)`` (an SMS provider's client), so a provider is added without touching the
desk.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import threading
from pathlib import Path
from typing import Any, Protocol


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send or raise (``OSError`` or any exception): the outbox keeps it for a retry."""


class LocalSms:
    """No provider: the message stays in the outbox, and goes to a file when one is set."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        if self.path is None:
            return
        line = json.dumps(
            {"at": dt.datetime.now(dt.UTC).isoformat(), "to": phone, "text": text},
            ensure_ascii=False,
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")


class SmsSettingError(ValueError):
    pass


def sms_sender(name: str, path: Path | None, settings: Any = None) -> SmsSender:
    """The sender a setting names: ``local`` or ``module:factory``."""
    if name.strip() in ("", "local"):
        return LocalSms(path)
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute:
        raise SmsSettingError(
            f"RETURNBRIDGE_SMS_SENDER must be 'local' or 'package.module:factory', got {name!r}"
        )
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise SmsSettingError(f"RETURNBRIDGE_SMS_SENDER {name!r}: {error}") from None
    sender: SmsSender = factory(settings)
    return sender
