"""The customer's returns page, driven in headless Debian chromium against the real app."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from PIL import Image

from bot.web.app import create_app
from bot.web.shopper_words import STATUS_WORDS
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tests.browser.serving import serving
from tools.open_case import ReturnRequest

sync_api = pytest.importorskip("playwright.sync_api")
# A loaded CI machine (two test workers, a browser, a server) answers slower than a desk.
sync_api.expect.set_options(timeout=20_000)
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CASE_CODE = re.compile(r"^RB-\d{6}$")
POLL_WAIT_MS = 12_000  # the page polls every 5 s

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]

DELIVERED = "2026-03-05T10:00:00Z"
NOW = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)  # four days after delivery


def order(number: str, email: str, name: str, *items: dict[str, object]) -> dict[str, object]:
    return {
        "number": number,
        "email": email,
        "customer_name": name,
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": DELIVERED,
        "items": list(items),
    }


def item(sku: str, name: str, price: str, **extra: object) -> dict[str, object]:
    return {"sku": sku, "name": name, "price": price, "supplier": "acme", **extra}


ORDERS = [
    order(
        "1001",
        "ana@example.com",
        "Ana Silva",
        item("MUG-1", "Ceramic mug", "24.00", quantity=2),
        item("SCARF-9", "Clearance scarf", "9.00", final_sale=True),
    ),
    order("1002", "ben@example.com", "Ben Okafor", item("LAMP-1", "Desk lamp", "60.00")),
    order("1003", "cy@example.com", "Cy Park", item("TOY-1", "Wooden train", "32.00")),
    order("1004", "dee@example.com", "Dee Moss", item("KETTLE-1", "Glass kettle", "45.00")),
    order(
        "1005",
        "eli@example.com",
        "Eli Novak",
        item(
            "BLENDER-PRO-XL-2000-STAINLESS",
            "Professional countertop blender with stainless steel jug, extra long name",
            "129.99",
            quantity=3,
        ),
        item("CUP-2", "Espresso cup", "8.50", final_sale=True),
    ),
    # Cash on delivery: no email, the customer finds the order with its phone.
    {**order("1006", "", "Mia Nguyen", item("TEDDY-1", "Teddy bear", "39.00")),
     "phone": "+1 512 555 0100"},
    order("1007", "fay@example.com", "Fay Lund", item("VASE-1", "Glass vase", "40.00")),
]  # fmt: skip


@dataclass
class Site:
    url: str
    desk: ReturnsDesk


def jpeg_file(folder: Path, name: str = "photo.jpg") -> Path:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 90, 40)).save(out, format="JPEG")
    path = folder / name
    path.write_bytes(out.getvalue())
    return path


def fake_jpeg(folder: Path) -> Path:
    path = folder / "notes.jpg"  # a text file wearing a photo's name
    path.write_text("this is not a picture\n")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("returns-page")
    store = store_from_data(
        {
            "name": "Test Goods Co.",
            "currency": "USD",
            "return_window_days": 30,
            "return_label_cost": "5.00",
            "store_credit_bonus_percent": 10,
        },
        [
            {
                "id": "acme",
                "name": "Acme Home Goods",
                "country": "US",
                "return_address": "Acme Returns, 10 Main St, Fresno, CA 93650, US",
                "rma_required": True,
            }
        ],
    )
    orders = orders_from_data(ORDERS, "test", store)
    desk = ReturnsDesk(f"sqlite:///{folder}/web.db", store, FrozenClock(NOW))
    with desk.session() as s:
        import_orders(s, orders, store.policy.currency)
    app = create_app(desk, "test-secret")

    try:
        with serving(app) as url:
            yield Site(url=url, desk=desk)
    finally:
        desk.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: sync_api.Browser) -> Iterator[sync_api.Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def find_order(page: sync_api.Page, site: Site, number: str, email: str) -> None:
    page.goto(f"{site.url}/returns")
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Find my order").click()


def fill_return(
    page: sync_api.Page,
    sku: str,
    reason: str,
    *,
    photo: Path | None = None,
    quantity: int | None = None,
    note: str = "",
) -> None:
    expect(page.locator("#step-request")).to_be_visible()
    page.locator(f'input[name="sku"][value="{sku}"]').check()
    if quantity is not None:
        page.get_by_label("How many?").fill(str(quantity))
    page.get_by_label("Reason").select_option(reason)
    if note:
        page.get_by_label("Anything else we should know?").fill(note)
    if photo is not None:
        page.locator("#request-photo").set_input_files(photo)


def send_return(page: sync_api.Page) -> None:
    page.get_by_role("button", name="Send return request").click()


def shown_case(page: sync_api.Page) -> str:
    code = page.locator("#case-code")
    expect(code).to_have_text(CASE_CODE)
    return code.inner_text()


def expect_status(page: sync_api.Page, status: str) -> None:
    expect(page.locator("#case-status")).to_have_text(STATUS_WORDS[status], timeout=POLL_WAIT_MS)


def open_waiting_case(
    page: sync_api.Page, site: Site, order: str, email: str, sku: str, reason: str
) -> str:
    """A case waiting for a photo (the chat, or a case whose photo a rule asked for later),
    opened on the returns page through its private link: the form itself refuses to send a
    reason that needs a photo without one."""
    request = {"order": order, "email": email, "sku": sku, "reason": reason}
    view = site.desk.submit_return(ReturnRequest.model_validate(request))
    assert view.status == "awaiting_photo"
    token = URLSafeTimedSerializer("test-secret", salt="case-link").dumps(view.code)
    page.goto(f"{site.url}/returns#case={view.code}&token={token}")
    return view.code


def test_wrong_email_shows_not_found_and_no_items(page: sync_api.Page, site: Site) -> None:
    find_order(page, site, "1001", "someone-else@example.com")

    error = page.locator("#lookup-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("couldn't find an order")
    expect(page.locator("#step-request")).to_be_hidden()
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    body = page.content()
    assert "Ceramic mug" not in body and "MUG-1" not in body
    assert "{" not in error.inner_text()


def test_damaged_item_with_photo_opens_a_case(
    page: sync_api.Page, site: Site, tmp_path: Path
) -> None:
    find_order(page, site, "#1001", "ANA@example.com ")

    expect(page.locator("#request-greeting")).to_contain_text("Ana Silva")
    mug = page.locator(".item", has_text="Ceramic mug")
    expect(mug).to_contain_text("SKU MUG-1")
    expect(mug).to_contain_text("$24.00")
    expect(mug).to_contain_text("2 can be returned")
    scarf = page.locator(".item", has_text="Clearance scarf")
    expect(scarf.locator("input")).to_be_disabled()
    expect(scarf).to_contain_text("Final sale")

    fill_return(page, "MUG-1", "damaged", photo=jpeg_file(tmp_path), note="Handle snapped off")
    expect(page.get_by_label("How many?")).to_have_attribute("max", "2")
    send_button = page.locator("#request-form button[type=submit]")
    busy_seen: list[tuple[str | None, str]] = []

    def watch_busy(route: sync_api.Route) -> None:
        busy_seen.append((send_button.get_attribute("aria-busy"), send_button.inner_text()))
        route.continue_()

    page.route("**/api/returns", watch_busy)
    send_return(page)

    code = shown_case(page)
    view = site.desk.case_view(code)
    assert (view.sku, view.reason, view.quantity) == ("MUG-1", "damaged", 1)
    expect_status(page, view.status)
    assert busy_seen == [("true", "Sending your request…")], "busy while the request runs"
    page.unroute("**/api/returns", watch_busy)
    expect(page.locator("#case-messages li").first).to_contain_text(code)
    expect(page.locator("#photo-form")).to_be_hidden()

    # the case survives a reload, from the URL hash and from localStorage
    assert f"#case={code}&token=" in page.url
    stored = page.evaluate("localStorage.getItem('returnbridge.case')")
    assert code in stored
    page.reload()
    assert shown_case(page) == code
    page.goto(f"{site.url}/returns")
    assert shown_case(page) == code
    expect_status(page, view.status)


def test_photo_upload_on_the_case_moves_it_on(
    page: sync_api.Page, site: Site, tmp_path: Path
) -> None:
    code = open_waiting_case(page, site, "1002", "ben@example.com", "LAMP-1", "defective")
    assert shown_case(page) == code
    expect_status(page, "awaiting_photo")
    expect(page.locator("#case-messages")).to_contain_text("upload a photo")
    photo_form = page.locator("#photo-form")
    expect(photo_form).to_be_visible()

    photo_form.get_by_label("Photo").set_input_files(jpeg_file(tmp_path))
    photo_form.get_by_role("button", name="Upload photo").click()

    expect(page.locator("#case-ok")).to_contain_text("got your photo")
    expect(photo_form).to_be_hidden()
    status = site.desk.case_view(code).status
    assert status != "awaiting_photo"
    expect_status(page, status)


def test_a_file_that_is_not_a_photo_gets_a_clear_error(
    page: sync_api.Page, site: Site, tmp_path: Path
) -> None:
    find_order(page, site, "1003", "cy@example.com")
    fake = fake_jpeg(tmp_path)

    # on the return form: the server refuses it and what the customer typed stays put
    fill_return(page, "TOY-1", "defective", photo=fake, note="Wheel came off")
    send_return(page)
    form_error = page.locator("#request-error")
    expect(form_error).to_contain_text("not a photo we can read")
    assert "{" not in form_error.inner_text() and "Traceback" not in page.content()
    expect(page.locator('input[name="sku"][value="TOY-1"]')).to_be_checked()
    expect(page.get_by_label("Reason")).to_have_value("defective")
    expect(page.get_by_label("Anything else we should know?")).to_have_value("Wheel came off")
    expect(page.get_by_role("button", name="Send return request")).to_be_enabled()
    assert site.desk.cases_for_order("1003") == []

    # without the photo the form says one is needed, and sends nothing
    page.locator("#request-photo").set_input_files([])
    send_return(page)
    expect(form_error).to_contain_text("add a photo")
    assert site.desk.cases_for_order("1003") == []

    # a case waiting for a photo, on its page
    code = open_waiting_case(page, site, "1003", "cy@example.com", "TOY-1", "defective")
    assert shown_case(page) == code
    expect_status(page, "awaiting_photo")

    # on the case: a photo over 10 MB is stopped before it is sent
    photo_form = page.locator("#photo-form")
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if "/photos" in r.url else None)
    big = tmp_path / "huge.jpg"
    big.write_bytes(jpeg_file(tmp_path).read_bytes() + b"\0" * (10 * 1024 * 1024))
    photo_form.get_by_label("Photo").set_input_files(big)
    photo_form.get_by_role("button", name="Upload photo").click()
    expect(page.locator("#photo-error")).to_contain_text("larger than 10 MB")
    assert uploads == []

    # the server's refusal of a non-image, and the form still works afterwards
    photo_form.get_by_label("Photo").set_input_files(fake)
    photo_form.get_by_role("button", name="Upload photo").click()
    photo_error = page.locator("#photo-error")
    expect(photo_error).to_contain_text("not a photo we can read")
    expect(photo_form.get_by_role("button", name="Upload photo")).to_be_enabled()
    expect_status(page, "awaiting_photo")
    assert site.desk.case_view(code).status == "awaiting_photo"

    photo_form.get_by_label("Photo").set_input_files(jpeg_file(tmp_path))
    photo_form.get_by_role("button", name="Upload photo").click()
    expect(photo_form).to_be_hidden()
    expect_status(page, site.desk.case_view(code).status)
    assert site.desk.case_view(code).status != "awaiting_photo"


def test_label_link_appears_after_the_supplier_approves(
    page: sync_api.Page, site: Site, tmp_path: Path
) -> None:
    find_order(page, site, "1004", "dee@example.com")
    fill_return(page, "KETTLE-1", "damaged", photo=jpeg_file(tmp_path))
    send_return(page)
    code = shown_case(page)
    expect_status(page, "awaiting_supplier")
    link = page.get_by_role("link", name="Download return label (PDF)")
    expect(link).to_be_hidden()

    site.desk.supplier_action("acme", code, "approve", rma="RMA-1")

    expect(link).to_be_visible(timeout=POLL_WAIT_MS)  # picked up by polling, no reload
    expect_status(page, "awaiting_shipment")
    expect(page.locator("#case-summary")).to_contain_text("RMA-1")
    expect(page.locator("#case-messages")).to_contain_text("label")
    href = link.get_attribute("href")
    assert href is not None and href.startswith(f"/api/cases/{code}/label.pdf?token=")
    response = page.request.get(f"{site.url}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_phone_width_has_no_horizontal_scroll(
    browser: sync_api.Browser, site: Site, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:

        def scroll_width() -> int:
            return int(page.evaluate("document.documentElement.scrollWidth"))

        page.goto(f"{site.url}/returns")
        expect(page.get_by_role("button", name="Find my order")).to_be_visible()
        assert scroll_width() <= 375

        page.get_by_label("Order number").fill("1005")
        page.get_by_label("Email address").fill("eli@example.com")
        page.get_by_role("button", name="Find my order").click()
        fill_return(
            page,
            "BLENDER-PRO-XL-2000-STAINLESS",
            "not_as_described",
            photo=jpeg_file(tmp_path),
            quantity=2,
            note="The jug is plastic, not steel.",
        )
        assert scroll_width() <= 375
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "returns-page.png"), full_page=True)

        send_return(page)
        shown_case(page)
        assert scroll_width() <= 375
        page.screenshot(path=str(SCREENSHOTS / "returns-case.png"), full_page=True)
    finally:
        context.close()


def test_a_cash_on_delivery_order_is_found_with_its_phone(page: sync_api.Page, site: Site) -> None:
    find_order(page, site, "1006", "(512) 555-0199")
    expect(page.locator("#lookup-error")).to_contain_text("couldn't find an order")
    assert "Teddy bear" not in page.content()

    page.get_by_label("Email address").fill("(512) 555-0100")
    page.get_by_role("button", name="Find my order").click()
    expect(page.locator("#request-greeting")).to_contain_text("Mia Nguyen")
    fill_return(page, "TEDDY-1", "changed_mind")
    send_return(page)
    code = shown_case(page)
    assert site.desk.case_view(code).sku == "TEDDY-1"


def test_the_form_marks_a_required_photo_and_previews_what_the_customer_gets(
    browser: sync_api.Browser, site: Site, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        find_order(page, site, "1007", "fay@example.com")
        expect(page.locator("#resolution-list")).to_contain_text("+10% bonus")
        mark = page.locator("#request-photo-mark")
        photo = page.locator("#request-photo")
        preview = page.locator("#request-preview-text")

        # a customer reason: no photo needed, the label comes off the refund
        page.get_by_label("Reason").select_option("wrong_size")
        expect(mark).to_have_text("(optional)")
        expect(photo).to_have_attribute("aria-required", "false")
        expect(preview).to_contain_text("A refund of $35.00")
        expect(preview).to_contain_text("$5.00 for the return label")

        # a fault: the photo is marked as needed at once, the store pays the label
        page.get_by_label("Reason").select_option("damaged")
        expect(mark).to_have_text("(required)")
        expect(photo).to_have_attribute("aria-required", "true")
        expect(preview).to_contain_text("A refund of $40.00")
        expect(preview).not_to_contain_text("label taken off")

        page.locator("#resolution-list label", has_text="Store credit").click()
        expect(preview).to_contain_text("$44.00 in store credit")
        expect(preview).to_contain_text("$4.00 bonus")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "returns-preview-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= 390
        page.screenshot(path=str(SCREENSHOTS / "returns-preview-390.png"), full_page=True)

        # sent without the photo: stopped in the page, nothing opened
        send_return(page)
        expect(page.locator("#request-error")).to_contain_text("add a photo")
        expect(photo).to_have_attribute("aria-invalid", "true")
        assert site.desk.cases_for_order("1007") == []

        photo.set_input_files(jpeg_file(tmp_path))
        send_return(page)
        code = shown_case(page)
        view = site.desk.case_view(code)
        assert (view.reason, view.requested_resolution) == ("damaged", "store_credit")
        assert view.status != "awaiting_photo"

        # the case runs to its end: the page says what the customer got and no longer
        # offers the label
        site.desk.supplier_action("acme", code, "approve", rma="RMA-7")
        expect(page.locator("#case-label")).to_be_visible(timeout=POLL_WAIT_MS)
        site.desk.carrier_event(code, "delivered")
        site.desk.supplier_action("acme", code, "inspected_ok")
        expect(page.locator("#case-status")).to_have_text(
            "Store credit issued", timeout=POLL_WAIT_MS
        )
        expect(page.locator("#case-label")).to_be_hidden()
        expect(page.locator("#case-next")).to_be_hidden()
        assert "supplier" not in page.locator("#case-status").inner_text().lower()
        page.screenshot(path=str(SCREENSHOTS / "returns-finished-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.screenshot(path=str(SCREENSHOTS / "returns-finished-1280.png"), full_page=True)
    finally:
        context.close()
