"""Adapters for the services across the internet, with local defaults.

The local carrier makes a tracking number and a PDF label here; the local payments adapter
records the refund. Real adapters (EasyPost, Shopify) implement the same small protocols.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from tools.label_pdf import LabelContent


@dataclass(frozen=True)
class PurchasedLabel:
    carrier: str
    tracking_number: str
    pdf: bytes
    # A label drawn here rather than bought: the ``pdf`` is left empty and this content is kept
    # instead, to be rendered when the label is downloaded (``tools.generate_label``). Rendering
    # costs several milliseconds that the supplier's approval need not wait for.
    content: LabelContent | None = None


class Carrier(Protocol):
    name: str

    def buy_label(self, content: LabelContent, idempotency_key: str) -> PurchasedLabel: ...


@dataclass(frozen=True)
class RefundByHand:
    """The order was paid through a gateway no service can pay back (cash on delivery, a
    manual payment): nothing was refunded; the store's owner pays the customer by hand."""

    gateway: str
    why: str


@dataclass(frozen=True)
class RefundedItems:
    """What a refund gives back besides money, for a store that tracks it (Shopify's refund
    line items): the item's id there, how many units, and whether they go back to stock."""

    line_item_id: str | None = None
    quantity: int = 0
    restock: bool = False
    # Found by its SKU when the order came without line ids (a CSV export).
    sku: str | None = None


class Payments(Protocol):
    def refund(
        self,
        order_number: str,
        amount_minor: int,
        currency: str,
        key: str,
        *,
        external_id: str | None = None,
        items: RefundedItems | None = None,
    ) -> str | RefundByHand:
        """Refund to the order's original payment; ``external_id`` is the order's id in the
        store's own system when it is known. Returns the payment service's reference, or
        :class:`RefundByHand` when the payment cannot be refunded by a service."""
        ...


class InProcess:
    """An adapter that runs in this process and answers from the idempotency key alone: no
    network, no state, nothing that can hang. Its call is answered inside the step's own
    transaction (``tools.effects``), not outside it in a transaction of its own.

    Any other adapter (a service across the network, a fake of one over HTTP) does not say
    so and keeps the outside path. The declaration is the class's own: a subclass that does
    not repeat ``in_process = True`` in its body (one that waits, counts or calls out before
    answering) is not presumed to run in process.
    """

    in_process: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "in_process" not in cls.__dict__:
            cls.in_process = False


def runs_in_process(adapter: object) -> bool:
    """Whether ``adapter`` declared that it answers in this process from the key alone
    (:class:`InProcess`); False for any adapter that does not say so."""
    return getattr(adapter, "in_process", False) is True


def tracking_number_for(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest().upper()
    return "1RB" + digest[:12]


class LocalCarrier(InProcess):
    """Draws the label locally; the tracking number is derived from the idempotency key.

    The PDF is rendered when the label is downloaded, from the content kept with the label's
    effect (``PurchasedLabel.content``, ``tools.generate_label.label_pdf``)."""

    name = "ReturnBridge Local Post"
    in_process = True

    def buy_label(self, content: LabelContent, idempotency_key: str) -> PurchasedLabel:
        tracking = tracking_number_for(idempotency_key)
        final = content.model_copy(update={"tracking_number": tracking, "carrier": self.name})
        return PurchasedLabel(carrier=self.name, tracking_number=tracking, pdf=b"", content=final)


class LocalPayments(InProcess):
    """Records refunds locally; the reference is derived from the idempotency key."""

    in_process = True

    def refund(
        self,
        order_number: str,
        amount_minor: int,
        currency: str,
        key: str,
        *,
        external_id: str | None = None,
        items: RefundedItems | None = None,
    ) -> str | RefundByHand:
        return "local-" + hashlib.sha256(key.encode()).hexdigest()[:16]
