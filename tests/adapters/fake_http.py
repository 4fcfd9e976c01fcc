"""The plumbing of the local service doubles: an HTTP server on 127.0.0.1 in a thread that
records every request and can be told to fail the next matching ones."""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int
    body: bytes | dict[str, Any] | list[Any]
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


@dataclass
class _Failure:
    method: str
    route: re.Pattern[str]
    reply: Reply
    times: int


class FakeService:
    """Subclasses answer in ``route(request) -> Reply``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._failures: list[_Failure] = []
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(
        self,
        method: str,
        route: str,
        status: int,
        body: bytes | dict[str, Any],
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path matches ``route`` with this reply."""
        with self.lock:
            self._failures.append(
                _Failure(method, re.compile(route), Reply(status, body, headers or {}), times)
            )

    def calls(self, method: str, route: str) -> list[Recorded]:
        pattern = re.compile(route)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def route(self, request: Recorded) -> Reply:
        raise NotImplementedError

    def _reply_for(self, request: Recorded) -> Reply:
        with self.lock:
            self.requests.append(request)
            for failure in self._failures:
                if (
                    failure.times > 0
                    and failure.method == request.method
                    and failure.route.fullmatch(request.path)
                ):
                    failure.times -= 1
                    return failure.reply
            return self.route(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urllib.parse.urlsplit(self.path)
                request = Recorded(
                    method=self.command,
                    path=parsed.path,
                    query=dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = service._reply_for(request)
                data = (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                )
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = _serve
            do_POST = _serve

        return Handler
