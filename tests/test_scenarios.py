"""Every scenario file under tests/scenarios, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.scenarios.format import find_scenario_files
from bot.scenarios.runner import run_scenario

HERE = Path(__file__).parent
FILES = find_scenario_files([HERE / "scenarios"])


def test_there_are_scenarios_for_the_case_life() -> None:
    assert len(FILES) >= 40


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(HERE / "scenarios")) for p in FILES])
def test_scenario(
    path: Path,
    engine: str,
    database_factory: Callable[[str, Path], contextlib.AbstractContextManager[str]],
) -> None:
    result = run_scenario(path, lambda folder: database_factory(engine, folder))
    assert result.passed, "\n".join(result.failures)
    assert result.steps > 0
