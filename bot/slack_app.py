"""The Slack app: a ``slack_bolt`` App whose listeners only translate Slack's payloads and hand
them to the supplier answers (``graph/supplier_answers.py``), which go through the returns desk.

- A reply in a case's thread (``message`` event) is read in plain words.
- Approve / Decline / Ask a question / Problem found open a modal; its submission is the answer.
  Inspected OK answers at once.
- Who speaks is the channel: the supplier whose agreement names it. The desk refuses anyone
  else. Slack retries and double clicks are claimed once by event id, view id or action ts.

It is served at ``/slack/events`` (events, interactivity and commands) through slack_bolt's
Starlette adapter, or in Socket Mode by ``returnbridge slack --socket``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot import slack_blocks, slack_text
from bot.settings import Settings, get_settings
from bot.slack_outbox import SlackOutbox, Uploader, http_upload
from graph.desk import ReturnsDesk
from graph.owner_console import answer_owner
from graph.supplier_answers import (
    Reader,
    SupplierAnswer,
    SupplierSource,
    answer_button,
    answer_text,
)
from graph.supplier_reader import read_supplier_reply
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
    "message_changed",
    "message_deleted",
    "channel_join",
    "channel_leave",
    "bot_message",
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
    ) -> None:
        self.desk = desk
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

        def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
            self._on_message(body, event)

        def on_mention(ack: Ack) -> None:
            ack()

        def on_modal_button(ack: Ack, body: dict[str, Any]) -> None:
            self._on_modal_button(ack, body)

        def on_inspected_ok(ack: Ack, body: dict[str, Any]) -> None:
            self._on_inspected_ok(ack, body)

        def on_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
            self._on_submission(ack, body, view)

        app.event("message")(on_message)
        app.event("app_mention")(on_mention)
        for action_id in (
            slack_blocks.APPROVE,
            slack_blocks.DECLINE,
            slack_blocks.QUESTION,
            slack_blocks.INSPECTED_FAILED,
        ):
            app.action(action_id)(on_modal_button)
        app.action(slack_blocks.INSPECTED_OK)(on_inspected_ok)
        for callback_id in _MODAL_ACTIONS:
            app.view(callback_id)(on_submission)

    def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("bot_id") or event.get("subtype") in _IGNORED_SUBTYPES:
            return
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        text = str(event.get("text") or "").strip()
        channel = str(event.get("channel") or "")
        if text and channel and channel == self.outbox.owner_channel:
            self._on_owner_message(body, event, text)
            return
        if not thread_ts or thread_ts == ts or not text:
            return  # only replies in a case's thread speak to a case
        with self.desk.session() as session:
            thread = thread_by_ts(session, str(thread_ts))
            code = thread.case_code if thread is not None else None
        if code is None:
            return
        who = SupplierSource(
            supplier_id=self.outbox.supplier_for(channel),
            event_key=f"event:{body.get('event_id') or channel + ':' + str(ts)}",
            channel=channel,
            thread_ts=str(thread_ts),
            user=event.get("user"),
        )
        self._log(answer_text(self.desk, code, who, text, self.reader))

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

    def _on_inspected_ok(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        action = (body.get("actions") or [{}])[0]
        channel, thread_ts = _where(body)
        who = SupplierSource(
            supplier_id=self.outbox.supplier_for(channel),
            event_key=f"action:{action.get('action_id')}:{action.get('action_ts')}",
            channel=channel,
            thread_ts=thread_ts,
            user=(body.get("user") or {}).get("id"),
        )
        self._log(answer_button(self.desk, str(action.get("value") or ""), who, "inspected_ok"))

    def _on_submission(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        channel = meta.get("channel")
        values = slack_blocks.modal_values(view)
        who = SupplierSource(
            supplier_id=self.outbox.supplier_for(channel),
            event_key=f"view:{view.get('id')}",
            channel=channel,
            thread_ts=meta.get("thread_ts"),
            user=(body.get("user") or {}).get("id"),
        )
        answer = answer_button(
            self.desk,
            str(meta.get("case") or ""),
            who,
            _MODAL_ACTIONS.get(str(view.get("callback_id")), ""),
            rma=values.get("rma"),
            address=values.get("address"),
            note=values.get("note", ""),
        )
        self._log(answer)
        field = _field_for(answer)
        if field is not None:
            ack(response_action="errors", errors={field: answer.ack})
        else:
            ack()

    @staticmethod
    def _log(answer: SupplierAnswer) -> None:
        if answer.duplicate:
            log.info("supplier event for %s already handled", answer.code)
        elif answer.refused:
            log.info("supplier answer on %s refused: %s", answer.code, answer.ack)

    # -- the HTTP face ---------------------------------------------------------------------------

    def dispatch(self, body: str, headers: dict[str, str]) -> BoltResponse:
        """Hand one signed request to the app, as the HTTP route does."""
        return self.app.dispatch(BoltRequest(body=body, headers=dict(headers.items())))


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
    )


def slack_router(desk: ReturnsDesk, slack: SupplierSlackApp | None = None) -> APIRouter:
    """``POST /slack/events``: events, interactivity and commands, through bolt's adapter."""
    router = APIRouter()
    holder: dict[str, SupplierSlackApp | None] = {"app": slack}
    if slack is None:
        holder["app"] = slack_from_settings(desk)

    @router.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        supplier_slack = holder["app"]
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

    return router


def slack_outbox_from_settings(desk: ReturnsDesk) -> SlackOutbox | None:
    """The worker's Slack delivery when Slack is configured, else None (messages stay local)."""
    supplier_slack = slack_from_settings(desk)
    return supplier_slack.outbox if supplier_slack is not None else None
