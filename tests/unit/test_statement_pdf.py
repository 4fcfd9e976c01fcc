"""The supplier statement as a PDF: each case with its dates, tracking events and amounts,
and the totals owed and received; served on the Suppliers page."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.supplier_money import record_credit
from tests.unit.test_web_owner_desk import client_for
from tools.open_case import ReturnRequest


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_statement_pdf_lists_each_case_its_tracking_and_the_totals(
    desk: ReturnsDesk, clock: FrozenClock
) -> None:
    shipped = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="changed_mind")
    )
    desk.supplier_action("acme", shipped.code, "approve", rma="RMA-77")
    clock.advance(dt.timedelta(days=1))
    desk.carrier_event(shipped.code, "in_transit")
    clock.advance(dt.timedelta(days=2))
    desk.carrier_event(shipped.code, "delivered")
    view = desk.case_view(shipped.code)
    if view.status == "awaiting_inspection":
        view = desk.supplier_action("acme", shipped.code, "inspected_ok")
    assert view.supplier_credit != "0.00"
    record_credit(desk, "acme", "5.00", "CN-5")

    client = client_for(desk)
    answer = client.get("/owner/suppliers/acme/statement.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    text = pdf_text(answer.content)
    assert "Supplier statement: Acme Home Goods" in text
    assert view.tracking_number is not None and view.tracking_number in text
    assert shipped.code in text and "RMA-77" in text
    assert "in_transit" in text and "delivered" in text
    owed = view.supplier_credit
    still = f"{float(owed) - 5:.2f}"
    assert f"Owed {owed} USD" in text and "received 5.00" in text and f"still owed {still}" in text
    assert client.get("/owner/suppliers/nobody/statement.pdf").status_code == 404
