"""bot.web.app: the customer's returns page API, through FastAPI's TestClient."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
from PIL import Image

from bot.web.app import create_app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import count_cases
from policies.loader import orders_from_data, store_from_data
from tools.accept_photo import MAX_BYTES, sample_jpeg
from tools.open_case import ReturnRequest

NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
SECRET = "secret"

SUPPLIERS = [
    {
        "id": "acme",
        "name": "Acme Home Goods",
        "role": "logistical",
        "country": "US",
        "return_address": "Acme Returns, 10 Main St, Fresno, CA 93650, US",
        "rma_required": True,
    }
]
ORDERS = [
    {
        "number": "1001",
        "email": "ana@example.com",
        "customer_name": "Ana Silva",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [
            {"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"},
            {
                "sku": "PLATE-2",
                "name": "Stoneware plate",
                "price": "18.50",
                "quantity": 2,
                "supplier": "acme",
            },
        ],
    },
    {
        "number": "1002",
        "email": "ben@example.com",
        "customer_name": "Ben Okafor",
        "country": "US",
        "placed_at": "2026-03-08T10:00:00Z",
        "delivered_at": None,
        "items": [{"sku": "LAMP-1", "name": "Desk lamp", "price": "40.00", "supplier": "acme"}],
    },
]

MUG = {"order": "1001", "email": "ana@example.com", "sku": "MUG-1", "reason": "damaged"}


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    store = store_from_data({"return_label_cost": "7.50"}, SUPPLIERS)
    orders = orders_from_data(ORDERS, "orders", store)
    returns_desk = ReturnsDesk(f"sqlite:///{tmp_path}/t.db", store, FrozenClock(NOW))
    with returns_desk.session() as session:
        from ledger.repository import import_orders

        import_orders(session, orders, store.policy.currency)
    yield returns_desk
    returns_desk.close()


@pytest.fixture
def client(desk: ReturnsDesk) -> TestClient:
    return TestClient(create_app(desk, SECRET))


def cases(desk: ReturnsDesk) -> int:
    with desk.session() as session:
        return count_cases(session)


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 90, 40)).save(out, format="JPEG")
    return out.getvalue()


def submit(client: TestClient, **fields: Any) -> Any:
    return client.post("/api/returns", json={**MUG, **fields})


def plain(client: TestClient, **fields: Any) -> Any:
    """A form whose reason needs no photo: it opens a case without one."""
    return submit(client, **{"reason": "wrong_size", **fields})


def waiting_case(desk: ReturnsDesk, sku: str = "MUG-1") -> dict[str, Any]:
    """A case waiting for a photo (opened as the chat or a rule leaves one), with its link's
    token: the form itself refuses a reason that needs a photo without one."""
    view = desk.submit_return(ReturnRequest.model_validate({**MUG, "sku": sku}))
    token = URLSafeTimedSerializer(SECRET, salt="case-link").dumps(view.code)
    return {"case": {"code": view.code, "status": view.status}, "token": token}


# -- lookup -------------------------------------------------------------------------------------


def test_a_wrong_email_and_an_unknown_order_get_the_same_answer(client: TestClient) -> None:
    wrong_email = client.post(
        "/api/returns/lookup", json={"order": "1001", "email": "someone@example.com"}
    )
    unknown_order = client.post(
        "/api/returns/lookup", json={"order": "9999", "email": "ana@example.com"}
    )
    assert wrong_email.status_code == unknown_order.status_code == 404
    assert wrong_email.json() == unknown_order.json()
    assert wrong_email.json()["error"]["code"] == "order_not_found"
    # nothing from the order leaks
    assert "Ana" not in wrong_email.text
    assert "mug" not in wrong_email.text.lower()
    assert "24.00" not in wrong_email.text


def test_lookup_accepts_the_order_number_and_email_as_customers_type_them(
    client: TestClient,
) -> None:
    response = client.post(
        "/api/returns/lookup", json={"order": "#1001", "email": " ANA@Example.com "}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["order"] == "1001"
    assert body["customer_name"] == "Ana Silva"
    assert body["delivered"] is True
    items = {item["sku"]: item for item in body["items"]}
    assert items["MUG-1"]["unit_price"] == "24.00"
    assert items["MUG-1"]["returnable"] == 1
    assert items["PLATE-2"]["returnable"] == 2
    assert items["PLATE-2"]["currency"] == "USD"
    assert {r["code"] for r in body["reasons"]} >= {"damaged", "wrong_size", "changed_mind"}
    assert [r["code"] for r in body["resolutions"]] == ["refund", "store_credit", "replacement"]


def test_lookup_says_an_order_is_not_delivered_yet(client: TestClient) -> None:
    response = client.post(
        "/api/returns/lookup", json={"order": "1002", "email": "ben@example.com"}
    )
    assert response.status_code == 200
    assert response.json()["delivered"] is False


def test_lookup_counts_units_already_in_a_return(client: TestClient) -> None:
    assert plain(client, sku="PLATE-2", quantity=1).status_code == 201
    body = client.post(
        "/api/returns/lookup", json={"order": "1001", "email": "ana@example.com"}
    ).json()
    items = {item["sku"]: item for item in body["items"]}
    assert items["PLATE-2"]["returnable"] == 1
    assert items["MUG-1"]["returnable"] == 1


# -- submitting the form ------------------------------------------------------------------------


def test_a_valid_form_opens_the_first_case_and_gives_a_token(
    client: TestClient, desk: ReturnsDesk
) -> None:
    response = plain(client, order="#1001", email=" Ana@Example.com ")
    assert response.status_code == 201
    body = response.json()
    assert body["case"]["code"] == "RB-000001"
    assert body["case"]["order"] == "1001"
    assert body["case"]["reason"] == "wrong_size"
    assert body["case"]["status"] == "awaiting_supplier"
    assert body["needs_photo"] is False
    assert body["label_url"] is None
    assert isinstance(body["token"], str) and len(body["token"]) > 20
    assert cases(desk) == 1


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"reason": "bored"}, 422, "reason"),
        ({"quantity": 0}, 422, "quantity"),
        ({"quantity": -1}, 422, "quantity"),
        ({"sku": "SPOON-9"}, 422, "SPOON-9"),
        ({"resolution": "cash"}, 422, "resolution"),
        ({"order": "1002", "email": "ben@example.com", "sku": "LAMP-1"}, 422, "not been delivered"),
        ({"sku": "PLATE-2", "quantity": 3}, 422, "more than is left"),
        ({"email": "mallory@example.com"}, 404, "couldn't find"),
        ({"order": "7777"}, 404, "couldn't find"),
        ({"coupon": "FREE"}, 422, "coupon"),
    ],
    ids=[
        "bad reason",
        "quantity 0",
        "negative quantity",
        "unknown sku",
        "bad resolution",
        "not delivered",
        "more than bought",
        "wrong email",
        "unknown order",
        "unknown field",
    ],
)
def test_an_invalid_form_opens_no_case_and_says_why(
    client: TestClient, desk: ReturnsDesk, change: dict[str, Any], status: int, words: str
) -> None:
    response = submit(client, **change)
    assert response.status_code == status
    assert words in response.json()["error"]["message"]
    assert cases(desk) == 0


def test_units_already_in_a_return_cannot_be_asked_for_again(
    client: TestClient, desk: ReturnsDesk
) -> None:
    assert plain(client, sku="PLATE-2", quantity=2).status_code == 201
    again = plain(client, sku="PLATE-2", quantity=1)
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "quantity_exceeded"
    assert "already in a return" in again.json()["error"]["message"]
    assert cases(desk) == 1


def test_a_body_that_is_not_json_is_a_bad_request(client: TestClient, desk: ReturnsDesk) -> None:
    response = client.post(
        "/api/returns", content=b"order=1001", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert cases(desk) == 0


def test_a_json_list_is_a_bad_request(client: TestClient, desk: ReturnsDesk) -> None:
    response = client.post("/api/returns", json=[MUG])
    assert response.status_code == 400
    assert cases(desk) == 0


def test_json_cannot_claim_a_photo_it_did_not_send(client: TestClient, desk: ReturnsDesk) -> None:
    response = submit(client, photo=True)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "photo_required"
    assert cases(desk) == 0


def test_a_form_with_a_real_photo_of_a_damaged_item_does_not_wait_for_a_photo(
    client: TestClient, desk: ReturnsDesk
) -> None:
    response = client.post(
        "/api/returns",
        data={**MUG, "quantity": "1", "note": "cracked on arrival"},
        files={"photo": ("mug.jpg", jpeg_bytes(), "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["case"]["status"] != "awaiting_photo"
    assert body["case"]["status"] == "awaiting_supplier"
    assert body["needs_photo"] is False
    assert cases(desk) == 1


def test_a_photo_over_ten_megabytes_is_refused_and_opens_no_case(
    client: TestClient, desk: ReturnsDesk
) -> None:
    small = sample_jpeg("huge")
    huge = small + b"\0" * (MAX_BYTES + 1 - len(small))
    response = client.post(
        "/api/returns", data=MUG, files={"photo": ("huge.jpg", huge, "image/jpeg")}
    )
    assert response.status_code == 413
    assert "10 MB" in response.json()["error"]["message"]
    assert cases(desk) == 0


def test_a_file_that_is_not_an_image_is_refused_and_opens_no_case(
    client: TestClient, desk: ReturnsDesk
) -> None:
    response = client.post(
        "/api/returns",
        data=MUG,
        files={"photo": ("receipt.jpg", b"%PDF-1.4 not a photo at all", "image/jpeg")},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "invalid_upload"
    assert cases(desk) == 0


def test_an_invalid_multipart_form_opens_no_case(client: TestClient, desk: ReturnsDesk) -> None:
    response = client.post(
        "/api/returns",
        data={**MUG, "quantity": "0"},
        files={"photo": ("mug.jpg", jpeg_bytes(), "image/jpeg")},
    )
    assert response.status_code == 422
    assert "quantity" in response.json()["error"]["message"]
    assert cases(desk) == 0


# -- the case page ------------------------------------------------------------------------------


def test_the_token_shows_its_own_case(client: TestClient, desk: ReturnsDesk) -> None:
    opened = waiting_case(desk)
    response = client.get(f"/api/cases/{opened['case']['code']}", params={"token": opened["token"]})
    assert response.status_code == 200
    assert response.json()["case"]["code"] == "RB-000001"
    assert response.json()["status_text"] == "Waiting for your photo"


def test_a_forged_token_shows_nothing(client: TestClient) -> None:
    code = plain(client).json()["case"]["code"]
    forged = URLSafeSerializer("not-the-secret", salt="case-access").dumps(
        {"case": code, "email": "ana@example.com"}
    )
    for token in (forged, "garbage", ""):
        response = client.get(f"/api/cases/{code}", params={"token": token})
        assert response.status_code == 404, token
        assert "ana" not in response.text.lower()


def test_a_token_for_another_case_shows_nothing(client: TestClient) -> None:
    first = plain(client).json()
    second = plain(client, sku="PLATE-2").json()
    assert second["case"]["code"] == "RB-000002"
    response = client.get("/api/cases/RB-000002", params={"token": first["token"]})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "case_not_found"
    assert "PLATE" not in response.text


def test_a_photo_sent_later_moves_a_waiting_case_on(client: TestClient, desk: ReturnsDesk) -> None:
    opened = waiting_case(desk)
    code, token = opened["case"]["code"], opened["token"]
    assert opened["case"]["status"] == "awaiting_photo"

    response = client.post(
        f"/api/cases/{code}/photos",
        params={"token": token},
        data={"description": "the crack"},
        files={"photo": ("crack.png", sample_jpeg("crack"), "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["case"]["status"] == "awaiting_supplier"
    assert desk.case_view(code).status == "awaiting_supplier"


def test_a_photo_upload_with_another_cases_token_is_refused(
    client: TestClient, desk: ReturnsDesk
) -> None:
    first = waiting_case(desk)
    waiting_case(desk, sku="PLATE-2")
    response = client.post(
        "/api/cases/RB-000002/photos",
        params={"token": first["token"]},
        files={"photo": ("crack.jpg", sample_jpeg("crack"), "image/jpeg")},
    )
    assert response.status_code == 404
    assert desk.case_view("RB-000002").status == "awaiting_photo"


def test_a_later_upload_that_is_not_an_image_changes_nothing(
    client: TestClient, desk: ReturnsDesk
) -> None:
    opened = waiting_case(desk)
    response = client.post(
        f"/api/cases/{opened['case']['code']}/photos",
        params={"token": opened["token"]},
        files={"photo": ("notes.txt", b"just text", "text/plain")},
    )
    assert response.status_code == 415
    assert desk.case_view("RB-000001").status == "awaiting_photo"


def test_the_label_appears_once_the_supplier_approves(
    client: TestClient, desk: ReturnsDesk
) -> None:
    opened = client.post(
        "/api/returns",
        data=MUG,
        files={"photo": ("mug.jpg", jpeg_bytes(), "image/jpeg")},
    ).json()
    code, token = opened["case"]["code"], opened["token"]

    before = client.get(f"/api/cases/{code}/label.pdf", params={"token": token})
    assert before.status_code == 404
    assert before.json()["error"]["message"] == "This return has no label yet."

    desk.supplier_action("acme", code, "approve", rma="R1")

    after = client.get(f"/api/cases/{code}/label.pdf", params={"token": token})
    assert after.status_code == 200
    assert after.headers["content-type"] == "application/pdf"
    assert after.content.startswith(b"%PDF")
    page = client.get(f"/api/cases/{code}", params={"token": token}).json()
    assert page["case"]["status"] == "awaiting_shipment"
    assert page["label_url"] == f"/api/cases/{code}/label.pdf?token={token}"


def test_the_label_needs_the_cases_own_token(client: TestClient, desk: ReturnsDesk) -> None:
    first = client.post(
        "/api/returns", data=MUG, files={"photo": ("mug.jpg", jpeg_bytes(), "image/jpeg")}
    ).json()
    second = plain(client, sku="PLATE-2").json()
    desk.supplier_action("acme", first["case"]["code"], "approve", rma="R1")
    response = client.get(
        f"/api/cases/{first['case']['code']}/label.pdf", params={"token": second["token"]}
    )
    assert response.status_code == 404
    assert not response.content.startswith(b"%PDF")


def test_the_returns_page_and_health_check_are_served(client: TestClient) -> None:
    page = client.get("/returns")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert client.get("/healthz").json() == {"status": "ok"}
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 200  # the demo store page with the chat widget
    assert '<script src="/widget.js"' in home.text and 'href="/returns"' in home.text
