"""A local OpenAI-compatible chat-completions server that answers from a script.

Tests start it in a thread on 127.0.0.1 (a free port), point the real ``openai`` client at it
and queue what it should answer, one entry per HTTP request, in order::

    from tests.openai_server import ScriptedOpenAI

    with ScriptedOpenAI() as server:
        server.reply_tool_call("identify_order", {"order": "1001", "email": "a@b.c"})
        server.reply_text("Thanks, I found your order.")
        llm = LLM(server.config())              # graph.llm.LLM
        ...
        assert server.requests[0]["tools"]      # every request body is recorded
        server.assert_used_up()                 # no queued answer left over

Or use the ``openai_server`` pytest fixture from ``tests/conftest.py`` (started and stopped
per test).

Queue methods (each adds one HTTP answer; ``times=`` on the error ones adds several):

- ``reply_text(text)`` — an assistant message with ``content=text``.
- ``reply_tool_call(name, arguments, text=None)`` — one tool call. ``arguments`` is a dict
  (sent as JSON) or a raw string, sent as is: use that for malformed arguments
  (``'{"order": "10'``).
- ``reply_tool_calls([(name, arguments), ...], text=None)`` — several calls in one message.
- ``reply_json(obj)`` — ``content=json.dumps(obj)``: a structured-output answer. Pass a
  string to send any content (e.g. invalid JSON).
- ``reply_delay(seconds, then=...)`` — wait ``seconds`` before answering; longer than the
  client's timeout makes the client time out (and retry). ``then`` is the answer sent after
  the wait if the client is still listening (default: a short text), and it is consumed by
  that one request.
- ``fail(status, times=1, message=...)`` — answer HTTP ``status`` (429, 500, 503...)
  ``times`` times, each consuming one request. A ``retry-after-ms`` header keeps the SDK's
  retries quick.
- ``respond_with(callable)`` — when the queue is empty, call ``callable(body)`` for the
  answer (a dict from :func:`text_answer` / :func:`tool_call_answer` / :func:`json_answer`,
  or a :class:`Scripted`). Without it, an empty queue answers HTTP 400 ("no scripted
  response"), which the SDK does not retry, and counts in ``unexpected``.

Inspection:

- ``requests`` — every request body (parsed JSON), including retries and timed-out ones.
- ``last_request`` — the newest body.
- ``system_prompts()`` — the system messages' contents, one list per request.
- ``tool_names(index=-1)`` — the names of the tools offered in one request.
- ``unexpected`` — how many requests found nothing queued.
- ``assert_used_up()`` — fails when queued answers were never requested or requests were
  unexpected.
- ``config(**overrides)`` — a :class:`graph.llm.LLMConfig` pointing here (key ``test-key``,
  timeout 5 s, 2 retries unless overridden); ``base_url`` is ``http://127.0.0.1:PORT/v1``.
- ``env()`` — the same as environment variables (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``...),
  for code that reads ``LLMConfig.from_env()``.

Only ``POST /v1/chat/completions`` is served (no streaming); ``GET /v1/models`` lists one model.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graph.llm import LLMConfig

_ids = itertools.count(1)


@dataclass
class Scripted:
    """One scripted HTTP answer: a JSON body with a status, after an optional delay."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def _completion(message: dict[str, Any], finish_reason: str, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-scripted-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def text_answer(text: str, model: str = "scripted") -> dict[str, Any]:
    """A completion body whose assistant message says ``text``."""
    return _completion({"role": "assistant", "content": text}, "stop", model)


def tool_call_answer(
    calls: Sequence[tuple[str, dict[str, Any] | str]],
    text: str | None = None,
    model: str = "scripted",
) -> dict[str, Any]:
    """A completion body with tool calls; string arguments are sent verbatim."""
    tool_calls = [
        {
            "id": f"call_{next(_ids)}",
            "type": "function",
            "function": {
                "name": name,
                "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
            },
        }
        for name, arguments in calls
    ]
    message = {"role": "assistant", "content": text, "tool_calls": tool_calls}
    return _completion(message, "tool_calls", model)


def json_answer(obj: Any, model: str = "scripted") -> dict[str, Any]:
    """A completion body whose content is ``obj`` as JSON (a string is sent as is)."""
    content = obj if isinstance(obj, str) else json.dumps(obj)
    return text_answer(content, model)


Responder = Callable[[dict[str, Any]], "Scripted | dict[str, Any]"]


class ScriptedOpenAI:
    """The server. Start with ``start()`` or ``with``; stop with ``stop()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._queue: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._responder: Responder | None = None
        self.requests: list[dict[str, Any]] = []
        self.unexpected = 0
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- life -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ScriptedOpenAI:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def config(self, **overrides: Any) -> LLMConfig:
        values: dict[str, Any] = {
            "api_key": "test-key",
            "base_url": self.base_url,
            "model": "scripted-model",
            "timeout_seconds": 5.0,
            "max_retries": 2,
        }
        values.update(overrides)
        return LLMConfig(**values)

    def env(self, **overrides: Any) -> dict[str, str]:
        config = self.config(**overrides)
        return {
            "OPENAI_API_KEY": config.api_key or "",
            "OPENAI_BASE_URL": config.base_url or "",
            "RETURNBRIDGE_LLM_MODEL": config.model,
            "RETURNBRIDGE_LLM_TIMEOUT_SECONDS": str(config.timeout_seconds),
            "RETURNBRIDGE_LLM_MAX_RETRIES": str(config.max_retries),
        }

    # -- script ---------------------------------------------------------------------------

    def queue(self, answer: Scripted) -> None:
        with self._lock:
            self._queue.append(answer)

    def reply_text(self, text: str) -> None:
        self.queue(Scripted(body=text_answer(text)))

    def reply_tool_call(
        self, name: str, arguments: dict[str, Any] | str, text: str | None = None
    ) -> None:
        self.queue(Scripted(body=tool_call_answer([(name, arguments)], text)))

    def reply_tool_calls(
        self, calls: Iterable[tuple[str, dict[str, Any] | str]], text: str | None = None
    ) -> None:
        self.queue(Scripted(body=tool_call_answer(list(calls), text)))

    def reply_json(self, obj: Any) -> None:
        self.queue(Scripted(body=json_answer(obj)))

    def reply_delay(self, seconds: float, then: dict[str, Any] | None = None) -> None:
        self.queue(Scripted(body=then or text_answer("(late answer)"), delay=seconds))

    def fail(self, status: int, times: int = 1, message: str = "scripted failure") -> None:
        body = {"error": {"message": message, "type": "server_error", "code": str(status)}}
        for _ in range(times):
            self.queue(Scripted(status=status, body=body, headers={"retry-after-ms": "5"}))

    def respond_with(self, responder: Responder | None) -> None:
        self._responder = responder

    # -- inspection -----------------------------------------------------------------------

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def last_request(self) -> dict[str, Any]:
        return self.requests[-1]

    def system_prompts(self) -> list[list[str]]:
        return [
            [str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "system"]
            for body in self.requests
        ]

    def tool_names(self, index: int = -1) -> list[str]:
        tools = self.requests[index].get("tools") or []
        return [t["function"]["name"] for t in tools]

    def assert_used_up(self) -> None:
        assert self.pending == 0, f"{self.pending} scripted answers were never requested"
        assert self.unexpected == 0, f"{self.unexpected} requests found no scripted answer"

    # -- serving --------------------------------------------------------------------------

    def _next(self, body: dict[str, Any]) -> Scripted:
        with self._lock:
            self.requests.append(body)
            if self._queue:
                return self._queue.popleft()
            responder = self._responder
            if responder is None:
                self.unexpected += 1
        if responder is not None:
            answer = responder(body)
            return answer if isinstance(answer, Scripted) else Scripted(body=answer)
        error = {"error": {"message": "no scripted response", "type": "invalid_request_error"}}
        return Scripted(status=400, body=error)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (timed out) before the answer

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    models = {"object": "list", "data": [{"id": "scripted-model"}]}
                    self._send(200, models, {})
                else:
                    self._send(404, {"error": {"message": "not found"}}, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}}, {})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "request body is not JSON"}}, {})
                    return
                answer = server._next(body)
                if answer.delay:
                    time.sleep(answer.delay)
                self._send(answer.status, answer.body, answer.headers)

        return Handler
