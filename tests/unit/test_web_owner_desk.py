"""The owner page's inbox (a reply box per item), supplier credit forms and scorecard."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.web import owner
from bot.web.access import LOCAL_HOSTS, WebAccess
from bot.web.owner import OwnerDesk
from graph.chat_graph import CustomerChat
from graph.desk import ReturnsDesk
from tools.open_case import ReturnRequest

LOCAL = ("127.0.0.1", 50000)
# TestClient's requests name the host "testserver".
ACCESS = WebAccess(allowed_hosts=frozenset({"testserver", *LOCAL_HOSTS}))


def client_for(desk: ReturnsDesk) -> TestClient:
    app = FastAPI()
    app.state.owner_desk = OwnerDesk.build(desk, "test-secret", password=None, access=ACCESS)
    for owner_pages in owner.ROUTERS:
        app.include_router(owner_pages)
    return TestClient(app, client=LOCAL)


def token_of(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_a_handoff_is_answered_from_the_page_and_read_in_the_chat(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    chat.say(sid, "order 1001 ana@example.com")
    chat.say(sid, "I want to talk to a real person about my mug")
    client = client_for(desk)
    page = client.get("/owner").text
    assert "Inbox (1)" in page and "talk to a real person about my mug" in page
    item = re.search(r'action="/owner/inbox/(\d+)/reply"', page)
    assert item is not None
    answer = client.post(
        f"/owner/inbox/{item.group(1)}/reply",
        data={"token": token_of(page), "text": "Hi Ana, a new mug ships today."},
    )
    assert answer.status_code == 200 and "Sent to the customer" in answer.text
    assert "Nothing waits for you." in answer.text
    said = [m.text for m in chat.messages(sid)]
    assert any("a new mug ships today" in text for text in said)
    # the thread with the owner is closed: the bot answers again
    assert "went to the store owner" not in " ".join(m.text for m in chat.say(sid, "thanks!"))
    refused = client.post(
        f"/owner/inbox/{item.group(1)}/reply", data={"token": token_of(page), "text": "again"}
    )
    assert "no open inbox item" in refused.text
    forged = client.post(f"/owner/inbox/{item.group(1)}/reply", data={"token": "x", "text": "t"})
    assert forged.status_code == 403


def test_credit_is_recorded_on_the_page_and_shown_in_the_scorecard(desk: ReturnsDesk) -> None:
    view = desk.submit_return(
        ReturnRequest(
            order="1001", email="ana@example.com", sku="LAMP-1", quantity=1, reason="wrong_size"
        )
    )
    desk.supplier_action("credit-co", view.code, "approve")
    assert desk.case_view(view.code).supplier_credit == "60.00"
    client = client_for(desk)
    page = client.get("/owner/suppliers").text
    assert "Credit Co" in page and "60.00 USD" in page
    assert 'href="/owner/suppliers/credit-co/statement.pdf"' in page
    done = client.post(
        "/owner/suppliers/credit",
        data={
            "token": token_of(page),
            "supplier": "credit-co",
            "amount": "20",
            "reference": "CN-1",
        },
    )
    assert "still owes 40.00" in done.text
    too_much = client.post(
        "/owner/suppliers/credit",
        data={
            "token": token_of(page),
            "supplier": "credit-co",
            "amount": "50",
            "reference": "CN-2",
        },
    )
    assert "nothing was recorded" in too_much.text
    off = client.post(
        "/owner/suppliers/writeoff",
        data={"token": token_of(page), "supplier": "credit-co", "order": "1001"},
    )
    assert "Wrote off 40.00" in off.text
    csv_text = client.get("/owner/suppliers/credit-co/statement.csv")
    assert csv_text.status_code == 200 and csv_text.headers["content-type"].startswith("text/csv")
    assert (
        f"{view.code},1001,LAMP-1" in csv_text.text and ",60.00,20.00,40.00,0.00" in csv_text.text
    )
    assert client.get("/owner/suppliers/nobody/statement.csv").status_code == 404


def test_the_page_links_the_case_and_journal_exports(desk: ReturnsDesk) -> None:
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="changed_mind")
    )
    client = client_for(desk)
    page = client.get("/owner/suppliers").text
    assert 'href="/owner/exports/cases.csv"' in page and "/owner/exports/journal.csv" in page
    cases = client.get("/owner/exports/cases.csv")
    assert cases.status_code == 200 and cases.headers["content-type"].startswith("text/csv")
    assert f"{view.code},1001," in cases.text
    assert client.get("/owner/exports/journal.csv").text.startswith("entry,key,at,case,kind")
    assert client.get("/owner/exports/passwords.csv").status_code == 404
    # the exports are the owner's: a client from elsewhere gets nothing
    stranger = TestClient(client.app, client=("198.51.100.7", 1))
    assert stranger.get("/owner/exports/cases.csv").status_code == 403


def test_every_section_has_its_page_under_one_navigation(desk: ReturnsDesk) -> None:
    client = client_for(desk)
    for address, title in (
        ("/owner", "Inbox"),
        ("/owner/suppliers", "Suppliers"),
        ("/owner/products", "Products"),
        ("/owner/rules", "Rules"),
    ):
        page = client.get(address)
        assert page.status_code == 200, address
        assert f'<a href="{address}" aria-current="page">{title}' in page.text
        for other in ("/owner/cases", "/owner/suppliers", "/owner/products", "/owner/rules"):
            assert f'href="{other}"' in page.text
    rules = client.get("/owner/rules").text
    assert 'action="/owner/say"' in rules and "No rules are on." in rules
    # one section's forms are not repeated on another
    assert 'action="/owner/suppliers/credit"' not in client.get("/owner").text


NUMBER_CELL = r'<td class="num" data-label="[^"]+">([^<]*)</td>'


def test_the_products_page_counts_units_returns_and_reasons(desk: ReturnsDesk) -> None:
    desk.submit_return(
        ReturnRequest(
            order="1001",
            email="ana@example.com",
            sku="LAMP-1",
            quantity=1,
            reason="wrong_size",
            note="runs small",
        )
    )
    page = client_for(desk).get("/owner/products").text
    row = re.search(r"<span>Desk lamp</span></td>(.*?)</tr>", page, re.S)
    assert row is not None
    cells = re.findall(NUMBER_CELL, row.group(1))
    assert cells == ["2", "1", "50.0%"]
    assert "wrong size × 1" in row.group(1) and "runs small" in row.group(1)
    mug = re.search(r"<span>Ceramic mug</span></td>(.*?)</tr>", page, re.S)
    assert mug is not None and re.findall(NUMBER_CELL, mug.group(1)) == [
        "1",
        "0",
        "0.0%",
    ]
