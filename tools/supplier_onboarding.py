"""A supplier comes on board with its terms: the owner invites, the supplier fills in and
accepts, the owner confirms.

- ``invite``: a new invitation with a random nonce (what the signed link carries); an older
  open invitation of the same supplier is withdrawn. Ledger: ``agreement_invited`` (owner).
- ``submit_terms``: the supplier's form, validated by the same model the loader uses
  (``SupplierAgreement``), errors by field; accepted terms are kept with their hash and the
  link is used up. Nothing is written to the agreement file yet.
- ``confirm``: the owner's yes. The ledger gets ``agreement_accepted`` (the supplier, with the
  hash of the terms it submitted) and ``agreement_confirmed`` (the owner); the caller then
  writes the file (``policies.agreement_files``) inside the same transaction.
- ``supplier_statuses``: every supplier the store knows (agreement files, invitations, vendors
  of imported orders without an agreement), with a flag on those without an accepted agreement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import decisions
from ledger import onboarding_models as rows
from ledger.models import LineItemRow
from policies.agreement_files import SUPPLIER_ID, agreement_data
from policies.models import Store, SupplierAgreement
from tools.errors import ReturnError

# The fields the supplier fills in; the id comes from the invitation.
FORM_FIELDS = (
    "name",
    "role",
    "country",
    "return_address",
    "phone",
    "rma_required",
    "restocking_fee_percent",
    "return_window_days",
    "return_shipping_paid_by",
    "photo_required_reasons",
    "credit_due_days",
    "contact_name",
    "contact_email",
    "slack_channel",
)


class OnboardingError(ReturnError):
    code = "onboarding"


class LinkNotUsable(ReturnError):
    """An onboarding link that is unknown, used, withdrawn or expired."""

    code = "onboarding_link"

    def __init__(self, why: str, message: str) -> None:
        super().__init__(message)
        self.why = why


def terms_hash(terms: dict[str, Any]) -> str:
    return hashlib.sha256(decisions.canonical_json(terms).encode("utf-8")).hexdigest()


def check_supplier_id(supplier_id: str) -> str:
    supplier_id = supplier_id.strip().lower()
    if not SUPPLIER_ID.match(supplier_id):
        raise OnboardingError(
            f"{supplier_id!r} is not a supplier id: use lower-case letters, digits, - and _ "
            "(at most 64), as in the agreement file's name."
        )
    return supplier_id


def invite(session: Session, now: dt.datetime, supplier_id: str, days: int) -> rows.OnboardingRow:
    supplier_id = check_supplier_id(supplier_id)
    previous = rows.latest(session, supplier_id, lock=True)
    if previous is not None and previous.status in (rows.INVITED, rows.SUBMITTED):
        previous.status = rows.WITHDRAWN
    row = rows.OnboardingRow(
        nonce=secrets.token_urlsafe(24),
        supplier_id=supplier_id,
        status=rows.INVITED,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(row)
    session.flush()
    decisions.append(
        session,
        at=now,
        case_code=None,
        actor="owner",
        action="agreement_invited",
        data={
            "supplier": supplier_id,
            "invitation": row.id,
            "expires_at": row.expires_at.isoformat(),
        },
        reason="onboarding link sent to the supplier",
    )
    return row


def usable(
    session: Session, now: dt.datetime, nonce: str, *, lock: bool = False
) -> rows.OnboardingRow:
    """The invitation a link opens, or ``LinkNotUsable`` saying plainly why not."""
    row = rows.by_nonce(session, nonce, lock=lock)
    if row is None:
        raise LinkNotUsable(
            "unknown", "This onboarding link is not valid. Ask the store for a new one."
        )
    if row.status in (rows.SUBMITTED, rows.CONFIRMED):
        raise LinkNotUsable(
            "used",
            "This onboarding link has been used: your terms were sent to the store"
            + (" and confirmed." if row.status == rows.CONFIRMED else ", which will confirm them.")
            + " Ask the store for a new link to change them.",
        )
    if row.status == rows.WITHDRAWN:
        raise LinkNotUsable(
            "withdrawn", "This onboarding link was replaced by a newer one. Use the newest link."
        )
    if now >= row.expires_at:
        raise LinkNotUsable(
            "expired", "This onboarding link has expired. Ask the store for a new one."
        )
    return row


def form_defaults(store: Store, supplier_id: str) -> dict[str, Any]:
    """The form's starting values: the agreement on file, if any."""
    agreement = store.suppliers.get(supplier_id) or SupplierAgreement(id=supplier_id)
    data = agreement.model_dump(mode="json")
    return {key: data.get(key) for key in FORM_FIELDS}


def terms_from_form(supplier_id: str, form: dict[str, Any]) -> SupplierAgreement | dict[str, str]:
    """The agreement the form states, or the problems by field (the model's own messages)."""
    data: dict[str, Any] = {"id": supplier_id}
    for key in FORM_FIELDS:
        value = form.get(key)
        if isinstance(value, str):
            value = value.strip()
        if key == "photo_required_reasons":
            chosen = [v for v in (value or []) if v]
            data[key] = chosen or None
        elif key in ("rma_required",):
            data[key] = value in (True, "on", "true", "yes", "1")
        elif value in (None, ""):
            continue  # not stated: the model's default
        else:
            data[key] = value
    try:
        return SupplierAgreement.model_validate(data)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "form"
            problems.setdefault(field, problem["msg"].removeprefix("Value error, "))
        return problems


def submit_terms(
    session: Session, now: dt.datetime, nonce: str, form: dict[str, Any], accepted: bool
) -> SupplierAgreement | dict[str, str]:
    """Keep the supplier's accepted terms for the owner's confirmation; problems by field."""
    row = usable(session, now, nonce, lock=True)
    terms = terms_from_form(row.supplier_id, form)
    problems = dict(terms) if isinstance(terms, dict) else {}
    if not accepted:
        problems["accept"] = "Tick the box to accept these terms."
    if problems or isinstance(terms, dict):
        return problems
    data = agreement_data(terms)
    row.terms = data
    row.terms_hash = terms_hash(data)
    row.submitted_at = now
    row.status = rows.SUBMITTED
    return terms


def confirm(
    session: Session, now: dt.datetime, supplier_id: str
) -> tuple[SupplierAgreement, rows.OnboardingRow]:
    """The owner confirms the terms the supplier submitted; both decisions go to the ledger."""
    supplier_id = check_supplier_id(supplier_id)
    row = rows.latest(session, supplier_id, lock=True)
    if row is None or row.status != rows.SUBMITTED or row.terms is None:
        raise OnboardingError(
            f"No terms from {supplier_id} wait for your confirmation"
            + (" (they were confirmed already)." if row and row.status == rows.CONFIRMED else ".")
        )
    if terms_hash(row.terms) != row.terms_hash:
        raise OnboardingError(f"The terms kept for {supplier_id} do not match their hash.")
    agreement = SupplierAgreement.model_validate(row.terms)
    decisions.append(
        session,
        at=now,
        case_code=None,
        actor=f"supplier:{supplier_id}",
        action="agreement_accepted",
        data={
            "supplier": supplier_id,
            "invitation": row.id,
            "terms_hash": row.terms_hash,
            "terms": row.terms,
            "accepted_at": row.submitted_at.isoformat() if row.submitted_at else None,
        },
        reason="the supplier filled in and accepted its return terms",
    )
    decisions.append(
        session,
        at=now,
        case_code=None,
        actor="owner",
        action="agreement_confirmed",
        data={"supplier": supplier_id, "invitation": row.id, "terms_hash": row.terms_hash},
        reason="the owner confirmed the supplier's terms; agreement file written",
    )
    row.status = rows.CONFIRMED
    row.confirmed_at = now
    return agreement, row


@dataclass(frozen=True)
class SupplierStatus:
    supplier_id: str
    name: str
    state: str  # accepted | submitted | invited | expired | on_file | changed | no_agreement
    words: str
    flagged: bool
    terms: dict[str, Any] | None = None  # submitted terms waiting for the owner


def _confirmed_hashes(session: Session) -> dict[str, str]:
    """Each supplier's newest confirmed terms hash (the ledger holds the same, chained)."""
    found: dict[str, str] = {}
    query = (
        select(rows.OnboardingRow.supplier_id, rows.OnboardingRow.terms_hash)
        .where(rows.OnboardingRow.status == rows.CONFIRMED)
        .order_by(rows.OnboardingRow.id)
    )
    for supplier_id, digest in session.execute(query):
        found[supplier_id] = str(digest)
    return found


def supplier_statuses(session: Session, store: Store, now: dt.datetime) -> list[SupplierStatus]:
    confirmed = _confirmed_hashes(session)
    invitations = rows.all_latest(session)
    vendors = {
        vendor.strip()
        for vendor in session.execute(
            select(LineItemRow.vendor).where(LineItemRow.supplier_id == "").distinct()
        ).scalars()
        if vendor and vendor.strip()
    }
    ids = sorted(set(store.suppliers) | set(invitations))
    found: list[SupplierStatus] = []
    for supplier_id in ids:
        agreement = store.suppliers.get(supplier_id)
        name = agreement.name if agreement else supplier_id
        invitation = invitations.get(supplier_id)
        if invitation is not None and invitation.status == rows.SUBMITTED:
            found.append(
                SupplierStatus(
                    supplier_id,
                    name,
                    "submitted",
                    "terms accepted by the supplier: waiting for your confirmation",
                    True,
                    invitation.terms,
                )
            )
            continue
        if agreement is not None and supplier_id in confirmed:
            if terms_hash(agreement_data(agreement)) == confirmed[supplier_id]:
                found.append(
                    SupplierStatus(supplier_id, name, "accepted", "agreement accepted", False)
                )
            else:
                found.append(
                    SupplierStatus(
                        supplier_id,
                        name,
                        "changed",
                        "agreement file changed since the supplier accepted it",
                        True,
                    )
                )
            continue
        if invitation is not None and invitation.status == rows.INVITED:
            if now >= invitation.expires_at:
                words, state = "onboarding link expired: send a new one", "expired"
            else:
                until = f"{invitation.expires_at:%Y-%m-%d}"
                words = f"invited, waiting for the supplier (link until {until})"
                state = "invited"
            found.append(SupplierStatus(supplier_id, name, state, words, True))
            continue
        found.append(
            SupplierStatus(
                supplier_id,
                name,
                "on_file",
                "agreement on file, not accepted by the supplier",
                True,
            )
        )
    for vendor in sorted(vendors - set(ids)):
        found.append(
            SupplierStatus(
                vendor,
                vendor,
                "no_agreement",
                "vendor in imported orders with no supplier agreement",
                True,
            )
        )
    return found
