"""bot.scenarios.format and bot.scenarios.runner.run_scenario: a file that does not follow the
format fails with the key and the line; a run never raises."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from bot.scenarios.format import ScenarioFormatError, parse_scenario
from bot.scenarios.runner import ScenarioResult, run_scenario

HEADER = """\
name: tiny damaged mug
now: 2026-03-10T12:00:00Z
suppliers:
  - {id: acme, country: US, return_address: "Acme Returns, 10 Main St, Fresno, CA 93650, US"}
orders:
  - number: "1001"
    email: ana@example.com
    placed_at: 2026-03-01T10:00:00Z
    delivered_at: 2026-03-05T10:00:00Z
    items:
      - {sku: MUG-1, name: Ceramic mug, price: "24.00", supplier: acme}
"""

PORTAL = (
    '  - portal: {order: "#1001", email: ana@example.com, sku: MUG-1, reason: damaged, '
    "photo: true}\n"
)


def write(tmp_path: Path, text: str, name: str = "story.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def scenario(tmp_path: Path, steps: str, header: str = HEADER) -> Path:
    return write(tmp_path, header + "steps:\n" + steps)


def run(path: Path) -> ScenarioResult:
    """run_scenario must never raise; a raise here fails the test on its own."""
    result = run_scenario(path)
    assert isinstance(result, ScenarioResult)
    return result


def only_failure(result: ScenarioResult) -> str:
    assert result.passed is False
    assert len(result.failures) == 1, result.failures
    return result.failures[0]


# -- a scenario that follows the format ---------------------------------------------------------


def test_a_tiny_valid_scenario_passes(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        PORTAL
        + "  - expect:\n"
        + "      case: {order: '1001', status: awaiting_supplier, refunded: '0', label: false}\n"
        + "      cases: 1\n"
        + "      supplier_messages: {id: acme, count: 1}\n"
        + "      ledger_valid: true\n",
    )
    result = run(path)
    assert result.failures == []
    assert result.passed is True
    assert result.name == "tiny damaged mug"
    assert result.steps == 2
    assert result.as_json() == {
        "name": "tiny damaged mug",
        "path": str(path),
        "passed": True,
        "failures": [],
        "steps": 2,
    }


def test_a_wrong_expected_status_fails_naming_expected_and_actual(tmp_path: Path) -> None:
    path = scenario(tmp_path, PORTAL + "  - expect:\n      case: {status: resolved}\n")
    failure = only_failure(run(path))
    assert "line 14" in failure
    assert "status" in failure
    assert "'resolved'" in failure  # expected
    assert "'awaiting_supplier'" in failure  # actual


def test_a_wrong_expected_amount_fails_naming_both_amounts(tmp_path: Path) -> None:
    path = scenario(tmp_path, PORTAL + "  - expect:\n      case: {refunded: '24.00'}\n")
    failure = only_failure(run(path))
    assert "refunded" in failure
    assert "'24.00'" in failure
    assert "'0.00'" in failure


def test_a_wrong_case_count_fails_with_both_counts(tmp_path: Path) -> None:
    path = scenario(tmp_path, PORTAL + "  - expect: {cases: 2}\n")
    assert only_failure(run(path)).endswith("cases: expected 2, got 1")


def test_steps_after_a_failed_check_are_not_played(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        PORTAL + "  - expect: {cases: 5}\n  - expect: {cases: 1}\n  - advance: 1d\n",
    )
    result = run(path)
    assert result.passed is False
    assert result.steps == 2


def test_parse_scenario_keeps_the_line_of_each_step(tmp_path: Path) -> None:
    path = scenario(tmp_path, PORTAL + "  - advance: 12h\n  - owner: approve 1001\n")
    parsed = parse_scenario(path)
    assert parsed.now == dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    assert [(s.kind, s.line) for s in parsed.steps] == [
        ("portal", 13),
        ("advance", 14),
        ("owner", 15),
    ]
    assert parsed.steps[0].value["order"] == "#1001"
    assert parsed.rules == []
    assert parsed.store == {}


def test_a_date_without_a_zone_is_utc(tmp_path: Path) -> None:
    path = scenario(tmp_path, "  - advance: 1h\n", HEADER.replace("12:00:00Z", "12:00:00"))
    assert parse_scenario(path).now == dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


# -- files that do not follow the format --------------------------------------------------------


def test_an_unknown_top_level_key_is_named_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "customers:\n  - ana\nsteps:\n  - advance: 1h\n",
    )
    with pytest.raises(ScenarioFormatError) as caught:
        parse_scenario(path)
    assert "line 12" in str(caught.value)
    assert "unknown key 'customers'" in str(caught.value)

    failure = only_failure(run(path))
    assert "line 12" in failure
    assert "'customers'" in failure
    assert str(path) in failure


def test_a_misspelt_steps_key_is_named_not_reported_as_missing_steps(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "stpes:\n  - advance: 1h\n")
    failure = only_failure(run(path))
    assert "unknown key 'stpes'" in failure
    assert "line 12" in failure


def test_a_missing_now_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEADER.replace("now: 2026-03-10T12:00:00Z\n", "") + "steps: [{advance: 1h}]\n"
    )
    failure = only_failure(run(path))
    assert "'now'" in failure
    assert "missing" in failure


def test_a_now_that_is_not_a_date_is_named_with_its_line(tmp_path: Path) -> None:
    path = scenario(tmp_path, "  - advance: 1h\n", HEADER.replace("2026-03-10T12:00:00Z", "soon"))
    failure = only_failure(run(path))
    assert "line 2" in failure
    assert "now" in failure
    assert "'soon'" in failure


def test_missing_steps_are_named(tmp_path: Path) -> None:
    failure = only_failure(run(write(tmp_path, HEADER)))
    assert "'steps'" in failure
    assert "missing" in failure


def test_empty_steps_are_refused(tmp_path: Path) -> None:
    failure = only_failure(run(write(tmp_path, HEADER + "steps: []\n")))
    assert "line 12" in failure
    assert "steps must be a non-empty list" in failure


def test_a_step_with_two_actions_is_refused_naming_both(tmp_path: Path) -> None:
    path = scenario(tmp_path, "  - advance: 1h\n    owner: approve 1001\n")
    failure = only_failure(run(path))
    assert "line 13" in failure
    assert "steps[0]" in failure
    assert "exactly one action" in failure
    assert "'advance'" in failure
    assert "'owner'" in failure


def test_a_step_with_no_action_is_refused(tmp_path: Path) -> None:
    failure = only_failure(run(scenario(tmp_path, "  - session: second\n")))
    assert "exactly one action" in failure
    assert "none" in failure


def test_an_unknown_step_is_named_with_its_line(tmp_path: Path) -> None:
    failure = only_failure(run(scenario(tmp_path, "  - advance: 1h\n  - wait: 1h\n")))
    assert "line 14" in failure
    assert "unknown step 'wait'" in failure


def test_a_step_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    failure = only_failure(run(scenario(tmp_path, "  - advance 1h\n")))
    assert "steps[0] must be a mapping" in failure


@pytest.mark.parametrize(
    "text",
    [
        "name: broken\nnow: 2026-03-10T12:00:00Z\nsteps:\n  - advance: [1h\n",
        "name: 'unterminated\n",
        "name: x\n\tnow: tab-indented\n",
    ],
    ids=["unclosed flow list", "unterminated quote", "tab indentation"],
)
def test_invalid_yaml_fails_the_scenario_without_raising(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    failure = only_failure(run(path))
    assert str(path) in failure
    assert "not valid YAML" in failure
    assert "line" in failure


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "hello\n"])
def test_a_file_that_is_not_a_mapping_fails(tmp_path: Path, text: str) -> None:
    failure = only_failure(run(write(tmp_path, text)))
    assert "a scenario is a mapping of keys" in failure


def test_a_file_that_does_not_exist_fails_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    result = run(path)
    assert only_failure(result).startswith(f"{path}: cannot read")
    assert result.name == "nowhere"


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("store", "[USD]", "store must be a mapping"),
        ("orders", "{number: 1001}", "orders must be a list"),
    ],
)
def test_a_section_of_the_wrong_shape_is_named(
    tmp_path: Path, key: str, value: str, words: str
) -> None:
    text = f"name: x\nnow: 2026-03-10T12:00:00Z\n{key}: {value}\nsteps: [{{advance: 1h}}]\n"
    failure = only_failure(run(write(tmp_path, text)))
    assert "line 3" in failure
    assert words in failure


def test_a_bad_policy_field_fails_naming_the_file_and_field(tmp_path: Path) -> None:
    path = scenario(tmp_path, "  - advance: 1h\n", HEADER + "store:\n  currency: dollars\n")
    failure = only_failure(run(path))
    assert str(path) in failure
    assert "currency" in failure


def test_an_order_with_an_unknown_supplier_fails_naming_its_path(tmp_path: Path) -> None:
    path = scenario(
        tmp_path, "  - advance: 1h\n", HEADER.replace("supplier: acme", "supplier: zed")
    )
    failure = only_failure(run(path))
    assert "orders[0].items[0].supplier" in failure
    assert "'zed'" in failure


# -- steps whose content is wrong fail when played ----------------------------------------------


def test_an_unknown_check_in_expect_is_named(tmp_path: Path) -> None:
    path = scenario(tmp_path, PORTAL + "  - expect:\n      status: awaiting_supplier\n")
    result = run(path)
    failure = only_failure(result)
    assert "line 14" in failure
    assert "unknown check 'status'" in failure
    assert result.steps == 2


def test_an_unknown_case_check_is_named(tmp_path: Path) -> None:
    path = scenario(tmp_path, PORTAL + "  - expect:\n      case: {colour: red}\n")
    assert "unknown case check 'colour'" in only_failure(run(path))


@pytest.mark.parametrize("duration", ["soon", "-1h", "'three days'", "null"])
def test_a_bad_duration_in_advance_is_refused(tmp_path: Path, duration: str) -> None:
    path = scenario(tmp_path, f"  - advance: 1h\n  - advance: {duration}\n")
    failure = only_failure(run(path))
    assert "line 14" in failure
    assert "advance needs a duration" in failure


def test_a_customer_chat_step_is_played_by_the_chat(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        "  - customer: hi, my mug arrived broken\n"
        "  - expect: {reply_contains: ['order number'], cases: 0}\n",
    )
    result = run(path)
    assert result.passed, result.failures
    assert result.steps == 2


def test_an_owner_rule_that_does_not_compile_fails_with_the_compilers_reason(
    tmp_path: Path,
) -> None:
    path = scenario(tmp_path, "  - advance: 1h\n", HEADER + "rules:\n  - Refund damaged items\n")
    failure = only_failure(run(path))
    assert "rules[1]" in failure and "does not compile" in failure and "without a return" in failure


def test_a_supplier_step_without_an_id_is_refused(tmp_path: Path) -> None:
    path = scenario(tmp_path, PORTAL + "  - supplier: {button: approve}\n")
    failure = only_failure(run(path))
    assert "line 14" in failure
    assert "supplier needs at least 'id'" in failure


def test_a_carrier_step_with_an_unknown_event_is_refused(tmp_path: Path) -> None:
    path = scenario(tmp_path, PORTAL + "  - carrier: {order: '1001', event: lost}\n")
    assert "carrier needs 'order' and 'event'" in only_failure(run(path))


def test_a_bad_file_does_not_stop_the_next_one(tmp_path: Path) -> None:
    bad = write(tmp_path, "name: broken\nnow: [\n", name="bad.yaml")
    good = write(
        tmp_path,
        HEADER + "steps:\n" + PORTAL + "  - expect: {cases: 1}\n",
        name="good.yaml",
    )
    results = [run(bad), run(good)]
    assert [r.passed for r in results] == [False, True]
