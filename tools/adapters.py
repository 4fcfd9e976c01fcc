"""Adapters for the services across the internet, with local defaults.

The local carrier makes a tracking number and a PDF label here; the local payments adapter
records the refund. Real adapters (EasyPost, Shopify) implement the same small protocols.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from tools.label_pdf import LabelContent, render_label_pdf


@dataclass(frozen=True)
class PurchasedLabel:
    carrier: str
    tracking_number: str
    pdf: bytes


class Carrier(Protocol):
    name: str

    def buy_label(self, content: LabelContent, idempotency_key: str) -> PurchasedLabel: ...


class Payments(Protocol):
    def refund(
        self,
        order_number: str,
        amount_minor: int,
        currency: str,
        key: str,
        *,
        external_id: str | None = None,
    ) -> str:
        """Refund to the order's original payment; ``external_id`` is the order's id in the
        store's own system when it is known. Returns the payment service's reference."""
        ...


def tracking_number_for(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest().upper()
    return "1RB" + digest[:12]


class LocalCarrier:
    """Renders the label locally; the tracking number is derived from the idempotency key."""

    name = "ReturnBridge Local Post"

    def buy_label(self, content: LabelContent, idempotency_key: str) -> PurchasedLabel:
        tracking = tracking_number_for(idempotency_key)
        final = content.model_copy(update={"tracking_number": tracking, "carrier": self.name})
        return PurchasedLabel(
            carrier=self.name, tracking_number=tracking, pdf=render_label_pdf(final)
        )


class LocalPayments:
    """Records refunds locally; the reference is derived from the idempotency key."""

    def refund(
        self,
        order_number: str,
        amount_minor: int,
        currency: str,
        key: str,
        *,
        external_id: str | None = None,
    ) -> str:
        return "local-" + hashlib.sha256(key.encode()).hexdigest()[:16]
