"""Score the offline customer reader on a corpus.

Run ``python -m tests.language_corpus.score_customer DIR [--show]``.

DIR/customer.yaml lists messages with the intended reading (``expect``). A field given in
``expect`` must be read as given; ``quantity`` absent from ``expect`` must also be absent from
the reading (a number with a unit is no quantity). Prints per-field accuracy and how many
messages were read fully right.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from language.customer.reading import read_customer

FIELDS = ("intent", "order", "email", "item", "quantity", "reason", "resolution")


def _same(field: str, expected: Any, got: Any) -> bool:
    if got is None:
        return False
    if field == "item":
        want = expected if isinstance(expected, list) else [expected]
        have = got if isinstance(got, list) else [got]
        return sorted(str(w).lower() for w in want) == sorted(str(h).lower() for h in have)
    if field in ("order", "email"):
        return str(got).lower().lstrip("#") == str(expected).lower().lstrip("#")
    if field == "quantity":
        return str(got).lower() == str(expected).lower()
    return str(got) == str(expected)


def score(
    entries: list[dict[str, Any]], *, show: bool = False
) -> tuple[Counter[str], Counter[str], int]:
    right: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    whole = 0
    for entry in entries:
        expect = entry.get("expect") or {}
        got = read_customer(str(entry["text"]), list(entry.get("items") or []))
        ok = True
        for field in FIELDS:
            if field in expect:
                asked[field] += 1
                if _same(field, expect[field], got.get(field)):
                    right[field] += 1
                else:
                    ok = False
            elif field == "quantity":
                asked["quantity"] += 1
                if got.get("quantity") is None:
                    right["quantity"] += 1
                else:
                    ok = False
        whole += ok
        if show and not ok:
            print(f"MISS {entry['text']!r}\n  expect {expect}\n  got    {got}")
    return right, asked, whole


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tests.language_corpus.score_customer DIR [--show]")
        return 2
    path = Path(argv[0]) / "customer.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    right, asked, whole = score(entries, show="--show" in argv)
    for field in FIELDS:
        if asked[field]:
            share = right[field] / asked[field]
            print(f"{field:<11} {right[field]:>4} of {asked[field]:<4} {share:6.1%}")
    print(f"{whole} of {len(entries)} messages fully right")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
