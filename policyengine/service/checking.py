"""``POST /v1/check``: a body judged through :func:`policyengine.application.judge`.

The answer is the report the CLI would write (the verdict JSON by default, ``format=``
any of the CLI's), with what the CLI prints on stderr in headers, so that ``check
--server`` can print the same: ``Policyengine-Outcome``, ``Policyengine-Warning`` (one
per line), ``Policyengine-Incomplete`` and ``Policyengine-Kept``; texts are
percent-encoded (a header carries ASCII only).
"""

from __future__ import annotations

import dataclasses
import io
import zlib
from datetime import UTC, datetime
from urllib.parse import quote

import anyio
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from policyengine import __version__
from policyengine.application import CheckRequest, Input, Judged, judge
from policyengine.enrich import EnrichSettings
from policyengine.model import PolicyEngineError, UsageError
from policyengine.model.verdict import ResultsMode
from policyengine.report import FORMATS, verdict_writer
from policyengine.service.problems import Problem, from_error
from policyengine.store import Store

MEDIA_TYPES = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "junit": "application/xml",
    "markdown": "text/markdown; charset=utf-8",
    "table": "text/plain; charset=utf-8",
}

_EARLIEST, _LATEST = 1970, 9000


def evaluation_time(text: str | None) -> datetime | None:
    """``now=``: an RFC 3339 time within the years the CLI's ``--now`` accepts."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Problem(
            400, f"now={text!r} is not an RFC 3339 time (e.g. 2026-03-24T18:00:00Z)"
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        year = moment.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not _EARLIEST <= year <= _LATEST:
        raise Problem(400, f"now={text!r} is outside the years {_EARLIEST} to {_LATEST}")
    return moment


async def read_body(request: Request, cap: int) -> bytes:
    """The body, at most ``cap`` bytes (413 past it, before reading the rest)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise Problem(413, f"the body is over the {cap}-byte input cap")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise Problem(413, f"the body is over the {cap}-byte input cap")
            chunks.append(chunk)
    except ClientDisconnect:
        raise Problem(400, "the client went away before the body was sent") from None
    return b"".join(chunks)


def decoded(body: bytes, headers: Headers) -> bytes:
    """The body as sent: ``Content-Encoding: gzip`` (or identity) only.

    A gzip body is gunzipped by the reader under the input cap, as a gzipped file is.
    """
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        if body[:2] != b"\x1f\x8b":
            raise Problem(400, "Content-Encoding: gzip, but the body is not gzip data")
        return body
    raise Problem(415, f"Content-Encoding {encoding!r} is not accepted (send gzip or identity)")


def render(judged: Judged, fmt: str) -> bytes:
    """The report in ``fmt``: the bytes ``check --format FMT`` writes for the same verdict."""
    verdict = judged.verdict
    handle = io.BytesIO()
    with verdict_writer(verdict, fmt, tool_version=__version__) as writer:
        writer.write(verdict, handle)
    return handle.getvalue()


def headers_of(judged: Judged, warnings: list[str]) -> dict[str, str]:
    """What the CLI would print on stderr, as headers (see the module docstring)."""
    from policyengine.report.incomplete import incomplete_line

    verdict = judged.verdict
    out: dict[str, str] = {"Policyengine-Outcome": verdict.outcome}
    if verdict.outcome == "incomplete":
        from policyengine.engine import fail_closed_rules

        blocking = fail_closed_rules(judged.prepared.policy)
        out["Policyengine-Incomplete"] = quote(incomplete_line(verdict, blocking=blocking))
    if judged.kept is not None:
        out["Policyengine-Kept"] = f"{judged.kept.seq} {judged.kept.outcome}"
    return out


def run_check(request_: CheckRequest, store: Store) -> Judged:
    """The judgement, run on a worker thread (it reads, fetches, evaluates, stores)."""
    return judge(request_, store)


def check_request(
    *,
    body: bytes,
    name: str,
    policies: tuple[str, ...],
    settings: EnrichSettings,
    now: datetime | None,
    release: str | None,
    max_bytes: int,
    validate: bool,
    warnings: list[str],
    results: ResultsMode = "attention",
) -> CheckRequest:
    """The application's request for one body."""
    return CheckRequest(
        inputs=(Input(name, body),),
        policies=policies,
        settings=settings,
        now=now,
        max_bytes=max_bytes,
        validate=validate,
        release=release,
        results=results,
        warn=warnings.append,
    )


async def judged_in_time(
    request_: CheckRequest,
    store: Store,
    timeout: float,
    *,
    limiter: anyio.CapacityLimiter | None = None,
    uploaded: bool = False,
) -> Judged:
    """Judge on a worker thread (one of ``limiter``'s); 504 past ``timeout``, waiting included.

    The thread is left to finish (a thread cannot be stopped), but the enrichment
    deadline is under the timeout, so only a pathological input gets here.
    """
    try:
        with anyio.fail_after(timeout):
            return await anyio.to_thread.run_sync(
                run_check, request_, store, abandon_on_cancel=True, limiter=limiter
            )
    except TimeoutError:
        raise Problem(504, f"the check took longer than {timeout:g} s") from None
    except PolicyEngineError as exc:
        raise from_error(exc, policy_from_server=not uploaded) from None
    except zlib.error as exc:  # pragma: no cover - gunzip_capped words these
        raise Problem(422, f"invalid gzip data: {exc}") from None


def answer(judged: Judged, fmt: str, warnings: list[str]) -> Response:
    """The report with its headers."""
    headers = headers_of(judged, warnings)
    response = Response(render(judged, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)
    for line in warnings:
        response.headers.append("Policyengine-Warning", quote(line))
    return response


def format_of(value: str | None) -> str:
    """``format=`` (default json); 400 for another."""
    fmt = value or "json"
    if fmt not in FORMATS:
        raise Problem(400, f"format={fmt!r}: choose one of {', '.join(FORMATS)}")
    return fmt


def results_of(value: str | None) -> ResultsMode:
    """``results=`` (default attention, as ``check --results``); 400 for another."""
    if value in (None, "", "attention"):
        return "attention"
    if value == "all":
        return "all"
    raise Problem(400, f"results={value!r}: choose attention or all")


def release_of(value: str | None) -> str | None:
    """``release=NAME@VERSION``; 400 when malformed."""
    if not value:
        return None
    from policyengine.watch.keep import parse_release

    try:
        parse_release(value)
    except UsageError as exc:
        raise Problem(400, exc.one_line().replace("--release", "release=")) from None
    return value


def with_deadline(settings: EnrichSettings, deadline: float) -> EnrichSettings:
    """The enrichment settings with the request's share of time, and no progress bar."""
    return dataclasses.replace(settings, deadline=deadline, progress=False)
