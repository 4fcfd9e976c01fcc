"""The rule form on /owner: the reading of the owner's words as parts to fix and save.

A typed rule shows its reading pre-filled (moment, each condition, the actions, the
canonical sentence); the owner changes one part and saves; the saved rule is validated like
compiled words and waits for a yes. A refused rule shows the parts read and what is missing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.web.owner_rules import RuleForm, form_of, spec_of_form
from graph.desk import ReturnsDesk
from graph.rulebook import Rulebook
from language.rules.compiler import compile_rule
from tests.conftest import make_store
from tests.rules.test_web_owner import app_for, basic, token_of


def _client(desk: ReturnsDesk) -> TestClient:
    return TestClient(app_for(desk, "pw"), headers=basic("pw"))


def _say(client: TestClient, text: str) -> str:
    token = token_of(client.get("/owner").text)
    page = client.post("/owner/say", data={"token": token, "text": text})
    assert page.status_code == 200
    return page.text


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select id="[^"]*" name="{name}">(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return chosen.group(1) if chosen else ""


def _input(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert found, f"no input {name}"
    return found.group(1)


def _checked(html: str, name: str) -> bool:
    found = re.search(rf'<input type="checkbox"[^>]*name="{name}"[^>]*>', html)
    return bool(found and "checked" in found.group(0))


def _form(token: str, **fields: Any) -> dict[str, str]:
    data = {"token": token, "trigger": "case_assessed", "wait_hours": "", "rows": "0"}
    for key, value in fields.items():
        # cond_0_field is "cond-0-field"; action_send_to_review is "action-send_to_review"
        name = re.sub(r"^cond_(\d+)_", r"cond-\1-", key)
        data[re.sub(r"^(action|percent)_", r"\1-", name)] = str(value)
    return data


def test_a_typed_rule_is_shown_as_a_form_filled_from_its_reading(desk: ReturnsDesk) -> None:
    html = _say(_client(desk), "honestly, damaged stuff under 30 bucks - let them keep it")
    assert 'id="rule-form"' in html
    assert _selected(html, "trigger") == "case_assessed"
    fields = {_selected(html, "cond-0-field"), _selected(html, "cond-1-field")}
    assert fields == {"reason", "unit_price"}
    price_row = 0 if _selected(html, "cond-0-field") == "unit_price" else 1
    assert _selected(html, f"cond-{price_row}-op") == "lt"
    assert _input(html, f"cond-{price_row}-value") == "30.00"
    assert _checked(html, "action-approve_without_return")
    assert not _checked(html, "action-deny")
    assert "unit price is under 30.00 USD" in html
    assert "Words I skipped: honestly" in html


def test_changing_the_amount_in_the_form_drafts_that_rule_for_a_yes(desk: ReturnsDesk) -> None:
    client = _client(desk)
    html = _say(client, "Refund items under $30 without a return")
    assert Rulebook(desk).pending() is not None
    data = _form(
        token_of(html),
        rows=1,
        cond_0_field="unit_price",
        cond_0_op="lt",
        cond_0_value="25",
        action_approve_without_return=1,
    )
    page = client.post("/owner/rules/form", data=data)
    assert page.status_code == 200
    assert "unit price is under 25.00 USD" in page.text and "Yes, switch it on" in page.text
    pending = Rulebook(desk).pending()
    assert pending is not None and pending.conditions[0].amount == "25.00"  # type: ignore[union-attr]
    assert Rulebook(desk).active() == []
    confirmed = client.post("/owner/draft/confirm", data={"token": token_of(page.text)})
    assert "Rule 1 is on" in confirmed.text


def test_a_condition_is_removed_and_another_action_picked(desk: ReturnsDesk) -> None:
    client = _client(desk)
    html = _say(client, "Damaged items under $30: refund without a return")
    data = _form(
        token_of(html),
        rows=2,
        cond_0_field="reason",
        cond_0_op="in",
        cond_0_value="damaged",
        cond_0_remove=1,
        cond_1_field="unit_price",
        cond_1_op="lt",
        cond_1_value="30.00",
        action_send_to_review=1,
    )
    page = client.post("/owner/rules/form", data=data)
    assert "unit price is under 30.00 USD: send it to the owner for review" in page.text
    pending = Rulebook(desk).pending()
    assert pending is not None
    assert [condition.field for condition in pending.conditions] == ["unit_price"]
    assert [action.kind.value for action in pending.actions] == ["send_to_review"]


def test_a_condition_is_added_with_a_supplier_by_name(desk: ReturnsDesk) -> None:
    client = _client(desk)
    html = _say(client, "Ask for a photo")
    data = _form(
        token_of(html),
        rows=1,
        cond_0_field="supplier",
        cond_0_op="in",
        cond_0_value="Acme Home Goods",
        action_require_photo=1,
    )
    page = client.post("/owner/rules/form", data=data)
    assert "the supplier is Acme Home Goods: ask for a photo" in page.text
    pending = Rulebook(desk).pending()
    assert pending is not None and pending.conditions[0].values == ("acme",)  # type: ignore[union-attr]


def test_a_refused_rule_shows_what_was_read_and_what_is_missing(desk: ReturnsDesk) -> None:
    html = _say(_client(desk), "clearance items under $10, refund without a return")
    assert "couldn" in html and Rulebook(desk).pending() is None
    assert 'id="rule-form-problem"' in html and "clearance" in html
    assert _selected(html, "cond-0-field") == "unit_price"
    assert _input(html, "cond-0-value") == "10.00"
    assert _checked(html, "action-approve_without_return")


def test_a_decision_typed_on_the_page_shows_no_rule_form(desk: ReturnsDesk) -> None:
    html = _say(_client(desk), "approve 1001")
    assert 'id="rule-form"' not in html


def test_the_form_refuses_a_rule_the_words_would_refuse(desk: ReturnsDesk) -> None:
    client = _client(desk)
    token = token_of(client.get("/owner").text)
    # denying every return
    page = client.post("/owner/rules/form", data=_form(token, action_deny=1))
    assert "every return" in page.text and Rulebook(desk).pending() is None
    # a supplier the store does not know
    unknown = _form(
        token_of(page.text),
        rows=1,
        cond_0_field="supplier",
        cond_0_op="in",
        cond_0_value="Nobody Ltd",
        action_require_photo=1,
    )
    page = client.post("/owner/rules/form", data=unknown)
    assert "no supplier" in page.text and Rulebook(desk).pending() is None
    # an amount that is not one, and a field that does not exist
    for field_name, value in (("unit_price", "ten"), ("owner_mood", "1")):
        bad = _form(
            token_of(page.text),
            rows=1,
            cond_0_field=field_name,
            cond_0_op="lt",
            cond_0_value=value,
            action_send_to_review=1,
        )
        page = client.post("/owner/rules/form", data=bad)
        assert page.status_code == 200 and "couldn" in page.text
        assert Rulebook(desk).pending() is None
    # two actions that decide the same thing
    both = _form(
        token_of(page.text),
        rows=1,
        cond_0_field="unit_price",
        cond_0_op="lt",
        cond_0_value="10",
        action_deny=1,
        action_approve_without_return=1,
    )
    page = client.post("/owner/rules/form", data=both)
    assert "does not hold together" in page.text and Rulebook(desk).pending() is None


def test_the_form_needs_the_page_token(desk: ReturnsDesk) -> None:
    client = _client(desk)
    data = _form("forged", rows=1, cond_0_field="unit_price", cond_0_op="lt", cond_0_value="9")
    data["action-approve_without_return"] = "1"
    assert client.post("/owner/rules/form", data=data).status_code == 403
    del data["token"]
    assert client.post("/owner/rules/form", data=data).status_code == 403
    assert Rulebook(desk).pending() is None


def _posted(form: RuleForm) -> dict[str, str]:
    """What the browser posts for the form as it is shown, untouched."""
    data = {"trigger": form.trigger, "wait_hours": form.wait_hours, "message": form.message}
    rows = form.rows()
    data["rows"] = str(len(rows))
    for index, row in enumerate(rows):
        prefix = f"cond-{index}-"
        data |= {prefix + "field": row.field, prefix + "op": row.op, prefix + "value": row.value}
        data |= {prefix + "period": row.period, prefix + "days": row.days}
        if row.current:
            data[prefix + "current"] = "1"
    for kind, on in form.actions.items():
        if on:
            data[f"action-{kind}"] = "1"
    for kind, percent in form.percents.items():
        data[f"percent-{kind}"] = percent
    return data


@pytest.mark.parametrize(
    "text",
    [
        "If acme hasn't answered within 2 days, let me know",
        "If the supplier hasn't confirmed receipt within 7 days of delivery, refund anyway",
        "Flag returns from anyone with 2 or more previous returns in the last 60 days",
        "Customers with more than 3 returns this year need my approval",
        "Offer a 30% partial refund and let them keep the item for scratched items",
        "When the customer picks store credit, give an extra 10%",
        'Deny change of mind returns after 14 days with the message "Past our window"',
        "Require a photo for returns over $100 from customers outside Canada",
        "Overseas suppliers: refund without a return",
        "Returns of 5 or more units from financial suppliers need my approval",
        "Orders over $500 except from Acme need my approval",
    ],
)
def test_a_form_saved_as_shown_is_the_rule_that_was_read(text: str) -> None:
    store = make_store()
    spec = compile_rule(text, store)
    form = form_of(spec.trigger, spec.wait_hours, spec.conditions, spec.actions)
    assert spec_of_form(_posted(form), store) == spec
