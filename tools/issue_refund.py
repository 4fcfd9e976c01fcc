"""Refund the customer to the original payment, never beyond what was paid for the item.

The payments service is called outside any transaction (``tools/effects.py``): the refund is
first reserved against the line item's cap under its lock, then paid with the idempotency key,
then recorded by the step that asked for it. Payments that run in this process and answer from
the key alone (``LocalPayments``) are asked inside the step's transaction instead: the cap is
checked under the same locks and the refund recorded in that one transaction.

A payment no service can give back (cash on delivery, a manual gateway) is refunded by hand:
the amount is given back on the line item at once (its cap holds it) and owed by hand
(``refunds_owed_by_hand``); the case resolves with it, the owner gets an inbox item to pay
it, and the refund is paid (``refund_issued``) when the owner marks it paid
(:func:`refund_paid_by_hand`).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel
from sqlalchemy import select

from ledger import decisions, journal
from ledger.models import CaseRow, JournalEntryRow
from ledger.owner_models import REFUND_BY_HAND
from policies.money import Money
from tools import effects, owner_inbox
from tools.context import ToolContext
from tools.effects import ServiceCall, external
from tools.errors import ActionRefused
from tools.gateways import paid_by_hand


class RefundResult(BaseModel):
    amount_minor: int
    reference: str
    issued_now: bool
    # True when nothing was paid yet: the owner pays this refund by hand.
    by_hand: bool = False


def refundable_left(ctx: ToolContext, case: CaseRow) -> int:
    """What is still refundable on the case's line item, across all its cases, within what is
    left on its order (locks the line item and the order)."""
    return effects.refundable_left(ctx.session, case.line_item_id)


def check_cap(ctx: ToolContext, case: CaseRow, amount_minor: int) -> None:
    """Raise ``RefundCapExceeded`` unless ``amount_minor`` fits what is left on the line item;
    the line item stays locked until the caller's transaction ends."""
    effects.check_cap(ctx.session, case.line_item_id, amount_minor, ctx.currency)


def issue_refund(
    ctx: ToolContext,
    case: CaseRow,
    amount_minor: int,
    *,
    step: str,
    actor: str,
    reason: str,
    kind: str = "refund",
    units: int = 0,
    restock: bool = False,
) -> RefundResult:
    """``units`` of the case's item go back with the money (0: money only, a partial
    refund); ``restock`` when they return to the store's stock."""
    key = f"{case.code}:{kind}:{step}"
    call = ServiceCall(
        key=key,
        kind=kind,
        case_code=case.code,
        service="payments.refund",
        args={
            "order_number": case.order.display_number,
            "amount_minor": amount_minor,
            "currency": ctx.currency,
            "external_id": case.order.external_id,
            "items": {
                "line_item_id": case.line_item.external_id,
                "quantity": units,
                "restock": restock,
                "sku": case.line_item.sku,
            },
        },
        line_item_id=case.line_item_id,
        amount_minor=amount_minor,
    )

    if paid_by_hand(case.order.payment_gateway):
        # No service can give this back: nothing is called; the owner pays by hand.
        def owed() -> dict[str, object]:
            check_cap(ctx, case, amount_minor)
            answer = {
                "reference": f"by-hand:{case.order.payment_gateway}",
                "gateway": case.order.payment_gateway,
            }
            return _owed_by_hand(ctx, case, key, kind, amount_minor, answer, actor, reason)

        done, now = effects.once(ctx, key, kind, case.code, owed)  # type: ignore[arg-type]
        return RefundResult(
            amount_minor=int(done["amount_minor"]),
            reference=str(done["reference"]),
            issued_now=now,
            by_hand=True,
        )

    def record(answer: dict[str, object]) -> dict[str, object]:
        reference = str(answer["reference"])
        if answer.get("by_hand"):
            return _owed_by_hand(ctx, case, key, kind, amount_minor, answer, actor, reason)
        entry = journal.post(
            ctx.session,
            key=key,
            at=ctx.now,
            case_code=case.code,
            kind=kind,
            currency=ctx.currency,
            lines=[
                journal.Line(journal.REFUNDS_PAID, amount_minor, case.line_item_id),
                journal.Line(journal.CUSTOMER_PAYMENTS, -amount_minor),
            ],
        )
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=actor,
            action="refund_issued",
            data={
                "journal": journal.cover(entry),
                "amount": Money(minor=amount_minor, currency=ctx.currency).amount_str(),
                "currency": ctx.currency,
                "reference": reference,
                "kind": kind,
            },
            reason=reason,
        )
        return {"amount_minor": amount_minor, "reference": reference}

    result, now = external(ctx, call, record)
    return RefundResult(
        amount_minor=int(result["amount_minor"]),
        reference=str(result["reference"]),
        issued_now=now,
        by_hand=bool(result.get("by_hand")),
    )


def _owed_by_hand(
    ctx: ToolContext,
    case: CaseRow,
    key: str,
    kind: str,
    amount_minor: int,
    answer: Mapping[str, object],
    actor: str,
    reason: str,
) -> dict[str, object]:
    money = Money(minor=amount_minor, currency=ctx.currency)
    gateway = str(answer.get("gateway") or "manual")
    entry = journal.post(
        ctx.session,
        key=key,
        at=ctx.now,
        case_code=case.code,
        kind=f"{kind}_owed_by_hand",
        currency=ctx.currency,
        lines=[
            journal.Line(journal.REFUNDS_PAID, amount_minor, case.line_item_id),
            journal.Line(journal.REFUNDS_OWED_BY_HAND, -amount_minor),
        ],
    )
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=actor,
        action="refund_by_hand_requested",
        data={
            "journal": journal.cover(entry),
            "amount": money.amount_str(),
            "currency": ctx.currency,
            "gateway": gateway,
            "kind": kind,
        },
        reason=reason,
    )
    contact = case.order.email or case.order.phone
    owner_inbox.raise_item(
        ctx,
        kind=REFUND_BY_HAND,
        party="customer",
        party_id=contact,
        words="",
        summary=(
            f"Return {case.code} (order {case.order.display_number}): please pay {money} back "
            f"to {case.order.customer_name or contact} by hand; the order was paid through "
            f"{gateway}, which cannot refund it. Mark it paid when done."
        ),
        notice_kind="refund_by_hand",
        case=case,
        payload={"case": case.code, "amount": money.amount_str(), "gateway": gateway},
    )
    return {
        "amount_minor": amount_minor,
        "reference": str(answer["reference"]),
        "by_hand": True,
        "gateway": gateway,
    }


class NothingOwedByHand(ActionRefused):
    """Marked paid, but the case has no refund owed by hand (its refund went to a payments
    service, or it was never refunded)."""

    code = "nothing_owed_by_hand"


class RefundAlreadyPaidByHand(ActionRefused):
    """Marked paid a second time: the first payment stands, nothing is recorded again."""

    code = "refund_already_paid_by_hand"


def owed_by_hand(ctx: ToolContext, case: CaseRow) -> int:
    """What the owner still owes the case's customer by hand, in minor units."""
    return -journal.balance(ctx.session, journal.REFUNDS_OWED_BY_HAND, case_code=case.code)


def refund_paid_by_hand(
    ctx: ToolContext, case: CaseRow, *, reference: str, kind: str = "refund", step: str = "settle"
) -> int:
    """The owner paid the refund owed by hand: it leaves the store now (``refund_issued``).
    Returns the amount. Raises ``RefundAlreadyPaidByHand`` when it was recorded paid before
    and ``NothingOwedByHand`` when the case never owed one."""
    owed_key = f"{case.code}:{kind}:{step}"
    paid_key = f"{owed_key}:paid"
    owed = owed_by_hand(ctx, case)
    if owed <= 0:
        before = ctx.session.execute(
            select(JournalEntryRow).where(JournalEntryRow.idempotency_key == paid_key)
        ).scalar_one_or_none()
        if before is not None:
            raise RefundAlreadyPaidByHand(
                f"The refund of return {case.code} was already marked paid by hand on "
                f"{before.at:%Y-%m-%d}; nothing was recorded again."
            )
        raise NothingOwedByHand(
            f"Return {case.code} has no refund owed by hand: its refund, if any, went back "
            "through the payment service, so there is nothing to mark paid."
        )
    entry = journal.post(
        ctx.session,
        key=paid_key,
        at=ctx.now,
        case_code=case.code,
        kind=f"{kind}_paid_by_hand",
        currency=ctx.currency,
        lines=[
            journal.Line(journal.REFUNDS_OWED_BY_HAND, owed),
            journal.Line(journal.CUSTOMER_PAYMENTS, -owed),
        ],
    )
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="owner",
        action="refund_issued",
        data={
            "journal": journal.cover(entry),
            "amount": Money(minor=owed, currency=ctx.currency).amount_str(),
            "currency": ctx.currency,
            "reference": reference or "paid by hand",
            "kind": kind,
            "by_hand": True,
        },
        reason="paid by hand by the owner",
    )
    owner_inbox.close_for_case(ctx, case.code, REFUND_BY_HAND)
    return owed
