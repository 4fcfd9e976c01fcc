"""Who is asking, through which proxy, for which host name; and the headers every page sends.

Behind a reverse proxy the TCP peer is the proxy. ``Forwarded``, ``X-Forwarded-For`` and
``X-Real-IP`` name the client, but anyone can send them, so they are read only when the peer
is one of ``RETURNBRIDGE_TRUSTED_PROXIES`` (addresses or networks, comma-separated; default
none). The client is then the right-most address in the chain that is not itself a trusted
proxy. The answer feeds the guessing throttle and the owner page's "this machine only" rule.

``RETURNBRIDGE_ALLOWED_HOSTS`` (comma-separated) lists the host names the owner page answers
to (default: the host of ``RETURNBRIDGE_BASE_URL``, ``localhost``, ``127.0.0.1`` and ``::1``),
so a page on another site cannot reach it through a DNS name pointed at this machine.

``WebGuard`` is the ASGI middleware that sets the client for the request and adds the
security headers to every response: a Content-Security-Policy (scripts and styles from this
site only; no framing), ``X-Frame-Options: DENY`` and ``X-Content-Type-Options: nosniff``.
The chat widget still embeds anywhere: ``/widget.js`` is a script the store's page loads, not
a frame.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings
from tools.guess_throttle import current_client

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's interactive API docs load Swagger UI from its CDN with an inline script.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; "
    "frame-ancestors 'none'"
)


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    items = text.split(",") if isinstance(text, str) else list(text)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _address(value: str) -> str:
    """An address from a header: quotes, ``[...]`` and a port taken off."""
    value = value.strip().strip('"').strip()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        return value.split(":", 1)[0]
    return value


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_loopback(address: str) -> bool:
    ip = _ip(address)
    return ip is not None and ip.is_loopback


def host_name(host_header: str) -> str:
    """The name part of a ``Host`` header (no port), lower case."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


@dataclass(frozen=True)
class WebAccess:
    trusted_proxies: tuple[Network, ...] = ()
    allowed_hosts: frozenset[str] = field(default_factory=lambda: frozenset(LOCAL_HOSTS))
    secure_cookies: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> WebAccess:
        base = urlsplit(settings.base_url)
        hosts = [h for h in (settings.allowed_hosts or "").split(",") if h.strip()]
        if not hosts:
            hosts = [base.hostname or "", *LOCAL_HOSTS]
        return cls(
            trusted_proxies=parse_networks(settings.trusted_proxies or ""),
            allowed_hosts=frozenset(host_name(h) for h in hosts if h.strip()),
            secure_cookies=base.scheme == "https",
        )

    def is_trusted_proxy(self, address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self.trusted_proxies)

    def forwarded_chain(self, headers: Headers) -> list[str]:
        """The client addresses the forwarding headers name, left (first) to right (last)."""
        if "forwarded" in headers:  # for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"
            return [
                _address(value)
                for line in headers.getlist("forwarded")
                for element in line.split(",")
                for key, _, value in (pair.partition("=") for pair in element.split(";"))
                if key.strip().lower() == "for"
            ]
        if "x-forwarded-for" in headers:
            return [
                _address(part)
                for line in headers.getlist("x-forwarded-for")
                for part in line.split(",")
                if part.strip()
            ]
        if "x-real-ip" in headers:
            return [_address(headers["x-real-ip"])]
        return []

    def client_address(self, peer: str, headers: Headers) -> str:
        """The client's address: the peer, or what a trusted proxy says the client was."""
        if not self.is_trusted_proxy(peer):
            return peer
        chain = self.forwarded_chain(headers)
        for address in reversed(chain):
            if not self.is_trusted_proxy(address):
                return address
        return chain[0] if chain else peer

    def forwarded_by_stranger(self, peer: str, headers: Headers) -> bool:
        """Forwarding headers from a peer that is not a trusted proxy: someone in between
        (a proxy on this machine not listed, or a client pretending) that cannot be trusted
        to say who the client is."""
        return not self.is_trusted_proxy(peer) and any(h in headers for h in FORWARDING_HEADERS)

    def host_allowed(self, host_header: str | None) -> bool:
        return bool(host_header) and host_name(host_header or "") in self.allowed_hosts

    def same_site_origin(self, origin: str, host_header: str | None) -> bool:
        """Whether an ``Origin`` header names this site."""
        if not origin or origin == "null":
            return False
        parts = urlsplit(origin)
        name = (parts.hostname or "").lower()
        return bool(name) and (
            parts.netloc.lower() == (host_header or "").strip().lower()
            or name in self.allowed_hosts
        )


class WebGuard:
    """ASGI middleware: the client's address for the request, security headers for all."""

    def __init__(self, app: ASGIApp, access: WebAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = scope["client"][0] if scope.get("client") else ""
        client = self.access.client_address(peer, Headers(scope=scope))
        scope.setdefault("state", {})["client_address"] = client
        path = str(scope.get("path", ""))
        policy = DOCS_POLICY if path.startswith("/api/docs") else CONTENT_SECURITY_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        token = current_client.set(client)
        try:
            await self.app(scope, receive, with_headers)
        finally:
            current_client.reset(token)
