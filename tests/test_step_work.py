"""What a case step leaves out to stay cheap, and that it is still all there when asked for.

The local carrier's label is drawn when it is downloaded, not inside the supplier's approval;
timers are cancelled in one statement, including ones set earlier in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from sqlalchemy import select

import tools.label_pdf
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import timers
from ledger.models import EffectRow, LabelRow, TimerRow
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tests.call_log import calls_to
from tools.label_pdf import LabelContent, render_label_pdf
from tools.open_case import ReturnRequest

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    store = store_from_data(
        {"photo_required_reasons": []},
        [{"id": "acme", "country": "US", "return_address": "Acme, 1 Main St, Fresno, CA"}],
    )
    desk = ReturnsDesk(f"sqlite:///{tmp_path / 'cases.db'}", store, FrozenClock(NOW))
    orders = [
        {
            "number": "B1",
            "email": "b1@example.com",
            "country": "US",
            "customer_name": "Bea One",
            "shipping_address": "2 Side St, Austin, TX",
            "placed_at": "2026-03-01T10:00:00Z",
            "delivered_at": "2026-03-05T10:00:00Z",
            "items": [{"sku": "MUG-1", "name": "Blue mug", "price": "24.00", "supplier": "acme"}],
        }
    ]
    with desk.session() as session:
        import_orders(session, orders_from_data(orders, "test"), "USD")
    try:
        yield desk
    finally:
        desk.close()


def _open(desk: ReturnsDesk) -> str:
    request = ReturnRequest(order="B1", email="b1@example.com", sku="MUG-1", reason="damaged")
    return desk.submit_return(request).code


def _counting_canvases(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    return calls_to(monkeypatch, tools.label_pdf, "Canvas")


def test_the_approval_draws_no_label_and_the_download_draws_it(
    desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _open(desk)
    drawn = _counting_canvases(monkeypatch)
    approved = desk.supplier_action("acme", code, "approve", rma="R-77")
    assert approved.label and approved.tracking_number
    assert drawn == []  # the approval rendered no PDF

    pdf = desk.label_pdf(code)
    assert pdf is not None and pdf.startswith(b"%PDF")
    assert len(drawn) == 1
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for words in (approved.tracking_number, "R-77", code, "Bea One", "1 Main St", "Blue mug"):
        assert words in text, words


def test_the_drawn_label_is_the_one_issued_at_the_approval(desk: ReturnsDesk) -> None:
    """The content kept at the approval (its date, tracking number, addresses) makes the PDF,
    whatever the clock says at the download."""
    code = _open(desk)
    desk.supplier_action("acme", code, "approve", rma="R-77")
    with desk.reading() as session:
        label = session.execute(select(LabelRow).where(LabelRow.case_code == code)).scalar_one()
        kept = session.get(EffectRow, f"{code}:label")
        assert kept is not None
        content = LabelContent.model_validate(kept.result["content"])
    assert label.pdf == b""
    assert content.tracking_number == label.tracking_number
    assert content.carrier == label.carrier
    assert content.created_at == NOW
    assert isinstance(desk.clock, FrozenClock)
    desk.clock.advance(dt.timedelta(days=3))
    assert desk.label_pdf(code) == render_label_pdf(content)


def test_a_label_stored_as_a_pdf_is_given_as_it_was(desk: ReturnsDesk) -> None:
    """Labels bought from a carrier (and those drawn before this change) keep their PDF."""
    code = _open(desk)
    desk.supplier_action("acme", code, "approve", rma="R-77")
    with desk.session() as session:
        label = session.execute(select(LabelRow).where(LabelRow.case_code == code)).scalar_one()
        label.pdf = b"%PDF-bought"
    assert desk.label_pdf(code) == b"%PDF-bought"
    assert desk.label_pdf("RB-999999") is None


def test_cancel_takes_timers_set_earlier_in_the_same_transaction(desk: ReturnsDesk) -> None:
    with desk.session() as session:
        for kind in (timers.SUPPLIER_REMINDER, timers.OWNER_ALERT, timers.REFUND_AFTER_DELIVERY):
            timers.schedule(session, key=f"RB-1:{kind}", case_code="RB-1", kind=kind, due_at=NOW)
        timers.schedule(
            session,
            key="RB-2:supplier_reminder",
            case_code="RB-2",
            kind=timers.SUPPLIER_REMINDER,
            due_at=NOW,
        )
        timers.cancel(session, "RB-1", (timers.SUPPLIER_REMINDER, timers.OWNER_ALERT), NOW)
    with desk.reading() as session:
        rows = session.execute(select(TimerRow).order_by(TimerRow.idempotency_key)).scalars()
        cancelled = {row.idempotency_key: row.cancelled_at is not None for row in rows}
    assert cancelled == {
        "RB-1:owner_alert": True,
        "RB-1:refund_after_delivery": False,
        "RB-1:supplier_reminder": True,
        "RB-2:supplier_reminder": False,
    }


def test_an_event_for_a_waiting_case_resumes_it_without_building_the_graphs_state(
    desk: ReturnsDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last checkpoint tells a case waiting at its interrupt; the graph's full state (a
    costlier read) is built only for a graph a crash left half way."""
    code = _open(desk)
    built = calls_to(monkeypatch, desk.graph, "get_state")
    assert desk.supplier_action("acme", code, "approve", rma="R-77").status == "awaiting_shipment"
    assert desk.carrier_event(code, "delivered").status == "awaiting_inspection"
    done = desk.supplier_action("acme", code, "inspected_ok")
    assert done.status == "resolved" and done.refunded == "24.00"
    assert built == []
