"""Ask the case's supplier to authorise a physical return, or to credit without one."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from ledger import decisions, timers
from ledger.models import CaseRow
from policies.money import Money
from tools.context import ToolContext
from tools.notify import notify_supplier


class AuthorisationRequest(BaseModel):
    supplier_id: str
    physical_return: bool
    reminder_at: dt.datetime
    alert_at: dt.datetime


def authorisation_payload(ctx: ToolContext, case: CaseRow, physical: bool) -> dict[str, object]:
    agreement = ctx.store.supplier(case.supplier_id)
    value = Money(minor=case.line_item.unit_price_minor * case.quantity, currency=ctx.currency)
    return {
        "case": case.code,
        "order": case.order.display_number,
        "sku": case.line_item.sku,
        "item": case.line_item.name,
        "quantity": case.quantity,
        "reason": case.reason,
        "note": case.note,
        "customer_country": case.order.country,
        "amount": value.amount_str(),
        "currency": ctx.currency,
        "physical_return": physical,
        "rma_required": agreement.rma_required,
        "address_on_file": agreement.return_address,
        "slack_channel": agreement.slack_channel,
        "actions": ["approve", "decline", "question"],
    }


def request_supplier_authorization(
    ctx: ToolContext, case: CaseRow, *, hours: int | None = None, marketplace: str | None = None
) -> AuthorisationRequest:
    """``hours``: the time to answer (a marketplace's response time for its orders)."""
    agreement = ctx.store.supplier(case.supplier_id)
    physical = agreement.role == "logistical"
    value = Money(minor=case.line_item.unit_price_minor * case.quantity, currency=ctx.currency)
    item = f"{case.quantity} x {case.line_item.name} ({case.line_item.sku})"
    if physical:
        ask = "Please approve the return with an RMA and a return address, or decline it."
        if agreement.return_address and not agreement.rma_required:
            ask = f"Approve to use the address on file ({agreement.return_address}), or decline."
    else:
        ask = f"Please approve a credit of {value} to the store (no physical return), or decline."
    text = (
        f"Return request {case.code} for order {case.order.display_number}: {item}, "
        f"reason {case.reason.replace('_', ' ')}, value {value}. "
        + (f'Customer note: "{case.note}". ' if case.note else "")
        + ask
        + (
            f" This is a {marketplace} order: {marketplace} needs an answer within {hours} hours."
            if marketplace
            else ""
        )
    )
    notify_supplier(
        ctx, case, "authorisation_request", text, authorisation_payload(ctx, case, physical)
    )
    hours = hours or ctx.store.policy.supplier_response_hours
    reminder_at = ctx.now + dt.timedelta(hours=hours)
    alert_at = ctx.now + dt.timedelta(hours=2 * hours)
    timers.schedule(
        ctx.session,
        key=f"{case.code}:{timers.SUPPLIER_REMINDER}",
        case_code=case.code,
        kind=timers.SUPPLIER_REMINDER,
        due_at=reminder_at,
    )
    timers.schedule(
        ctx.session,
        key=f"{case.code}:{timers.OWNER_ALERT}",
        case_code=case.code,
        kind=timers.OWNER_ALERT,
        due_at=alert_at,
    )
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="system",
        action="supplier_authorization_requested",
        data={"supplier": case.supplier_id, "physical_return": physical, "channel": "supplier"},
        reason=f"supplier_role={agreement.role}",
    )
    return AuthorisationRequest(
        supplier_id=case.supplier_id,
        physical_return=physical,
        reminder_at=reminder_at,
        alert_at=alert_at,
    )
