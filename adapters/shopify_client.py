"""A small client for Shopify's Admin REST API: the shop's base URL, the access token, JSON,
pagination over ``Link`` headers and Shopify's error bodies as typed errors.

``https://{shop}.myshopify.com/admin/api/{version}/…`` with the ``X-Shopify-Access-Token``
header. ``base_url`` replaces ``https://{shop}.myshopify.com`` (a proxy, or a local server in
tests). A 429 is waited out (``Retry-After``) up to three times before it becomes an error.
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
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


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

    def pages(
        self, path: str, key: str, *, what: str, params: Mapping[str, str | int]
    ) -> Iterator[dict[str, Any]]:
        """Every object under ``key`` across the pages the ``Link: <…>; rel="next"`` header
        points to (the next URL carries its own query)."""
        url: str | None = self.url(path)
        query: Mapping[str, str | int] | None = params
        while url is not None:
            body, response = self.request("GET", url, what=what, params=query)
            for item in body.get(key) or []:
                if isinstance(item, dict):
                    yield item
            match = _NEXT_LINK.search(response.headers.get("link", ""))
            url, query = (match.group(1), None) if match else (None, None)


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
