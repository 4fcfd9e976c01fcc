"""Payment gateways whose money no payments service can give back.

Cash on delivery, a manual payment, a bank deposit or a money order: the store collected the
money itself (Shopify names such gateways ``manual``, ``cash_on_delivery``, ``Cash on Delivery
(COD)``, ``Bank Deposit``, ``Money Order``). A refund of such an order is paid by the owner by
hand; the customer is not told "refunded" until the owner says it is paid.
"""

from __future__ import annotations

import re

_MANUAL = re.compile(
    r"^(manual|cash|cod|cash[ _-]?on[ _-]?delivery.*|.*\(cod\)|pay[ _-]?on[ _-]?delivery|"
    r"bank[ _-]?(deposit|transfer)|money[ _-]?order)$",
    re.IGNORECASE,
)


def is_manual_gateway(gateway: str) -> bool:
    """A gateway whose payment the store collected itself."""
    return bool(_MANUAL.match(gateway.strip()))


def paid_by_hand(gateways: str) -> bool:
    """An order's gateways (separated by commas, or by `` + `` as the export's ``Payment
    Method`` writes them)
    are all manual: nothing of it can be refunded by a service."""
    names = [name for name in (p.strip() for p in re.split(r"[,+]", gateways)) if name]
    return bool(names) and all(is_manual_gateway(name) for name in names)
