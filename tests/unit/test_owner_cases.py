"""The owner desk's cases: search and filters, paging, and one page per case."""

from __future__ import annotations

import datetime as dt
import io
import re

from fastapi.testclient import TestClient
from PIL import Image

from graph.case_record import PER_PAGE, CaseFilter, search_cases
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.decisions import case_history
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests.unit.test_web_owner_desk import client_for, token_of
from tools.open_case import ReturnRequest


def more_orders(desk: ReturnsDesk) -> None:
    orders = [
        {
            "number": number,
            "email": email,
            "customer_name": "Shopper",
            "country": "US",
            "placed_at": "2026-03-01T10:00:00Z",
            "delivered_at": "2026-03-05T10:00:00Z",
            "items": [
                {"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"},
                {"sku": "LAMP-1", "name": "Desk lamp", "price": "60.00", "supplier": "credit-co"},
            ],
        }
        for number, email in (("2001", "bo@example.com"), ("2002", "cy@example.com"))
    ]
    with desk.session() as session:
        import_orders(
            session, orders_from_data(orders, "test", desk.store), desk.store.policy.currency
        )


def open_return(desk: ReturnsDesk, order: str, email: str, sku: str, reason: str) -> str:
    request = ReturnRequest(order=order, email=email, sku=sku, reason=reason)  # type: ignore[arg-type]
    return desk.submit_return(request).code


def codes(page: str) -> list[str]:
    return re.findall(r'data-label="Case"><a href="/owner/cases/(RB-\d+)">', page)


def test_cases_are_found_by_number_order_email_and_filtered(
    desk: ReturnsDesk, clock: FrozenClock
) -> None:
    more_orders(desk)
    first = open_return(desk, "1001", "ana@example.com", "LAMP-1", "wrong_size")
    clock.advance(dt.timedelta(days=2))
    second = open_return(desk, "2001", "bo@example.com", "MUG-1", "changed_mind")
    third = open_return(desk, "2002", "cy@example.com", "LAMP-1", "defective")
    client = client_for(desk)
    everything = client.get("/owner/cases").text
    assert codes(everything) == [third, second, first]  # newest first
    assert "3 cases" in everything
    assert codes(client.get("/owner/cases", params={"q": "bo@EXAMPLE"}).text) == [second]
    assert codes(client.get("/owner/cases", params={"q": "2002"}).text) == [third]
    assert codes(client.get("/owner/cases", params={"q": first.lower()}).text) == [first]
    assert codes(client.get("/owner/cases", params={"supplier": "credit-co"}).text) == [
        third,
        first,
    ]
    assert codes(client.get("/owner/cases", params={"reason": "defective"}).text) == [third]
    assert codes(client.get("/owner/cases", params={"until": "2026-03-10"}).text) == [first]
    assert codes(client.get("/owner/cases", params={"since": "2026-03-11"}).text) == [
        third,
        second,
    ]
    desk.cancel(second)
    assert codes(client.get("/owner/cases", params={"status": "cancelled"}).text) == [second]
    assert "No case matches." in client.get("/owner/cases", params={"q": "nobody"}).text
    # wildcards in the search are taken as written
    assert "No case matches." in client.get("/owner/cases", params={"q": "%"}).text
    # columns: the party each case waits for, and amounts in the currency
    row = re.search(rf"/owner/cases/{first}\">.*?</tr>", everything, re.S)
    assert row is not None
    waits = desk.case_view(first).status == "awaiting_supplier"
    assert waits and 'data-label="Waiting for">the supplier</td>' in row.group(0)
    assert '<td class="num" data-label="Refunded">0.00 USD</td>' in row.group(0)


def test_the_list_comes_in_pages(desk: ReturnsDesk, clock: FrozenClock) -> None:
    more_orders(desk)
    for _ in range(PER_PAGE + 2):
        clock.advance(dt.timedelta(minutes=1))
        desk.submit_return(
            ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="changed_mind")
        )
        desk.cancel(desk.cases_for_order("1001")[-1].code)
    first = search_cases(desk, CaseFilter())
    assert (first.total, first.pages, len(first.cases)) == (PER_PAGE + 2, 2, PER_PAGE)
    second = search_cases(desk, CaseFilter(page=2))
    assert len(second.cases) == 2 and second.cases[-1]["code"] == "RB-000001"
    page = client_for(desk).get("/owner/cases", params={"status": "cancelled", "page": 2}).text
    assert "Page 2 of 2" in page and 'href="/owner/cases?status=cancelled&amp;page=1"' in page


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 90, 40)).save(out, format="JPEG")
    return out.getvalue()


def test_the_case_page_tells_its_story_amounts_photos_and_messages(desk: ReturnsDesk) -> None:
    code = open_return(desk, "1001", "ana@example.com", "MUG-1", "damaged")
    desk.add_photo(code, jpeg(), description="cracked handle")
    client = client_for(desk)
    page = client.get(f"/owner/cases/{code}")
    assert page.status_code == 200
    text = page.text
    # the timeline in plain words: who, what, why (under which clause)
    assert "The customer (ana@example.com)</strong> asked to return 1 x MUG-1" in text
    assert "under photo required reasons (damaged): A photo is needed for this reason." in text
    assert "sent a photo" in text
    # amounts with the currency, photos served to the owner, messages to the customer
    assert re.search(r"Item price</th><td class=\"num\">24.00 USD", text)
    assert "Label cost" in text and "Supplier credit received" in text
    photo = re.search(rf'src="(/owner/cases/{code}/photos/\d+)"', text)
    assert photo is not None
    served = client.get(photo.group(1))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert (
        client.get(f"/owner/cases/RB-999999/photos/{photo.group(1).rsplit('/', 1)[1]}").status_code
        == 404
    )
    assert "to the customer · customer message" in text and "We received your return" in text
    stranger = TestClient(client.app, client=("198.51.100.7", 1))
    assert stranger.get(photo.group(1)).status_code == 403
    assert client.get("/owner/cases/RB-999999").status_code == 404


def test_the_owner_acts_on_the_case_page_and_a_note_lands_in_the_ledger(
    desk: ReturnsDesk,
) -> None:
    code = open_return(desk, "1001", "ana@example.com", "LAMP-1", "wrong_size")
    desk.supplier_action("credit-co", code, "decline", note="used")
    client = client_for(desk)
    page = client.get(f"/owner/cases/{code}").text
    assert desk.case_view(code).status == "pending_review"
    assert "Refund anyway" in page and f'action="/owner/cases/{code}/refund-anyway"' in page
    noted = client.post(
        f"/owner/cases/{code}/note",
        data={"token": token_of(page), "note": "Called Ana, she kept the box."},
    )
    assert "Note added" in noted.text and "Called Ana, she kept the box." in noted.text
    with desk.session() as session:
        last = case_history(session, code)[-1]
    assert (last.action, last.actor, last.reason) == (
        "owner_note",
        "owner",
        "Called Ana, she kept the box.",
    )
    forged = client.post(f"/owner/cases/{code}/note", data={"token": "x", "note": "n"})
    assert forged.status_code == 403
    paid = client.post(
        f"/owner/cases/{code}/refund-anyway",
        data={"token": token_of(noted.text), "back": "case"},
    )
    assert f"Approved return {code}" in paid.text and "<h1>Return " in paid.text
    assert desk.case_view(code).refunded == "60.00"
    assert "Refund anyway" not in paid.text  # nothing left to decide


def test_a_case_is_cancelled_from_its_page(desk: ReturnsDesk) -> None:
    code = open_return(desk, "1001", "ana@example.com", "MUG-1", "damaged")
    client = client_for(desk)
    page = client.get(f"/owner/cases/{code}").text
    done = client.post(
        f"/owner/cases/{code}/cancel", data={"token": token_of(page), "back": "case"}
    )
    assert f"Cancelled return {code}" in done.text
    assert desk.case_view(code).status == "cancelled"
    assert "You</strong> cancelled the return" in done.text
