"""``policyengine check INPUT --server URL``: the same judgement, asked of a service."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import unquote

import httpx

from policyengine.model import UsageError

ENV_TOKEN = "POLICYENGINE_TOKEN"
"""Where ``check --server`` finds its bearer token."""

MAX_RETRIES = 5
"""429 answers waited out before giving up (each waits its ``Retry-After``, at most 30 s)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The service's answer: status, body, and what it said for stderr."""

    status: int
    body: bytes
    outcome: str | None = None
    warnings: list[str] = field(default_factory=list)
    incomplete: str | None = None
    kept: str | None = None
    detail: str | None = None


def ask(
    server: str,
    token: str,
    body: bytes,
    params: list[tuple[str, str | int | float | bool | None]],
    *,
    timeout: float = 600.0,
) -> Answer:
    """POST ``body`` to ``{server}/v1/check`` with ``params``; waits out 429s."""
    url = server.rstrip("/") + "/v1/check"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0)) as client:
            for attempt in range(MAX_RETRIES + 1):
                response = client.post(url, params=tuple(params), content=body, headers=headers)
                if response.status_code != 429 or attempt == MAX_RETRIES:
                    break
                time.sleep(_retry_after(response.headers.get("retry-after")))
    except httpx.HTTPError as exc:
        raise UsageError(
            f"--server {server}: cannot reach the service: {exc or type(exc).__name__}",
            hint="check the URL and that the service runs",
        ) from None
    detail = None
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        try:
            detail = str(response.json().get("detail") or "")
        except ValueError:
            detail = None
    return Answer(
        status=response.status_code,
        body=response.content,
        outcome=response.headers.get("policyengine-outcome"),
        warnings=[unquote(w) for w in response.headers.get_list("policyengine-warning")],
        incomplete=_unquoted(response.headers.get("policyengine-incomplete")),
        kept=response.headers.get("policyengine-kept"),
        detail=detail,
    )


def _unquoted(value: str | None) -> str | None:
    return None if value is None else unquote(value)


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.1), 30.0)
    except ValueError:
        return 1.0


def exit_code_of(status: int) -> int:
    """The CLI's exit code for a service error: what the same failure gives locally.

    400 (a malformed option) and 404 (an unknown policy) are usage errors (2), as are
    401/403 (the token); 413 and 422 an unreadable input (3); 504 (the check outran the
    request timeout) evidence that could not be had (4); anything else the service's
    fault (70, as an internal error).
    """
    if status in (400, 401, 403, 404, 415, 429):
        return 2
    if status in (413, 422):
        return 3
    if status == 504:
        return 4
    return 70
