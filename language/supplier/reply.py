"""One supplier reply read as plain data: the measuring harness for the offline reader.

``read_supplier_reply(text, stage)`` is pure (no database, no clock): the decision a reply makes
at a stage ("authorization" or "inspection"), and the RMA, return address and conditions it
carries. The language corpus scorer (``tests.language_corpus.score_supplier``) compares it with
readings written by hand.
"""

from __future__ import annotations

from typing import Any

from language.supplier.reader import Expecting
from language.supplier.reader import read_supplier_reply as _read

_STAGES: dict[str, Expecting] = {
    "authorization": "authorisation",
    "authorisation": "authorisation",
    "inspection": "inspection",
}


def read_supplier_reply(text: str, stage: str) -> dict[str, Any]:
    """decision: approve | decline | question | unclear at authorisation, inspected_ok |
    inspected_failed | question | unclear at inspection; rma, address (or None); conditions
    (the list of conditions an approval sets, empty when none)."""
    if stage not in _STAGES:
        raise ValueError(f"Unknown stage {stage!r}: use 'authorization' or 'inspection'.")
    reading = _read(text, _STAGES[stage])
    return {
        "decision": reading.intent,
        "rma": reading.rma,
        "address": reading.address,
        "conditions": list(getattr(reading, "conditions", []) or []),
    }
