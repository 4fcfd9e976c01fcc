"""A server and a worker set the objects alive after start-up aside from the cycle collector's
passes (``gc.freeze``): a full pass over a warm server's quarter of a million objects took
~140 ms with every request thread stopped, the tail of the chat's latency under load."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from bot import worker as worker_module
from bot.cli.main import app as cli
from bot.heap import set_aside_startup_objects
from bot.settings import get_settings
from tests.unit.serve_command import invoke_serve


@pytest.fixture(autouse=True)
def _unfrozen() -> Any:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps collecting as before


def test_setting_aside_keeps_the_live_objects_out_of_the_collectors_passes() -> None:
    kept = [[n] for n in range(1000)]  # alive, and tracked by the collector
    assert gc.get_freeze_count() == 0
    count = set_aside_startup_objects()
    assert count == gc.get_freeze_count() >= len(kept)
    assert len(gc.get_objects(generation=2)) < count  # the oldest generation it still walks


def test_serve_sets_its_startup_objects_aside_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'rb.db'}")
    frozen_when_served: list[int] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda app, **kw: frozen_when_served.append(gc.get_freeze_count())
    )
    result = invoke_serve()
    assert result.exit_code == 0, result.output
    assert frozen_when_served and frozen_when_served[0] > 10_000


def test_the_worker_sets_its_startup_objects_aside_before_its_rounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'rb.db'}")
    frozen_when_run: list[int] = []
    monkeypatch.setattr(
        worker_module,
        "run_forever",
        lambda *args, **kwargs: frozen_when_run.append(gc.get_freeze_count()),
    )
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["worker"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert frozen_when_run and frozen_when_run[0] > 10_000
