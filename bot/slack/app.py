"""The Slack app: a ``slack_bolt`` App whose listeners only translate Slack's payloads and hand
them to the supplier answers (``graph/supplier_answers.py``), which go through the returns desk.

- A reply in a case's thread (``message`` event) is read in plain words.
- Approve / Decline / Ask a question / Problem found open a modal; its submission is the answer.
  Inspected OK answers at once.
- Who speaks is the channel: the supplier whose agreement names it. The desk refuses anyone
  else. Slack retries and double clicks are claimed once by event id, view id or action ts.
- In a Slack Connect channel both teams write: a message whose ``user_team``/``source_team``
  (a button's ``user.team_id``) is the store's own team is a store member's, and decides
  nothing for the supplier. A supplier's bot speaks only where its agreement says
  ``bot_may_answer``; this app's own messages are never read.
- An edited reply (``message_changed``) is read again (``answer_edit``).
- Slack wants an answer within 3 seconds: every listener acknowledges first and hands the work
  (reading a reply, perhaps with an LLM; buying a label) to a lazy listener on the executor.

It is served at ``/slack/events`` (events, interactivity and commands) through slack_bolt's
Starlette adapter, or in Socket Mode by ``returnbridge slack --socket``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from concurrent.futures import Executor
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.settings import Settings, get_settings
from bot.slack import blocks as slack_blocks
from bot.slack import text as slack_text
from bot.slack.outbox import SlackOutbox, Uploader, http_upload
from graph.desk import ReturnsDesk
from graph.owner_console import answer_owner
from graph.supplier_answers import (
    Reader,
    SupplierAnswer,
    SupplierSource,
    answer_button,
    answer_edit,
    answer_text,
)
from language.supplier.reader import read_supplier_reply
from ledger.repository import get_case
from ledger.slack_models import claim_event, thread_by_ts

log = logging.getLogger("returnbridge.slack")

_MODAL_ACTIONS = {
    slack_blocks.APPROVE_MODAL: "approve",
    slack_blocks.DECLINE_MODAL: "decline",
    slack_blocks.QUESTION_MODAL: "question",
    slack_blocks.PROBLEM_MODAL: "inspected_failed",
}
_IGNORED_SUBTYPES = {
    "message_deleted",
    "message_replied",
    "channel_join",
    "channel_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "pinned_item",
}


class SupplierSlackApp:
    """The bolt App, the outbox delivery and the channel map, for one desk."""

    def __init__(
        self,
        desk: ReturnsDesk,
        *,
        token: str,
        signing_secret: str,
        client: WebClient | None = None,
        api_url: str | None = None,
        owner_channel: str | None = None,
        channels: dict[str, str] | None = None,
        reader: Reader = read_supplier_reply,
        uploader: Uploader = http_upload,
        team_id: str | None = None,
        listener_executor: Executor | None = None,
    ) -> None:
        """``team_id``: the store's own Slack team (else learned from ``auth.test``).
        ``listener_executor``: where the work after each acknowledgement runs (bolt's thread
        pool by default; the scenario runner's runs it in place)."""
        self.desk = desk
        self.team_id = team_id
        self._shared: dict[str, bool] = {}
        self._shared_lock = threading.Lock()
        self.reader = reader
        if client is None:
            client = WebClient(token=token, base_url=api_url) if api_url else WebClient(token=token)
        self.client = client
        self.outbox = SlackOutbox(
            client, desk.store, owner_channel=owner_channel, channels=channels, uploader=uploader
        )
        self._auth: AuthorizeResult | None = None
        self.app = App(
            signing_secret=signing_secret,
            # bolt's own client carries no token: the token comes from ``_authorize``, and the
            # listeners speak through ``self.client``
            client=WebClient(base_url=client.base_url, timeout=client.timeout),
            # auth.test once, through our own client, instead of at start-up
            authorize=lambda enterprise_id, team_id: self._authorize(enterprise_id, team_id),
            # The desk answers in milliseconds; acting before the HTTP answer lets a modal
            # show its errors. A slow answer that Slack retries is claimed once anyway.
            process_before_response=True,
            logger=log,
            listener_executor=listener_executor,
        )
        self._register()

    def _authorize(self, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        if self._auth is None:
            info = self.client.auth_test()
            self._auth = AuthorizeResult(
                enterprise_id=enterprise_id,
                team_id=str(info.get("team_id") or team_id or ""),
                bot_user_id=info.get("user_id"),
                bot_id=info.get("bot_id"),
                bot_token=self.client.token,
            )
        return self._auth

    # -- translating Slack into supplier answers ----------------------------------------------

    def _register(self) -> None:
        # bolt injects listener arguments by name, so the listeners are plain functions
        app = self.app

        # Each listener acknowledges at once; the work runs lazily, after the answer to Slack.
        def acknowledge(ack: Ack) -> None:
            ack()

        def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
            self._on_message(body, event)

        def on_modal_button(ack: Ack, body: dict[str, Any]) -> None:
            self._on_modal_button(ack, body)

        def on_inspected_ok(body: dict[str, Any]) -> None:
            self._on_inspected_ok(body)

        def check_submission(ack: Ack, view: dict[str, Any]) -> None:
            self._check_submission(ack, view)

        def on_submission(body: dict[str, Any], view: dict[str, Any]) -> None:
            self._on_submission(body, view)

        app.event("message")(ack=acknowledge, lazy=[on_message])
        app.event("app_mention")(acknowledge)
        for action_id in (
            slack_blocks.APPROVE,
            slack_blocks.DECLINE,
            slack_blocks.QUESTION,
            slack_blocks.INSPECTED_FAILED,
        ):
            app.action(action_id)(on_modal_button)
        app.action(slack_blocks.INSPECTED_OK)(ack=acknowledge, lazy=[on_inspected_ok])
        for callback_id in _MODAL_ACTIONS:
            app.view(callback_id)(ack=check_submission, lazy=[on_submission])

    # -- who speaks ------------------------------------------------------------------------------

    def _store_teams(self, body: dict[str, Any]) -> set[str]:
        """The store's own team (and its org on Enterprise Grid): the setting, else auth.test,
        else the installation the event was delivered for."""
        teams = {self.team_id or ""}
        if self._auth is not None:
            teams.add(self._auth.team_id or "")
        if not self.team_id:
            for authorization in body.get("authorizations") or []:
                teams.add(str(authorization.get("team_id") or ""))
                teams.add(str(authorization.get("enterprise_id") or ""))
        teams.discard("")
        return teams

    def _from_this_app(self, body: dict[str, Any], message: dict[str, Any]) -> bool:
        auth = self._auth
        if auth is not None and (
            (message.get("bot_id") and message.get("bot_id") == auth.bot_id)
            or (message.get("user") and message.get("user") == auth.bot_user_id)
        ):
            return True
        app_id = message.get("app_id") or (message.get("bot_profile") or {}).get("app_id")
        return bool(app_id) and app_id == body.get("api_app_id")

    def _channel_is_shared(self, channel: str | None) -> bool:
        """Whether a channel is shared with another team (Slack Connect), asked once. Unknown
        counts as shared: then a store member's button is refused rather than taken."""
        if not channel:
            return True
        with self._shared_lock:
            known = self._shared.get(channel)
        if known is not None:
            return known
        try:
            info = self.client.conversations_info(channel=channel).get("channel") or {}
            shared = bool(info.get("is_ext_shared") or info.get("is_shared"))
        except Exception as error:
            log.warning("conversations.info %s failed: %s", channel, error)
            return True
        with self._shared_lock:
            self._shared[channel] = shared
        return shared

    def _speaker(
        self,
        body: dict[str, Any],
        message: dict[str, Any],
        channel: str,
        event_key: str,
        thread_ts: str,
    ) -> SupplierSource | None:
        """Who wrote a message in a case thread; None for a bot that may not answer."""
        supplier_id = self.outbox.supplier_for(channel)
        team = (
            message.get("user_team")
            or message.get("source_team")
            or (message.get("user_profile") or {}).get("team")
            or (message.get("bot_profile") or {}).get("team_id")
            or message.get("team")
        )
        # Outside a shared channel (suppliers as guests of the store's workspace) every
        # member carries the store's team: there the channel alone says who speaks.
        store_member = bool(body.get("is_ext_shared_channel")) and team in self._store_teams(body)
        if not store_member and (message.get("bot_id") or message.get("subtype") == "bot_message"):
            agreement = self.desk.store.suppliers.get(supplier_id or "")
            if agreement is None or not agreement.bot_may_answer:
                log.info("a bot's message in %s ignored: its agreement lets no bot answer", channel)
                return None
        return SupplierSource(
            supplier_id=supplier_id,
            event_key=event_key,
            channel=channel,
            thread_ts=thread_ts,
            user=message.get("user") or message.get("bot_id"),
            speaker="store_staff" if store_member else "supplier",
        )

    def _button_speaker(self, body: dict[str, Any], channel: str | None) -> str:
        team = (body.get("user") or {}).get("team_id")
        if team and team in self._store_teams(body) and self._channel_is_shared(channel):
            return "store_staff"
        return "supplier"

    # -- messages --------------------------------------------------------------------------------

    def _case_of_thread(self, thread_ts: str) -> str | None:
        with self.desk.session() as session:
            thread = thread_by_ts(session, thread_ts)
            return thread.case_code if thread is not None else None

    def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        subtype = event.get("subtype")
        if subtype == "message_changed":
            self._on_edit(body, event)
            return
        if subtype in _IGNORED_SUBTYPES or self._from_this_app(body, event):
            return
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        text = str(event.get("text") or "").strip()
        channel = str(event.get("channel") or "")
        if text and channel and channel == self.outbox.owner_channel:
            if not event.get("bot_id"):
                self._on_owner_message(body, event, text)
            return
        if not thread_ts or thread_ts == ts or not text:
            return  # only replies in a case's thread speak to a case
        code = self._case_of_thread(str(thread_ts))
        if code is None:
            return
        key = f"event:{body.get('event_id') or channel + ':' + str(ts)}"
        who = self._speaker(body, event, channel, key, str(thread_ts))
        if who is not None:
            self._log(answer_text(self.desk, code, who, text, self.reader))

    def _on_edit(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """``message_changed``: the new message, with its thread, and the one it replaced."""
        message = event.get("message") or {}
        previous = event.get("previous_message") or {}
        if self._from_this_app(body, message):
            return  # our own request losing its buttons, or an acknowledgement
        thread_ts = message.get("thread_ts") or previous.get("thread_ts")
        ts = message.get("ts") or previous.get("ts")
        text = str(message.get("text") or "").strip()
        before = str(previous.get("text") or "").strip()
        channel = str(event.get("channel") or "")
        if not thread_ts or thread_ts == ts or not text or text == before:
            return  # not a thread reply, or the words did not change (an unfurl)
        if channel == self.outbox.owner_channel:
            return
        code = self._case_of_thread(str(thread_ts))
        if code is None:
            return
        edited = (message.get("edited") or {}).get("ts") or event.get("ts")
        key = f"event:{body.get('event_id') or f'{channel}:{ts}:edited:{edited}'}"
        who = self._speaker(body, message, channel, key, str(thread_ts))
        if who is not None:
            self._log(answer_edit(self.desk, code, who, text, before, self.reader))

    def _on_owner_message(self, body: dict[str, Any], event: dict[str, Any], text: str) -> None:
        """The owner channel is the owner console: decisions, rules, questions."""
        ts = str(event.get("ts") or "")
        key = f"owner-event:{body.get('event_id') or event.get('channel', '') + ':' + ts}"
        with self.desk.session() as session:
            first = claim_event(session, key, source="slack-owner", at=self.desk.clock.now())
        if not first:
            return  # a retried event: answered already
        reply = answer_owner(self.desk, text)
        self.client.chat_postMessage(
            channel=str(event["channel"]),
            text=slack_text.escape(reply),  # it may repeat a customer's or supplier's words
            thread_ts=event.get("thread_ts") or ts,
        )

    def _on_modal_button(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        action = (body.get("actions") or [{}])[0]
        code = str(action.get("value") or "")
        channel, thread_ts = _where(body)
        meta = {"case": code, "channel": channel, "thread_ts": thread_ts}
        action_id = action.get("action_id")
        if action_id == slack_blocks.APPROVE:
            view = self._approve_modal(code, meta)
        elif action_id == slack_blocks.DECLINE:
            view = slack_blocks.decline_modal(code, meta)
        elif action_id == slack_blocks.QUESTION:
            view = slack_blocks.question_modal(code, meta)
        else:
            view = slack_blocks.problem_modal(code, meta)
        self.client.views_open(trigger_id=body["trigger_id"], view=view)

    def _approve_modal(self, code: str, meta: dict[str, Any]) -> dict[str, Any]:
        with self.desk.session() as session:
            case = get_case(session, code)
            supplier_id = case.supplier_id if case is not None else None
            physical = bool(case.return_required) if case is not None else True
        agreement = self.desk.store.suppliers.get(supplier_id or "")
        return slack_blocks.approve_modal(
            code,
            meta,
            physical=physical,
            rma_required=bool(agreement and agreement.rma_required),
            address_on_file=agreement.return_address if agreement else None,
        )

    def _on_inspected_ok(self, body: dict[str, Any]) -> None:
        action = (body.get("actions") or [{}])[0]
        channel, thread_ts = _where(body)
        who = SupplierSource(
            supplier_id=self.outbox.supplier_for(channel),
            event_key=f"action:{action.get('action_id')}:{action.get('action_ts')}",
            channel=channel,
            thread_ts=thread_ts,
            user=(body.get("user") or {}).get("id"),
            speaker=self._button_speaker(body, channel),
        )
        self._log(answer_button(self.desk, str(action.get("value") or ""), who, "inspected_ok"))

    def _check_submission(self, ack: Ack, view: dict[str, Any]) -> None:
        """Before the answer to Slack: a field the approval lacks is shown on the form, which
        stays open; anything else is acknowledged and handled after."""
        meta = _metadata(view)
        if _MODAL_ACTIONS.get(str(view.get("callback_id"))) == "approve":
            values = slack_blocks.modal_values(view)
            problem = self.desk.approval_problem(
                str(meta.get("case") or ""), values.get("rma"), values.get("address")
            )
            field = _field_for(SupplierAnswer(code=None, ack=problem or "", refused=True))
            if problem and field is not None:
                ack(response_action="errors", errors={field: problem})
                return
        ack()

    def _on_submission(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = _metadata(view)
        channel = meta.get("channel")
        values = slack_blocks.modal_values(view)
        action = _MODAL_ACTIONS.get(str(view.get("callback_id")), "")
        if action == "approve" and self.desk.approval_problem(
            str(meta.get("case") or ""), values.get("rma"), values.get("address")
        ):
            return  # shown on the form, which stayed open for the missing field
        # The form stays open after an error, so a corrected submission keeps its view id:
        # the words submitted are part of what is claimed once.
        typed = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]
        who = SupplierSource(
            supplier_id=self.outbox.supplier_for(channel),
            event_key=f"view:{view.get('id')}:{typed}",
            channel=channel,
            thread_ts=meta.get("thread_ts"),
            user=(body.get("user") or {}).get("id"),
            speaker=self._button_speaker(body, channel),
        )
        answer = answer_button(
            self.desk,
            str(meta.get("case") or ""),
            who,
            action,
            rma=values.get("rma"),
            address=values.get("address"),
            note=values.get("note", ""),
        )
        self._log(answer)

    @staticmethod
    def _log(answer: SupplierAnswer) -> None:
        if answer.duplicate:
            log.info("supplier event for %s already handled", answer.code)
        elif answer.refused:
            log.info("supplier answer on %s refused: %s", answer.code, answer.ack)

    # -- the HTTP face ---------------------------------------------------------------------------

    def socket_mode(self, app_token: str) -> SocketModeHandler:
        """The app over Socket Mode: Slack's WebSocket instead of a public URL (``xapp-``)."""
        return SocketModeHandler(self.app, app_token, logger=log)

    def dispatch(self, body: str, headers: dict[str, str]) -> BoltResponse:
        """Hand one signed request to the app, as the HTTP route does."""
        return self.app.dispatch(BoltRequest(body=body, headers=dict(headers.items())))


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The channel and thread a button was pressed in."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    message = body.get("message") or {}
    thread_ts = message.get("thread_ts") or container.get("thread_ts") or message.get("ts")
    return channel, thread_ts


def _field_for(answer: SupplierAnswer) -> str | None:
    """A refusal the form itself can fix is shown on its field, and the modal stays open."""
    if not answer.refused:
        return None
    if "RMA number is needed" in answer.ack:
        return "rma"
    if "return address is needed" in answer.ack:
        return "address"
    return None


def slack_from_settings(
    desk: ReturnsDesk, settings: Settings | None = None
) -> SupplierSlackApp | None:
    """The Slack app when ``SLACK_BOT_TOKEN`` and ``SLACK_SIGNING_SECRET`` are set, else None."""
    settings = settings or get_settings()
    if not settings.slack_bot_token or not settings.slack_signing_secret:
        return None
    from graph.supplier_reader_llm import reader_from_env

    return SupplierSlackApp(
        desk,
        token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        api_url=settings.slack_api_url,
        owner_channel=settings.slack_owner_channel,
        reader=reader_from_env(),
        team_id=settings.slack_team_id,
    )


def get_slack(request: Request) -> SupplierSlackApp | None:
    """The app's Slack connection (``app.state.slack``): None when Slack is not configured."""
    slack: SupplierSlackApp | None = request.app.state.slack
    return slack


# ``POST /slack/events``: events, interactivity and commands, through bolt's adapter.
router = APIRouter()


@router.post("/slack/events", include_in_schema=False)
async def slack_events(
    request: Request, supplier_slack: Annotated[SupplierSlackApp | None, Depends(get_slack)]
) -> Response:
    if supplier_slack is None:
        return Response(
            json.dumps({"error": "Slack is not configured; suppliers use their inbox page."}),
            status_code=404,
            media_type="application/json",
        )
    body = await request.body()
    bolt_request = to_bolt_request(request, body)
    bolt_response = await run_in_threadpool(supplier_slack.app.dispatch, bolt_request)
    return to_starlette_response(bolt_response)


def slack_outbox_from_settings(desk: ReturnsDesk) -> SlackOutbox | None:
    """The worker's Slack delivery when Slack is configured, else None (messages stay local)."""
    supplier_slack = slack_from_settings(desk)
    return supplier_slack.outbox if supplier_slack is not None else None
