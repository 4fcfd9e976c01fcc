"""Reading scenario files (SCENARIOS.md, format v1) with the line of every key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ScenarioFormatError(ValueError):
    """The file does not follow the format; the message names the key and the line."""


class LineDict(dict[str, Any]):
    """A mapping that remembers the line each key was written on."""

    lines: dict[str, int]
    line: int


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.lines = {}
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[str(key)] = loader.construct_object(value_node, deep=True)
        mapping.lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)

TOP_KEYS = {"name", "now", "store", "suppliers", "orders", "rules", "steps", "shopify_csv"}
STEP_KEYS = {
    "portal",
    "customer",
    "customer_photo",
    "customer_choice",
    "customer_code",  # the customer types the one-time code last sent to an address
    "supplier",
    "owner",
    "carrier",
    "advance",
    "expect",
    # format v2: the owner's desk (bot/scenarios/desk.py)
    "owner_reply",
    "supplier_credit",
    "marketplace_return",
    "refund_paid",
}


@dataclass
class Step:
    kind: str
    value: Any
    line: int
    session: str = "default"


@dataclass
class Scenario:
    path: Path
    name: str
    now: dt.datetime
    store: dict[str, Any]
    suppliers: list[Any]
    orders: list[Any]
    rules: list[str]
    steps: list[Step] = field(default_factory=list)
    shopify_csv: str | None = None  # a Shopify orders export, imported before the first step
    shopify_csv_line: int = 0


def line_of(mapping: Any, key: str) -> int:
    if isinstance(mapping, LineDict):
        return mapping.lines.get(key, mapping.line)
    return 0


def _as_datetime(value: Any, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ScenarioFormatError(f"{where}: {value!r} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_scenario(path: Path) -> Scenario:
    """Parse and check the shape; policy and order fields are checked when the store is built."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise ScenarioFormatError(f"{path}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise ScenarioFormatError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioFormatError(f"{path}: line 1: a scenario is a mapping of keys")
    for key in data:
        if key not in TOP_KEYS:
            raise ScenarioFormatError(
                f"{path}: line {line_of(data, key)}: unknown key {key!r} "
                f"(expected {', '.join(sorted(TOP_KEYS))})"
            )
    for key in ("name", "now", "steps"):
        if key not in data:
            raise ScenarioFormatError(f"{path}: line 1: required key {key!r} is missing")
    name = str(data["name"])
    now = _as_datetime(data["now"], f"{path}: line {line_of(data, 'now')}: now")
    sections: dict[str, Any] = {}
    for key, kind in (("store", dict), ("suppliers", list), ("orders", list), ("rules", list)):
        value = data.get(key)
        if value is None:
            value = kind()
        if not isinstance(value, kind):
            raise ScenarioFormatError(
                f"{path}: line {line_of(data, key)}: {key} must be a "
                f"{'mapping' if kind is dict else 'list'}"
            )
        sections[key] = value
    raw_steps = data["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioFormatError(
            f"{path}: line {line_of(data, 'steps')}: steps must be a non-empty list"
        )
    steps = []
    for index, raw in enumerate(raw_steps):
        where = f"{path}: line {line_of(raw, next(iter(raw), '')) if isinstance(raw, dict) else 0}"
        if not isinstance(raw, dict):
            raise ScenarioFormatError(f"{where}: steps[{index}] must be a mapping")
        actions = [key for key in raw if key != "session"]
        unknown = [key for key in actions if key not in STEP_KEYS]
        if unknown:
            raise ScenarioFormatError(
                f"{path}: line {line_of(raw, unknown[0])}: unknown step {unknown[0]!r}"
            )
        if len(actions) != 1:
            raise ScenarioFormatError(
                f"{where}: steps[{index}] needs exactly one action, got {actions or 'none'}"
            )
        kind = actions[0]
        steps.append(
            Step(
                kind=kind,
                value=raw[kind],
                line=line_of(raw, kind),
                session=str(raw.get("session", "default")),
            )
        )
    return Scenario(
        path=path,
        name=name,
        now=now,
        store=sections["store"],
        suppliers=sections["suppliers"],
        orders=sections["orders"],
        rules=[str(rule) for rule in sections["rules"]],
        steps=steps,
        shopify_csv=_shopify_csv(data, path),
        shopify_csv_line=line_of(data, "shopify_csv"),
    )


def _shopify_csv(data: dict[str, Any], path: Path) -> str | None:
    value = data.get("shopify_csv")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ScenarioFormatError(
            f"{path}: line {line_of(data, 'shopify_csv')}: shopify_csv must be the text of a "
            "Shopify orders export (a block scalar, `shopify_csv: |`)"
        )
    return value


def find_scenario_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml")))
        else:
            found.append(path)
    return found
