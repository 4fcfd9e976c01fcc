"""Writing a supplier agreement file (``suppliers/<id>.yaml``) so the loader reads it back as
the same agreement: atomically (a temporary file in the same folder, then a rename), with the
file it replaces kept under ``suppliers/backups/`` (the loader reads only ``suppliers/*.yaml``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from policies.models import SupplierAgreement

SUPPLIER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
BACKUPS = "backups"


def agreement_data(agreement: SupplierAgreement) -> dict[str, Any]:
    """The fields as the file holds them: plain YAML values, unset optional terms left out."""
    data = agreement.model_dump(mode="json")
    return {key: value for key, value in data.items() if value is not None}


def agreement_yaml(agreement: SupplierAgreement, note: str = "") -> str:
    head = "".join(f"# {line}\n" for line in note.splitlines() if line.strip())
    body = yaml.safe_dump(
        agreement_data(agreement), sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return head + body


def write_agreement(
    store_dir: Path, agreement: SupplierAgreement, now: dt.datetime, note: str = ""
) -> Path | None:
    """Write ``suppliers/<id>.yaml``; the path of the backup of the file it replaced, if any."""
    if not SUPPLIER_ID.match(agreement.id):
        raise ValueError(f"{agreement.id!r} cannot name an agreement file")
    folder = Path(store_dir) / "suppliers"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{agreement.id}.yaml"
    backup: Path | None = None
    if target.exists():
        backups = folder / BACKUPS
        backups.mkdir(exist_ok=True)
        backup = backups / f"{agreement.id}-{now.astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}.yaml"
        backup.write_bytes(target.read_bytes())
    text = agreement_yaml(agreement, note)
    handle, temporary = tempfile.mkstemp(prefix=f".{agreement.id}-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)  # readers see the old file or the new one, never half
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return backup
