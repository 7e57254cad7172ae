"""RFC 9457 problem details: every error of the API, with the CLI's one-line message."""

from __future__ import annotations

from starlette.responses import JSONResponse

from policyengine.model import InputError, PolicyEngineError, PolicyError, UsageError
from policyengine.safeio import OverCap

PROBLEM_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
    504: "Timed out",
}


class Problem(Exception):
    """An answer other than the one asked for; raised by handlers, rendered by the app."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem_response(problem: Problem, instance: str) -> JSONResponse:
    """The ``application/problem+json`` answer for ``problem`` about ``instance`` (a path)."""
    body = {
        "type": "about:blank",
        "title": _TITLES.get(problem.status, "Error"),
        "status": problem.status,
        "detail": problem.detail,
        "instance": instance,
    }
    return JSONResponse(
        body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_TYPE
    )


def from_error(exc: PolicyEngineError, *, policy_from_server: bool = True) -> Problem:
    """The problem for an error the CLI would print as ``policyengine: error: ...``.

    An oversized input is 413, any other unreadable or invalid input 422 (the CLI's exit
    3); a policy of the server's that does not load is the server's fault (500), one the
    client sent is 422; any other usage error is a bad request (400).
    """
    line = exc.one_line()
    if isinstance(exc, OverCap):
        return Problem(413, line)
    if isinstance(exc, InputError):
        return Problem(422, line)
    if isinstance(exc, PolicyError):
        return Problem(500 if policy_from_server else 422, line)
    if isinstance(exc, UsageError):
        return Problem(400, line)
    return Problem(422, line)
