"""The chat widget on the store's own site: cross-origin calls to ``/api/chat…``.

The store's pages (``https://shop.example``) load ``/widget.js`` from this server, and the
widget then calls the chat API here: another origin, so the browser asks first. Only the
origins in ``RETURNBRIDGE_CHAT_ALLOWED_ORIGINS`` get an answer that lets them read, each named
back exactly (never ``*``), and no credentials are ever allowed: the chat needs no cookie, its
session id is in the path. A call to the chat API from any other site is refused (403), so a
page elsewhere cannot even send a photo in a customer's name. Other paths are left alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CHAT_PREFIX = "/api/chat"
ALLOW_METHODS = "GET, POST"
ALLOW_HEADERS = "Content-Type, Accept"
PREFLIGHT_MAX_AGE = "600"


class BadOrigin(ValueError):
    pass


def parse_origins(text: str | Iterable[str]) -> frozenset[str]:
    """``https://shop.example, http://localhost:3000`` -> the origins, as browsers send them.

    A wildcard, a path or a missing scheme is refused: a setting that would open the chat to
    every site, or match nothing, is a mistake the owner should hear of at start."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    origins = set()
    for part in parts:
        value = part.strip().rstrip("/")
        if not value:
            continue
        if "*" in value:
            raise BadOrigin(
                f"RETURNBRIDGE_CHAT_ALLOWED_ORIGINS: {value!r}: name each site, no wildcards"
            )
        split = urlsplit(value)
        if split.scheme not in ("http", "https") or not split.hostname or split.path:
            raise BadOrigin(
                f"RETURNBRIDGE_CHAT_ALLOWED_ORIGINS: {value!r} is not an origin like "
                "https://shop.example"
            )
        origins.add(f"{split.scheme}://{split.netloc}".lower())
    return frozenset(origins)


class ChatCors:
    """ASGI middleware for the chat API's cross-origin calls."""

    def __init__(self, app: ASGIApp, origins: frozenset[str], base_url: str = "") -> None:
        self.app = app
        self.origins = origins
        base = urlsplit(base_url)
        self.own = f"{base.scheme}://{base.netloc}".lower() if base.netloc else ""

    def _same_origin(self, origin: str, host: str | None) -> bool:
        """The page came from this server: its host as the browser asked for it, or the
        public address (a proxy may pass on another ``Host``)."""
        value = origin.strip().lower()
        netloc = urlsplit(value).netloc
        return bool(netloc) and (netloc == (host or "").strip().lower() or value == self.own)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(CHAT_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None or self._same_origin(origin, headers.get("host")):
            await self.app(scope, receive, send)  # not a cross-origin call
            return
        allowed = origin.strip().lower() in self.origins
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if not allowed:
            await _refuse(send)
            return
        if preflight:
            await _preflight(send, origin)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = origin
                out.append("Vary", "Origin")
            await send(message)

        await self.app(scope, receive, with_cors)


async def _preflight(send: Send, origin: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 204,
            "headers": [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
                (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
                (b"vary", b"Origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def _refuse(send: Send) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "origin_not_allowed",
                "message": "The chat is not open to this site. The store can add it to "
                "RETURNBRIDGE_CHAT_ALLOWED_ORIGINS.",
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"vary", b"Origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
