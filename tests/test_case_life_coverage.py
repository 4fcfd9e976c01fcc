"""The shipped scenarios reach every case status and every ledger action of the design."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import bot.scenarios.runner as runner
from bot.scenarios.format import Step, find_scenario_files
from ledger import decisions
from ledger.models import CaseRow, DecisionRow

HERE = Path(__file__).parent
STATUSES = {
    "awaiting_photo",
    "pending_review",
    "awaiting_supplier",
    "awaiting_shipment",
    "in_transit",
    "awaiting_inspection",
    "resolved",
    "denied",
    "cancelled",
}  # "open" lasts only until the first assessment, inside the same call
# Written only when the worker cannot go on with a case (a bug, a broken step): no story can
# cause it through the scenario format, so tests/test_worker_faults.py covers it.
WORKER_ONLY_ACTIONS = {"case_quarantined"}
# A supplier coming on board is no return story, and the scenario format has no step for it:
# tests/onboarding/test_supplier_onboarding.py covers these.
ONBOARDING_ACTIONS = {"agreement_invited", "agreement_accepted", "agreement_confirmed"}
# The owner's free note on a case page has no step in the scenario format:
# tests/unit/test_owner_cases.py covers it.
DESK_PAGE_ACTIONS = {"owner_note"}


def test_scenarios_reach_every_status_and_action(monkeypatch: pytest.MonkeyPatch) -> None:
    actions: set[str] = set()
    statuses: set[str] = set()
    original = runner.ScenarioRun.step_expect

    def observe(self: runner.ScenarioRun, value: Any, step: Step) -> None:
        with self.desk.session() as session:
            actions.update(session.execute(select(DecisionRow.action)).scalars())
            statuses.update(session.execute(select(CaseRow.status)).scalars())
        original(self, value, step)

    monkeypatch.setattr(runner.ScenarioRun, "step_expect", observe)
    for path in find_scenario_files([HERE / "scenarios"]):
        runner.run_scenario(path)
    assert statuses >= STATUSES, sorted(STATUSES - statuses)
    # and none outside the design's list
    assert statuses <= STATUSES | {"open"}, sorted(statuses - STATUSES - {"open"})
    expected = decisions.ACTIONS - WORKER_ONLY_ACTIONS - ONBOARDING_ACTIONS - DESK_PAGE_ACTIONS
    assert actions >= expected, sorted(expected - actions)
