"""Supplier onboarding on the desk: invitations, the owner's confirmation that writes the
agreement file, and each supplier's agreement status for the owner desk and the command line.

The file is written inside the confirming transaction, after its ledger rows: a file that
cannot be written leaves no confirmation in the ledger. This process's desk takes the new
agreement at once; other processes (workers, other web processes) read agreement files when
they start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graph.desk import ReturnsDesk
from policies.agreement_files import write_agreement
from policies.models import Store, SupplierAgreement
from tools import supplier_onboarding
from tools.supplier_onboarding import SupplierStatus


@dataclass(frozen=True)
class Invitation:
    supplier_id: str
    nonce: str
    expires_at_text: str


def invite_supplier(desk: ReturnsDesk, supplier_id: str, days: int) -> Invitation:
    with desk.session() as session:
        row = supplier_onboarding.invite(session, desk.clock.now(), supplier_id, days)
        return Invitation(row.supplier_id, row.nonce, f"{row.expires_at:%Y-%m-%d %H:%M} UTC")


def confirm_supplier(desk: ReturnsDesk, supplier_id: str, store_dir: Path) -> str:
    """Confirm the submitted terms, write the agreement file, and use it from now on."""
    now = desk.clock.now()
    with desk.session() as session:
        agreement, row = supplier_onboarding.confirm(session, now, supplier_id)
        backup = write_agreement(
            store_dir,
            agreement,
            now,
            note=(
                f"Accepted by the supplier through its onboarding link on "
                f"{row.submitted_at:%Y-%m-%d}; confirmed by the owner on {now:%Y-%m-%d}.\n"
                f"Terms hash: {row.terms_hash}"
            ),
        )
    _use_agreement(desk, agreement)
    kept = f" The previous file is kept as {backup.name}." if backup else ""
    return f"Agreement with {agreement.name} ({agreement.id}) confirmed and written.{kept}"


def _use_agreement(desk: ReturnsDesk, agreement: SupplierAgreement) -> None:
    store = Store(
        policy=desk.store.policy, suppliers={**desk.store.suppliers, agreement.id: agreement}
    )
    desk.store = store
    desk.runtime.store = store


def supplier_statuses(desk: ReturnsDesk) -> list[SupplierStatus]:
    with desk.session() as session:
        return supplier_onboarding.supplier_statuses(session, desk.store, desk.clock.now())
