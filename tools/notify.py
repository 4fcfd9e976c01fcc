"""Queue messages to the customer, the case's supplier and the owner through the outbox."""

from __future__ import annotations

from typing import Any

from ledger import outbox
from ledger.models import CaseRow
from tools.context import ToolContext

MARKETPLACE = "marketplace"  # a case's ``opened_via`` for a return made in a marketplace


def notify_customer(
    ctx: ToolContext, case: CaseRow, kind: str, text: str, payload: dict[str, Any] | None = None
) -> None:
    if case.opened_via == MARKETPLACE:
        return  # a marketplace speaks to its own buyers; the store may not write to them
    outbox.queue(
        ctx.session,
        key=f"{case.code}:customer:{kind}",
        at=ctx.now,
        case_code=case.code,
        channel=outbox.CUSTOMER,
        recipient=case.customer_email,
        kind=kind,
        text=text,
        payload=payload,
    )


def notify_supplier(
    ctx: ToolContext,
    case: CaseRow,
    kind: str,
    text: str,
    payload: dict[str, Any] | None = None,
    key_suffix: str = "",
) -> None:
    if not case.supplier_id:
        # A line whose vendor matched no supplier agreement: the owner stands in for it.
        vendor = case.line_item.vendor or "(no vendor)"
        notify_owner(
            ctx,
            case,
            f"for_supplier_{kind}",
            f'No supplier agreement for vendor "{vendor}"; for you instead: {text}',
            payload,
            key_suffix,
        )
        return
    outbox.queue(
        ctx.session,
        key=f"{case.code}:supplier:{kind}{key_suffix}",
        at=ctx.now,
        case_code=case.code,
        channel=outbox.SUPPLIER,
        recipient=case.supplier_id,
        kind=kind,
        text=text,
        payload=payload,
    )


def notify_owner(
    ctx: ToolContext,
    case: CaseRow | None,
    kind: str,
    text: str,
    payload: dict[str, Any] | None = None,
    key_suffix: str = "",
    recipient: str = "owner",
) -> None:
    code = case.code if case is not None else None
    outbox.queue(
        ctx.session,
        key=f"{code or 'store'}:owner:{kind}{key_suffix}",
        at=ctx.now,
        case_code=code,
        channel=outbox.OWNER,
        recipient=recipient,
        kind=kind,
        text=text,
        payload=payload,
    )
