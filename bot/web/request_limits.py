"""What a request may carry, checked at the edge before any route reads it.

- Body size: photo uploads (``multipart/form-data`` on the three photo routes) up to the photo
  limit plus room for the form's other fields; every other body up to ``MAX_BODY_BYTES``. A
  ``Content-Length`` above the limit is refused before the body is read, and a body without
  one is counted while it streams in: nothing over the limit is ever held or spooled.
- JSON: at most ``MAX_JSON_DEPTH`` levels of nesting (Python's parser recurses, and a deep
  enough body is a ``RecursionError``), integers that fit a 64-bit column, no ``NaN`` or
  ``Infinity``, and no text PostgreSQL cannot store: the NUL character and lone UTF-16
  surrogates. The same text rule holds for the address (path and query) and for
  ``application/x-www-form-urlencoded`` forms.

Each refusal is a 4xx with a sentence that says what to change: JSON ``{"error": {"code",
"message"}}`` like the rest of the API, or a short HTML page when a browser posted a form.
Text fields of multipart forms are checked by the models and parameters that read them
(``tools.text_checks``).
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from tools.accept_photo import MAX_BYTES
from tools.errors import PhotoLimitReached, PhotoNotAllowed, ReturnError
from tools.text_checks import text_problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 256 * 1024  # a chat message, a form, a Slack or carrier event: a few KB
MAX_UPLOAD_BYTES = MAX_BYTES + 64 * 1024  # the photo and the form's few text fields
MAX_JSON_DEPTH = 32
MAX_JSON_VALUES = 20_000  # checked only when a body nests or escapes: no form comes near
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # a BIGINT column; smaller columns bound their fields
# Row ids are INTEGER columns: PostgreSQL refuses a bigger number even to compare with one, so
# every id or position a route takes is bounded by this (``Query(le=ID_MAX)``).
ID_MAX = 2**31 - 1
# What a JSON body needs to hold for the checks below to find anything: a NUL or half a
# surrogate pair (as escapes), a number of 19 digits or more, NaN or Infinity.
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\d{19}|NaN|Infinity")
UPLOAD_PATHS = re.compile(r"^/api/(returns|cases/[^/]+/photos|chat/sessions/[^/]+/photos)$")


class BadInput(HTTPException):
    """A request refused at the edge; an ``HTTPException`` so FastAPI's body reading passes
    it on untouched instead of calling it a parse error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status_code=status, detail=message)
        self.code = code
        self.message = message


def too_large(limit: int) -> BadInput:
    return BadInput(
        413,
        "too_large",
        f"The request is larger than {limit // 1024:,} KB. Please send less (a photo up to 10 MB).",
    )


# -- JSON ------------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise BadInput(422, "invalid_number", f"{name} is not a number this API takes.")


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > 19 or not INT_MIN <= int(text) <= INT_MAX:
        raise BadInput(
            422,
            "number_out_of_range",
            f"The number {text[:25]}{'…' if len(text) > 25 else ''} is out of range: "
            "whole numbers must lie between -9223372036854775808 and 9223372036854775807.",
        )
    return int(text)


def _too_deep() -> BadInput:
    return BadInput(
        400,
        "too_deep",
        f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep. Please send a flat object.",
    )


def _walk(parsed: Any) -> None:
    """Check every text and the nesting of parsed JSON, without recursion; the first
    top-level field a problem sits under is named in the answer."""
    stack: list[tuple[Any, str, int]] = [(parsed, "", 0)]
    seen = 0
    while stack:
        value, field, depth = stack.pop()
        seen += 1
        if seen > MAX_JSON_VALUES:
            raise BadInput(
                400, "too_many_values", f"The JSON holds more than {MAX_JSON_VALUES:,} values."
            )
        if isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                raise BadInput(422, "invalid_text", f"The field {field or 'body'} {problem}.")
        elif isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _too_deep()
            if isinstance(value, dict):
                for key, item in value.items():
                    problem = text_problem(key)
                    if problem is not None:
                        raise BadInput(422, "invalid_text", f"A field name {problem}.")
                    stack.append((item, field or key, depth + 1))
            else:
                stack.extend((item, field, depth + 1) for item in value)


def check_json(body: bytes) -> None:
    """Refuse JSON nested too deeply, with out-of-range numbers or text the database cannot
    hold. A body that is not JSON at all is left to the route, which says so itself.

    Only a body that could hold one of these is parsed here: more brackets than the depth
    limit, a ``\\u0000`` or surrogate escape (the only way JSON carries either), 19 digits in
    a row, ``NaN`` or ``Infinity``. The C parser guards its own recursion (a
    ``RecursionError`` near 1,000 levels, refused as too deep)."""
    nested = body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH
    if not nested and _SUSPECT.search(body) is None:
        return
    try:
        parsed = json.loads(body, parse_int=_whole_number, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        return
    _walk(parsed)


# -- the middleware --------------------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _address_problem(scope: Scope) -> BadInput | None:
    query = bytes(scope.get("query_string") or b"")
    if "\x00" in str(scope.get("path") or "") or b"\x00" in query or b"%00" in query.lower():
        return BadInput(
            400, "invalid_text", "The address contains a NUL character (%00), which it cannot."
        )
    values = [value for _, value in urllib.parse.parse_qsl(query.decode("latin-1"), True)]
    values += str(scope.get("path") or "").split("/")  # ids in the path: /owner/rules/{id}
    for value in values:
        if re.fullmatch(r"[+-]?\d{19,}", value.strip()):
            try:
                _whole_number(value.strip().lstrip("+"))
            except BadInput as refused:
                return refused
    return None


def _refusal(scope: Scope, refused: BadInput) -> Response:
    if "text/html" in _header(scope, b"accept") and not str(scope.get("path", "")).startswith(
        "/api/"
    ):
        page = (
            "<!doctype html><meta charset=utf-8><title>Not accepted</title>"
            f"<p>{html.escape(refused.message)}</p><p><a href=javascript:history.back()>Back</a>"
        )
        return HTMLResponse(page, status_code=refused.status_code)
    return JSONResponse(
        {"error": {"code": refused.code, "message": refused.message}},
        status_code=refused.status_code,
    )


class RequestLimits:
    """ASGI middleware enforcing the limits above on every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            refused = _address_problem(scope)
        except (ValueError, UnicodeError):
            refused = BadInput(400, "bad_request", "The address is not valid.")
        if refused is not None:
            await _refusal(scope, refused)(scope, receive, send)
            return
        content_type = _header(scope, b"content-type").lower()
        multipart = content_type.startswith("multipart/form-data")
        upload = multipart and UPLOAD_PATHS.match(str(scope.get("path", ""))) is not None
        limit = MAX_UPLOAD_BYTES if upload else MAX_BODY_BYTES
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await _refusal(scope, too_large(limit))(scope, receive, send)
            return
        if multipart or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self._streamed(scope, receive, send, limit)
            return
        await self._checked(scope, receive, send, limit, content_type)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Count the body as the route reads it; past the limit the read fails with 413."""
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body") or b"")
                if seen > limit:
                    raise too_large(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BadInput as refused:
            if not started:
                await _refusal(scope, refused)(scope, receive, send)

    async def _checked(
        self, scope: Scope, receive: Receive, send: Send, limit: int, content_type: str
    ) -> None:
        """Read a (small) body whole, check it, then hand the same bytes to the route."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = bytes(message.get("body") or b"")
            size += len(chunk)
            if size > limit:
                await _refusal(scope, too_large(limit))(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body"))
        body = b"".join(chunks)
        try:
            if content_type.startswith("application/x-www-form-urlencoded"):
                if b"\x00" in body or b"%00" in body.lower():
                    raise BadInput(
                        422,
                        "invalid_text",
                        "A field of the form contains a NUL character, which text cannot hold.",
                    )
            elif body.lstrip()[:1] in (b"{", b"["):
                check_json(body)
        except BadInput as refused:
            await _refusal(scope, refused)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def install_request_limits(app: FastAPI) -> None:
    """Add the middleware and the answers for refusals raised inside routes."""
    app.add_middleware(RequestLimits)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadInput)
        return _refusal(request.scope, exc)

    async def photo_refused(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ReturnError)
        status = int(getattr(exc, "http_status", 422))
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message}}, status_code=status
        )

    app.add_exception_handler(BadInput, refused)
    app.add_exception_handler(PhotoNotAllowed, photo_refused)
    app.add_exception_handler(PhotoLimitReached, photo_refused)
