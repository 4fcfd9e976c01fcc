"""The owner's answers reach the customer in the widget and the supplier on its page; the
widget closes on Escape, follows the newest message and takes the store's colours, also when
embedded on the store's own site. Headless Debian chromium against the real app."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn

from bot.web.app import create_app
from bot.web.supplier import InboxLinks
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.owner_inbox import open_inbox
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data
from tools.accept_photo import sample_jpeg
from tools.open_case import ReturnRequest

sync_api = pytest.importorskip("playwright.sync_api")
sync_api.expect.set_options(timeout=20_000)
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
NOW = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)
SECRET = "test-secret"
POLL_WAIT_MS = 15_000  # the widget polls every 5 s
WIDTHS = {"desktop": 1280, "phone": 390}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]


def order(number: str, email: str, name: str, sku: str, item: str, price: str) -> dict[str, object]:
    return {
        "number": number,
        "email": email,
        "customer_name": name,
        "country": "US",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [{"sku": sku, "name": item, "price": price, "supplier": "acme"}],
    }


ORDERS = [
    order("2001", "ana@example.com", "Ana Silva", "MUG-1", "Ceramic mug", "24.00"),
    order("2002", "ben@example.com", "Ben Okafor", "LAMP-1", "Desk lamp", "60.00"),
    order("2003", "cy@example.com", "Cy Park", "VASE-1", "Glass vase", "40.00"),
    order("2004", "di@example.com", "Di Long", "KETTLE-1", "Glass kettle", "45.00"),
]


@dataclass
class Site:
    url: str
    desk: ReturnsDesk
    shop: str  # the store's own site: another origin (port) than the desk's


def store_site(desk_url: str) -> ThreadingHTTPServer:
    """The store's own shop pages on another port (another origin) of this machine: a real
    server, since a browser lets only loopback pages call a loopback server. "/" embeds the
    widget in a colour of its own; "/bad" with a colour that is not one."""

    def page(colour: str) -> bytes:
        return (
            "<!doctype html><html lang=en><head><title>Shop</title></head><body>"
            "<h1>Cy's favourite shop</h1>"
            f'<script src="{desk_url}/widget.js" data-colour="{colour}" defer></script>'
            "</body></html>"
        ).encode()

    pages = {"/": page("#7a1fa2"), "/bad": page("red;background:url(https://evil.example/x)")}

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("pages")
    store = store_from_data(
        {"name": "Test Goods Co.", "brand_colour": "#0b6e4f"},
        [
            {
                "id": "acme",
                "name": "Acme Home Goods",
                "country": "US",
                "return_address": "Acme Returns, 10 Main St, Fresno, CA 93650, US",
            }
        ],
    )
    desk = ReturnsDesk(f"sqlite:///{folder}/web.db", store, FrozenClock(NOW))
    with desk.session() as s:
        import_orders(s, orders_from_data(ORDERS, "test", store), store.policy.currency)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    shop_server = store_site(f"http://127.0.0.1:{port}")
    shop = f"http://127.0.0.1:{shop_server.server_port}"
    app = create_app(desk, SECRET, chat_origins=shop)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Site(url=f"http://127.0.0.1:{port}", desk=desk, shop=shop)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        shop_server.shutdown()
        shop_server.server_close()
        desk.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: sync_api.Browser) -> Iterator[sync_api.BrowserContext]:
    ctx = browser.new_context(viewport={"width": WIDTHS["desktop"], "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def say(page: sync_api.Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".rb-typing")).to_have_text("")


def owner_replies(page: sync_api.Page, site: Site, party: str, order: str, text: str) -> None:
    """The owner answers the open inbox item as the desk's reply form does: the page's form
    token and cookie, posted to /owner/inbox/{id}/reply."""
    item = next(
        item
        for item in open_inbox(site.desk)
        if item.party == party and (item.order or "").lstrip("#") == order
    )
    desk_page = page.context.new_page()
    try:
        desk_page.goto(f"{site.url}/owner")
        token = desk_page.locator('input[name="token"]').first.get_attribute("value")
        assert token
        response = desk_page.request.post(
            f"{site.url}/owner/inbox/{item.id}/reply", form={"token": token, "text": text}
        )
        assert response.status == 200, response.text()
    finally:
        desk_page.close()
    assert all(other.id != item.id for other in open_inbox(site.desk))  # the item closed


def shoot(page: sync_api.Page, name: str, *, full_page: bool = False) -> None:
    """Screenshots at desktop and phone width; no sideways scrolling on either."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 900 if width > 600 else 844})
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= width
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=full_page)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def test_a_customer_handed_over_reads_the_owners_answer_in_the_widget(
    context: sync_api.BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto(site.url + "/")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".rb-bot").last).to_contain_text("returns assistant")
    say(page, "order 2001, ana@example.com")
    expect(page.locator(".rb-log")).to_contain_text("Ceramic mug")
    say(page, "I'd rather speak to a person about the mug please")
    expect(page.locator(".rb-log")).to_contain_text("person from the store")

    answer = "Hi Ana, this is the owner: keep the mug, a new one is on its way."
    owner_replies(page, site, "customer", "2001", answer)
    expect(page.locator(".rb-log")).to_contain_text(answer, timeout=POLL_WAIT_MS)
    # the newest message is in view: the log is scrolled to its end
    at_end = page.evaluate(
        "(() => { const l = document.querySelector('.rb-log');"
        " return l.scrollHeight - l.scrollTop - l.clientHeight < 4; })()"
    )
    assert at_end
    shoot(page, "widget-owner-answer")


def test_a_supplier_question_answered_by_the_owner_is_read_on_the_supplier_page(
    context: sync_api.BrowserContext, site: Site
) -> None:
    request = {"order": "2002", "email": "ben@example.com", "sku": "LAMP-1", "reason": "damaged"}
    code = site.desk.submit_return(
        ReturnRequest.model_validate(request), photo=sample_jpeg("dent")
    ).code
    assert site.desk.case_view(code).status == "awaiting_supplier"
    # an earlier return of the same supplier, finished: its history on the page
    earlier = {"order": "2004", "email": "di@example.com", "sku": "KETTLE-1"}
    done = site.desk.submit_return(ReturnRequest.model_validate(earlier | {"reason": "wrong_size"}))
    site.desk.supplier_action("acme", done.code, "approve")
    site.desk.carrier_event(done.code, "delivered")
    site.desk.supplier_action("acme", done.code, "inspected_ok")
    page = context.new_page()
    link = f"{site.url}/supplier/{InboxLinks(SECRET).token('acme')}"
    page.goto(link)
    case = page.locator(f"#case-{code}")
    expect(case.get_by_role("button", name="Approve the return")).to_be_visible()
    photo = case.get_by_role("img", name=f"Customer's photo 1 of {code}")
    expect(photo).to_be_visible()
    assert page.evaluate("img => img.naturalWidth > 0", photo.element_handle())

    case.get_by_text("Ask the store, or answer in your own words").click()
    case.get_by_label("Ask the store a question").fill("Is the dent on the base or the shade?")
    case.get_by_role("button", name="Ask a question").click()
    expect(page.locator("#said")).to_contain_text("store")

    answer = "On the shade, see the photo; please approve and we will send it back."
    owner_replies(page, site, "supplier", "2002", answer)
    page.goto(link)
    expect(page.locator(f"#case-{code} .thread")).to_contain_text(answer)
    history = page.locator(".supplier-history")
    expect(history.locator("tr", has_text=done.code)).to_contain_text("refunded")
    shoot(page, "supplier-page", full_page=True)


def test_escape_closes_the_widget_and_gives_the_focus_back(
    context: sync_api.BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto(site.url + "/")
    launcher = page.get_by_role("button", name="Chat with us")
    launcher.click()
    panel = page.get_by_role("dialog", name="Returns chat")
    expect(panel).to_be_visible()
    expect(page.get_by_label("Your message")).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_visible()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    # the store's colour from the policy
    colour = launcher.evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(11, 110, 79)"


def test_the_widget_works_embedded_on_the_stores_own_site(
    context: sync_api.BrowserContext, site: Site
) -> None:
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "CORS" in m.text else None)
    page.goto(f"{site.shop}/")
    launcher = page.get_by_role("button", name="Chat with us")
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(122, 31, 162)"
    launcher.click()
    expect(page.locator(".rb-bot").last).to_contain_text("returns assistant")
    say(page, "order 2003, cy@example.com")
    expect(page.locator(".rb-log")).to_contain_text("Glass vase")
    assert refused == []
    shoot(page, "widget-embedded")

    # a tag whose colour is not a plain hex colour keeps the store's own
    other = context.new_page()
    other.goto(f"{site.shop}/bad")
    button = other.get_by_role("button", name="Chat with us")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 110, 79)"
