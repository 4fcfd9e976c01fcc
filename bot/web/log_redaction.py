"""Keep link tokens out of the access log.

A supplier's inbox link (``/supplier/<token>``), a case link's ``?token=…`` and a chat
session id in a path are keys: whoever reads them can act as their holder. Uvicorn's access
log writes every request line; this filter rewrites those parts to ``[redacted]`` before the
line is formatted.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
_PATTERNS = (
    (re.compile(r"(/supplier/)[^/?#\s]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/api/chat/sessions/)[^/?#\s]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"([?&](?:token|session)=)[^&#\s]*", re.IGNORECASE), rf"\g<1>{REDACTED}"),
)


def redact(text: str) -> str:
    # Every pattern needs one of these: most parts of a log line (the client's address, the
    # method, a plain path) skip the three scans.
    if "/supplier/" not in text and "/api/chat/sessions/" not in text and "=" not in text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokens(logging.Filter):
    """Rewrites token-bearing paths in a log record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install the filter on uvicorn's access logger (once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
