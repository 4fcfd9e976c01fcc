"""What the acceptance scenarios found, pinned as unit tests: a supplier's inspection before
the carrier's delivery scan, supplier phrasings of busy people, the runner's format errors
with their lines, and the `--json` output of `scenario run`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.scenarios.runner import run_scenario
from graph.desk import ReturnsDesk
from language.supplier.reader import read_supplier_reply
from tools.accept_photo import sample_jpeg
from tools.errors import ActionRefused
from tools.open_case import ReturnRequest

# -- the engine ------------------------------------------------------------------------------


def _labelled_case(desk: ReturnsDesk) -> str:
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged"),
        photo=sample_jpeg("crack"),
    )
    desk.supplier_action("acme", view.code, "approve", rma="RMA-9")
    assert desk.case_view(view.code).status == "awaiting_shipment"
    return view.code


@pytest.mark.parametrize("scanned", [False, True])
def test_an_inspection_before_the_delivery_scan_settles_the_case(
    desk: ReturnsDesk, scanned: bool
) -> None:
    code = _labelled_case(desk)
    if scanned:
        desk.carrier_event(code, "in_transit")
    desk.supplier_action("acme", code, "inspected_ok")
    view = desk.case_view(code)
    assert (view.status, view.refunded, view.supplier_credit) == ("resolved", "24.00", "24.00")
    # the late delivery scan changes nothing and pays nothing twice
    with pytest.raises(ActionRefused):
        desk.carrier_event(code, "delivered")
    assert desk.case_view(code).refunded == "24.00"


def test_a_problem_reported_before_the_delivery_scan_goes_to_review(desk: ReturnsDesk) -> None:
    code = _labelled_case(desk)
    desk.carrier_event(code, "in_transit")
    desk.supplier_action("acme", code, "inspected_failed", note="box arrived empty")
    view = desk.case_view(code)
    assert (view.status, view.refunded) == ("pending_review", "0.00")


def test_an_inspection_before_the_supplier_approved_is_still_refused(desk: ReturnsDesk) -> None:
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged"),
        photo=sample_jpeg("crack"),
    )
    with pytest.raises(ActionRefused):
        desk.supplier_action("acme", view.code, "inspected_ok")
    assert desk.case_view(view.code).status == "awaiting_supplier"


# -- supplier words --------------------------------------------------------------------------

INSPECTION = [
    ("got both back, tested them, they're faulty like the customer said. all good", "inspected_ok"),
    ("received, all in order", "inspected_ok"),
    ("Lamp is back. Shade was dented, confirmed. ok to credit", "inspected_ok"),
    ("Received. Looks brand new, unused.", "inspected_ok"),
    ("no leaks, works fine", "inspected_ok"),
    ("broken as reported", "inspected_ok"),
    ("arrived dented, not as the customer said - they dropped it", "inspected_failed"),
    ("shade is dented", "inspected_failed"),
    ("there's a huge crack that wasn't there when we shipped", "inspected_failed"),
    ("leaking from the base", "inspected_failed"),
]
AUTHORISATION = [
    ("no credit on this one, customer already used it per our records", "decline"),
    ("we won't credit this one", "decline"),
    ("fine, we'll credit you for it", "approve"),
    ("we will issue a credit", "approve"),
    ("apologies, missed this. credit approved", "approve"),
]


@pytest.mark.parametrize(("text", "intent"), INSPECTION)
def test_inspection_words(text: str, intent: str) -> None:
    assert read_supplier_reply(text, "inspection").intent == intent


@pytest.mark.parametrize(("text", "intent"), AUTHORISATION)
def test_authorisation_words(text: str, intent: str) -> None:
    assert read_supplier_reply(text, "authorisation").intent == intent


# Before an inspection was asked for, only words about the goods being back inspect.
BEFORE_INSPECTION = [
    ("great, all good", "unclear"),
    ("all good thanks", "unclear"),
    ("looks good", "unclear"),
    ("received your message, all good", "unclear"),
    ("got the label, all good", "unclear"),
    ("got it back, all good", "inspected_ok"),
    ("received, all in order", "inspected_ok"),
    ("tested it, works perfectly", "inspected_ok"),
    ("it's back with us, heavily scratched", "inspected_failed"),
    ("delivered today, box empty", "inspected_failed"),
    ("got it back, all fine", "inspected_ok"),
    ("parcel arrived, all fine", "inspected_ok"),
    ("arrived, will inspect tomorrow", "unclear"),
    ("received your message, ok", "approve"),
]


@pytest.mark.parametrize(("text", "intent"), BEFORE_INSPECTION)
def test_before_the_inspection_request_only_receipt_words_inspect(text: str, intent: str) -> None:
    assert read_supplier_reply(text, "any").intent == intent


def test_all_good_after_the_approval_does_not_refund(desk: ReturnsDesk) -> None:
    from graph.supplier_answers import SupplierSource, answer_text

    code = _labelled_case(desk)
    who = SupplierSource(supplier_id="acme", event_key="test:ack", source="inbox")
    answer = answer_text(desk, code, who, "great, all good, thanks")
    assert not answer.acted
    view = desk.case_view(code)
    assert (view.status, view.refunded) == ("awaiting_shipment", "0.00")


# -- the runner ------------------------------------------------------------------------------

STORY = """\
name: {name}
now: 2026-03-10T12:00:00Z
suppliers:
  - id: acme
    role: {role}
    country: US
    return_address: "Acme Returns, 10 Main St, Fresno, CA 93650, US"
orders:
  - number: "1001"
    email: ana@example.com
    placed_at: 2026-03-01T10:00:00Z
    delivered_at: 2026-03-05T10:00:00Z
    items:
      - {{sku: MUG-1, name: Ceramic mug, price: "24.00", supplier: acme}}
      - {{sku: CUP-1, name: Cup, price: "{price}", supplier: {supplier}}}
steps:
  - {step}
"""


def _story(
    tmp_path: Path,
    *,
    name: str = "story",
    role: str = "logistical",
    price: str = "9.00",
    supplier: str = "acme",
    step: str = "advance: 1d",
) -> Path:
    path = tmp_path / f"{name}.yaml"
    text = STORY.format(name=name, role=role, price=price, supplier=supplier, step=step)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("fields", "line", "words"),
    [
        ({"role": "wholesale"}, 5, "suppliers[0]: role"),
        ({"price": "ten"}, 15, "orders[0]: items.1.price"),
        ({"supplier": "nobody"}, 15, "orders[0].items[1].supplier"),
    ],
)
def test_policy_and_order_errors_name_the_key_and_the_line(
    tmp_path: Path, fields: dict[str, str], line: int, words: str
) -> None:
    result = run_scenario(_story(tmp_path, **fields))
    assert not result.passed
    assert f"line {line}: {words}" in result.failures[0]


def test_a_misspelt_case_check_is_a_format_error_even_without_a_case(tmp_path: Path) -> None:
    result = run_scenario(_story(tmp_path, step="expect: {case: {staus: resolved}}"))
    assert not result.passed
    assert "unknown case check 'staus'" in result.failures[0]


def test_json_output_is_json_lines_only(tmp_path: Path) -> None:
    good = _story(tmp_path, name="good")
    bad = _story(tmp_path, name="bad", step="expect: {cases: 3}")
    result = CliRunner().invoke(app, ["scenario", "run", "--json", str(good), str(bad)])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(row["name"], row["passed"]) for row in rows] == [("good", True), ("bad", False)]
    assert {"name", "passed", "failures", "steps"} <= set(rows[1])
    assert "1 passed, 1 failed" in result.stderr


def test_a_failure_over_several_lines_prints_as_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\nnow: 2026\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scenario", "run", str(broken)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("FAIL broken: ") and "not valid YAML" in lines[0]
    assert lines[1] == "0 passed, 1 failed"
