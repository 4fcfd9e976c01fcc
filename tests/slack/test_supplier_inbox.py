"""Without Slack: the whole loop through the supplier inbox page, in the real web app."""

from __future__ import annotations

import re
import time

import time_machine
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from bot.web.supplier import InboxLinks
from bot.worker import deliver_outbox
from graph.desk import ReturnsDesk
from ledger import outbox
from tests.slack.conftest import INBOX_SECRET as SECRET
from tests.slack.conftest import inbox_page


def _post(client: TestClient, supplier: str, code: str, **fields: str) -> str:
    token = InboxLinks(SECRET).token(supplier)
    fields.setdefault("nonce", f"nonce-{len(fields)}-{fields.get('action')}-{code}")
    form_token = re.search(r'name="csrf" value="([^"]+)"', inbox_page(client, supplier))
    if form_token is None:  # no form on that page: sign the browser's cookie as the page would
        signer = TimestampSigner(SECRET, salt="supplier-form")
        fields.setdefault("csrf", signer.sign(client.cookies["rb_form"]).decode())
    else:
        fields.setdefault("csrf", form_token.group(1))
    response = client.post(f"/supplier/{token}/cases/{code}", data=fields)
    assert response.status_code == 200  # followed the 303 back to the page
    said = re.search(r'id="said">([^<]*)<', response.text)
    return said.group(1) if said else ""


def test_the_whole_loop_without_slack(inbox: tuple[ReturnsDesk, TestClient]) -> None:
    desk, client = inbox
    created = client.post(
        "/api/returns",
        json={
            "order": "3001",
            "email": "ana@example.com",
            "sku": "MUG-1",
            "reason": "changed_mind",
            "note": "Colour is off",
        },
    )
    assert created.status_code == 201
    code = created.json()["case"]["code"]
    deliver_outbox(desk)  # no Slack: kept for the inbox page
    page = inbox_page(client, "acme")
    assert code in page and "Colour is off" in page and "Approve" in page
    assert "Acme Returns, 10 Main St" in page  # the address field comes pre-filled
    assert code not in inbox_page(client, "trailhead")

    said = _post(client, "acme", code, action="approve", rma="", address="")
    assert "RMA number is needed" in said
    assert desk.case_view(code).status == "awaiting_supplier"
    said = _post(client, "acme", code, action="reply", text="approved, rma 55102")
    assert said.startswith("Approved, RMA 55102")
    assert desk.case_view(code).status == "awaiting_shipment"

    assert "The parcel arrived" in inbox_page(client, "acme")
    said = _post(client, "acme", code, action="parcel_arrived", nonce="arrived-12345")
    assert "marked as arrived" in said
    page = inbox_page(client, "acme")
    assert "Inspected OK" in page and "Problem found" in page
    said = _post(client, "acme", code, action="inspected_ok", nonce="inspect-once-1")
    assert said.startswith("Inspected OK")
    assert desk.case_view(code).status == "resolved"
    assert desk.case_view(code).refunded == "24.00"  # no label cost in this policy
    assert f'id="case-{code}"' not in inbox_page(client, "acme")  # settled cases leave the inbox


def test_a_question_and_a_double_submit(inbox: tuple[ReturnsDesk, TestClient]) -> None:
    desk, client = inbox
    view = client.post(
        "/api/returns",
        json={"order": "3001", "email": "ana@example.com", "sku": "MUG-1", "reason": "wrong_size"},
    ).json()["case"]
    code = view["code"]
    said = _post(client, "acme", code, action="question", note="Is it unused?", nonce="q-1234567")
    assert "passed your question" in said.lower()
    again = _post(client, "acme", code, action="question", note="Is it unused?", nonce="q-1234567")
    assert again.startswith("Already done")
    with desk.session() as session:
        asked = outbox.messages(session, channel=outbox.OWNER, case_code=code)
    assert [row.kind for row in asked] == ["supplier_question"]
    assert "Is it unused?" in asked[0].text
    assert desk.case_view(code).status == "awaiting_supplier"
    said = _post(client, "acme", code, action="decline", note="Worn", nonce="d-1234567")
    assert said.startswith("Declined")
    assert desk.case_view(code).status == "pending_review"


def test_links_are_private_and_expire(inbox: tuple[ReturnsDesk, TestClient]) -> None:
    desk, client = inbox
    code = client.post(
        "/api/returns",
        json={"order": "3001", "email": "ana@example.com", "sku": "MUG-1", "reason": "wrong_size"},
    ).json()["case"]["code"]
    assert client.get("/supplier/not-a-token").status_code == 403
    token = InboxLinks(SECRET).token("acme")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/supplier/{tampered}").status_code == 403
    assert client.get(f"/supplier/{InboxLinks('other-secret').token('acme')}").status_code == 403
    with time_machine.travel(time.time() + 31 * 86400):  # links last 30 days by default
        assert client.get(f"/supplier/{token}").status_code == 403
        assert InboxLinks(SECRET).supplier(token) is None
        assert InboxLinks(SECRET, max_age_days=60).supplier(token) == "acme"
    # another supplier's link cannot move Acme's case
    said = _post(client, "trailhead", code, action="approve", rma="1", address="x")
    assert "another supplier" in said
    assert desk.case_view(code).status == "awaiting_supplier"
    refused = client.post(
        f"/supplier/bad/cases/{code}", data={"action": "approve", "nonce": "abcdefgh"}
    )
    assert refused.status_code == 403


def test_slack_events_say_slack_is_off(inbox: tuple[ReturnsDesk, TestClient]) -> None:
    _desk, client = inbox
    response = client.post("/slack/events", content=b"{}")
    assert response.status_code == 404
    assert "inbox" in response.json()["error"]
