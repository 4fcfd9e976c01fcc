"""Returns per product for the owner desk, read from the database alone (no model, no key).

A product is a SKU. Units sold are all units of its line items; returns are the units in its
cases that were not denied or cancelled, as the supplier scorecard counts them; the reasons
are counted in units, most frequent first, and the customers' own notes are kept as said.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from graph.desk import ReturnsDesk
from ledger.models import CaseRow, LineItemRow
from tools.supplier_scorecard import NOT_RETURNED, percent

NOTES_SHOWN = 5


@dataclass
class ProductReturns:
    sku: str
    name: str
    supplier: str
    units_sold: int = 0
    units_returned: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def return_rate(self) -> str:
        return percent(self.units_returned, self.units_sold)

    def figures(self) -> dict[str, object]:
        return {
            "sku": self.sku,
            "name": self.name,
            "supplier": self.supplier,
            "units_sold": self.units_sold,
            "units_returned": self.units_returned,
            "return_rate": self.return_rate,
            "reasons": [
                (reason.replace("_", " "), units) for reason, units in self.reasons.most_common()
            ],
            "notes": self.notes[:NOTES_SHOWN],
        }


def product_returns(desk: ReturnsDesk) -> list[ProductReturns]:
    """Every product sold, the most returned (by rate, then units) first."""
    products: dict[str, ProductReturns] = {}
    suppliers: dict[str, set[str]] = defaultdict(set)
    with desk.session() as session:
        for line in session.execute(select(LineItemRow).order_by(LineItemRow.id)).scalars():
            product = products.setdefault(
                line.sku, ProductReturns(sku=line.sku, name=line.name or line.sku, supplier="")
            )
            product.units_sold += line.quantity
            if line.supplier_id:
                suppliers[line.sku].add(line.supplier_id)
        cases = session.execute(select(CaseRow).order_by(CaseRow.id.desc())).scalars()
        for case in cases:
            returned = products.get(case.line_item.sku)
            if returned is None or case.status in NOT_RETURNED:
                continue
            product = returned
            product.units_returned += case.quantity
            product.reasons[case.reason] += case.quantity
            note = case.note.strip()
            if note and note not in product.notes:
                product.notes.append(note)
    for sku, product in products.items():
        product.supplier = ", ".join(sorted(suppliers[sku]))

    def rank(product: ProductReturns) -> tuple[float, int, str]:
        rate = product.units_returned / product.units_sold if product.units_sold else 0.0
        return (-rate, -product.units_returned, product.sku)

    return sorted(products.values(), key=rank)
