"""The ``language`` package: readers that stand alone, and one lexicon they share."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from language import lexicon
from policies.models import Reason

ROOT = Path(__file__).resolve().parents[2]
# The rest of the application, and the database layer: a reader needs none of them.
FORBIDDEN = ("ledger", "sqlalchemy", "graph", "bot", "tools", "alembic", "langgraph")

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
import language
names = [m.name for m in pkgutil.walk_packages(language.__path__, "language.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def test_the_language_package_imports_nothing_of_the_application() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout)
    assert {
        "language.lexicon",
        "language.customer",
        "language.supplier.reader",
        "language.rules.compiler",
    } <= set(found["modules"])
    assert not set(found["loaded"]) & set(FORBIDDEN), sorted(set(found["loaded"]) & set(FORBIDDEN))


def test_no_reader_is_left_behind_in_graph() -> None:
    left = [
        path.name
        for pattern in (
            "understanding",
            "supplier_reader.py",
            "supplier_reply.py",
            "rule_compiler.py",
            "rule_entities.py",
            "rule_normalising.py",
            "rule_patterns.py",
            "rule_vocabulary.py",
        )
        for path in (ROOT / "graph").glob(pattern)
    ]
    assert left == []


def test_number_words_are_defined_once() -> None:
    from language.customer.quantities import NUMBER_WORDS

    assert lexicon.cardinals(1, 12).items() <= NUMBER_WORDS.items()
    assert lexicon.COUNT_WORDS.items() <= NUMBER_WORDS.items()
    assert lexicon.cardinals(0, 90, without=("one",))["ninety"] == 90
    assert "one" not in lexicon.cardinals(0, 90, without=("one",))


def test_time_and_measure_words_are_never_quantities() -> None:
    from language.customer.quantities import UNIT_WORDS, parse_quantity

    assert lexicon.TIME_UNITS | lexicon.MEASURE_UNITS <= UNIT_WORDS
    assert parse_quantity("it quit after 3 days") is None
    assert parse_quantity("the 2 litre jug leaks") is None


@pytest.mark.parametrize(
    ("count", "unit", "hours"),
    [
        (48, "h", 48),
        (14, "days", 336),
        (2, "w", 336),
        (1, "fortnight", 336),
        (1, "month", 720),
        (6, "months", 4392),
        (1, "year", 8760),
    ],
)
def test_durations_in_hours(count: int, unit: str, hours: int) -> None:
    assert lexicon.duration_hours(count, unit) == hours


def test_a_unit_that_is_no_time_has_no_duration() -> None:
    assert lexicon.duration_hours(3, "parsecs") is None


def test_currency_marks_and_amounts() -> None:
    assert lexicon.currencies_of("$", "USD") == set(lexicon.DOLLAR_CURRENCIES)
    assert lexicon.currencies_of("Quid", "EUR") == {"GBP"}
    assert lexicon.currencies_of("cents", "EUR") == {"EUR"}
    assert lexicon.currencies_of("chf", "EUR") == {"CHF"}
    assert lexicon.amount_value("1,250.50") == Decimal("1250.50")
    assert lexicon.amount_value("no number") is None
    assert lexicon.MONEY.search("it was $24.99") is not None


def test_reason_labels_cover_the_design_reason_codes() -> None:
    assert set(lexicon.REASON_LABELS) == {reason.value for reason in Reason}


def test_yes_and_no_do_not_overlap() -> None:
    assert not set(lexicon.YES_PHRASES) & set(lexicon.NO_PHRASES)
