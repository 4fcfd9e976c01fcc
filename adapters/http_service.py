"""One JSON request to an outside service, with every failure turned into a typed error."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tools.service_errors import ServiceError


@dataclass(frozen=True)
class ErrorFamily:
    """Which error class a service raises for each kind of failure."""

    service: str
    unavailable: type[ServiceError]
    auth: type[ServiceError]
    rejected: type[ServiceError]


def body_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    family: ErrorFamily,
    what: str,
    explain: Callable[[Any], str],
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    params: Mapping[str, str | int] | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.Response:
    """Send one request; return the 2xx response or raise the family's error.

    ``what`` names the step for the message ("buying the label"); ``explain`` reads the
    service's own error body into a sentence.
    """
    try:
        response = client.request(
            method, url, headers=headers, json=json_body, params=params, auth=auth
        )
    except httpx.TimeoutException:
        raise family.unavailable(
            family.service,
            f"{family.service} did not answer in time while {what}; the return was left as it "
            "was. Please try again in a few minutes.",
        ) from None
    except httpx.HTTPError as exc:
        raise family.unavailable(
            family.service,
            f"{family.service} could not be reached while {what} ({type(exc).__name__}); "
            "the return was left as it was. Please try again in a few minutes.",
        ) from None
    status = response.status_code
    if status < 300:
        return response
    reason = explain(body_json(response)) or response.reason_phrase or "no reason given"
    if status in (401, 403):
        raise family.auth(
            family.service,
            f"{family.service} refused our credentials while {what} (HTTP {status}: {reason}). "
            "Check the API key or access token in the settings.",
            status=status,
        )
    if status == 429 or status >= 500:
        unavailable = family.unavailable(
            family.service,
            f"{family.service} is not available right now (HTTP {status} while {what}: "
            f"{reason}); the return was left as it was. Please try again in a few minutes.",
            status=status,
        )
        unavailable.retry_after = _seconds(response.headers.get("retry-after"))
        raise unavailable
    raise family.rejected(
        family.service,
        f"{family.service} refused {what} (HTTP {status}): {reason}",
        status=status,
    )


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def as_dict(value: Any, family: ErrorFamily, what: str) -> dict[str, Any]:
    """A JSON object from a 2xx answer, or a clear error when the answer is something else."""
    if not isinstance(value, dict):
        raise family.unavailable(
            family.service,
            f"{family.service} gave an answer we could not read while {what}; "
            "the return was left as it was. Please try again later.",
        )
    return value
