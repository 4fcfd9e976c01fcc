"""The installation's secret key: ``RETURNBRIDGE_SECRET_KEY``, or one generated and kept here.

Every link and form token (case links, supplier inbox links, owner forms) is signed with this
key, so a key shared between installations would let anyone forge them. When the setting is
unset (or still holds the value once published as the default), a random key is generated on
first start and stored in ``<data dir>/secret_key`` with mode 0600, then read on every later
start. The data directory is ``RETURNBRIDGE_DATA_DIR``, else the folder of the SQLite file,
else ``var/``. Several processes of one installation (web, worker, Slack) on different
machines must share the key: set ``RETURNBRIDGE_SECRET_KEY`` for them.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from bot.settings import Settings
from ledger.db import sqlite_path

log = logging.getLogger("returnbridge.secret_key")

# The value the settings once shipped as a default; it is public, so it is never used.
PUBLISHED_DEFAULT = "change-me-in-production"
KEY_FILE = "secret_key"


class SecretKeyError(RuntimeError):
    """The stored key cannot be read or written."""


def data_dir(settings: Settings) -> Path:
    if settings.data_dir is not None:
        return settings.data_dir
    database = sqlite_path(settings.database_url)
    return database.parent if database is not None else Path("var")


def installation_secret(settings: Settings) -> str:
    """The configured secret key, or this installation's generated one."""
    configured = (settings.secret_key or "").strip()
    if configured == PUBLISHED_DEFAULT:
        log.warning(
            "RETURNBRIDGE_SECRET_KEY holds the published example value; it is ignored and "
            "this installation's own key is used instead"
        )
        configured = ""
    if configured:
        return configured
    return stored_secret(data_dir(settings) / KEY_FILE)


def stored_secret(path: Path) -> str:
    """Read the key at ``path``, creating it (mode 0600) when it does not exist yet."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    try:
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            os.fchmod(out.fileno(), 0o600)  # whatever the umask says
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            # A hard link appears whole or not at all, and never replaces a key another
            # process of this installation wrote a moment earlier.
            os.link(draft, path)
            log.info("generated this installation's secret key in %s", path)
        except FileExistsError:
            pass
    except OSError as error:
        raise SecretKeyError(
            f"cannot write the secret key file {path} ({error.strerror}); set "
            "RETURNBRIDGE_SECRET_KEY or RETURNBRIDGE_DATA_DIR to a writable folder"
        ) from None
    finally:
        draft.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("the secret key file %s was readable by others; now mode 0600", path)
        path.chmod(0o600)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise SecretKeyError(
            f"the secret key file {path} is empty or too short; delete it to make a new one"
        )
    return key
