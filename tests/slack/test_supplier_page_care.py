"""The supplier inbox page: the primary action stands out, the customer's photos are shown
(only through the supplier's own link), and the supplier's past returns with their money."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from bot.web.supplier import InboxLinks
from graph.desk import ReturnsDesk
from tests.slack.conftest import INBOX_SECRET as SECRET
from tests.slack.conftest import inbox_page
from tools.accept_photo import sample_jpeg
from tools.open_case import ReturnRequest

MUG = {"order": "3001", "email": "ana@example.com", "sku": "MUG-1", "reason": "damaged"}


def test_the_authorisation_is_the_prominent_action(
    inbox: tuple[ReturnsDesk, TestClient],
) -> None:
    desk, client = inbox
    code = desk.submit_return(ReturnRequest(**MUG), photo=sample_jpeg("crack")).code
    html = inbox_page(client, "acme")
    case = html[html.index(f'id="case-{code}"') :]
    primary = re.findall(r'class="button button-primary"[^>]*>([^<]+)<', case)
    assert primary[0] == "Approve the return"
    assert len(primary) == 1  # one prominent action per case; decline and questions fold away
    assert "<details" in case and "Decline it" in case


def test_the_customers_photos_are_shown_only_through_the_suppliers_link(
    inbox: tuple[ReturnsDesk, TestClient],
) -> None:
    desk, client = inbox
    code = desk.submit_return(ReturnRequest(**MUG), photo=sample_jpeg("crack")).code
    html = inbox_page(client, "acme")
    urls = re.findall(r'<img src="([^"]+)"', html)
    assert len(urls) == 1 and "/photos/" in urls[0]
    photo = client.get(urls[0])
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.content.startswith(b"\xff\xd8")
    assert "no-store" in photo.headers["cache-control"]
    assert f"Customer's photo 1 of {code}" in html

    photo_id = urls[0].rsplit("/", 1)[1]
    other = InboxLinks(SECRET).token("trailhead")
    assert client.get(f"/supplier/{other}/photos/{photo_id}").status_code == 404
    assert client.get(f"/supplier/forged/photos/{photo_id}").status_code == 404
    stale = InboxLinks("another-secret").token("acme")
    assert client.get(f"/supplier/{stale}/photos/{photo_id}").status_code == 404


def test_past_returns_list_status_and_credit(inbox: tuple[ReturnsDesk, TestClient]) -> None:
    desk, client = inbox
    assert "Past returns" not in inbox_page(client, "acme")
    code = desk.submit_return(ReturnRequest(**MUG), photo=sample_jpeg("crack")).code
    desk.supplier_action("acme", code, "approve", rma="RMA-9")
    desk.carrier_event(code, "delivered")
    desk.supplier_action("acme", code, "inspected_ok")
    assert desk.case_view(code).status == "resolved"
    html = inbox_page(client, "acme")
    history = html[html.index("Past returns") :]
    row = re.search(rf"<tr><td[^>]*><span>{code}.*?</tr>", history, re.S)
    assert row is not None
    assert "refunded" in row.group(0) and "24.00" in row.group(0)
    assert "Past returns" not in inbox_page(client, "trailhead")  # another supplier's stays its own
