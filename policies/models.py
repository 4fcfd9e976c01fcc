"""The store's return policy and its supplier agreements."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from policies.money import Amount

HEX_COLOUR = re.compile(r"#(?:[0-9a-f]{3}|[0-9a-f]{6})")


class Reason(StrEnum):
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    WRONG_SIZE = "wrong_size"
    CHANGED_MIND = "changed_mind"
    ARRIVED_LATE = "arrived_late"
    OTHER = "other"

    @property
    def is_fault(self) -> bool:
        """Fault reasons are the supplier's; the others are the customer's."""
        return self in FAULT_REASONS


FAULT_REASONS = frozenset(
    {
        Reason.DAMAGED,
        Reason.DEFECTIVE,
        Reason.WRONG_ITEM,
        Reason.NOT_AS_DESCRIBED,
        Reason.ARRIVED_LATE,
    }
)


class Resolution(StrEnum):
    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    REPLACEMENT = "replacement"
    PARTIAL_REFUND = "partial_refund"


class MarketplaceRules(BaseModel):
    """A marketplace's own return rules for the orders sold there (``store.marketplaces``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""  # as the customer knows it; default from the channel ("amazon" -> "Amazon")
    return_window_days: int = Field(default=30, ge=0)
    response_hours: int = Field(default=48, gt=0)  # the supplier's time to authorise
    url: str = ""  # where the buyer starts the return


# Channels that are marketplaces even when the policy names no rules for them.
KNOWN_MARKETPLACES = {
    "amazon": "Amazon",
    "ebay": "eBay",
    "etsy": "Etsy",
    "walmart": "Walmart",
    "tiktok": "TikTok Shop",
    "tiktok_shop": "TikTok Shop",
    "mercadolibre": "Mercado Libre",
    "bol": "bol.com",
    "zalando": "Zalando",
    "wish": "Wish",
}


class StorePolicy(BaseModel):
    """Every field and default of the ``store:`` block of a scenario file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "ReturnBridge demo store"
    owner_email: str = "owner@example.com"
    address: str = ""
    currency: str = "USD"
    return_window_days: int = Field(default=30, ge=0)
    photo_required_reasons: tuple[Reason, ...] = (
        Reason.DAMAGED,
        Reason.DEFECTIVE,
        Reason.WRONG_ITEM,
        Reason.NOT_AS_DESCRIBED,
    )
    store_credit_bonus_percent: int = Field(default=0, ge=0, le=100)
    keep_it_under: Amount | None = None
    keep_it_international: bool = True
    # Whether returned units go back to the store's stock (a refund in Shopify restocks them
    # at the store's location). Off by default: a dropshipping store's returns go to the
    # supplier, not to a shelf of its own.
    restock_returns: bool = False
    return_shipping_paid_by: Literal["store", "customer", "customer_unless_fault"] = (
        "customer_unless_fault"
    )
    return_label_cost: Amount = Amount("0")
    review_above: Amount | None = None
    supplier_response_hours: int = Field(default=48, gt=0)
    refund_after_delivery_days: int = Field(default=7, gt=0)
    marketplaces: dict[str, MarketplaceRules] = Field(default_factory=dict)
    # Customer pages: whether a case's status names the supplier ("waiting for the
    # supplier's approval") or stays with the store ("approval in progress").
    mention_supplier_to_customer: bool = False
    # The chat widget's colour (buttons, header, the customer's bubbles): "#rgb" or "#rrggbb".
    brand_colour: str | None = None

    @field_validator("brand_colour")
    @classmethod
    def _hex_colour(cls, value: str | None) -> str | None:
        if value is None:
            return None
        colour = value.strip().lower()
        if not HEX_COLOUR.fullmatch(colour):
            raise ValueError(f"{value!r} is not a colour like #1f5fbf")
        return colour

    @field_validator("marketplaces")
    @classmethod
    def _channel_keys(cls, value: dict[str, MarketplaceRules]) -> dict[str, MarketplaceRules]:
        return {normalize_channel(key): rules for key, rules in value.items()}

    def marketplace_for(self, channel: str | None) -> MarketplaceRules | None:
        """The rules of the marketplace an order was sold on; None for the store's own sales."""
        key = normalize_channel(channel or "")
        rules = self.marketplaces.get(key)
        if rules is None and key in KNOWN_MARKETPLACES:
            rules = MarketplaceRules()
        if rules is None:
            return None
        if not rules.name:
            rules = rules.model_copy(
                update={"name": KNOWN_MARKETPLACES.get(key) or key.replace("_", " ").title()}
            )
        return rules

    # An orders export's vendor name -> supplier id, for vendors named after a brand rather
    # than after the supplier's agreement (compared ignoring case and surrounding spaces).
    vendors: dict[str, str] = Field(default_factory=dict)

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"{value!r} is not a three-letter currency code")
        return code

    @field_validator("keep_it_under", "return_label_cost", "review_above")
    @classmethod
    def _fits_currency(cls, value: Amount | None, info: ValidationInfo) -> Amount | None:
        currency = info.data.get("currency")
        if value is not None and currency:
            value.minor(currency)  # a MoneyError is a ValueError: reported on this field
        return value

    def customer_pays_label(self, reason: Reason) -> bool:
        if self.return_shipping_paid_by == "store":
            return False
        if self.return_shipping_paid_by == "customer":
            return True
        return not reason.is_fault


class SupplierAgreement(BaseModel):
    """What one supplier agreed to about returns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name: str = ""
    role: Literal["logistical", "financial"] = "logistical"
    country: str = "US"
    return_address: str | None = None
    # On the return label: carriers call it when a parcel cannot be delivered, and most
    # require one on a parcel that crosses a border.
    phone: str = ""
    rma_required: bool = False
    restocking_fee_percent: int = Field(default=0, ge=0, le=100)
    slack_channel: str | None = None
    # A recorded credit is overdue this many days after it was recorded (its unpaid part).
    credit_due_days: int = Field(default=30, ge=0)
    # Whether a message from the supplier's own bot (an app posting in its shared channel)
    # speaks for the supplier. Off by default: only the supplier's people decide.
    bot_may_answer: bool = False
    # Terms a supplier states when it comes on board (the onboarding form). They are kept
    # with the agreement for the owner to read; the store's own policy still decides what the
    # customer is offered. None / empty: not stated.
    return_window_days: int | None = Field(default=None, ge=0, le=3650)
    # Who pays the return label as the supplier sees it.
    return_shipping_paid_by: Literal["supplier", "store", "supplier_if_fault"] | None = None
    photo_required_reasons: tuple[Reason, ...] | None = None
    contact_name: str = ""
    contact_email: str = ""

    @field_validator("contact_email")
    @classmethod
    def _contact_email(cls, value: str) -> str:
        value = value.strip()
        if value and ("@" not in value or "." not in value.rpartition("@")[2] or " " in value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("country")
    @classmethod
    def _upper_country(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code")
        return code

    @model_validator(mode="after")
    def _default_name(self) -> SupplierAgreement:
        if not self.name:
            object.__setattr__(self, "name", self.id)
        return self


class LineItemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1)
    name: str = ""
    price: Amount  # unit price paid
    quantity: int = Field(default=1, ge=1)
    # Empty when the export's vendor matched no supplier agreement: returns of such a line
    # go to the owner, naming ``vendor``.
    supplier: str = ""
    vendor: str = ""
    final_sale: bool = False
    # What was paid for the whole line after discounts, when it is not price x quantity
    # (a discount spread over 3 units pays 100.00 for a unit price of 33.33).
    paid: Amount | None = None
    # False for a line its store has not shipped yet while the order was (a partly fulfilled
    # Shopify order): it cannot be returned until a later import finds it fulfilled.
    delivered: bool = True
    # The line's id in the store's own system (Shopify's line item id), when known.
    external_id: str | None = None

    @field_validator("external_id", mode="before")
    @classmethod
    def _id_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _supplier_or_vendor(self) -> LineItemSpec:
        if not self.supplier.strip() and not self.vendor.strip():
            raise ValueError("supplier: a line item needs a supplier (or the vendor it came from)")
        return self


class OrderSpec(BaseModel):
    """An order as it comes from a store export (the ``orders:`` shape)."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1)
    phone: str = ""  # before email: an order without email needs it
    email: str = Field(default="", validate_default=True)  # may be empty with a phone
    customer_name: str = ""
    country: str = "US"
    shipping_address: str = ""
    placed_at: dt.datetime
    delivered_at: dt.datetime | None = None
    items: list[LineItemSpec] = Field(min_length=1)
    # The order's id in the store's own system (Shopify's numeric order id), when known.
    external_id: str | None = None
    # Where it was sold: "web" (the store's own site) or a marketplace (amazon, ebay, ...).
    channel: str = "web"
    # The gateway(s) it was paid through, comma-separated ("Cash on Delivery (COD)"): an order
    # paid by hand is refunded by the owner by hand.
    payment_gateway: str = ""

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return normalize_channel(value) or "web"

    # Given back before the order came here (Shopify's ``Refunded Amount``): lowers what can
    # still be refunded on the order.
    refunded: Amount = Amount("0")

    @field_validator("number", "external_id", "phone", mode="before")
    @classmethod
    def _number_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("email", "phone", mode="before")
    @classmethod
    def _absent_text(cls, value: object) -> object:
        return "" if value is None else value  # ``email:`` left empty in a YAML file

    @field_validator("channel")
    @classmethod
    def _lower_channel(cls, value: str) -> str:
        return value.strip().lower() or "web"

    @field_validator("email")
    @classmethod
    def _email_or_phone(cls, value: str, info: ValidationInfo) -> str:
        if len(value.strip()) < 3 and len(phone_digits(info.data.get("phone") or "")) < 8:
            raise ValueError("an order needs an email, or a phone number when it has none")
        return value

    @field_validator("placed_at", "delivered_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Store(BaseModel):
    """The policy and the agreements, as one loaded unit."""

    model_config = ConfigDict(frozen=True)

    policy: StorePolicy = StorePolicy()
    suppliers: dict[str, SupplierAgreement] = Field(default_factory=dict)

    def supplier(self, supplier_id: str) -> SupplierAgreement:
        try:
            return self.suppliers[supplier_id]
        except KeyError:
            raise KeyError(f"no agreement with supplier {supplier_id!r}") from None

    def terms_for(self, supplier_id: str) -> SupplierAgreement:
        """The agreement the money of a case is computed with: for a line without a supplier
        (its vendor matched no agreement), terms without a restocking fee."""
        if not supplier_id:
            return NO_SUPPLIER
        return self.supplier(supplier_id)


# Stands in for the agreement of a line whose vendor matched none; no supplier is ever asked.
NO_SUPPLIER = SupplierAgreement(id="no-supplier", name="no supplier", role="financial")


def normalize_order_number(text: str) -> str:
    """``"#1001"``, ``" 1001 "`` and ``"1001"`` name the same order; letters compare upper."""
    return str(text).strip().lstrip("#").strip().upper()


def normalize_channel(text: str) -> str:
    """``"Amazon"``, ``" amazon "`` and ``"amazon"`` name the same sales channel."""
    return str(text).strip().lower().replace(" ", "_").replace("-", "_")


def normalize_email(text: str) -> str:
    return str(text).strip().lower()


def phone_digits(text: str) -> str:
    return "".join(ch for ch in str(text or "") if ch.isdigit())


PHONE_MATCH_DIGITS = 8


def phones_match(given: str, on_order: str) -> bool:
    """Digits compared from the end: at least the last 8 equal, so ``+61 412 345 678`` and
    ``0412 345 678`` are the same phone, whatever the spacing or country prefix."""
    a, b = phone_digits(given), phone_digits(on_order)
    if len(a) < PHONE_MATCH_DIGITS or len(b) < PHONE_MATCH_DIGITS:
        return False
    common = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        common += 1
    return common >= PHONE_MATCH_DIGITS
