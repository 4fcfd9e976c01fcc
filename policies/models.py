"""The store's return policy and its supplier agreements."""

from __future__ import annotations

import datetime as dt
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
    return_shipping_paid_by: Literal["store", "customer", "customer_unless_fault"] = (
        "customer_unless_fault"
    )
    return_label_cost: Amount = Amount("0")
    review_above: Amount | None = None
    supplier_response_hours: int = Field(default=48, gt=0)
    refund_after_delivery_days: int = Field(default=7, gt=0)
    marketplaces: dict[str, MarketplaceRules] = Field(default_factory=dict)

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
    rma_required: bool = False
    restocking_fee_percent: int = Field(default=0, ge=0, le=100)
    slack_channel: str | None = None
    # A recorded credit is overdue this many days after it was recorded (its unpaid part).
    credit_due_days: int = Field(default=30, ge=0)
    # Whether a message from the supplier's own bot (an app posting in its shared channel)
    # speaks for the supplier. Off by default: only the supplier's people decide.
    bot_may_answer: bool = False

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
    price: Amount
    quantity: int = Field(default=1, ge=1)
    supplier: str = Field(min_length=1)
    final_sale: bool = False


class OrderSpec(BaseModel):
    """An order as it comes from a store export (the ``orders:`` shape)."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1)
    email: str = Field(min_length=3)
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

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return normalize_channel(value) or "web"

    @field_validator("number", "external_id", mode="before")
    @classmethod
    def _number_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

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


def normalize_order_number(text: str) -> str:
    """``"#1001"``, ``" 1001 "`` and ``"1001"`` name the same order; letters compare upper."""
    return str(text).strip().lstrip("#").strip().upper()


def normalize_channel(text: str) -> str:
    """``"Amazon"``, ``" amazon "`` and ``"amazon"`` name the same sales channel."""
    return str(text).strip().lower().replace(" ", "_").replace("-", "_")


def normalize_email(text: str) -> str:
    return str(text).strip().lower()
