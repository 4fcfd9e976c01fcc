"""What each step of a case does: plain functions over a ``ToolContext`` and the case row.

Each returns ``{"next": NODE}`` (plus facts worth keeping). The case graph runs them inside
one transaction with a step key, so a node that re-runs after a crash or a resume gets the
stored result back instead of acting twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from graph import rule_steps
from ledger import decisions, timers
from ledger.models import CaseRow
from ledger.owner_models import PENDING_REVIEW, SUPPLIER_SILENT, InboxItemRow
from policies.models import Reason
from policies.money import Money
from tools import effects, notices, owner_inbox, refund_caps
from tools import issue_refund as issue_refund_module
from tools.adapters import runs_in_process
from tools.compute_amounts import CaseAmounts, compute_amounts
from tools.context import ToolContext
from tools.decide_assessment import case_facts, decide_assessment
from tools.generate_label import generate_label, label_call
from tools.issue_refund import issue_refund
from tools.issue_store_credit import issue_store_credit
from tools.marketplace import is_marketplace_case
from tools.notify import notify_customer, notify_owner, notify_supplier
from tools.order_replacement import order_replacement
from tools.record_supplier_credit import record_supplier_credit
from tools.request_supplier_authorization import request_supplier_authorization

FINAL = frozenset({"resolved", "denied", "cancelled"})
WAIT = "wait"
ASSESS = "assess"
SETTLE = "settle"
END = "__end__"

SUPPLIER_TIMERS = (timers.SUPPLIER_REMINDER, timers.OWNER_ALERT, timers.RULE_SUPPLIER_SILENT)
INSPECTION_TIMERS = (timers.REFUND_AFTER_DELIVERY, timers.RULE_NOT_INSPECTED)
ALL_TIMERS = (*SUPPLIER_TIMERS, *INSPECTION_TIMERS)

# Which events each waiting status accepts; anything else is refused before the graph runs.
ACCEPTS: dict[str, frozenset[str]] = {
    "awaiting_photo": frozenset({"photo", "cancel"}),
    "pending_review": frozenset({"owner_approve", "owner_deny", "cancel"}),
    "awaiting_supplier": frozenset(
        {
            "supplier_approve",
            "supplier_decline",
            "supplier_reminder",
            "owner_alert",
            timers.RULE_SUPPLIER_SILENT,
            "cancel",
        }
    ),
    # A supplier that reports its inspection has the parcel, whatever the tracking says
    # (delivery scans lag): its result is taken before the carrier's "delivered".
    "awaiting_shipment": frozenset(
        {
            "in_transit",
            "delivered",
            "exception",
            "returned_to_sender",
            "cancel",
            "inspected_ok",
            "inspected_failed",
        }
    ),
    "in_transit": frozenset(
        {
            "in_transit",
            "delivered",
            "exception",
            "returned_to_sender",
            "inspected_ok",
            "inspected_failed",
        }
    ),
    "awaiting_inspection": frozenset(
        {
            "inspected_ok",
            "inspected_failed",
            "refund_after_delivery",
            timers.RULE_NOT_INSPECTED,
            "exception",
        }
    ),
}


def set_status(ctx: ToolContext, case: CaseRow, status: str) -> None:
    before = case.status
    case.status = status
    case.updated_at = ctx.now
    if before != status:
        # The inbox's items are read, not the case: the case's changes wait for the step's
        # commit (one update), unless an item added in this step may be among what is read.
        added = any(isinstance(row, InboxItemRow) for row in ctx.session.new)
        with contextlib.nullcontext() if added else ctx.session.no_autoflush:
            owner_inbox.case_moved(ctx, case.code, before)


def amounts_for(ctx: ToolContext, case: CaseRow) -> CaseAmounts:
    unit_price, quantity = refund_caps.priced_units(case.line_item, case.quantity)
    return compute_amounts(
        ctx.store.policy,
        ctx.store.terms_for(case.supplier_id),
        unit_price_minor=unit_price,
        quantity=quantity,
        reason=Reason(case.reason),
        return_required=bool(case.return_required),
    )


def close(ctx: ToolContext, case: CaseRow, actor: str, reason: str = "") -> None:
    timers.cancel(ctx.session, case.code, ALL_TIMERS, ctx.now)
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=actor,
        action="case_closed",
        data={"status": case.status, "resolution": case.resolution},
        reason=reason,
    )


def send_to_review(
    ctx: ToolContext,
    case: CaseRow,
    *,
    actor: str,
    clause: str,
    why: str,
    after: str,
    customer_words: str | None = None,
) -> dict[str, Any]:
    case.review_reason = why
    case.after_review = after
    set_status(ctx, case, "pending_review")
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=actor,
        action="review_requested",
        data={"after_review": after},
        reason=f"{clause}: {why}",
    )
    value = Money(minor=case.line_item.unit_price_minor * case.quantity, currency=ctx.currency)
    owner_inbox.raise_item(
        ctx,
        kind=PENDING_REVIEW,
        party="customer",
        party_id=case.customer_email,
        words=case.note or why,
        summary=(
            f"Return {case.code} (order {case.order.display_number}, {notices.item_words(case)}, "
            f"{value}, reason {case.reason}) needs your decision: {why} "
            f'Reply "approve {case.order.display_number}" or '
            f'"deny {case.order.display_number}".'
        ),
        notice_kind="review_requested",
        case=case,
        payload={"case": case.code, "clause": clause},
        key_suffix=f":{ctx.now.isoformat()}",
    )
    notify_customer(
        ctx, case, f"under_review:{after}", customer_words or notices.under_review(case)
    )
    return {"next": WAIT, "status": case.status}


def deny(ctx: ToolContext, case: CaseRow, *, actor: str, clause: str, why: str) -> dict[str, Any]:
    set_status(ctx, case, "denied")
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=actor,
        action="case_denied",
        data={"clause": clause},
        reason=why,
    )
    notify_customer(ctx, case, "denied", notices.denied(case, why))
    close(ctx, case, actor, why)
    return {"next": END, "status": case.status}


def cancel(ctx: ToolContext, case: CaseRow, *, actor: str, why: str) -> dict[str, Any]:
    set_status(ctx, case, "cancelled")
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=actor,
        action="case_cancelled",
        data={},
        reason=why,
    )
    notify_customer(ctx, case, "cancelled", notices.cancelled(case))
    close(ctx, case, actor, why)
    return {"next": END, "status": case.status}


def assess(ctx: ToolContext, case: CaseRow) -> dict[str, Any]:
    """Decide the next turn of the case from the policy and the owner's rules; ask whoever
    must answer."""
    if is_marketplace_case(case):  # the marketplace's rules, not the store's
        from graph import marketplace_steps

        return marketplace_steps.assess(ctx, case)
    if not case.supplier_id:
        return assess_without_supplier(ctx, case)
    rules = rule_steps.load(ctx)
    # the customer's earlier returns and the order's total matter to owner rules only
    facts = case_facts(ctx.store, case, ctx.now, history=bool(rules))
    verdict = decide_assessment(ctx.store, facts, rules)
    if case.return_required is None or verdict.outcome in ("keep_it", "authorise"):
        case.return_required = verdict.return_required
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="policy",
        action="eligibility_checked",
        data={"outcome": verdict.outcome, "return_required": verdict.return_required},
        reason=f"{verdict.clause}: {verdict.explanation}",
    )
    rule_steps.after_assessment(ctx, case, verdict)
    actor = verdict.rule or "policy"
    if verdict.outcome == "deny":
        return deny(ctx, case, actor=actor, clause=verdict.clause, why=verdict.explanation)
    if verdict.outcome == "review":
        return send_to_review(
            ctx,
            case,
            actor=actor,
            clause=verdict.clause,
            why=verdict.explanation,
            after=ASSESS,
        )
    if verdict.outcome == "photo":
        set_status(ctx, case, "awaiting_photo")
        notify_customer(ctx, case, "photo_needed", notices.photo_needed(case))
        return {"next": WAIT, "status": case.status}
    rule_steps.on_approved(ctx, case)
    if verdict.outcome == "partial_refund":
        rule_steps.offer_partial_refund(ctx, case, verdict)
        return {"next": SETTLE, "status": case.status, "clause": verdict.clause}
    if verdict.outcome == "keep_it":
        return {"next": SETTLE, "status": case.status, "clause": verdict.clause}
    request_supplier_authorization(ctx, case)
    rule_steps.on_supplier_asked(ctx, case)
    set_status(ctx, case, "awaiting_supplier")
    named = ctx.store.policy.mention_supplier_to_customer
    notify_customer(
        ctx,
        case,
        "awaiting_supplier",
        notices.waiting_for_supplier(case, name_supplier=named),
    )
    return {"next": WAIT, "status": case.status}


def assess_without_supplier(ctx: ToolContext, case: CaseRow) -> dict[str, Any]:
    """A line whose vendor matched no supplier agreement: no supplier can be asked, so the
    owner decides. An approval settles without a return (there is no address to send it
    to) and records no supplier credit; the final-sale and photo checks still apply."""
    vendor = case.line_item.vendor or "(no vendor)"
    if case.line_item.final_sale:
        why = "This item was sold as final sale and cannot be returned."
        return deny(ctx, case, actor="policy", clause="final_sale", why=why)
    if not case.owner_approved:
        why = (
            f'The item\'s vendor "{vendor}" matches no supplier agreement, so no supplier '
            "can be asked; add the vendor to the policy's vendors map or decide yourself."
        )
        return send_to_review(
            ctx, case, actor="policy", clause="vendor_without_supplier", why=why, after=ASSESS
        )
    reason = Reason(case.reason)
    if reason in ctx.store.policy.photo_required_reasons and case.photo_count == 0:
        set_status(ctx, case, "awaiting_photo")
        notify_customer(ctx, case, "photo_needed", notices.photo_needed(case))
        return {"next": WAIT, "status": case.status}
    case.return_required = False
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="owner",
        action="eligibility_checked",
        data={"outcome": "keep_it", "return_required": False, "vendor": vendor},
        reason=f"vendor_without_supplier: approved by the owner; no supplier for {vendor}",
    )
    return {"next": SETTLE, "status": case.status, "clause": "vendor_without_supplier"}


def settle(ctx: ToolContext, case: CaseRow) -> dict[str, Any]:
    """Issue what the customer chose and record what the supplier owes; close the case."""
    if is_marketplace_case(case):  # the marketplace refunds its buyer
        from graph import marketplace_steps

        return marketplace_steps.settle(ctx, case)
    amounts = amounts_for(ctx, case)
    actor = "timer" if case.inspection == "timeout" else "system"
    if case.owner_approved and case.after_review == SETTLE:
        actor = "owner"
    without_return = not case.return_required
    choice = case.requested_resolution
    by_hand = False  # a refund the owner pays by hand (cash on delivery)
    clause = case.review_reason or "policy"
    if choice == "partial_refund":
        amounts = rule_steps.partial_amounts(ctx, case, rule_steps.offered_percent(ctx, case))
    if choice == "store_credit":
        bonus = rule_steps.store_credit_bonus(ctx, case)
        if bonus is not None:
            unit_price, quantity = refund_caps.priced_units(case.line_item, case.quantity)
            amounts = compute_amounts(
                ctx.store.policy.model_copy(update={"store_credit_bonus_percent": bonus}),
                ctx.store.terms_for(case.supplier_id),
                unit_price_minor=unit_price,
                quantity=quantity,
                reason=Reason(case.reason),
                return_required=bool(case.return_required),
            )
        amounts = refund_caps.lower_to_left(ctx, case, amounts)
        credit = issue_store_credit(
            ctx,
            case,
            amounts.refund,
            amounts.store_credit_bonus,
            step="settle",
            actor=actor,
            reason=clause,
        )
        money = Money(minor=credit.amount_minor, currency=ctx.currency)
        text = notices.store_credit(case, money, credit.code, without_return)
    elif choice == "replacement":
        order_replacement(ctx, case, step="settle", actor=actor, reason=clause)
        text = notices.replacement(case, without_return)
    else:
        computed, amounts = amounts.refund, refund_caps.lower_to_left(ctx, case, amounts)
        if computed > 0 and amounts.refund == 0:
            # All of it was given back already (in the store, before import): nothing to pay.
            text = (
                f"Return {case.code}: this order has already been refunded in full, so there "
                "is nothing more to give back."
            )
        else:
            refund = issue_refund(
                ctx,
                case,
                amounts.refund,
                step="settle",
                actor=actor,
                reason=clause,
                units=0 if choice == "partial_refund" else case.quantity,
                restock=ctx.store.policy.restock_returns and not without_return,
            )
            money = Money(minor=refund.amount_minor, currency=ctx.currency)
            by_hand = refund.by_hand
            text = (
                notices.refund_by_hand(case, money, without_return)
                if by_hand
                else notices.refunded(case, money, without_return)
            )
    case.resolution = choice
    if case.supplier_id and not case.supplier_declined and case.inspection != "failed":
        disputed = case.inspection == "timeout"
        record_supplier_credit(
            ctx,
            case,
            amounts,
            step="settle",
            actor=actor,
            reason="inspection not confirmed in time" if disputed else "return settled",
            disputed=disputed,
        )
        if without_return or disputed:
            owed = Money(minor=amounts.supplier_credit, currency=ctx.currency)
            notify_supplier(
                ctx,
                case,
                "credit_claim",
                f"Return {case.code} (order {case.order.display_number}, "
                f"{notices.item_words(case)}): the customer "
                + ("is being refunded by the store" if by_hand else "has been refunded")
                + (" without sending the item back" if without_return else "")
                + (" because no inspection arrived in time" if disputed else "")
                + f". Please credit the store {owed}.",
                {"case": case.code, "amount": owed.amount_str(), "disputed": disputed},
            )
    set_status(ctx, case, "resolved")
    notify_customer(ctx, case, "resolved", text)
    # Paid by hand (cash on delivery): the refund is decided and held against the line's cap,
    # owed until the owner marks it paid (:func:`refund_paid_by_hand`). The case is resolved
    # all the same: its timers end here, and the paying is the owner's, not the graph's.
    close(ctx, case, actor, f"resolved with {choice}" + (", owed by hand" if by_hand else ""))
    return {"next": END, "status": case.status}


def refund_paid_by_hand(ctx: ToolContext, case: CaseRow, reference: str) -> int:
    """The owner paid a resolved case's refund owed by hand: it leaves the store now, the
    customer is told and the owner's inbox item closes. Returns the amount paid; raises
    ``ActionRefused`` when nothing is owed by hand (never was, or was paid before)."""
    paid = issue_refund_module.refund_paid_by_hand(ctx, case, reference=reference)
    money = Money(minor=paid, currency=ctx.currency)
    notify_customer(
        ctx,
        case,
        "refund_paid_by_hand",
        f"Your refund of {money} for return {case.code} has been paid back to you by the store.",
    )
    return paid


def handle_event(ctx: ToolContext, case: CaseRow, event: dict[str, Any]) -> dict[str, Any]:
    """Apply one event the case was waiting for. The desk checked that it fits the status."""
    kind = str(event["type"])
    actor = str(event.get("actor") or "system")
    note = str(event.get("note") or "")
    if kind not in ACCEPTS.get(case.status, frozenset()):
        # A stale event (a duplicate resume): record nothing, wait on.
        return {"next": WAIT if case.status in ACCEPTS else END, "ignored": kind}
    if kind == "cancel":
        return cancel(ctx, case, actor=actor, why=note or "cancelled")
    if kind == "photo":
        case.photo_count += 1
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=actor,
            action="photo_received",
            data={"photo": event.get("photo_id"), "description": event.get("description", "")},
        )
        return {"next": ASSESS}
    if kind in ("owner_approve", "owner_deny"):
        return owner_decision(ctx, case, approve=kind == "owner_approve", note=note)
    if kind in ("supplier_approve", "supplier_decline"):
        return supplier_decision(ctx, case, event, actor)
    if kind in (timers.SUPPLIER_REMINDER, timers.OWNER_ALERT, timers.REFUND_AFTER_DELIVERY):
        return timer_fired(ctx, case, kind)
    if kind in rule_steps.RULE_TIMERS:
        return rule_steps.rule_timer_fired(ctx, case, event)
    if kind in ("in_transit", "delivered", "exception", "returned_to_sender"):
        return shipment_event(ctx, case, kind, event)
    if kind in ("inspected_ok", "inspected_failed"):
        return inspection_result(ctx, case, ok=kind == "inspected_ok", actor=actor, note=note)
    raise ValueError(f"unknown case event {kind!r}")


def owner_decision(ctx: ToolContext, case: CaseRow, *, approve: bool, note: str) -> dict[str, Any]:
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="owner",
        action="owner_decision",
        data={"decision": "approve" if approve else "deny", "after_review": case.after_review},
        reason=note,
    )
    if not approve:
        return deny(ctx, case, actor="owner", clause="owner_review", why=note or "Declined.")
    case.owner_approved = True
    if case.after_review == SETTLE:
        return {"next": SETTLE}
    return {"next": ASSESS}


def supplier_decision(
    ctx: ToolContext, case: CaseRow, event: dict[str, Any], actor: str
) -> dict[str, Any]:
    approve = event["type"] == "supplier_approve"
    rma = event.get("rma") or None
    address = event.get("address") or None
    if approve and case.return_required and not runs_in_process(ctx.carrier):
        # The label is bought outside any transaction (``tools.effects``): ask for it before
        # anything is written, so the run that lets go of the transaction for it is short.
        # A carrier that runs in this process (the local one) is asked below, in this run.
        case.rma = rma
        case.return_address = address or ctx.store.supplier(case.supplier_id).return_address
        effects.ahead(ctx, label_call(ctx, case))
    timers.cancel(ctx.session, case.code, SUPPLIER_TIMERS, ctx.now)
    conditions = [str(c) for c in event.get("conditions") or []] if approve else []
    data: dict[str, Any] = {
        "decision": "approve" if approve else "decline",
        "rma": rma,
        "address": address,
    }
    if conditions:
        data["conditions"] = conditions
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=actor,
        action="supplier_decision",
        data=data,
        reason=str(event.get("note") or ""),
    )
    if not approve:
        case.supplier_declined = True
        case.return_required = False
        why = f"The supplier declined the return: {event.get('note') or 'no reason given'}."
        return send_to_review(
            ctx, case, actor=actor, clause="supplier_declined", why=why, after=SETTLE
        )
    if not case.return_required:
        return {"next": SETTLE}
    agreement = ctx.store.supplier(case.supplier_id)
    case.rma = rma
    case.return_address = address or agreement.return_address
    label = generate_label(ctx, case)
    set_status(ctx, case, "awaiting_shipment")
    if is_marketplace_case(case):
        from graph import marketplace_steps

        marketplace_steps.label_ready(ctx, case, label.tracking_number)
        return {"next": WAIT, "status": case.status}
    notify_customer(
        ctx,
        case,
        "label_ready",
        notices.label_ready(
            case,
            label.tracking_number,
            conditions,
            name_supplier=ctx.store.policy.mention_supplier_to_customer,
        ),
        {"tracking_number": label.tracking_number},
    )
    return {"next": WAIT, "status": case.status}


def timer_fired(ctx: ToolContext, case: CaseRow, kind: str) -> dict[str, Any]:
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="timer",
        action="timer_fired",
        data={"timer": kind},
    )
    hours = ctx.store.policy.supplier_response_hours
    if is_marketplace_case(case):
        from graph import marketplace_steps

        hours = marketplace_steps.response_hours(ctx, case)
    if kind == timers.SUPPLIER_REMINDER:
        notify_supplier(
            ctx,
            case,
            "reminder",
            f"Reminder: return {case.code} (order {case.order.display_number}, "
            f"{notices.item_words(case)}) has waited {hours} hours for your answer.",
            {"case": case.code},
        )
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor="timer",
            action="supplier_reminded",
            data={"hours": hours},
            reason=f"supplier_response_hours={hours}",
        )
        return {"next": WAIT}
    if kind == timers.OWNER_ALERT:
        owner_inbox.raise_item(
            ctx,
            kind=SUPPLIER_SILENT,
            party="supplier",
            party_id=case.supplier_id,
            words="",
            summary=(
                f"Supplier {case.supplier_id} has not answered return {case.code} "
                f"(order {case.order.display_number}) for {2 * hours} hours."
            ),
            notice_kind="supplier_silent",
            case=case,
            payload={"case": case.code},
            key_suffix=f":{ctx.now.isoformat()}",
        )
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor="timer",
            action="owner_alerted",
            data={"hours": 2 * hours},
            reason=f"supplier silent for twice supplier_response_hours={hours}",
        )
        return {"next": WAIT}
    case.inspection = "timeout"
    return {"next": SETTLE}


def shipment_event(
    ctx: ToolContext, case: CaseRow, kind: str, event: dict[str, Any]
) -> dict[str, Any]:
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="system",
        action="shipment_event",
        data={"event": kind, "tracking_number": event.get("tracking_number")},
    )
    if kind == "in_transit":
        set_status(ctx, case, "in_transit")
        return {"next": WAIT, "status": case.status}
    if kind == "returned_to_sender":
        # The parcel is going back to the customer: it will never reach the supplier, so the
        # label and "on its way back" are no longer true. What happens next is the owner's
        # call (settle without the item, or close the return); the customer is told now.
        tracking = event.get("tracking_number") or ""
        return send_to_review(
            ctx,
            case,
            actor="system",
            clause="returned_to_sender",
            why=(
                f"The carrier is sending the return parcel (tracking {tracking}) back to the "
                "customer; it will not reach the supplier. Approve to settle the return "
                "without the item, or deny to close it (the customer can then ask again)."
            ),
            after=SETTLE,
            customer_words=notices.returned_to_sender(case, str(tracking)),
        )
    if kind == "exception":
        notify_owner(
            ctx,
            case,
            "shipment_exception",
            f"The carrier reports a problem with the return parcel of {case.code} "
            f"(order {case.order.display_number}).",
            {"case": case.code},
            key_suffix=f":{ctx.now.isoformat()}",
        )
        return {"next": WAIT}
    case.delivered_back_at = ctx.now
    days = ctx.store.policy.refund_after_delivery_days
    rule_hours = (  # an owner rule's own refund timer; the marketplace's cases follow no rule
        None if is_marketplace_case(case) else rule_steps.on_return_delivered(ctx, case)
    )
    if rule_hours is not None:
        days = -(-rule_hours // 24)
    set_status(ctx, case, "awaiting_inspection")
    notify_supplier(
        ctx,
        case,
        "inspection_request",
        f"The return parcel for {case.code} (order {case.order.display_number}, "
        f"{notices.item_words(case)}) was delivered to you. Please inspect it and confirm "
        f"within {days} days: Inspected OK or Problem found.",
        {"case": case.code, "actions": ["inspected_ok", "inspected_failed"]},
    )
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="system",
        action="inspection_requested",
        data={"supplier": case.supplier_id, "refund_after_days": days},
    )
    if rule_hours is None:
        timers.schedule(
            ctx.session,
            key=f"{case.code}:{timers.REFUND_AFTER_DELIVERY}",
            case_code=case.code,
            kind=timers.REFUND_AFTER_DELIVERY,
            due_at=ctx.now + dt.timedelta(days=days),
        )
    named = ctx.store.policy.mention_supplier_to_customer
    notify_customer(ctx, case, "item_arrived", notices.item_arrived(case, name_supplier=named))
    return {"next": WAIT, "status": case.status}


def inspection_result(
    ctx: ToolContext, case: CaseRow, *, ok: bool, actor: str, note: str
) -> dict[str, Any]:
    timers.cancel(ctx.session, case.code, INSPECTION_TIMERS, ctx.now)
    case.inspection = "ok" if ok else "failed"
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=actor,
        action="inspection_result",
        data={"result": case.inspection},
        reason=note,
    )
    if ok:
        return {"next": SETTLE}
    why = f"The supplier reports a problem with the returned item: {note or 'no details'}."
    return send_to_review(ctx, case, actor=actor, clause="inspection_failed", why=why, after=SETTLE)
