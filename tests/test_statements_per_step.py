"""How many SQL statements each desk call of a return costs (form submission, supplier approval,
delivery, inspection and refund), on both engines.

Counted with a ``before_cursor_execute`` listener on the desk's engine (the checkpointer's own
connection is not counted), for the second case of a fresh database so that one-off work (the
chain's first row) is left out. The bounds are the counts after the step was made to batch its
writes (one insert per table at commit, the chain head locked once, the case view returned by
the step); they were 46 and 50 on SQLite, 45 and 44 on PostgreSQL before. Since then a timer
cancel is one statement (it was a select, then an update), the approval asks for its label
before it writes anything, the desk's first look at a case is one light read, on SQLite the
opening reads the line item once, reads that do not need the case's changes no longer flush
them (the step's commit writes them in one update), and a new case is assessed in the
transaction that opens it (22 statements on SQLite, 24 on PostgreSQL before), and the refund
is reserved in the settle step's own transaction, which commits the reservation alone before the
payments call, taking on SQLite the line item and order it loaded under the write lock
(46 and 46 before), and a new case's code goes to the database with its first step's update
of its status (15 and 17 before), and a step's look for its stored result comes with the
case's locked load, in one statement (approve 22, delivered 14, inspected 41 on SQLite; 23, 15
and 45 on PostgreSQL before), and the local carrier and payments (which answer in this
process from the key alone) are asked inside the step's own transaction: the approval is one
transaction, not two, and the refund one, not a reservation's and a recording's (the effects
the step holds back go out in one insert), and a transaction moves the chain's head from the
one its process last knew, checked in the update, without reading it first (one statement less
per appending transaction), and on PostgreSQL a journal entry goes in with its lines in one
statement and the decisions with the head's move in one statement (14, 17, 13, 31 on SQLite
and 16, 18, 14, 35 on PostgreSQL before these last three), and an order is found with its
lines in one statement (submit 13 and 14 before).
Counts, not time: the machine may be busy.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import decisions
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tools.open_case import ReturnRequest

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)

# Most statements per desk call (PostgreSQL adds the case's advisory lock and unlock, and has
# no ``BEGIN IMMEDIATE`` of its own).
BOUNDS = {
    "sqlite": {"submit": 12, "approve": 16, "delivered": 12, "inspected": 29},
    "postgresql": {"submit": 13, "approve": 16, "delivered": 12, "inspected": 29},
}


def _desk(url: str) -> ReturnsDesk:
    store = store_from_data(
        {"photo_required_reasons": []},
        [{"id": "acme", "country": "US", "return_address": "Acme, 1 Main St, Fresno, CA"}],
    )
    desk = ReturnsDesk(url, store, FrozenClock(NOW))
    orders = [
        {
            "number": f"B{i}",
            "email": f"b{i}@example.com",
            "country": "US",
            "placed_at": "2026-03-01T10:00:00Z",
            "delivered_at": "2026-03-05T10:00:00Z",
            "items": [{"sku": "MUG-1", "price": "24.00", "supplier": "acme"}],
        }
        for i in range(2)
    ]
    with desk.session() as session:
        import_orders(session, orders_from_data(orders, "test"), "USD")
    return desk


def test_each_desk_call_of_a_return_stays_within_its_statements(
    database_url: str,
) -> None:
    desk = _desk(database_url)
    statements: list[str] = []

    @event.listens_for(desk.engine, "before_cursor_execute")
    def _count(*args: Any) -> None:
        statements.append(str(args[2]))

    def counted(call: Any) -> tuple[Any, int]:
        statements.clear()
        result = call()
        return result, len(statements)

    try:
        counts: dict[str, int] = {}
        for i in range(2):
            request = ReturnRequest(
                order=f"B{i}", email=f"b{i}@example.com", sku="MUG-1", reason="damaged"
            )
            view, counts["submit"] = counted(lambda r=request: desk.submit_return(r))
            assert view.status == "awaiting_supplier"
            approved, counts["approve"] = counted(
                lambda c=view.code: desk.supplier_action("acme", c, "approve", rma="R1")
            )
            assert approved.status == "awaiting_shipment" and approved.label
            _, counts["delivered"] = counted(lambda c=view.code: desk.carrier_event(c, "delivered"))
            done, counts["inspected"] = counted(
                lambda c=view.code: desk.supplier_action("acme", c, "inspected_ok")
            )
            assert done.status == "resolved" and done.refunded == "24.00"
        with desk.session() as session:
            assert decisions.verify(session).ok
    finally:
        desk.close()
    engine = desk.engine.dialect.name
    print(f"{engine}: statements per desk call {counts}")
    for call, bound in BOUNDS[engine].items():
        assert counts[call] <= bound, (call, counts)
