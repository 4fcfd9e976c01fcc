"""The owner's rule form on /owner, driven in headless Debian chromium against the real app:
a typed rule shows its reading as a form, one part is changed and saved, and the draft waits
for the yes; a refused rule shows what was read and what is missing. Screenshots at desktop
and phone widths go to var/screenshots."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.web.app import create_app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.rulebook import Rulebook
from policies.loader import store_from_data
from tests.browser.serving import serving
from tests.browser.test_returns_page import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

sync_api = pytest.importorskip("playwright.sync_api")
sync_api.expect.set_options(timeout=20_000)
expect = sync_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]

NOW = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ReturnsDesk]]:
    from bot import settings

    folder: Path = tmp_path_factory.mktemp("owner-rule-form")
    store = store_from_data(
        {"name": "Test Goods Co.", "currency": "USD"},
        [{"id": "acme", "name": "Acme Home Goods", "country": "US"}],
    )
    desk = ReturnsDesk(f"sqlite:///{folder}/web.db", store, FrozenClock(NOW))
    saved = os.environ.pop("RETURNBRIDGE_OWNER_PASSWORD", None)  # loopback only, no password
    settings.get_settings.cache_clear()
    try:
        app = create_app(desk, "test-secret")
    finally:
        if saved is not None:
            os.environ["RETURNBRIDGE_OWNER_PASSWORD"] = saved
        settings.get_settings.cache_clear()
    try:
        with serving(app) as url:
            yield url, desk
    finally:
        desk.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _tab(browser: Browser, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


def _say(page: Page, url: str, text: str) -> None:
    page.goto(f"{url}/owner")
    page.locator("#text").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def _fits(page: Page) -> None:
    """Nothing of the form runs past the screen's right edge."""
    overflow = page.evaluate(
        "() => { const form = document.querySelector('#rule-form');"
        " return form.getBoundingClientRect().right - document.documentElement.clientWidth; }"
    )
    assert overflow <= 1


@pytest.mark.parametrize("width", [1280, 390])
def test_the_owner_fixes_an_amount_in_the_form_and_switches_the_rule_on(
    site: tuple[str, ReturnsDesk], browser: Browser, width: int
) -> None:
    url, desk = site
    page = _tab(browser, width)
    try:
        _say(page, url, "honestly, damaged stuff under 30 bucks - let them keep it")
        form = page.locator("#rule-form")
        expect(form).to_be_visible()
        expect(page.locator("#rule-form-canonical")).to_contain_text("under 30.00 USD")
        expect(page.locator("#rule-form-skipped")).to_contain_text("honestly")
        price = page.locator('input[name$="-value"][value="30.00"]')
        expect(price).to_have_count(1)
        expect(page.locator("#action-approve_without_return")).to_be_checked()
        _fits(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".rule-form").screenshot(
            path=str(SCREENSHOTS / f"owner-rule-form-{width}.png")
        )
        price.fill("25")
        page.get_by_role("button", name="Save this rule").click()
        expect(page.get_by_role("heading", name="Rule waiting for your yes")).to_be_visible()
        expect(page.locator("#draft-title + p")).to_contain_text("under 25.00 USD")
        page.get_by_role("button", name="Yes, switch it on").click()
        expect(page.locator("p.notice[role=status]")).to_contain_text("is on")
        active = Rulebook(desk).active()
        assert active and "under 25.00 USD" in active[-1].canonical_text
    finally:
        page.context.close()
        for rule in Rulebook(desk).active():
            Rulebook(desk).retire(rule.id or 0)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_refused_rule_shows_what_was_read_and_is_finished_in_the_form(
    site: tuple[str, ReturnsDesk], browser: Browser, width: int
) -> None:
    url, desk = site
    page = _tab(browser, width)
    try:
        _say(page, url, "clearance items under $10, refund without a return")
        expect(page.locator("#rule-form-problem")).to_contain_text("clearance")
        expect(page.locator('input[name="cond-0-value"]')).to_have_value("10.00")
        expect(page.locator("#action-approve_without_return")).to_be_checked()
        _fits(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".rule-form").screenshot(
            path=str(SCREENSHOTS / f"owner-rule-form-refused-{width}.png")
        )
        # the owner picks another action instead of the refund
        page.locator("#action-approve_without_return").uncheck()
        page.locator("#action-send_to_review").check()
        page.get_by_role("button", name="Save this rule").click()
        expect(page.locator("#draft-title + p")).to_contain_text(
            "under 10.00 USD: send it to the owner for review"
        )
        page.get_by_role("button", name="No, drop it").click()
        expect(page.locator("p.notice[role=status]")).to_contain_text("Dropped the draft")
        assert Rulebook(desk).pending() is None
    finally:
        page.context.close()
