"""A local stand-in for the Slack Web API methods ReturnBridge uses, recording every call.

``LocalSlackAPI`` answers ``auth.test``, ``chat.postMessage``, ``chat.update``, ``views.open``,
``files.getUploadURLExternal``, ``files.completeUploadExternal``, ``conversations.info`` and
``apps.connections.open`` (Socket Mode) the
way Slack does (``ok``, ``ts``, ``channel``, ``error``), keeps the messages per channel and
thread, and records each request's arguments. ``LocalSlackClient`` is a ``WebClient`` that
talks to it in process: the scenario runner uses it, so Slack is replaced by a recorder while
the real ``slack_bolt`` app, the real listeners and the real outbox delivery run. The tests'
HTTP server (``tests/slack/slack_api_server.py``) serves the same object over HTTP.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

BOT_USER = "UBOTRB001"
TEAM = "TSTORE001"  # the store's workspace, where the app is installed
SUPPLIER_TEAM = "TSUPPLY01"  # a supplier's own workspace, across a Slack Connect channel


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Any] = field(default_factory=list)
    thread_ts: str | None = None
    files: list[str] = field(default_factory=list)


class LocalSlackAPI:
    """The state of one local Slack workspace; thread safe."""

    def __init__(self, upload_base: str = "local-slack://upload") -> None:
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        self.views: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.fail_next: dict[str, str] = {}
        self.upload_base = upload_base
        self.socket_url: str | None = None  # what apps.connections.open answers
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    # -- what tests look at --------------------------------------------------------------------

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call.args for call in self.calls if call.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        with self._lock:
            return [
                m
                for m in self.messages
                if m.channel == channel and (m.ts == thread_ts or m.thread_ts == thread_ts)
            ]

    def top_level(self, channel: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.channel == channel and m.thread_ts is None]

    def fail(self, method: str, error: str = "internal_error") -> None:
        """Make the next call of ``method`` answer ``{"ok": false, "error": error}``."""
        with self._lock:
            self.fail_next[method] = error

    # -- the Web API ---------------------------------------------------------------------------

    def call(self, method: str, args: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        with self._lock:
            self.calls.append(Call(method, dict(args)))
            if not token:
                return {"ok": False, "error": "not_authed"}
            if method == "apps.connections.open" and not str(token).startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            if method in self.fail_next:
                return {"ok": False, "error": self.fail_next.pop(method)}
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return {"ok": False, "error": "unknown_method"}
            result: dict[str, Any] = handler(args)
            return result

    def receive_upload(self, url: str, data: bytes) -> None:
        file_id = url.rsplit("/", 1)[-1]
        with self._lock:
            if file_id not in self.uploads:
                raise ValueError(f"no upload was started for {url}")
            self.uploads[file_id] = data

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://store.slack.test/",
            "team": "Store",
            "team_id": TEAM,
            "user": "returnbridge",
            "user_id": BOT_USER,
            "bot_id": "BRB001",
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        thread_ts = args.get("thread_ts") or None
        if thread_ts and not any(
            m.channel == channel and m.ts == thread_ts and m.thread_ts is None
            for m in self.messages
        ):
            return {"ok": False, "error": "thread_not_found"}
        message = Message(
            channel=channel,
            ts=self._next_ts(),
            text=str(args.get("text") or ""),
            blocks=_as_list(args.get("blocks")),
            thread_ts=thread_ts,
        )
        self.messages.append(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": {"text": message.text, "ts": message.ts, "thread_ts": thread_ts},
        }

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages:
            if message.channel == args.get("channel") and message.ts == args.get("ts"):
                message.text = str(args.get("text") or message.text)
                if "blocks" in args:
                    message.blocks = _as_list(args.get("blocks"))
                return {"ok": True, "channel": message.channel, "ts": message.ts}
        return {"ok": False, "error": "message_not_found"}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        opened = dict(view, id=f"V{next(self._ids):08d}")
        self.views.append(opened)
        return {"ok": True, "view": opened}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = b""
        return {"ok": True, "upload_url": f"{self.upload_base}/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        ids = [str(item.get("id")) for item in files]
        if any(not self.uploads.get(file_id) for file_id in ids):
            return {"ok": False, "error": "file_not_found"}
        channel = args.get("channel_id")
        if channel:
            message = Message(
                channel=str(channel),
                ts=self._next_ts(),
                text=str(args.get("initial_comment") or ""),
                thread_ts=args.get("thread_ts") or None,
                files=ids,
            )
            self.messages.append(message)
        return {"ok": True, "files": [{"id": file_id} for file_id in ids]}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """Socket Mode's WebSocket URL (``socket_url``, set by whoever serves it)."""
        if not self.socket_url:
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "url": self.socket_url}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        info = self.channels.get(channel) or {"id": channel, "name": channel.lower()}
        return {"ok": True, "channel": {"is_shared": True, "is_ext_shared": True, **info}}


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return list(value) if isinstance(value, list) else []


class LocalSlackClient(WebClient):
    """A ``WebClient`` whose calls are answered by a ``LocalSlackAPI`` in this process."""

    def __init__(self, api: LocalSlackAPI, token: str = "xoxb-local") -> None:
        super().__init__(token=token, base_url="local-slack://api/")
        self.local = api

    def api_call(  # type: ignore[override]
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> SlackResponse:
        args: dict[str, Any] = {**(params or {}), **(data or {}), **(json or {})}
        token = args.pop("token", None) or self.token
        body = self.local.call(api_method, args, token)
        return SlackResponse(
            client=self,
            http_verb=http_verb,
            api_url=self.base_url + api_method,
            req_args={"json": args},
            data=body,
            headers={},
            status_code=200,
        ).validate()


class InlineExecutor(Executor):
    """Runs each submitted function at once, in the caller's thread. The scenario runner and
    most tests hand the app's lazy listeners to it, so a step's work is done when its request
    returns; the app itself runs them on a thread pool, after the acknowledgement."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to whoever looks at the future, as a pool does
            future.set_exception(error)
        return future
