"""What a return that crosses a border declares, whichever carrier buys its label.

The goods go back to where they came from, declared at what the customer paid for them. A
value that is not known cannot be declared, and goods worth USD 2,500 or more leave the US
only with an export filing (an ITN) that this desk cannot make: both are refused before
anything is bought, with a reason the owner can act on.
"""

from __future__ import annotations

from policies.money import Money
from tools.label_pdf import LabelContent
from tools.service_errors import CarrierRejected

# Goods under USD 2,500 leave the US without an export filing (exemption NOEEI 30.37(a)).
EEI_LIMIT_CENTS = 250_000


def declared_value(content: LabelContent, service: str) -> Money:
    """The value to declare for the returned goods; ``CarrierRejected`` (from ``service``)
    when it is unknown or needs an export filing."""
    if content.goods_value_minor <= 0 or not content.currency:
        raise CarrierRejected(
            service,
            f"The return of order {content.order_number} crosses a border and needs a "
            "customs declaration, but the value of the returned goods is not known.",
        )
    value = Money(minor=content.goods_value_minor, currency=content.currency)
    if content.currency.upper() == "USD" and content.goods_value_minor >= EEI_LIMIT_CENTS:
        raise CarrierRejected(
            service,
            f"The return of order {content.order_number} is worth {value}: goods of "
            "USD 2,500 or more need an export filing (an ITN); buy this label by hand.",
        )
    return value
