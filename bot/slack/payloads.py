"""Slack's request payloads, in their real shapes and signed as Slack signs them.

The scenario runner and the tests speak to the Slack app only through these: an Events API
``event_callback`` for a thread reply, ``block_actions`` for a button, ``view_submission`` for
a modal, ``url_verification``; each signed with the signing secret (``v0`` HMAC-SHA256 over
``v0:timestamp:body``), with ``X-Slack-Retry-Num`` when Slack retries.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from slack_sdk.signature import SignatureVerifier

from bot.slack.local import SUPPLIER_TEAM, TEAM


@dataclass
class SignedRequest:
    body: str
    headers: dict[str, str]


class SlackRequests:
    """Builds signed requests for one workspace and app."""

    def __init__(
        self,
        signing_secret: str,
        *,
        team: str = TEAM,
        app_id: str = "ARETURNS1",
        supplier_team: str = SUPPLIER_TEAM,
    ) -> None:
        self.signing_secret = signing_secret
        self.team = team
        self.supplier_team = supplier_team
        self.app_id = app_id
        self._ids = itertools.count(1)

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):010d}"

    def sign(
        self,
        body: str,
        *,
        content_type: str,
        timestamp: int | None = None,
        secret: str | None = None,
        retry_num: int = 0,
    ) -> SignedRequest:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret or self.signing_secret).generate_signature(
            timestamp=stamp, body=body
        )
        headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": str(signature),
        }
        if retry_num:
            headers["x-slack-retry-num"] = str(retry_num)
            headers["x-slack-retry-reason"] = "http_timeout"
        return SignedRequest(body, headers)

    def resign(self, request: SignedRequest, **kwargs: Any) -> SignedRequest:
        """The same body again: a retry (``retry_num=1``) or a forgery (``secret=...``)."""
        return self.sign(request.body, content_type=request.headers["content-type"], **kwargs)

    def _json(self, payload: dict[str, Any]) -> SignedRequest:
        return self.sign(json.dumps(payload), content_type="application/json")

    def _form(self, payload: dict[str, Any]) -> SignedRequest:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.sign(body, content_type="application/x-www-form-urlencoded")

    def url_verification(self, challenge: str) -> SignedRequest:
        return self._json({"token": "legacy", "challenge": challenge, "type": "url_verification"})

    def new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    def _event(self, event: dict[str, Any], actor_team: str) -> SignedRequest:
        """An ``event_callback`` from a Slack Connect channel: the envelope's ``team_id`` is
        the actor's team, ``context_team_id`` and the authorization the store's install."""
        return self._json(
            {
                "token": "legacy",
                "team_id": actor_team,
                "context_team_id": self.team,
                "api_app_id": self.app_id,
                "event": event,
                "type": "event_callback",
                "event_id": self._next("Ev"),
                "event_time": int(time.time()),
                "is_ext_shared_channel": True,
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": self.team,
                        "user_id": "UBOTRB001",
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
            }
        )

    def thread_reply(
        self,
        channel: str,
        thread_ts: str,
        text: str,
        *,
        user: str = "USUPPLIER1",
        team: str | None = None,
        bot_id: str | None = None,
        ts: str | None = None,
    ) -> SignedRequest:
        """A reply in a thread, as the Events API delivers it: by default a supplier's person,
        from the supplier's own team (``user_team``/``source_team``); ``team`` for another team
        (the store's own, for a store member); ``bot_id`` for an app's message."""
        ts = ts or self.new_ts()
        team = team or self.supplier_team
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "parent_user_id": "UBOTRB001",
            "channel_type": "channel",
            "event_ts": ts,
            "team": team,
            "user_team": team,
            "source_team": team,
            "user_profile": {"name": user.lower(), "team": team},
        }
        if bot_id:
            event["bot_id"] = bot_id
            event["app_id"] = "A" + bot_id[1:]
            event["bot_profile"] = {"id": bot_id, "app_id": "A" + bot_id[1:], "team_id": team}
            del event["user_profile"]
        return self._event(event, team)

    def message_changed(
        self,
        channel: str,
        thread_ts: str,
        ts: str,
        text: str,
        previous_text: str,
        *,
        user: str = "USUPPLIER1",
        team: str | None = None,
    ) -> SignedRequest:
        """A thread reply edited: ``message_changed`` with the new message (its own ``ts`` and
        ``thread_ts``, ``edited``) and the ``previous_message``, in a hidden event of its own."""
        team = team or self.supplier_team
        event_ts = self.new_ts()
        message = {
            "type": "message",
            "text": text,
            "user": user,
            "team": team,
            "user_team": team,
            "source_team": team,
            "edited": {"user": user, "ts": event_ts},
            "ts": ts,
            "thread_ts": thread_ts,
            "parent_user_id": "UBOTRB001",
        }
        previous = {
            "type": "message",
            "text": previous_text,
            "user": user,
            "team": team,
            "ts": ts,
            "thread_ts": thread_ts,
            "parent_user_id": "UBOTRB001",
        }
        event = {
            "type": "message",
            "subtype": "message_changed",
            "message": message,
            "previous_message": previous,
            "channel": channel,
            "hidden": True,
            "ts": event_ts,
            "event_ts": event_ts,
            "channel_type": "channel",
        }
        return self._event(event, team)

    def button(
        self,
        action_id: str,
        value: str,
        *,
        channel: str,
        message_ts: str,
        thread_ts: str | None = None,
        user: str = "USUPPLIER1",
        team: str | None = None,
    ) -> SignedRequest:
        """A button pressed on a message (a ``block_actions`` interaction), by default by a
        supplier's person (``user.team_id`` the supplier's team)."""
        action_ts = f"{int(time.time())}.{next(self._ids):06d}"
        message: dict[str, Any] = {"type": "message", "ts": message_ts, "text": ""}
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        if thread_ts and thread_ts != message_ts:
            message["thread_ts"] = thread_ts
            container["thread_ts"] = thread_ts
        return self._form(
            {
                "type": "block_actions",
                "user": {"id": user, "username": "supplier", "team_id": team or self.supplier_team},
                "api_app_id": self.app_id,
                "token": "legacy",
                "container": container,
                "trigger_id": self._next("trigger."),
                "team": {"id": self.team, "domain": "store"},
                "channel": {"id": channel, "name": channel.lower()},
                "message": message,
                "response_url": f"https://hooks.slack.test/actions/{self._next('R')}",
                "actions": [
                    {
                        "action_id": action_id,
                        "block_id": "rb_case_actions",
                        "value": value,
                        "type": "button",
                        "action_ts": action_ts,
                    }
                ],
            }
        )

    def submission(
        self,
        view: dict[str, Any],
        values: dict[str, str],
        *,
        user: str = "USUPPLIER1",
        team: str | None = None,
    ) -> SignedRequest:
        """A modal submitted with ``{block_id: text}`` typed into its inputs."""
        state = {
            block["block_id"]: {
                "value": {"type": "plain_text_input", "value": values.get(block["block_id"])}
            }
            for block in view.get("blocks", [])
            if block.get("type") == "input"
        }
        submitted = dict(view, state={"values": state}, team_id=self.team)
        return self._form(
            {
                "type": "view_submission",
                "team": {"id": self.team, "domain": "store"},
                "user": {"id": user, "username": "supplier", "team_id": team or self.supplier_team},
                "api_app_id": self.app_id,
                "token": "legacy",
                "trigger_id": self._next("trigger."),
                "view": submitted,
                "response_urls": [],
            }
        )
