"""The chat widget on the demo store page, driven in headless Debian chromium."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from bot.web.app import create_app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tests.browser.serving import serving

sync_api = pytest.importorskip("playwright.sync_api")
# A loaded CI machine (two test workers, a browser, a server) answers slower than a desk.
sync_api.expect.set_options(timeout=20_000)
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
NOW = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
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
            {"sku": "LAMP-1", "name": "Desk lamp", "price": "60.00", "supplier": "acme"},
        ],
    },
    {
        "number": "1002",
        "email": "ben@example.com",
        "customer_name": "Ben Okafor",
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [
            {"sku": "KETTLE-1", "name": "Glass kettle", "price": "45.00", "supplier": "acme"}
        ],
    },
]


@dataclass
class Site:
    url: str
    desk: ReturnsDesk


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("chat-widget")
    store = store_from_data(
        {"name": "Test Goods Co."},
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
    desk = ReturnsDesk(f"sqlite:///{folder}/web.db", store, FrozenClock(NOW))
    with desk.session() as s:
        import_orders(s, orders_from_data(ORDERS, "test", store), store.policy.currency)
    try:
        with serving(create_app(desk, "test-secret")) as url:
            yield Site(url=url, desk=desk)
    finally:
        desk.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def jpeg(folder: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 90, 40)).save(out, format="JPEG")
    path = folder / "crack.jpg"
    path.write_bytes(out.getvalue())
    return path


def say(page: sync_api.Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".rb-typing")).to_have_text("")


def last_bot(page: sync_api.Page) -> sync_api.Locator:
    return page.locator(".rb-bot").last


def test_damaged_mug_return_through_the_widget(
    browser: sync_api.Browser, site: Site, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(site.url + "/")
        expect(page.get_by_role("heading", name="Test Goods Co.")).to_be_visible()
        page.get_by_role("button", name="Chat with us").click()
        expect(last_bot(page)).to_contain_text("returns assistant")
        expect(page.get_by_role("group", name="Quick replies").get_by_role("button")).to_have_count(
            4
        )

        say(page, "Hi, my mug arrived cracked")
        expect(last_bot(page)).to_contain_text("order number")
        say(page, "#1001")
        expect(last_bot(page)).to_contain_text("email")
        assert "Ceramic mug" not in page.locator(".rb-log").inner_text()

        say(page, "ana@example.com")
        expect(last_bot(page)).to_contain_text("yes or no")
        expect(last_bot(page)).to_contain_text("Ceramic mug")

        page.get_by_label("Add a photo").set_input_files(jpeg(tmp_path))
        expect(page.locator(".rb-log")).to_contain_text("got your photo")
        expect(last_bot(page)).to_contain_text("photo is attached")
        assert site.desk.cases_for_order("1001") == []

        page.get_by_role("button", name="Yes, submit it").click()
        expect(page.locator(".rb-log")).to_contain_text(re.compile(r"RB-\d{6}"))
        views = site.desk.cases_for_order("1001")
        assert len(views) == 1
        view = views[0]
        assert (view.sku, view.reason, view.status) == ("MUG-1", "damaged", "awaiting_supplier")
        expect(page.locator(".rb-log")).to_contain_text(view.code)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "chat-return.png"), full_page=True)

        # the supplier approves: the label notice reaches the open chat by polling
        site.desk.supplier_action("acme", view.code, "approve", rma="RMA-5")
        link = page.get_by_role("link", name="Download return label (PDF)")
        expect(link).to_be_visible(timeout=12_000)
        href = link.get_attribute("href")
        assert href is not None
        response = page.request.get(href)
        assert response.status == 200 and response.body().startswith(b"%PDF")

        # the conversation survives a reload
        page.reload()
        page.get_by_role("button", name="Chat with us").click()
        expect(page.locator(".rb-log")).to_contain_text(view.code)
    finally:
        context.close()


def test_not_a_photo_is_refused_clearly(
    browser: sync_api.Browser, site: Site, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(site.url + "/")
        page.get_by_role("button", name="Chat with us").click()
        expect(last_bot(page)).to_contain_text("returns assistant")
        photo = jpeg(tmp_path)
        page.get_by_label("Add a photo").set_input_files(photo)  # before the chat knows who
        expect(page.locator(".rb-error")).to_contain_text("order number and the email")
        say(page, "order 1001, ana@example.com")
        expect(page.locator(".rb-log")).to_contain_text("Ceramic mug")  # the order is known
        fake = tmp_path / "notes.jpg"
        fake.write_text("not a picture")
        page.get_by_label("Add a photo").set_input_files(fake)
        expect(page.locator(".rb-error")).to_contain_text("not a photo we can read")
        assert "Traceback" not in page.content()
    finally:
        context.close()


def test_phone_width_quick_replies_and_no_sideways_scroll(
    browser: sync_api.Browser, site: Site
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(site.url + "/")
        page.get_by_role("button", name="Chat with us").click()
        say(page, "order 1002, ben@example.com")
        expect(last_bot(page)).to_contain_text("wrong with")
        page.get_by_role("button", name="Doesn't work / faulty").click()
        expect(last_bot(page)).to_contain_text("yes or no")
        page.get_by_role("button", name="No", exact=True).click()
        expect(last_bot(page)).to_contain_text("haven't submitted")
        assert site.desk.cases_for_order("1002") == []
        panel = page.locator(".rb-panel").bounding_box()
        assert panel is not None and panel["width"] <= 375
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= 375
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "chat-phone.png"))
    finally:
        context.close()
