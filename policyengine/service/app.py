"""The ASGI application: routes of ``/v1``, health, metrics, and the page when present.

Starlette, not FastAPI (measured, benchmarks/serve_framework.py): importing it takes a
third of FastAPI's time (162 ms against 524 ms) and it adds 29 µs to a request against
143 µs; what FastAPI adds (models for parameters, a generated OpenAPI document) is not
needed when the document is written once and kept in the package, which is also what
lets the tests hold every answer to it.

Stateless: a process holds an open store (a connection pool), its metrics and the
per-token counters of its own requests; everything else is in the store, so any number
of processes share one PostgreSQL store.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from policyengine.service import checking, inventory, uploads
from policyengine.service.auth import Guard, require_release
from policyengine.service.config import ServiceConfig
from policyengine.service.limits import TokenSlots
from policyengine.service.metrics import CONTENT_TYPE, Metrics
from policyengine.service.policies import PolicySet
from policyengine.service.problems import Problem, from_error, problem_response
from policyengine.service.tokens import authenticator
from policyengine.store import Store, open_store

Handler = Callable[[Request], Awaitable[Response]]


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI 3.1 document, kept in the package (``data/service/openapi.json``)."""
    text = resources.files("policyengine").joinpath("data", "service", "openapi.json").read_text()
    document: dict[str, Any] = json.loads(text)
    return document


class _Measured:
    """Counts and times every request by route template, and renders problems."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(template).observe(time.perf_counter() - start)


def _guarded(handler: Handler) -> Handler:
    """A handler whose :class:`Problem` becomes a problem+json answer."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Problem as problem:
            return problem_response(problem, request.url.path)

    return run


class Api:
    """The handlers of one app, over its store, guard, limits and metrics."""

    def __init__(self, config: ServiceConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.guard = Guard(authenticator(store))
        self.slots = TokenSlots(config.per_token)
        # Checks are CPU-bound under the GIL: a few threads judge, the rest wait their turn
        # (the queue depth), so that reads and health probes still find a thread.
        self.judges = anyio.CapacityLimiter(config.check_threads)
        self.metrics = Metrics(
            lambda: self.slots.in_flight, lambda: int(self.judges.borrowed_tokens)
        )
        self.policies = PolicySet(config.policy_dir)
        self.settings = checking.with_deadline(config.settings, config.enrichment_deadline)

    def routes(self) -> list[BaseRoute]:
        """Every route of the service (the page's are added by :func:`create_app`)."""
        return [
            Route("/healthz", _guarded(self.healthz)),
            Route("/readyz", _guarded(self.readyz)),
            Route("/metrics", _guarded(self.metrics_text)),
            Route("/v1/openapi.json", _guarded(self.openapi)),
            Route("/v1/policies", _guarded(self.list_policies)),
            Route("/v1/check", _guarded(self.check), methods=["POST"]),
            Route("/v1/releases", _guarded(self.releases)),
            Route("/v1/releases/{name}/{version}", _guarded(self.release)),
            Route("/v1/releases/{name}/{version}/verdict", _guarded(self.verdict)),
            Route("/v1/releases/{name}/{version}/history", _guarded(self.history)),
            Route("/v1/affected", _guarded(self.affected)),
            Route("/v1/advisories/{id}/affected", _guarded(self.advisory_affected)),
            Route("/v1/advisories/import", _guarded(self.import_advisories), methods=["POST"]),
        ]

    # --- health -----------------------------------------------------------------------------

    async def healthz(self, _request: Request) -> Response:
        """The process answers."""
        return JSONResponse({"status": "ok"})

    async def readyz(self, _request: Request) -> Response:
        """The store answers too (a process without its store cannot judge or read)."""
        try:
            await run_in_threadpool(self.store.ping)
        except Exception as exc:  # any failure of the store means not ready
            raise Problem(503, f"the store does not answer: {type(exc).__name__}") from None
        return JSONResponse({"status": "ready"})

    async def metrics_text(self, _request: Request) -> Response:
        """Prometheus' text format."""
        return Response(self.metrics.render(), media_type=CONTENT_TYPE)

    async def openapi(self, _request: Request) -> Response:
        """The OpenAPI document."""
        return JSONResponse(openapi_document())

    async def list_policies(self, request: Request) -> Response:
        """The policy names ``POST /v1/check`` accepts."""
        await self.guard.require(request, "check")
        return JSONResponse({"policies": self.policies.names()})

    # --- check ------------------------------------------------------------------------------

    async def check(self, request: Request) -> Response:
        """``POST /v1/check``: judge the body against a policy of the server's set."""
        principal = await self.guard.require(request, "check")
        params = request.query_params
        names = params.getlist("policy")
        multipart = uploads.is_multipart(request)
        if multipart and not self.config.allow_policy_upload:
            raise Problem(
                403, "this server does not accept policies from clients; name one with policy="
            )
        if not names and not multipart:
            raise Problem(400, "policy=NAME is required (see GET /v1/policies)")
        paths = tuple(self.policies.path(name) for name in names)
        release = checking.release_of(params.get("release"))
        if release is not None:
            require_release(principal, release.rpartition("@")[0])
        fmt = checking.format_of(params.get("format"))
        results = checking.results_of(params.get("results"))
        now = checking.evaluation_time(params.get("now"))
        name = params.get("name") or "input"
        validate = params.get("validate", "false").lower() in ("1", "true", "yes")
        with self.slots.slot(principal.token_id):
            body = await checking.read_body(request, self.config.max_body)
            sent: list[tuple[str, bytes]] = []
            if multipart:
                upload = await uploads.parts(request, body)
                body, sent = upload.body, upload.policies
                name = params.get("name") or upload.name
                if not names and not sent:
                    raise Problem(400, "name a policy= or send one as a `policy` part")
            body = checking.decoded(body, request.headers if not multipart else Headers())
            if not body:
                raise Problem(400, "the body is empty: send an SBOM or a lockfile")
            warnings: list[str] = []
            with uploads.written(sent) as (folder, files):
                work = checking.check_request(
                    body=body,
                    name=name,
                    policies=paths + tuple(files),
                    settings=self.settings,
                    now=now,
                    release=release,
                    max_bytes=self.config.max_body,
                    validate=validate,
                    results=results,
                    warnings=warnings,
                )
                try:
                    judged = await checking.judged_in_time(
                        work,
                        self.store,
                        self.config.request_timeout,
                        limiter=self.judges,
                        uploaded=bool(sent),
                    )
                except Problem as problem:
                    # A sent policy's messages name it as sent, not where it was written.
                    problem.detail = re.sub(re.escape(str(folder)) + r"/\d+/", "", problem.detail)
                    raise
        self.metrics.verdicts.labels(judged.verdict.outcome).inc()
        return checking.answer(judged, fmt, warnings)

    # --- inventory --------------------------------------------------------------------------

    async def releases(self, request: Request) -> Response:
        """``GET /v1/releases[?name=NAME]``."""
        principal = await self.guard.require(request, "read")
        name = request.query_params.get("name")
        doc = await run_in_threadpool(inventory.list_releases, self.store, principal, name)
        return JSONResponse(doc)

    async def release(self, request: Request) -> Response:
        """``GET /v1/releases/{name}/{version}``."""
        principal = await self.guard.require(request, "read")
        name, version = request.path_params["name"], request.path_params["version"]
        doc = await run_in_threadpool(inventory.show_release, self.store, principal, name, version)
        return JSONResponse(doc)

    async def verdict(self, request: Request) -> Response:
        """``GET /v1/releases/{name}/{version}/verdict``: the latest verdict JSON."""
        principal = await self.guard.require(request, "read")
        name, version = request.path_params["name"], request.path_params["version"]
        data = await run_in_threadpool(
            inventory.release_verdict, self.store, principal, name, version
        )
        return Response(data, media_type="application/json")

    async def history(self, request: Request) -> Response:
        """``GET /v1/releases/{name}/{version}/history``."""
        principal = await self.guard.require(request, "read")
        name, version = request.path_params["name"], request.path_params["version"]
        doc = await run_in_threadpool(
            inventory.release_history, self.store, principal, name, version
        )
        return JSONResponse(doc)

    async def affected(self, request: Request) -> Response:
        """``GET /v1/affected?purl=PURL[&versions=RANGE]``."""
        principal = await self.guard.require(request, "read")
        purl = request.query_params.get("purl")
        if not purl:
            raise Problem(400, "purl=PURL is required (e.g. pkg:pypi/litellm@1.82.8)")
        versions = request.query_params.get("versions")

        def ask() -> dict[str, Any]:
            return inventory.affected(
                self.store, principal, self.config.settings.cache_dir, purl=purl, versions=versions
            )

        return JSONResponse(await run_in_threadpool(ask))

    async def advisory_affected(self, request: Request) -> Response:
        """``GET /v1/advisories/{id}/affected[?versions=RANGE]``."""
        principal = await self.guard.require(request, "read")
        ident = request.path_params["id"]
        versions = request.query_params.get("versions")

        def ask() -> dict[str, Any]:
            return inventory.affected(
                self.store,
                principal,
                self.config.settings.cache_dir,
                advisory=ident,
                versions=versions,
            )

        return JSONResponse(await run_in_threadpool(ask))

    async def import_advisories(self, request: Request) -> Response:
        """``POST /v1/advisories/import`` (admin): OSV records into the store."""
        await self.guard.require(request, "admin")
        body = checking.decoded(
            await checking.read_body(request, self.config.max_body), request.headers
        )
        if body[:2] == b"\x1f\x8b":
            from policyengine.model import PolicyEngineError
            from policyengine.safeio import gunzip_capped

            try:
                body = gunzip_capped(body, "the body", self.config.max_body)
            except PolicyEngineError as exc:
                raise from_error(exc) from None
        doc = await run_in_threadpool(inventory.import_advisories, self.store, body)
        return JSONResponse(doc)


def create_app(config: ServiceConfig, store: Store | None = None) -> Starlette:
    """The service over ``store`` (opened from ``config.store_url`` when not given)."""
    opened = store or open_store(config.store_url)
    api = Api(config, opened)
    routes = api.routes()
    routes.extend(_page_routes(opened, api))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Import what every check needs before the first request: about 0.7 s that would
        # otherwise come out of that request's time (and its enrichment deadline).
        await run_in_threadpool(_warm_up)
        try:
            yield
        finally:
            if store is None:
                opened.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(_Measured, metrics=api.metrics)
    app.state.api = api
    return app


def _warm_up() -> None:
    """Import the readers, enrichment, checks and reports (the first check's cost)."""
    import policyengine.checks.registry
    import policyengine.engine
    import policyengine.enrich.core
    import policyengine.ingest.cyclonedx
    import policyengine.policy.loader
    import policyengine.report.json  # noqa: F401


PAGE_PREFIX = "/ui"
"""Where the read-only page is mounted (docs/service-page.md); ``/`` leads there."""


def _page_routes(store: Store, api: Api) -> list[BaseRoute]:
    """The read-only HTML page under :data:`PAGE_PREFIX`, when the page module is installed.

    The page (``policyengine.service.page``) is built apart from the API; without it, the
    service runs without a page (the import is guarded on the module's presence only, so a
    page that is there but broken still fails loudly). Its interface:
    ``page_routes(store, authenticate) -> list[BaseRoute]`` with
    ``authenticate(raw_token) -> Principal | None`` (:func:`~.tokens.authenticator`).
    """
    import importlib
    import importlib.util

    if importlib.util.find_spec("policyengine.service.page") is None:
        return []
    page = importlib.import_module("policyengine.service.page")
    routes: list[BaseRoute] = page.page_routes(store, api.guard.authenticate)

    async def home(_request: Request) -> Response:
        return RedirectResponse(PAGE_PREFIX + "/", status_code=307)

    return [Route("/", home), Mount(PAGE_PREFIX, routes=routes)]
