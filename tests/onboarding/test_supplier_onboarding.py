"""Supplier onboarding: the owner's link, the supplier's terms form, the owner's confirmation
that writes the agreement file, the ledger's record, and the flag on the owner desk."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from bot.settings import get_settings
from bot.web import onboarding, owner
from bot.web.access import LOCAL_HOSTS, WebAccess
from bot.web.deps import page_templates
from bot.web.owner import OwnerDesk
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import decisions
from ledger.models import DecisionRow
from policies.agreement_files import agreement_yaml, write_agreement
from policies.loader import load_store
from policies.models import Reason, SupplierAgreement
from tools.supplier_onboarding import terms_hash

ACCESS = WebAccess(allowed_hosts=frozenset({"testserver", *LOCAL_HOSTS}))
GOOD_TERMS = {
    "name": "Acme Home Goods Inc.",
    "role": "logistical",
    "country": "us",
    "return_address": "Acme Returns, 12 Main St, Fresno, CA 93650, US",
    "phone": "+1 559 555 0101",
    "rma_required": "on",
    "restocking_fee_percent": "10",
    "return_window_days": "45",
    "return_shipping_paid_by": "supplier_if_fault",
    "photo_required_reasons": ["damaged", "defective"],
    "credit_due_days": "21",
    "contact_name": "Rita Returns",
    "contact_email": "returns@acme.example.com",
    "slack_channel": "C07ACMEH2",
    "accept": "on",
}


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "store"
    (folder / "suppliers").mkdir(parents=True)
    (folder / "policy.yaml").write_text("name: Test store\n", encoding="utf-8")
    (folder / "suppliers" / "acme.yaml").write_text(
        "id: acme\nname: Acme Home Goods\ncountry: US\nrma_required: true\n", encoding="utf-8"
    )
    monkeypatch.setenv("RETURNBRIDGE_STORE_DIR", str(folder))
    monkeypatch.setenv("RETURNBRIDGE_BASE_URL", "http://testserver")
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def web(desk: ReturnsDesk) -> TestClient:
    app = FastAPI()
    app.state.owner_desk = OwnerDesk.build(desk, "test-secret", password=None, access=ACCESS)
    for owner_pages in owner.ROUTERS:
        app.include_router(owner_pages)
    onboarding_pages(app, desk)
    app.include_router(onboarding.router)
    return TestClient(app, client=("127.0.0.1", 50000))


def owner_token(client: TestClient) -> str:
    found = re.search(r'name="token" value="([^"]+)"', client.get("/owner/suppliers").text)
    assert found
    return found.group(1)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def invite(client: TestClient, supplier: str = "acme") -> str:
    page = client.post(
        "/owner/suppliers/invite", data={"token": owner_token(client), "supplier": supplier}
    )
    found = re.search(r"http://testserver(/onboarding/[A-Za-z0-9_.\-]+)", page.text)
    assert found, page.text
    return found.group(1)


def flagged_row(page: str, supplier: str) -> bool:
    agreements = page[page.index('id="agreements-title"') :]
    row = re.search(
        rf'<tr([^>]*)>\s*<td[^>]*>[^<]*<small class="muted">\({supplier}\)</small>', agreements
    )
    assert row, page
    return "data-flagged" in row.group(1)


def test_the_supplier_fills_in_accepts_and_the_owner_confirms(
    desk: ReturnsDesk, store_dir: Path
) -> None:
    client = web(desk)
    assert flagged_row(client.get("/owner/suppliers").text, "acme")  # on file, never accepted
    link = invite(client)
    form = client.get(link)
    assert form.status_code == 200 and 'name="return_address"' in form.text

    bad = {**GOOD_TERMS, "country": "USA", "restocking_fee_percent": "150", "contact_email": "x"}
    bad.pop("accept")
    refused = client.post(link, data={**bad, "csrf": csrf_of(form.text)})
    assert refused.status_code == 422
    for field in ("country", "restocking_fee_percent", "contact_email", "accept"):
        assert f'id="problem-{field}"' in refused.text, field
    assert "ISO 3166" in refused.text and 'value="USA"' in refused.text  # kept, explained

    forged = client.post(link, data={**GOOD_TERMS, "csrf": "forged"})
    assert forged.status_code == 403
    other_site = client.post(
        link,
        data={**GOOD_TERMS, "csrf": csrf_of(form.text)},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert other_site.status_code == 403

    sent = client.post(link, data={**GOOD_TERMS, "csrf": csrf_of(form.text)})
    assert sent.status_code == 200 and "sent to the store" in sent.text
    used = client.get(link)
    assert used.status_code == 410 and "has been used" in used.text
    again = client.post(link, data={**GOOD_TERMS, "csrf": csrf_of(form.text)})
    assert again.status_code == 410

    # Not written before the owner confirms; the owner desk shows the terms and a button.
    assert "Acme Home Goods Inc." not in (store_dir / "suppliers" / "acme.yaml").read_text()
    page = client.get("/owner/suppliers").text
    assert flagged_row(page, "acme") and "/owner/suppliers/acme/confirm" in page
    assert "returns@acme.example.com" in page

    done = client.post("/owner/suppliers/acme/confirm", data={"token": owner_token(client)})
    assert "confirmed and written" in done.text
    assert not flagged_row(done.text, "acme")

    agreement = load_store(store_dir).suppliers["acme"]
    assert agreement == desk.store.suppliers["acme"]  # this desk uses it at once
    assert agreement.country == "US" and agreement.restocking_fee_percent == 10
    assert agreement.photo_required_reasons == (Reason.DAMAGED, Reason.DEFECTIVE)
    assert agreement.return_shipping_paid_by == "supplier_if_fault"
    assert agreement.credit_due_days == 21 and agreement.rma_required
    backups = list((store_dir / "suppliers" / "backups").glob("acme-*.yaml"))
    assert len(backups) == 1 and "Acme Home Goods\n" in backups[0].read_text()

    with desk.session() as session:
        rows = session.execute(
            select(DecisionRow).where(DecisionRow.action.like("agreement_%"))
        ).scalars()
        by_action = {row.action: row for row in rows}
        assert decisions.verify(session).ok
    accepted = by_action["agreement_accepted"]
    assert accepted.actor == "supplier:acme" and accepted.case_code is None
    data = json.loads(accepted.data)
    assert data["terms_hash"] == terms_hash(data["terms"])
    assert by_action["agreement_confirmed"].actor == "owner"
    assert json.loads(by_action["agreement_confirmed"].data)["terms_hash"] == data["terms_hash"]
    assert by_action["agreement_invited"].actor == "owner"

    twice = client.post("/owner/suppliers/acme/confirm", data={"token": owner_token(client)})
    assert "confirmed already" in twice.text

    # The file edited by hand afterwards (and loaded): no longer what the supplier accepted.
    edited = agreement.model_copy(update={"restocking_fee_percent": 25})
    desk.store = desk.store.model_copy(
        update={"suppliers": {**desk.store.suppliers, "acme": edited}}
    )
    page = client.get("/owner/suppliers").text
    assert flagged_row(page, "acme") and "changed since the supplier accepted" in page


def test_an_expired_or_replaced_link_says_so(
    desk: ReturnsDesk, store_dir: Path, clock: FrozenClock
) -> None:
    client = web(desk)
    first = invite(client, "credit-co")
    second = invite(client, "credit-co")
    replaced = client.get(first)
    assert replaced.status_code == 410 and "replaced by a newer one" in replaced.text
    clock.advance(dt.timedelta(days=get_settings().onboarding_link_days, seconds=1))
    expired = client.get(second)
    assert expired.status_code == 410 and "expired" in expired.text
    assert client.get("/onboarding/not-a-link").status_code == 404
    tampered = second[:-2] + ("AA" if not second.endswith("AA") else "BB")
    assert client.get(tampered).status_code == 404


def test_a_new_supplier_is_flagged_until_it_is_accepted(desk: ReturnsDesk, store_dir: Path) -> None:
    client = web(desk)
    link = invite(client, "northwind-ceramics")
    page = client.get("/owner/suppliers").text
    assert flagged_row(page, "northwind-ceramics") and "waiting for the supplier" in page
    form = client.get(link)
    terms = {**GOOD_TERMS, "name": "Northwind Ceramics", "slack_channel": ""}
    assert client.post(link, data={**terms, "csrf": csrf_of(form.text)}).status_code == 200
    client.post("/owner/suppliers/northwind-ceramics/confirm", data={"token": owner_token(client)})
    written = load_store(store_dir).suppliers["northwind-ceramics"]
    assert written.name == "Northwind Ceramics" and written.slack_channel is None
    assert not (store_dir / "suppliers" / "backups").exists()  # nothing replaced


def test_the_file_reads_back_as_the_same_agreement(tmp_path: Path) -> None:
    agreement = SupplierAgreement.model_validate(
        {
            "id": "rheinhaus",
            "name": "Rheinhaus Wohnen GmbH: Retouren",
            "country": "de",
            "return_address": "Industriestraße 14\n50735 Köln, DE",
            "rma_required": True,
            "restocking_fee_percent": 5,
            "photo_required_reasons": ["wrong_item"],
            "return_shipping_paid_by": "store",
            "contact_email": "retouren@rheinhaus.example.org",
        }
    )
    now = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    (tmp_path / "policy.yaml").write_text("{}\n", encoding="utf-8")
    assert write_agreement(tmp_path, agreement, now, note="first") is None
    assert load_store(tmp_path).suppliers["rheinhaus"] == agreement
    changed = agreement.model_copy(update={"restocking_fee_percent": 0})
    backup = write_agreement(tmp_path, changed, now + dt.timedelta(seconds=1))
    assert backup is not None and "restocking_fee_percent: 5" in backup.read_text()
    assert load_store(tmp_path).suppliers["rheinhaus"] == changed
    leftovers = [p.name for p in (tmp_path / "suppliers").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert yaml.safe_load(agreement_yaml(agreement))["country"] == "DE"


def test_the_command_line_invites_lists_and_confirms(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.cli.main import app

    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("RETURNBRIDGE_SECRET_KEY", "test-secret")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    listed = runner.invoke(app, ["suppliers", "list"])
    assert listed.exit_code == 0, listed.output
    assert re.search(r"^! acme .*not accepted by the supplier", listed.output, re.M)
    invited = runner.invoke(app, ["suppliers", "invite", "acme"])
    assert invited.exit_code == 0, invited.output
    link = re.search(r"http://testserver(/onboarding/\S+)", invited.output)
    assert link
    refused = runner.invoke(app, ["suppliers", "confirm", "acme"])
    assert refused.exit_code == 1 and "No terms from acme" in refused.output

    from bot.composition import desk_from_settings

    cli_desk = desk_from_settings(get_settings())
    try:
        client = TestClient(supplier_onboarding_router_app(cli_desk), client=("127.0.0.1", 50000))
        form = client.get(link.group(1))
        sent = client.post(link.group(1), data={**GOOD_TERMS, "csrf": csrf_of(form.text)})
        assert sent.status_code == 200, sent.text
    finally:
        cli_desk.close()
    confirmed = runner.invoke(app, ["suppliers", "confirm", "acme"])
    assert confirmed.exit_code == 0 and "confirmed and written" in confirmed.output
    listed = runner.invoke(app, ["suppliers", "list"])
    assert re.search(r"^  acme .*agreement accepted", listed.output, re.M), listed.output
    assert runner.invoke(app, ["suppliers", "invite", "Not An Id!"]).exit_code == 2


def supplier_onboarding_router_app(desk: ReturnsDesk) -> FastAPI:
    app = FastAPI()
    onboarding_pages(app, desk)
    app.include_router(onboarding.router)
    return app


def onboarding_pages(app: FastAPI, desk: ReturnsDesk) -> None:
    app.state.desk, app.state.templates = desk, page_templates()
    app.state.onboarding_pages = onboarding.OnboardingPages.build("test-secret", access=ACCESS)


def test_a_vendor_without_an_agreement_is_flagged(desk: ReturnsDesk, store_dir: Path) -> None:
    from ledger.repository import import_orders
    from policies.loader import orders_from_data

    order = {
        "number": "5001",
        "email": "cy@example.com",
        "placed_at": "2026-03-01T10:00:00Z",
        "items": [{"sku": "BLK-1", "name": "Blanket", "price": "40.00", "vendor": "Snuggletime"}],
    }
    with desk.session() as session:
        import_orders(
            session, orders_from_data([order], "test", desk.store), desk.store.policy.currency
        )
    page = web(desk).get("/owner/suppliers").text
    assert flagged_row(page, "Snuggletime") and "no supplier agreement" in page
