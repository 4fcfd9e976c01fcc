"""Score the offline supplier reader on a hand-written corpus.

    python -m tests.language_corpus.score_supplier DIR

reads DIR/supplier.yaml, a list of ``{text, stage, expect}`` where ``expect`` gives only the
fields it checks: ``decision``, ``rma`` (compared ignoring case, spaces, hyphens and a leading
"RMA"; null means no RMA), ``address_contains`` (each, case-insensitive, in the address read),
``address`` (null: no address) and ``conditions`` (true: at least one, false: none). Prints the
accuracy of each field and how many replies were read fully right.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from language.supplier.reply import read_supplier_reply


def _rma_key(value: Any) -> str:
    if value is None:
        return ""
    plain = re.sub(r"[\s\-_#:.]", "", str(value)).upper()
    return plain[3:] if plain.startswith("RMA") and len(plain) > 3 else plain


def check(entry: dict[str, Any]) -> dict[str, bool]:
    """Each expected field of one entry: read right or not."""
    got = read_supplier_reply(str(entry["text"]), str(entry.get("stage", "authorization")))
    expect = entry.get("expect") or {}
    results: dict[str, bool] = {}
    if "decision" in expect:
        results["decision"] = got["decision"] == expect["decision"]
    if "rma" in expect:
        results["rma"] = _rma_key(got["rma"]) == _rma_key(expect["rma"])
    if "address_contains" in expect:
        address = (got["address"] or "").lower()
        wanted = expect["address_contains"] or []
        if isinstance(wanted, str):
            wanted = [wanted]
        results["address"] = bool(address) and all(str(w).lower() in address for w in wanted)
    elif "address" in expect and expect["address"] is None:
        results["address"] = got["address"] is None
    if "conditions" in expect:
        results["conditions"] = bool(got["conditions"]) == bool(expect["conditions"])
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true", help="show each wrong reading")
    args = parser.parse_args(argv)
    entries = yaml.safe_load((args.folder / "supplier.yaml").read_text(encoding="utf-8")) or []
    right: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    full = 0
    for entry in entries:
        results = check(entry)
        for field, ok in results.items():
            asked[field] += 1
            right[field] += ok
        if all(results.values()):
            full += 1
        elif args.verbose:
            got = read_supplier_reply(str(entry["text"]), str(entry.get("stage", "authorization")))
            wrong = [f for f, ok in results.items() if not ok]
            print(f"WRONG {wrong}: {entry['text']!r} ({entry.get('stage')})")
            print(f"   expected {entry.get('expect')}\n   got      {got}")
    for field in ("decision", "rma", "address", "conditions"):
        if asked[field]:
            share = 100 * right[field] / asked[field]
            print(f"{field:<11} {right[field]:>3} of {asked[field]:<3} ({share:.0f}%)")
    print(f"{full} of {len(entries)} fully right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
