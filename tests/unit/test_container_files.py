"""The container image and the compose file: parsed and checked, not run (no Docker here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_image_installs_the_project_and_serves() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert lines[0] == "FROM python:3.11-slim"
    assert any(re.match(r"RUN pip install /src\b", line) for line in lines)
    assert lines[-1] == 'CMD ["returnbridge", "serve"]'
    assert any(line.startswith("USER ") and "root" not in line for line in lines)


def test_the_image_copies_every_package_the_project_installs() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r"include = \[([^\]]*)\]", pyproject)
    assert found, "pyproject lists the packages it installs"
    packages = re.findall(r'"(\w+)\*"', found.group(1))
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    missing = [name for name in packages if f"COPY {name} /src/{name}" not in dockerfile]
    assert packages and not missing, f"the Dockerfile does not copy {missing}"


def test_compose_runs_postgres_the_web_app_and_the_worker_with_one_secret() -> None:
    services = _compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["web"]["command"] == ["returnbridge", "serve"]
    assert services["worker"]["command"] == ["returnbridge", "worker"]
    assert services["migrate"]["command"] == ["returnbridge", "db", "upgrade"]
    for name in ("web", "worker"):
        service = services[name]
        env = service["environment"]
        assert env["RETURNBRIDGE_DATABASE_URL"].startswith("postgresql://")
        assert "@db:5432/" in env["RETURNBRIDGE_DATABASE_URL"]
        # the same key for both, from the environment, and compose refuses to start without it
        assert env["RETURNBRIDGE_SECRET_KEY"].startswith("${RETURNBRIDGE_SECRET_KEY:?")
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert "migrate" not in services["migrate"]["depends_on"]


def test_every_setting_compose_names_exists() -> None:
    known = {f"RETURNBRIDGE_{name.upper()}" for name in Settings.model_fields}
    for name, service in _compose()["services"].items():
        for variable in service.get("environment", {}):
            if variable.startswith("RETURNBRIDGE_"):
                assert variable in known, f"{name}: {variable} is not a setting"


def test_the_readme_tells_a_reverse_proxy_what_it_needs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running it bigger", 1)[1].split("\n## ", 1)[0]
    for setting in (
        "RETURNBRIDGE_TRUSTED_PROXIES",
        "RETURNBRIDGE_ALLOWED_HOSTS",
        "RETURNBRIDGE_BASE_URL",
        "RETURNBRIDGE_SECRET_KEY",
        "docker compose up",
    ):
        assert setting in section, setting
