"""Buy (locally: render) the return label to the supplier's return address."""

from __future__ import annotations

from pydantic import BaseModel

from ledger import decisions, journal
from ledger.models import CaseRow, LabelRow
from policies.money import Money
from tools.context import ToolContext
from tools.effects import once
from tools.label_pdf import LabelContent


class LabelResult(BaseModel):
    tracking_number: str
    carrier: str
    cost_minor: int
    issued_now: bool


def generate_label(ctx: ToolContext, case: CaseRow, *, actor: str = "system") -> LabelResult:
    key = f"{case.code}:label"
    agreement = ctx.store.supplier(case.supplier_id)
    address = case.return_address or agreement.return_address or ""
    cost = ctx.store.policy.return_label_cost.minor(ctx.currency)

    def buy() -> dict[str, object]:
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
        )
        label = ctx.carrier.buy_label(content, key)
        ctx.session.add(
            LabelRow(
                case_code=case.code,
                carrier=label.carrier,
                tracking_number=label.tracking_number,
                cost_minor=cost,
                currency=ctx.currency,
                pdf=label.pdf,
                at=ctx.now,
            )
        )
        journal.post(
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
                "carrier": label.carrier,
                "tracking_number": label.tracking_number,
                "address": address,
                "rma": case.rma,
                "cost": Money(minor=cost, currency=ctx.currency).amount_str(),
            },
        )
        return {"tracking_number": label.tracking_number, "carrier": label.carrier}

    result, now = once(ctx, key, "label", case.code, buy)
    return LabelResult(
        tracking_number=str(result["tracking_number"]),
        carrier=str(result["carrier"]),
        cost_minor=cost,
        issued_now=now,
    )
