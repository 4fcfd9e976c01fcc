"""A local HTTP server speaking the Slack Web API methods the app uses, recording each request.

It serves ``bot.slack.local.LocalSlackAPI`` over HTTP on 127.0.0.1: ``POST /api/<method>`` with
a form, JSON or query string body and a ``Bearer`` token, answering Slack's JSON, plus
``POST /upload/<file id>`` for the upload step of ``files.getUploadURLExternal``. A real
``slack_sdk.WebClient`` (and so a real ``slack_bolt.App``) is pointed at it with ``base_url``.
Each request's method, headers and raw body are kept in ``requests``.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.slack.local import LocalSlackAPI


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: bytes


class SlackAPIServer:
    def __init__(self) -> None:
        self.api = LocalSlackAPI()
        self.requests: list[RecordedRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.api.upload_base = f"{self.url}/upload"

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """What ``WebClient(base_url=...)`` takes."""
        return f"{self.url}/api/"

    def __enter__(self) -> SlackAPIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                server.requests.append(
                    RecordedRequest(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                parsed = urllib.parse.urlparse(self.path)
                if parsed.path.startswith("/upload/"):
                    try:
                        server.api.receive_upload(server.url + parsed.path, body)
                    except ValueError:
                        self._answer(404, {"ok": False, "error": "unknown_upload"})
                        return
                    self._answer(200, {"ok": True})
                    return
                if not parsed.path.startswith("/api/"):
                    self._answer(404, {"ok": False, "error": "not_found"})
                    return
                method = parsed.path[len("/api/") :]
                args: dict[str, Any] = {
                    k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()
                }
                kind = self.headers.get("Content-Type", "")
                if body and kind.startswith("application/json"):
                    args.update(json.loads(body))
                elif body:
                    args.update({k: v[-1] for k, v in urllib.parse.parse_qs(body.decode()).items()})
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ").strip() or args.pop("token", None)
                self._answer(200, server.api.call(method, args, token))

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
