"""The supplier side of a scenario, played through the real Slack app.

Each ``supplier`` step becomes signed Slack requests (a thread reply, a button press and its
modal) dispatched to a real ``slack_bolt`` App, whose Web API calls go to an in-process
recorder (``bot/slack/local.py``). The outbox is delivered to that recorder first, so each case
has its thread, exactly as in a shared channel. A supplier without a ``slack_channel`` in the
scenario gets a stand-in channel of its own.

A case that has no thread yet (nothing was posted to its supplier) is answered as on the
supplier inbox page: same handler functions, no channel.

Step keys beyond the format (for the Slack scenarios): ``forged: true`` signs with a wrong
secret and expects 401; ``retries: N`` delivers the same event N more times with
``X-Slack-Retry-Num``; ``clicks: N`` presses the button N times; ``channel: C…`` speaks from
that channel instead of the supplier's own.

Format v2: ``by: store_staff`` writes (or presses) as a member of the store's own Slack team in
the supplier's shared channel; ``edit: TEXT`` edits the supplier's last message in the thread
(a ``message_changed`` event carrying the new and the previous text).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from sqlalchemy import select

from bot.scenarios.chat import supplier_reader
from bot.slack.app import SupplierSlackApp
from bot.slack.blocks import APPROVE, DECLINE, INSPECTED_FAILED, INSPECTED_OK, QUESTION
from bot.slack.local import TEAM, InlineExecutor, LocalSlackAPI, LocalSlackClient
from bot.slack.payloads import SignedRequest, SlackRequests
from bot.worker import deliver_outbox
from graph.desk import ReturnsDesk
from graph.supplier_answers import SupplierSource, answer_button, answer_edit, answer_text
from ledger.models import OutboxRow
from ledger.slack_models import SlackPostRow, case_thread

SECRET = "scenario-signing-secret"
BUTTONS = {
    "question": QUESTION,
    "approve": APPROVE,
    "decline": DECLINE,
    "inspected_ok": INSPECTED_OK,
    "inspected_failed": INSPECTED_FAILED,
}


class SlackStepFailed(Exception):
    """Slack answered a step's request with an unexpected status."""


def stand_in_channel(supplier_id: str) -> str:
    return "C" + (re.sub(r"[^A-Z0-9]", "", supplier_id.upper()) or "SUPPLIER")[:10] + "X"


class SlackScenarioSide:
    """One scenario's Slack workspace: the recorder, the app, and who sits in which channel."""

    def __init__(self, desk: ReturnsDesk) -> None:
        self.desk = desk
        self.api = LocalSlackAPI()
        channels = {
            supplier_id: agreement.slack_channel or stand_in_channel(supplier_id)
            for supplier_id, agreement in desk.store.suppliers.items()
        }
        self.slack = SupplierSlackApp(
            desk,
            token="xoxb-scenario",
            signing_secret=SECRET,
            client=LocalSlackClient(self.api, token="xoxb-scenario"),
            owner_channel="COWNER",
            channels=channels,
            uploader=self.api.receive_upload,
            listener_executor=InlineExecutor(),  # a step's work is done when it returns
            reader=supplier_reader(),  # the model's reading on the runner's --llm
        )
        self.requests = SlackRequests(SECRET)
        self._inbox_keys = itertools.count(1)
        # each speaker's last message per case, as (ts, text): what an ``edit`` step edits
        self._last: dict[tuple[str, str, str], tuple[str, str]] = {}

    def deliver(self) -> None:
        deliver_outbox(self.desk, limit=1000, slack=self.slack.outbox)

    def play(self, supplier_id: str, code: str, step: dict[str, Any]) -> None:
        self.deliver()
        with self.desk.session() as session:
            thread = case_thread(session, code)
            where = (thread.channel, thread.thread_ts) if thread is not None else None
        by = str(step.get("by") or "supplier")
        if by not in ("supplier", "store_staff"):
            raise SlackStepFailed(f"'by' is supplier or store_staff, not {by!r}")
        team = TEAM if by == "store_staff" else None
        user = "USTORESTAFF1" if by == "store_staff" else "USUPPLIER1"
        last = (supplier_id, code, by)
        if where is None:
            self._inbox(supplier_id, code, step)
        elif "edit" in step:
            if last not in self._last:
                raise SlackStepFailed("an edit needs an earlier message in the thread to edit")
            ts, before = self._last[last]
            channel = str(step.get("channel") or self.slack.outbox.channel_for(supplier_id) or "")
            text = str(step["edit"])
            self._send(
                self.requests.message_changed(
                    channel, where[1], ts, text, before, user=user, team=team
                ),
                step,
            )
            self._last[last] = (ts, text)
        elif "text" in step:
            channel = str(step.get("channel") or self.slack.outbox.channel_for(supplier_id) or "")
            ts = self.requests.new_ts()
            text = str(step["text"])
            request = self.requests.thread_reply(
                channel, where[1], text, user=user, team=team, ts=ts
            )
            self._send(request, step)
            self._last[last] = (ts, text)
        else:
            self._press(supplier_id, code, where[1], step, team=team)
        self.deliver()

    def _send(self, request: SignedRequest, step: dict[str, Any]) -> int:
        if step.get("forged"):
            forged = self.requests.resign(request, secret="not-the-signing-secret")
            status = self.slack.dispatch(forged.body, forged.headers).status
            if status != 401:
                raise SlackStepFailed(f"a forged request was answered {status}, not 401")
            return status
        response = self.slack.dispatch(request.body, request.headers)
        if response.status != 200:
            raise SlackStepFailed(f"Slack request answered {response.status}: {response.body}")
        for attempt in range(1, int(step.get("retries") or 0) + 1):
            retry = self.requests.resign(request, retry_num=attempt)
            status = self.slack.dispatch(retry.body, retry.headers).status
            if status != 200:
                raise SlackStepFailed(f"retry {attempt} answered {status}")
        return response.status

    def _press(
        self,
        supplier_id: str,
        code: str,
        thread_ts: str,
        step: dict[str, Any],
        *,
        team: str | None = None,
    ) -> None:
        button = str(step["button"])
        kind = "inspection_request" if button.startswith("inspected") else "authorisation_request"
        message_ts = self._request_ts(code, kind) or thread_ts
        channel = str(step.get("channel") or self.slack.outbox.channel_for(supplier_id) or "")
        for _click in range(max(1, int(step.get("clicks") or 1))):
            views_before = len(self.api.views)
            press = self.requests.button(
                BUTTONS[button],
                code,
                channel=channel,
                message_ts=message_ts,
                thread_ts=thread_ts,
                team=team,
            )
            self._send(press, step)
            if button == "inspected_ok" or step.get("forged"):
                continue
            if len(self.api.views) == views_before:
                raise SlackStepFailed(f"pressing {button} opened no modal")
            view = self.api.views[-1]
            values = {
                block["block_id"]: block["element"].get("initial_value", "")
                for block in view.get("blocks", [])
                if block.get("type") == "input"
            }
            for field in ("rma", "address", "note"):
                if step.get(field) is not None:
                    values[field] = str(step[field])
            self._send(self.requests.submission(view, values, team=team), {})

    def _request_ts(self, code: str, kind: str) -> str | None:
        with self.desk.session() as session:
            return session.execute(
                select(SlackPostRow.ts)
                .join(OutboxRow, OutboxRow.idempotency_key == SlackPostRow.outbox_key)
                .where(SlackPostRow.case_code == code, OutboxRow.kind == kind)
                .order_by(SlackPostRow.at.desc())
                .limit(1)
            ).scalar_one_or_none()

    def _inbox(self, supplier_id: str, code: str, step: dict[str, Any]) -> None:
        by = str(step.get("by") or "supplier")
        who = SupplierSource(
            supplier_id=supplier_id,
            event_key=f"inbox:scenario:{next(self._inbox_keys)}",
            source="inbox",
            speaker="store_staff" if by == "store_staff" else "supplier",
        )
        last = (supplier_id, code, by)
        if "edit" in step:
            if last not in self._last:
                raise SlackStepFailed("an edit needs an earlier message to edit")
            text = str(step["edit"])
            answer_edit(self.desk, code, who, text, self._last[last][1], self.slack.reader)
            self._last[last] = ("", text)
            return
        if "text" in step:
            answer_text(self.desk, code, who, str(step["text"]), self.slack.reader)
            self._last[last] = ("", str(step["text"]))
            return
        answer_button(
            self.desk,
            code,
            who,
            str(step["button"]),
            rma=None if step.get("rma") is None else str(step["rma"]),
            address=step.get("address"),
            note=str(step.get("note") or ""),
        )
