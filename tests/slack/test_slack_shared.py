"""Slack Connect channels, edited messages, bots, and the 3-second acknowledgement.

Payloads follow the shapes Slack sends in an externally shared channel (``is_ext_shared_channel``,
the envelope's ``team_id`` the actor's team, ``context_team_id`` and the authorization the
installing team, the event's ``user_team``/``source_team``), ``message_changed`` with its
``message`` and ``previous_message``, and bot messages with ``bot_id``/``bot_profile``.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select

from bot.slack.app import SupplierSlackApp
from bot.slack.local import TEAM, InlineExecutor
from bot.slack.outbox import http_upload
from language.supplier.reader import Expecting, SupplierReading, read_supplier_reply
from ledger import outbox
from ledger.models import DecisionRow
from tests.slack.conftest import SECRET, SlackWorld
from tools.adapters import Carrier, LabelContent, PurchasedLabel

WAIT = 10.0  # seconds a test waits for a worker thread at most; never reached when it passes


def _acks(world: SlackWorld, code: str) -> list[str]:
    with world.desk.session() as session:
        return [
            row.text for row in outbox.messages(session, channel="supplier_ack", case_code=code)
        ]


def _refusals(world: SlackWorld, code: str) -> list[dict[str, Any]]:
    with world.desk.session() as session:
        rows = session.execute(
            select(DecisionRow).where(
                DecisionRow.case_code == code, DecisionRow.action == "action_refused"
            )
        ).scalars()
        return [json.loads(row.data) | {"reason": row.reason} for row in rows]


def _with_bot_answering(world: SlackWorld, supplier_id: str) -> None:
    store = world.desk.store
    agreement = store.supplier(supplier_id).model_copy(update={"bot_may_answer": True})
    changed = store.model_copy(update={"suppliers": {**store.suppliers, supplier_id: agreement}})
    world.desk.store = changed
    world.desk.runtime.store = changed


# -- store staff in a shared channel ---------------------------------------------------------


def test_a_store_member_in_the_shared_channel_decides_nothing(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    staff = slack_world.requests.thread_reply(
        "C0ACME", root, "approved, RMA 7781", user="USTORE42", team=TEAM
    )
    event = json.loads(staff.body)
    assert event["is_ext_shared_channel"] is True and event["event"]["user_team"] == TEAM
    assert slack_world.post(staff).status_code == 200
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    assert slack_world.desk.case_view(view.code).rma is None
    [refusal] = _refusals(slack_world, view.code)
    assert refusal["user"] == "USTORE42" and "store's own Slack team" in refusal["reason"]
    assert _acks(slack_world, view.code) == []  # no bot answer in a conversation of people
    # the supplier's own person, from its own team, decides
    reply = slack_world.requests.thread_reply("C0ACME", root, "approved, RMA 7781")
    assert json.loads(reply.body)["event"]["user_team"] != TEAM
    slack_world.post(reply)
    assert slack_world.desk.case_view(view.code).status == "awaiting_shipment"


def test_the_store_team_from_the_setting_and_in_a_channel_that_is_not_shared(
    slack_world: SlackWorld,
) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    slack = SupplierSlackApp(
        slack_world.desk,
        token="xoxb-test",
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=slack_world.server.base_url),
        team_id="TOWNSTORE",
        listener_executor=InlineExecutor(),
    )
    staff = slack_world.requests.thread_reply(
        "C0ACME", root, "declined", user="USTORE42", team="TOWNSTORE"
    )
    assert slack.dispatch(staff.body, staff.headers).status == 200
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    # A channel that is not shared with another team (the supplier a guest of the store's
    # workspace): everyone carries the store's team, so the channel alone says who speaks.
    payload = json.loads(
        slack_world.requests.thread_reply("C0ACME", root, "approved RMA 9", team="TOWNSTORE").body
    )
    payload["is_ext_shared_channel"] = False
    guest = slack_world.requests.sign(json.dumps(payload), content_type="application/json")
    assert slack.dispatch(guest.body, guest.headers).status == 200
    assert slack_world.desk.case_view(view.code).status == "awaiting_shipment"


def test_a_store_member_pressing_the_suppliers_buttons_decides_nothing(
    slack_world: SlackWorld,
) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    press = slack_world.requests.button(
        "rb_decline", view.code, channel="C0ACME", message_ts=root, user="USTORE42", team=TEAM
    )
    assert slack_world.post(press).status_code == 200
    modal = slack_world.server.api.views[-1]
    values = {"note": "we never sold this"}
    submission = slack_world.requests.submission(modal, values, user="USTORE42", team=TEAM)
    assert slack_world.post(submission).status_code == 200
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    assert [r["action"] for r in _refusals(slack_world, view.code)] == ["decline"]
    assert "supplier_decision" not in slack_world.actions(view.code)


# -- edited messages ---------------------------------------------------------------------------


def test_an_edit_that_adds_the_rma_moves_the_case_once(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    ts = slack_world.requests.new_ts()
    slack_world.post(slack_world.requests.thread_reply("C0ACME", root, "approved", ts=ts))
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    edit = slack_world.requests.message_changed(
        "C0ACME", root, ts, "approved, RMA 4471", "approved"
    )
    body = json.loads(edit.body)["event"]
    assert body["subtype"] == "message_changed" and body["message"]["thread_ts"] == root
    for attempt in range(2):  # Slack retries the same edit event: it acts once
        request = slack_world.requests.resign(edit, retry_num=attempt) if attempt else edit
        assert slack_world.post(request).status_code == 200
    case = slack_world.desk.case_view(view.code)
    assert (case.status, case.rma, case.label) == ("awaiting_shipment", "4471", True)
    acks = len(_acks(slack_world, view.code))
    # edited again, to the same meaning: nothing a second time, not even an answer
    again = slack_world.requests.message_changed(
        "C0ACME", root, ts, "Approved - RMA 4471, thanks!", "approved, RMA 4471"
    )
    slack_world.post(again)
    assert slack_world.actions(view.code).count("supplier_decision") == 1
    assert len(_acks(slack_world, view.code)) == acks
    assert _refusals(slack_world, view.code) == []


def test_an_edited_question_is_asked_once_and_unchanged_words_are_not_read(
    slack_world: SlackWorld,
) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    ts = slack_world.requests.new_ts()
    first = "can you send the custmer photo?"
    slack_world.post(slack_world.requests.thread_reply("C0ACME", root, first, ts=ts))
    fixed = "can you send the customer photo?"
    slack_world.post(slack_world.requests.message_changed("C0ACME", root, ts, fixed, first))
    # a link unfurled or an attachment added: same text, nothing to read
    slack_world.post(slack_world.requests.message_changed("C0ACME", root, ts, fixed, fixed))
    assert slack_world.actions(view.code).count("supplier_question") == 1


def test_the_apps_own_message_edited_is_not_read(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    payload = json.loads(
        slack_world.requests.message_changed(
            "C0ACME", root, slack_world.requests.new_ts(), "declined", "Approved."
        ).body
    )
    payload["event"]["message"].update(bot_id="BRB001", user="UBOTRB001")
    own = slack_world.requests.sign(json.dumps(payload), content_type="application/json")
    assert slack_world.post(own).status_code == 200
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    assert _acks(slack_world, view.code) == []


# -- a supplier's bot --------------------------------------------------------------------------


def test_a_suppliers_bot_answers_only_when_its_agreement_allows_it(
    slack_world: SlackWorld,
) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    bot = slack_world.requests.thread_reply(
        "C0ACME", root, "Return authorised. RMA 88120", user="UACMEBOT", bot_id="BACME01"
    )
    assert json.loads(bot.body)["event"]["bot_profile"]["team_id"] != TEAM
    slack_world.post(bot)
    assert slack_world.desk.case_view(view.code).status == "awaiting_supplier"
    assert _acks(slack_world, view.code) == []
    _with_bot_answering(slack_world, "acme")
    again = slack_world.requests.thread_reply(
        "C0ACME", root, "Return authorised. RMA 88121", user="UACMEBOT", bot_id="BACME01"
    )
    slack_world.post(again)
    case = slack_world.desk.case_view(view.code)
    assert (case.status, case.rma) == ("awaiting_shipment", "88121")
    # this app's own messages are never read, whatever the agreement says
    own = slack_world.requests.thread_reply(
        "C0ACME", root, "inspected ok", user="UBOTRB001", bot_id="BRB001", team=TEAM
    )
    slack_world.post(own)
    assert slack_world.desk.case_view(view.code).status == "awaiting_shipment"


# -- the 3-second acknowledgement --------------------------------------------------------------


class _BlockingCarrier:
    """A carrier whose label purchase waits until the test lets it go."""

    def __init__(self, carrier: Carrier, log: list[str]) -> None:
        self.carrier = carrier
        self.log = log
        self.entered = threading.Event()
        self.release = threading.Event()

    def buy_label(self, content: LabelContent, idempotency_key: str) -> PurchasedLabel:
        self.entered.set()
        self.release.wait(WAIT)
        self.log.append("label bought")
        return self.carrier.buy_label(content, idempotency_key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.carrier, name)


def _threaded_app(
    world: SlackWorld, reader: Any = read_supplier_reply
) -> tuple[SupplierSlackApp, ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=2)
    return SupplierSlackApp(
        world.desk,
        token="xoxb-test",
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=world.server.base_url),
        owner_channel="C0OWNER",
        uploader=http_upload,
        reader=reader,
        listener_executor=pool,
    ), pool


def test_a_reply_read_slowly_is_acknowledged_before_it_is_read(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    log: list[str] = []
    entered, release = threading.Event(), threading.Event()

    def slow_reader(text: str, expecting: Expecting) -> SupplierReading:
        entered.set()
        release.wait(WAIT)  # an LLM that takes its time
        log.append("read")
        return read_supplier_reply(text, expecting)

    slack, pool = _threaded_app(slack_world, slow_reader)
    reply = slack_world.requests.thread_reply("C0ACME", slack_world.root_ts(), "approved RMA 5")
    response = slack.dispatch(reply.body, reply.headers)
    log.append(f"acknowledged {response.status}")
    assert entered.wait(WAIT)
    release.set()
    pool.shutdown(wait=True)
    assert log == ["acknowledged 200", "read"]
    assert slack_world.desk.case_view(view.code).status == "awaiting_shipment"


def test_an_approval_that_buys_a_label_is_acknowledged_first(slack_world: SlackWorld) -> None:
    view = slack_world.open_mug_case()
    root = slack_world.root_ts()
    log: list[str] = []
    carrier = _BlockingCarrier(slack_world.desk.runtime.carrier, log)
    slack_world.desk.runtime.carrier = carrier  # type: ignore[assignment]
    slack, pool = _threaded_app(slack_world)
    press = slack_world.requests.button("rb_approve", view.code, channel="C0ACME", message_ts=root)
    assert slack.dispatch(press.body, press.headers).status == 200
    modal = slack_world.server.api.views[-1]
    # a missing RMA is still shown on the form, before the answer to Slack
    empty = slack_world.requests.submission(modal, {"rma": "", "address": ""})
    refused = slack.dispatch(empty.body, empty.headers)
    assert json.loads(refused.body)["response_action"] == "errors"
    full = slack_world.requests.submission(modal, {"rma": "RMA-77", "address": ""})
    response = slack.dispatch(full.body, full.headers)
    log.append(f"acknowledged {response.status} {response.body!r}")
    assert carrier.entered.wait(WAIT)
    carrier.release.set()
    pool.shutdown(wait=True)
    assert log == ["acknowledged 200 ''", "label bought"]
    case = slack_world.desk.case_view(view.code)
    assert (case.status, case.rma, case.label) == ("awaiting_shipment", "RMA-77", True)
