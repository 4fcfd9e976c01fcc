"""A small client for Shopify's GraphQL Admin API: the shop's base URL, the access token,
queries and mutations, cursor pagination and Shopify's errors as typed errors.

``POST https://{shop}.myshopify.com/admin/api/{version}/graphql.json`` with the
``X-Shopify-Access-Token`` header and ``{"query": ..., "variables": ...}``. ``base_url`` replaces
``https://{shop}.myshopify.com`` (a proxy, or a local server in tests).

Errors come three ways: an HTTP status (401 for a wrong token, 5xx), a top-level ``errors``
list beside (or instead of) ``data`` (``extensions.code``: ``THROTTLED``, ``ACCESS_DENIED``,
``INTERNAL_SERVER_ERROR``, a query Shopify cannot run), and a mutation's ``userErrors`` (the
caller reads those: they belong to the mutation's payload). Shopify limits each app by query
cost (a leaky bucket): every answer carries ``extensions.cost.throttleStatus``; a ``THROTTLED``
answer is waited out for as long as the bucket needs to refill the query's cost, a few times
before it becomes an error. A 429 is waited out (``Retry-After``) the same way.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from adapters.http_service import ErrorFamily, as_dict, body_json, send
from tools.service_errors import ServiceUnavailable

DEFAULT_API_VERSION = "2026-10"
MAX_THROTTLED_RETRIES = 4


def gid(kind: str, value: str | int) -> str:
    """Shopify's global id: ``gid://shopify/Order/450789469`` from ``450789469`` (an id that is
    already global is kept)."""
    text = str(value).strip()
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def legacy_id(value: Any) -> str:
    """The numeric id at the end of a global id (the REST and export id)."""
    return str(value or "").rsplit("/", 1)[-1]


def shop_domain(shop: str) -> str:
    """``"my-shop"``, ``"my-shop.myshopify.com"`` or its URL → ``"my-shop.myshopify.com"``."""
    text = shop.strip().lower()
    text = re.sub(r"^https?://", "", text).split("/")[0]
    if not text:
        raise ValueError("the Shopify shop is empty (SHOPIFY_SHOP)")
    return text if "." in text else f"{text}.myshopify.com"


def explain_error(body: Any) -> str:
    """Shopify's ``{"errors": "..."}``, ``{"errors": {"field": ["..."]}}`` or ``{"error": ...}``."""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors", body.get("error"))
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(str(item) for item in errors)
    if isinstance(errors, dict):
        parts = []
        for field, problems in errors.items():
            words = "; ".join(problems) if isinstance(problems, list) else str(problems)
            parts.append(words if field == "base" else f"{field}: {words}")
        return "; ".join(parts)
    return ""


class ShopifyAdmin:
    def __init__(
        self,
        shop: str,
        access_token: str,
        *,
        family: ErrorFamily,
        api_version: str = DEFAULT_API_VERSION,
        base_url: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        max_wait_seconds: float = 10.0,
    ) -> None:
        if not access_token.strip():
            raise ValueError("Shopify needs an Admin API access token (SHOPIFY_ACCESS_TOKEN)")
        root = (base_url or f"https://{shop_domain(shop)}").rstrip("/")
        self.api_root = f"{root}/admin/api/{api_version.strip()}"
        self.family = family
        self.max_wait_seconds = max_wait_seconds
        self._headers = {
            "X-Shopify-Access-Token": access_token.strip(),
            "Accept": "application/json",
        }
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self._client.close()

    def url(self, path: str) -> str:
        return f"{self.api_root}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        what: str,
        json_body: Any = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any], httpx.Response]:
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        merged = {**self._headers, **(headers or {})}
        for attempt in range(4):
            try:
                response = send(
                    self._client,
                    method,
                    url,
                    family=self.family,
                    what=what,
                    explain=explain_error,
                    headers=merged,
                    json_body=json_body,
                    params=params,
                )
            except ServiceUnavailable as error:
                if error.status != 429 or attempt == 3:
                    raise
                time.sleep(self._retry_after(error))
                continue
            return as_dict(body_json(response), self.family, what), response
        raise AssertionError("unreachable")

    def _retry_after(self, error: ServiceUnavailable) -> float:
        wait = error.retry_after if error.retry_after is not None else 2.0
        return min(wait, self.max_wait_seconds)

    # -- GraphQL ----------------------------------------------------------------------------

    def graphql(
        self, document: str, variables: Mapping[str, Any] | None = None, *, what: str
    ) -> dict[str, Any]:
        """Run one query or mutation; its ``data``, or the family's error."""
        for attempt in range(MAX_THROTTLED_RETRIES + 1):
            body, _ = self.request(
                "POST",
                "graphql.json",
                what=what,
                json_body={"query": document, "variables": dict(variables or {})},
                headers={"Content-Type": "application/json"},
            )
            errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
            if isinstance(body.get("errors"), str):
                errors = [{"message": body["errors"]}]
            if errors:
                codes = {str((e.get("extensions") or {}).get("code") or "") for e in errors}
                if "THROTTLED" in codes and attempt < MAX_THROTTLED_RETRIES:
                    time.sleep(self._throttle_wait(body))
                    continue
                self._raise(errors, codes, what)
            data = body.get("data")
            if not isinstance(data, dict):
                raise self.family.unavailable(
                    self.family.service,
                    f"{self.family.service} answered without data while {what}; the return "
                    "was left as it was. Please try again later.",
                )
            return data
        raise AssertionError("unreachable")

    def _throttle_wait(self, body: dict[str, Any]) -> float:
        """How long the cost bucket needs to hold this query's cost again."""
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            needed = float(cost.get("requestedQueryCost") or 0)
            available = float(status.get("currentlyAvailable") or 0)
            rate = float(status.get("restoreRate") or 0)
        except (TypeError, ValueError):
            return min(1.0, self.max_wait_seconds)
        if rate <= 0:
            return min(1.0, self.max_wait_seconds)
        return min(max(needed - available, 0.0) / rate, self.max_wait_seconds)

    def _raise(self, errors: list[dict[str, Any]], codes: set[str], what: str) -> None:
        service = self.family.service
        words = "; ".join(str(e.get("message") or "") for e in errors).strip("; ")
        if codes & {"ACCESS_DENIED", "UNAUTHORIZED"}:
            raise self.family.auth(
                service,
                f"{service} refused our access while {what}: {words}. Check the access token "
                "and the app's scopes (read_orders, write_orders).",
            )
        if codes & {"THROTTLED", "INTERNAL_SERVER_ERROR", "IDEMPOTENCY_CONCURRENT_REQUEST"}:
            # IDEMPOTENCY_CONCURRENT_REQUEST: the same key is still being worked on; later.
            raise self.family.unavailable(
                service,
                f"{service} is not available right now ({words} while {what}); the return was "
                "left as it was. Please try again in a few minutes.",
            )
        refused = self.family.rejected(service, f"{service} refused {what}: {words}")
        refused.codes = frozenset(codes - {""})  # type: ignore[attr-defined]
        raise refused

    def user_errors(self, payload: Any, what: str) -> None:
        """A mutation's ``userErrors`` as the family's "rejected" error."""
        problems = [e for e in (payload or {}).get("userErrors") or [] if isinstance(e, dict)]
        if not problems:
            return
        words = "; ".join(
            (f"{'.'.join(str(p) for p in e['field'])}: " if e.get("field") else "")
            + str(e.get("message") or "")
            for e in problems
        )
        raise self.family.rejected(
            self.family.service, f"{self.family.service} refused {what}: {words}"
        )

    def connection(
        self,
        document: str,
        variables: Mapping[str, Any],
        path: tuple[str, ...],
        *,
        what: str,
        max_pages: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Every node of the connection at ``path`` in ``data``, page after page: the query
        takes ``$after`` and asks for ``nodes`` and ``pageInfo { hasNextPage endCursor }``."""
        after: str | None = None
        for _ in range(max_pages):
            data: Any = self.graphql(document, {**variables, "after": after}, what=what)
            for key in path:
                data = (data or {}).get(key) if isinstance(data, dict) else None
            if not isinstance(data, dict):
                return
            for node in data.get("nodes") or []:
                if isinstance(node, dict):
                    yield node
            page = data.get("pageInfo") or {}
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return
            after = str(page["endCursor"])


class ShopifyService:
    """A service over the Admin API: subclasses name their ``FAMILY`` of errors."""

    FAMILY: ErrorFamily

    def __init__(
        self,
        shop: str,
        access_token: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        base_url: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.admin = ShopifyAdmin(
            shop,
            access_token,
            family=self.FAMILY,
            api_version=api_version,
            base_url=base_url,
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self.admin.close()
