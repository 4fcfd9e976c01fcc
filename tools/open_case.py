"""Open a return case for one line item, after identity and eligibility hold."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ledger import decisions
from ledger.models import CaseRow
from ledger.repository import lock_line_item, new_case
from policies.models import Reason, phone_digits
from tools import notices
from tools.check_eligibility import check_eligibility, find_line_item
from tools.context import ToolContext
from tools.notify import notify_customer
from tools.text_checks import no_nul
from tools.verify_identity import customer_contact, verify_identity


class ReturnRequest(BaseModel):
    """The returns form, as SCENARIOS.md's ``portal`` step gives it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    order: str = Field(min_length=1, max_length=64)
    # The order's email, or (for an order with a phone, such as cash on delivery) its phone.
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=40)
    sku: str = Field(min_length=1, max_length=100)
    quantity: int = Field(default=1, ge=1, le=10_000)
    reason: Reason
    resolution: Literal["refund", "store_credit", "replacement"] = "refund"
    note: str = Field(default="", max_length=4000)
    photo: bool = False

    @field_validator("order", "phone", "email", mode="before")
    @classmethod
    def _order_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("order", "email", "phone", "sku", "note")
    @classmethod
    def _storable(cls, value: str) -> str:
        return no_nul(value)  # a NUL would fail the write on PostgreSQL: refuse it here

    @model_validator(mode="after")
    def _email_or_phone(self) -> ReturnRequest:
        if "@" not in self.email and self.email and not self.phone:
            self.phone, self.email = self.email, ""  # a phone typed in the email field
        if len(self.email) < 3 and len(phone_digits(self.phone)) < 8:
            raise ValueError("email: give the order's email, or the phone on the order")
        return self

    @property
    def contact(self) -> str:
        """What identifies the customer: the email when given, else the phone."""
        return self.email or self.phone


def open_case(
    ctx: ToolContext,
    request: ReturnRequest,
    *,
    channel: str = "portal",
    photo_ids: tuple[int, ...] = (),
    earlier: tuple[tuple[str, dict[str, object]], ...] = (),
) -> CaseRow:
    """Create the case in status ``open`` with its first ledger rows.

    Raises ``IdentityError`` or ``NotReturnable`` (and writes nothing) when the request must
    open no case. ``earlier`` holds decisions made in a chat before the case existed.
    """
    order = verify_identity(ctx.session, request.order, request.contact)
    item = find_line_item(order, request.sku)
    # Count the units left and open the case under the line item's lock, in this one
    # transaction: of two customers confirming the last unit at once, one opens the case.
    # On SQLite the transaction holds the file's write lock since its BEGIN and the line item
    # was read in it just now: no statement is needed.
    if ctx.session.get_bind().dialect.name != "sqlite":
        lock_line_item(ctx.session, item.id)
    eligibility = check_eligibility(
        ctx.session, ctx.store.policy, order, item, request.quantity, ctx.now
    )
    email = customer_contact(order, request.contact)
    case = new_case(
        ctx.session,
        order_id=order.id,
        line_item_id=item.id,
        supplier_id=item.supplier_id,
        customer_email=email,
        quantity=request.quantity,
        reason=request.reason.value,
        requested_resolution=request.resolution,
        note=request.note,
        status="open",
        photo_count=len(photo_ids) + (1 if request.photo and not photo_ids else 0),
        opened_via=channel,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    customer = f"customer:{email}"
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=customer,
        action="identity_verified",
        data={"order": order.display_number, "channel": channel},
        reason=f"order number and {'email' if request.email else 'phone'} match",
    )
    for action, data in earlier:
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=customer,
            action=action,
            data=dict(data),
        )
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor=customer,
        action="case_opened",
        data={
            "order": order.display_number,
            "sku": item.sku,
            "quantity": request.quantity,
            "reason": request.reason.value,
            "resolution": request.resolution,
            "note": request.note,
            "channel": channel,
        },
    )
    if case.photo_count:
        decisions.append(
            ctx.session,
            at=ctx.now,
            case_code=case.code,
            actor=customer,
            action="photo_received",
            data={"photos": list(photo_ids) or [None]},
        )
    decisions.append(
        ctx.session,
        at=ctx.now,
        case_code=case.code,
        actor="policy",
        action="eligibility_checked",
        data=eligibility.model_dump(),
        reason=eligibility.clause(ctx.store.policy),
    )
    notify_customer(ctx, case, "received", notices.received(case))
    return case
