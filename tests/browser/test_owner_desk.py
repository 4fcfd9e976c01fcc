"""The owner's back office, driven in headless Debian chromium against the real app: the
navigation, a case found by search and its timeline, a supplier credit recorded, the
scorecard; at desktop and phone width, with screenshots to look at (var/screenshots)."""

from __future__ import annotations

import datetime as dt
import io
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
from tools.open_case import ReturnRequest

sync_api = pytest.importorskip("playwright.sync_api")
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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]

NOW = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)


def order(number: str, email: str, *items: dict[str, object]) -> dict[str, object]:
    return {
        "number": number,
        "email": email,
        "customer_name": email.split("@")[0].title(),
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": list(items),
    }


def item(sku: str, name: str, price: str, supplier: str, **extra: object) -> dict[str, object]:
    return {"sku": sku, "name": name, "price": price, "supplier": supplier, **extra}


ORDERS = [
    order("1001", "ana@example.com", item("MUG-1", "Ceramic mug", "24.00", "acme", quantity=2)),
    order("1002", "ben@example.com", item("LAMP-1", "Desk lamp", "60.00", "credit-co")),
    order(
        "1003",
        "cy.with.a.rather.long.address@example.com",
        item(
            "BLENDER-PRO-XL-2000-STAINLESS",
            "Professional countertop blender with stainless steel jug, extra long name",
            "129.99",
            "credit-co",
            quantity=3,
        ),
    ),
    order("1004", "dee@example.com", item("KETTLE-1", "Glass kettle", "45.00", "acme")),
]


@dataclass
class Site:
    url: str
    desk: ReturnsDesk
    codes: dict[str, str]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 90, 40)).save(out, format="JPEG")
    return out.getvalue()


def returns(desk: ReturnsDesk, clock: FrozenClock) -> dict[str, str]:
    def ask(number: str, email: str, sku: str, reason: str, **extra: object) -> str:
        request = ReturnRequest(order=number, email=email, sku=sku, reason=reason, **extra)  # type: ignore[arg-type]
        return desk.submit_return(request).code

    codes = {}
    codes["lamp"] = ask("1002", "ben@example.com", "LAMP-1", "defective", note="stopped working")
    desk.add_photo(codes["lamp"], jpeg(), description="the lamp does not light")
    desk.supplier_action("credit-co", codes["lamp"], "approve")  # refunded; credit-co owes 60.00
    clock.advance(dt.timedelta(hours=3))
    codes["blender"] = ask(
        "1003",
        "cy.with.a.rather.long.address@example.com",
        "BLENDER-PRO-XL-2000-STAINLESS",
        "wrong_size",
        quantity=2,
        note="too big for my counter",
    )
    desk.supplier_action("credit-co", codes["blender"], "decline", note="opened and used")
    clock.advance(dt.timedelta(hours=2))
    codes["mug"] = ask("1001", "ana@example.com", "MUG-1", "damaged", note="arrived cracked")
    desk.add_photo(codes["mug"], jpeg(), description="crack on the handle")
    desk.supplier_question("acme", codes["mug"], "Was the box damaged too?")
    return codes


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("owner-desk")
    store = store_from_data(
        {"name": "Test Goods Co.", "currency": "USD", "return_window_days": 30},
        [
            {
                "id": "acme",
                "name": "Acme Home Goods",
                "country": "US",
                "return_address": "Acme Returns, 10 Main St, Fresno, CA 93650, US",
                "rma_required": True,
            },
            {"id": "credit-co", "name": "Credit Co", "role": "financial", "country": "US"},
        ],
    )
    clock = FrozenClock(NOW)
    desk = ReturnsDesk(f"sqlite:///{folder}/web.db", store, clock)
    with desk.session() as s:
        import_orders(s, orders_from_data(ORDERS, "test", store), store.policy.currency)
    codes = returns(desk, clock)
    app = create_app(desk, "test-secret")

    try:
        with serving(app) as url:
            yield Site(url=url, desk=desk, codes=codes)
    finally:
        desk.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def tab(browser: sync_api.Browser, width: int) -> sync_api.Page:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


def shot(page: sync_api.Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"owner-{name}.png"), full_page=True)


def fits_the_screen(page: sync_api.Page) -> None:
    """Nothing makes the whole page scroll sideways: wide tables scroll in their own box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                     && !e.closest('.table-wrap'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))"""
    )
    assert width <= inner, f"the page is {width}px wide in a {inner}px window: {wide}"


def headers_break_between_words(page: sync_api.Page) -> None:
    """Every column header is at least as wide as its longest word: headers may wrap between
    words, never inside one (the old page broke them letter by letter)."""
    narrow = page.eval_on_selector_all(
        "table.desk-table thead th",
        """cells => cells.filter(c => c.offsetParent !== null).filter(c => {
            const probe = document.createElement('span');
            probe.style.whiteSpace = 'nowrap';
            c.appendChild(probe);
            let longest = 0;
            for (const word of c.textContent.trim().split(/\\s+/)) {
                probe.textContent = word;
                longest = Math.max(longest, probe.getBoundingClientRect().width);
            }
            probe.remove();
            const style = getComputedStyle(c);
            const room = c.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            return room + 2 < longest;
        }).map(c => c.textContent)""",
    )
    assert narrow == [], f"headers narrower than a word: {narrow}"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_back_office_finds_a_case_and_tells_its_story(
    browser: sync_api.Browser, site: Site, width: int
) -> None:
    page = tab(browser, width)
    try:
        page.goto(f"{site.url}/owner")
        nav = page.get_by_role("navigation", name="Owner desk")
        expect(nav.get_by_role("link", name="Inbox")).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("heading", name="Inbox (2)")).to_be_visible()
        expect(page.get_by_text("Was the box damaged too?")).to_be_visible()
        fits_the_screen(page)
        shot(page, f"inbox-{width}")

        nav.get_by_role("link", name="Cases").click()
        expect(page.get_by_role("heading", name="Cases", exact=True)).to_be_visible()
        expect(page.locator("table.cases-table tbody tr")).to_have_count(3)
        headers_break_between_words(page)
        fits_the_screen(page)
        shot(page, f"cases-{width}")

        page.get_by_role("searchbox", name="Search").fill("1003")
        page.get_by_role("button", name="Search").click()
        rows = page.locator("table.cases-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("the owner")
        rows.first.get_by_role("link", name=site.codes["blender"]).click()

        expect(page.get_by_role("heading", name=f"Return {site.codes['blender']}")).to_be_visible()
        timeline = page.locator("ol.timeline")
        expect(timeline).to_contain_text("Supplier Credit Co declined the return")
        expect(timeline).to_contain_text("opened and used")
        expect(timeline).to_contain_text("asked to return 2 x BLENDER-PRO-XL-2000-STAINLESS")
        expect(page.get_by_role("button", name="Refund anyway")).to_be_visible()
        expect(page.locator(".messages")).to_contain_text("to the supplier Credit Co")
        fits_the_screen(page)
        shot(page, f"case-{width}")
        note = f"Phoned the customer ({width})"
        page.get_by_label("Add a note (kept in the ledger)").fill(note)
        page.get_by_role("button", name="Add note").click()
        expect(page.get_by_role("status")).to_contain_text("Note added")
        expect(page.locator("ol.timeline li").last).to_contain_text(f"You added a note{note}")

        page.goto(f"{site.url}/owner/cases/{site.codes['mug']}")
        photo = page.locator(".photos img").first
        expect(photo).to_be_visible()
        assert page.evaluate("img => img.naturalWidth", photo.element_handle()) == 120
        fits_the_screen(page)
        shot(page, f"case-photo-{width}")

        for section in ("Products", "Rules"):
            page.get_by_role("navigation", name="Owner desk").get_by_role(
                "link", name=section
            ).click()
            expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
            fits_the_screen(page)
            shot(page, f"{section.lower()}-{width}")
    finally:
        page.context.close()


def test_a_supplier_credit_is_recorded_and_the_scorecard_shows_it(
    browser: sync_api.Browser, site: Site
) -> None:
    page = tab(browser, 1280)
    try:
        page.goto(f"{site.url}/owner/suppliers")
        card = page.locator(
            "section[aria-labelledby=scorecard-title] table.desk-table tbody tr",
            has_text="Credit Co",
        )
        expect(card).to_contain_text("60.00 USD")
        headers_break_between_words(page)
        page.get_by_label("Supplier", exact=True).first.select_option("credit-co")
        page.get_by_label("Amount (USD)").fill("25.00")
        page.get_by_label("Credit note or payment reference").fill("CN-2026-7")
        page.get_by_role("button", name="Record credit").click()
        expect(page.get_by_role("status")).to_contain_text("still owes 35.00 USD")
        card = page.locator(
            "section[aria-labelledby=scorecard-title] table.desk-table tbody tr",
            has_text="Credit Co",
        )
        expect(card.locator("td.num").nth(5)).to_have_text("25.00 USD")  # received
        expect(card.locator("td.num").nth(4)).to_have_text("35.00 USD")  # still owed
        expect(card.get_by_role("link", name="PDF")).to_have_attribute(
            "href", "/owner/suppliers/credit-co/statement.pdf"
        )
        shot(page, "suppliers-1280")
        phone = tab(browser, 390)
        try:
            phone.goto(f"{site.url}/owner/suppliers")
            fits_the_screen(phone)
            shot(phone, "suppliers-390")
        finally:
            phone.context.close()
    finally:
        page.context.close()
