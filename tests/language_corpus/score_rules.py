"""Score the offline rule compiler on a corpus of owner rules.

``python -m tests.language_corpus.score_rules DIR`` reads ``DIR/rules.yaml``: a list of items,
each with ``text`` and either ``reference`` (the same rule in the documented vocabulary) or
``refused: true``. An item with a reference is right when both compile to the same rule
(compared by the rule's logic, ids and versions aside; "3 or more" and "more than 2"
are the same whole-number condition). When the text compiles to another rule,
that is a silent misreading: the figure that matters most, counted apart from refusals. A
reference that does not compile itself is a bad reference and is not scored.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from language.rules.compiler import RuleNotUnderstood, compile_rule
from policies.models import Store
from tests.rules.helpers import rules_store


@dataclass
class Score:
    right: list[str] = field(default_factory=list)
    refused_but_should_read: list[tuple[str, str]] = field(default_factory=list)
    silent_misreadings: list[tuple[str, str, str]] = field(default_factory=list)
    bad_references: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return (
            len(self.right)
            + len(self.refused_but_should_read)
            + len(self.silent_misreadings)
            + len(self.bad_references)
        )


def _same_meaning(logic: dict[str, Any]) -> dict[str, Any]:
    """The logic with whole-number comparisons in one form: "3 or more" is "more than 2"."""
    conditions = []
    for condition in logic.get("conditions", []):
        count = condition.get("value")
        if isinstance(count, int) and not isinstance(count, bool):
            if condition.get("op") == "ge":
                condition = {**condition, "op": "gt", "value": count - 1}
            elif condition.get("op") == "le":
                condition = {**condition, "op": "lt", "value": count + 1}
        conditions.append(condition)
    ordered = sorted(conditions, key=lambda condition: repr(sorted(condition.items())))
    return {**logic, "conditions": ordered}


def _compile(text: str, store: Store) -> tuple[dict[str, Any] | None, str]:
    """The rule's logic and canonical sentence, or None and the reason it was refused."""
    try:
        spec = compile_rule(text, store)
    except RuleNotUnderstood as error:
        return None, error.message
    names = {key: agreement.name for key, agreement in store.suppliers.items()}
    return _same_meaning(spec.logic()), spec.canonical(names)


def score(items: list[dict[str, Any]], store: Store) -> Score:
    result = Score()
    for item in items:
        text = str(item["text"])
        got, said = _compile(text, store)
        if item.get("refused"):
            if got is None:
                result.right.append(text)
            else:
                result.silent_misreadings.append((text, said, "(should be refused)"))
            continue
        reference = str(item["reference"])
        wanted, wanted_said = _compile(reference, store)
        if wanted is None:
            result.bad_references.append((reference, wanted_said))
        elif got is None:
            result.refused_but_should_read.append((text, said))
        elif got != wanted:
            result.silent_misreadings.append((text, said, wanted_said))
        else:
            result.right.append(text)
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.language_corpus.score_rules DIR", file=sys.stderr)
        return 2
    items = yaml.safe_load((Path(argv[0]) / "rules.yaml").read_text(encoding="utf-8")) or []
    result = score(items, rules_store())
    for text, why in result.refused_but_should_read:
        print(f"REFUSED  {text!r}\n         {why}")
    for text, said, wanted in result.silent_misreadings:
        print(f"MISREAD  {text!r}\n         read: {said}\n         meant: {wanted}")
    for reference, why in result.bad_references:
        print(f"BAD REF  {reference!r}\n         {why}")
    print(f"items: {result.total}")
    print(f"right: {len(result.right)}")
    print(f"refused but should read: {len(result.refused_but_should_read)}")
    print(f"silent misreadings: {len(result.silent_misreadings)}")
    print(f"bad references: {len(result.bad_references)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
