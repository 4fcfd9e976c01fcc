"""A supplier's thread read as a whole: conditions kept with an approval (in the ledger and in
the customer's label message), details given over several messages adding up, and an edited
message read again, all through Slack's own event payloads."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from ledger import outbox
from ledger.models import DecisionRow
from tests.slack.conftest import SlackWorld


def _decision(world: SlackWorld, code: str) -> dict[str, Any]:
    with world.desk.session() as session:
        rows = session.scalars(
            select(DecisionRow).where(
                DecisionRow.case_code == code, DecisionRow.action == "supplier_decision"
            )
        ).all()
        assert len(rows) == 1
        return dict(json.loads(rows[0].data))


def _label_message(world: SlackWorld, code: str) -> str:
    with world.desk.session() as session:
        rows = outbox.messages(session, channel=outbox.CUSTOMER, case_code=code)
        return next(row.text for row in rows if row.kind == "label_ready")


def _reply(world: SlackWorld, text: str, ts: str | None = None) -> None:
    request = world.requests.thread_reply("C0ACME", world.root_ts(), text, ts=ts)
    assert world.post(request).status_code == 200


def test_a_condition_goes_to_the_ledger_and_to_the_customer(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    _reply(slack_world, "ok but only unopened. RMA 5521")
    case = slack_world.desk.case_view(view.code)
    assert (case.status, case.rma) == ("awaiting_shipment", "5521")
    assert _decision(slack_world, view.code)["conditions"] == ["only unopened"]
    assert "unopened" in _label_message(slack_world, view.code)


def test_an_approval_without_conditions_records_none(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    _reply(slack_world, "approved, RMA 5521")
    assert "conditions" not in _decision(slack_world, view.code)
    assert "condition" not in _label_message(slack_world, view.code)


def test_a_condition_then_the_rma_in_a_later_message_add_up(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    _reply(slack_world, "fine if all the accessories come back")
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    _reply(slack_world, "RMA# 8812")
    case = slack_world.desk.case_view(view.code)
    assert (case.status, case.rma) == ("awaiting_shipment", "8812")
    assert _decision(slack_world, view.code)["conditions"] == ["all the accessories come back"]
    assert "accessories" in _label_message(slack_world, view.code)


def test_an_address_then_the_rma_in_a_later_message_add_up(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    _reply(
        slack_world, "yes. Address as follows:\nAcme EU Returns\nLagerweg 4\nA-4020 Linz\nAustria"
    )
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    _reply(slack_world, "Retourennr. 55-11-AT")
    case = slack_world.desk.case_view(view.code)
    assert (case.status, case.rma) == ("awaiting_shipment", "55-11-AT")
    address = _decision(slack_world, view.code)["address"]
    assert "Lagerweg 4" in address and "Linz" in address  # not the address on file


def test_an_edit_that_adds_the_rma_to_a_conditional_approval(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    ts = slack_world.requests.new_ts()
    first = "fine if all the accessories come back"
    _reply(slack_world, first, ts=ts)
    edit = slack_world.requests.message_changed("C0ACME", root, ts, first + ", RMA 4471", first)
    assert slack_world.post(edit).status_code == 200
    case = slack_world.desk.case_view(view.code)
    assert (case.status, case.rma) == ("awaiting_shipment", "4471")
    assert _decision(slack_world, view.code)["conditions"] == ["all the accessories come back"]


def test_a_question_decides_nothing_and_goes_to_the_owner(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    _reply(slack_world, "only if the customer pays the shipping")
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    actions = slack_world.actions(view.code)
    assert "supplier_question" in actions and "supplier_decision" not in actions
