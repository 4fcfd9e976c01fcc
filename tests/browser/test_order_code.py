"""The returns page's "don't know your order number?" path, in headless chromium."""

from __future__ import annotations

import pytest

from ledger import outbox
from tests.browser.test_returns_page import (  # noqa: F401  (fixtures)
    CHROMIUM,
    Site,
    browser,
    expect,
    page,
    site,
    sync_api,
)
from tools import one_time_codes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]


def code_sent_to(where: Site, address: str) -> str:
    with where.desk.session() as session:
        rows = [
            row
            for row in outbox.messages(session)
            if row.kind == one_time_codes.KIND and row.recipient == address
        ]
    return next(word for word in rows[-1].text.replace(".", " ").split() if word.isdigit())


def test_a_code_lists_the_orders_and_picking_one_finds_it(
    page: sync_api.Page,  # noqa: F811
    site: Site,  # noqa: F811
) -> None:
    page.goto(f"{site.url}/returns")
    page.get_by_text("Don't know your order number?").click()
    page.get_by_label("The e-mail you ordered with").fill("ben@example.com")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("#code-sent")).to_contain_text("6-digit code")
    expect(page.locator("#code-orders")).to_be_hidden()
    page.get_by_label("6-digit code").fill(
        "000000" if code_sent_to(site, "ben@example.com") != "000000" else "111111"
    )
    page.get_by_role("button", name="Show my orders").click()
    expect(page.locator("#code-error")).to_contain_text("not right")
    page.get_by_label("6-digit code").fill(code_sent_to(site, "ben@example.com"))
    page.get_by_role("button", name="Show my orders").click()
    pick = page.get_by_role("button", name="Order 1002")
    expect(pick).to_contain_text("Desk lamp")
    pick.click()
    expect(page.locator("#step-request")).to_be_visible()
    expect(page.locator("#request-greeting")).to_contain_text("1002")
