"""Run ``returnbridge serve`` through the CLI with the settings read afresh (uvicorn.run is
replaced by each test, so nothing is served)."""

from __future__ import annotations

import gc

from click.testing import Result
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.settings import get_settings


def invoke_serve() -> Result:
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
        gc.unfreeze()  # serve set the test process's objects aside from the collector
