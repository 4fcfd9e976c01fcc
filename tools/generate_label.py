"""Buy (locally: render) the return label to the supplier's return address."""

from __future__ import annotations

import base64

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ledger import decisions, journal, pending
from ledger.models import CaseRow, EffectRow, LabelRow
from policies.money import Money
from tools.context import ToolContext
from tools.effects import ServiceCall, external
from tools.label_pdf import LabelContent, render_label_pdf


class LabelResult(BaseModel):
    tracking_number: str
    carrier: str
    cost_minor: int
    issued_now: bool


def label_key(code: str) -> str:
    return f"{code}:label"


_LABEL = select(LabelRow.pdf).where(LabelRow.case_code == bindparam("code"))
LABELS = pending.table_of(LabelRow)
_KEPT = select(EffectRow.result).where(EffectRow.idempotency_key == bindparam("key"))


def label_pdf(session: Session, code: str) -> bytes | None:
    """The case's label as a PDF, or None before it has one. A label a carrier sold comes as
    it was stored; one drawn here (the local carrier) is rendered now from the content kept
    with its effect when it was issued."""
    pdf = session.execute(_LABEL, {"code": code}).scalar_one_or_none()
    if pdf is None or len(pdf) > 0:
        return pdf
    kept = session.execute(_KEPT, {"key": label_key(code)}).scalar_one_or_none() or {}
    if not kept.get("content"):
        raise LookupError(f"the label of {code} has neither a PDF nor its content")
    return render_label_pdf(LabelContent.model_validate(kept["content"]))


def label_call(ctx: ToolContext, case: CaseRow) -> ServiceCall:
    """The carrier call that buys (locally: draws) the case's label, to its return address."""
    agreement = ctx.store.supplier(case.supplier_id)
    address = case.return_address or agreement.return_address or ""
    content = LabelContent(
        case_id=case.code,
        order_number=case.order.display_number,
        carrier=ctx.carrier.name,
        service="Ground",
        tracking_number="PENDING",
        sender_name=case.order.customer_name or case.customer_email,
        sender_address=case.order.shipping_address,
        recipient_name=agreement.name,
        recipient_address=address,
        rma=case.rma,
        item_description=f"{case.quantity} x {case.line_item.name} ({case.line_item.sku})",
        created_at=ctx.now,
        sender_country=case.order.country,
        sender_email=case.customer_email,
        recipient_country=agreement.country,
        sender_phone=case.order.phone,
        recipient_phone=agreement.phone,
        goods_description=case.line_item.name or case.line_item.sku,
        goods_quantity=case.quantity,
        # What the customer paid for the returned units: the value a customs declaration
        # states for goods coming back.
        goods_value_minor=case.line_item.paid_total_minor
        * case.quantity
        // max(case.line_item.quantity, 1),
        currency=ctx.currency,
        # The goods came from the supplier; its country is the best origin the desk knows.
        origin_country=agreement.country,
    )
    return ServiceCall(
        key=label_key(case.code),
        kind="label",
        case_code=case.code,
        service="carrier.buy_label",
        args={"content": content.model_dump(mode="json")},
    )


def generate_label(ctx: ToolContext, case: CaseRow, *, actor: str = "system") -> LabelResult:
    key = label_key(case.code)
    agreement = ctx.store.supplier(case.supplier_id)
    address = case.return_address or agreement.return_address or ""
    cost = ctx.store.policy.return_label_cost.minor(ctx.currency)
    call = label_call(ctx, case)

    def record(answer: dict[str, object]) -> dict[str, object]:
        tracking = str(answer["tracking_number"])
        # written at commit with the step's other rows (``ledger.pending``); a statement of
        # the step that reads labels sends it first
        pending.add(
            ctx.session,
            LABELS,
            {
                "case_code": case.code,
                "carrier": str(answer["carrier"]),
                "tracking_number": tracking,
                "cost_minor": cost,
                "currency": ctx.currency,
                "pdf": base64.b64decode(str(answer["pdf"])),
                "at": ctx.now,
            },
            key=case.code,
        )
        entry = journal.post(
            ctx.session,
            key=key,
            at=ctx.now,
            case_code=case.code,
            kind="return_label",
            currency=ctx.currency,
            lines=[
                journal.Line(journal.RETURN_SHIPPING, cost),
                journal.Line(journal.CARRIER_PAYABLE, -cost),
            ],
        )
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=actor,
            action="label_generated",
            data={
                "journal": journal.cover(entry),
                "carrier": str(answer["carrier"]),
                "tracking_number": tracking,
                "address": address,
                "rma": case.rma,
                "cost": Money(minor=cost, currency=ctx.currency).amount_str(),
            },
        )
        kept: dict[str, object] = {"tracking_number": tracking, "carrier": str(answer["carrier"])}
        if answer.get("content"):  # a label drawn here: its PDF is rendered when downloaded
            kept["content"] = answer["content"]
        return kept

    result, now = external(ctx, call, record)
    return LabelResult(
        tracking_number=str(result["tracking_number"]),
        carrier=str(result["carrier"]),
        cost_minor=cost,
        issued_now=now,
    )
