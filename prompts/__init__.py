"""Prompt templates for the LLM paths, kept as text files beside this module.

``load_prompt("customer_agent")`` reads ``customer_agent.txt``; ``render_prompt(name, **values)``
fills its ``{placeholders}`` (a placeholder without a value is an error, so a template and its
caller cannot drift apart silently).
"""

from __future__ import annotations

import string
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=32)
def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.txt``."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a prompt name: {name!r}")
    return resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")


def render_prompt(name: str, **values: object) -> str:
    """The prompt with its ``{placeholders}`` filled; raises ``KeyError`` for a missing one."""
    template = load_prompt(name)
    wanted = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    missing = wanted - values.keys()
    if missing:
        raise KeyError(f"prompt {name!r} needs {sorted(missing)}")
    return template.format(**{key: values[key] for key in wanted})
