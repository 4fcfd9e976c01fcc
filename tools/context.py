"""What every tool is handed: the unit of work, the store's policy and agreements, the time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from policies.models import Store
from tools.adapters import Carrier, LocalCarrier, LocalPayments, Payments


@dataclass
class ToolContext:
    session: Session
    store: Store
    now: dt.datetime
    carrier: Carrier = field(default_factory=LocalCarrier)
    payments: Payments = field(default_factory=LocalPayments)
    # What one unit of work reads more than once and does not change (the active rules).
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def currency(self) -> str:
        return self.store.policy.currency
