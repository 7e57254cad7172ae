"""HTTP for enrichment: one client factory, retries with backoff, and the cache in front.

Every request goes through :class:`Fetcher`: a fresh cached answer is used as is;
a stale one is revalidated with ETag / Last-Modified; offline, only the cache
answers. 429 and 5xx answers and transport errors are retried with exponential
backoff, honouring ``Retry-After`` up to a cap, except for a host that will not
answer within the run (:mod:`policyengine.enrich.hosts`): a name that does not
resolve is not retried, a refused connection once, and later requests to that
host fail at once with the same reason (:class:`HostDown`). Failures raise
:class:`FetchError` with a one-line reason; they are never cached.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from policyengine.enrich.cache import Cache, Entry
from policyengine.enrich.hosts import Asker, Hosts, classify, origin
from policyengine.enrich.proxies import ThroughProxy, proxy_routes
from policyengine.enrich.redirects import RedirectRefused, redirect_guard
from policyengine.enrich.settings import VERSION as VERSION  # named in every request
from policyengine.enrich.settings import EnrichSettings
from policyengine.enrich.trust import tls_context

# Answers that say something true about the request and are worth keeping:
# 404/410 mean "no such package", a fact like any other.
_CACHEABLE = frozenset({200, 404, 410})


class FetchError(Exception):
    """A request that failed after retries (or offline with nothing cached)."""


class NotCached(FetchError):
    """Offline and the cache has no answer for the request."""


class HostDown(FetchError):
    """The host cannot be reached in this run (no name, refused, bad certificate): not sent."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A response as enrichment sees it: final URL, status, body and when it was obtained."""

    url: str
    status: int
    body: bytes
    fetched_at: datetime
    from_cache: bool

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the body bytes."""
        return "sha256:" + hashlib.sha256(self.body).hexdigest()


def user_agent() -> str:
    """The User-Agent every request carries."""
    return f"policyengine/{VERSION}"


def make_client(settings: EnrichSettings) -> httpx.AsyncClient:
    """The one async client: trust, proxies, timeouts, pool limits, User-Agent.

    Trust is ``settings.ssl_context`` when the caller built it (the CLI does, once per
    run, to report a bad ``--ca-bundle`` before any work), else built here
    (:mod:`policyengine.enrich.trust`). Proxies come from the environment
    (:mod:`policyengine.enrich.proxies`); every transport shares the one context.
    """
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
    )
    context = settings.ssl_context or tls_context(settings.ca_bundle, os.environ)

    def through(proxy: httpx.Proxy) -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport(verify=context, limits=limits, proxy=proxy)

    mounts: dict[str, httpx.AsyncBaseTransport | None] = {
        pattern: None if proxy is None else ThroughProxy(proxy, through)
        for pattern, proxy in proxy_routes().items()
    }
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        headers={"User-Agent": user_agent(), "Accept": "application/json"},
        # Followed only within the origin asked or to an allowed host (redirects.py).
        follow_redirects=True,
        event_hooks={"response": [redirect_guard(settings.allow_redirect_hosts)]},
        verify=context,
        mounts=mounts,
        # The environment is read above, on our terms: httpx would build a context per
        # transport from SSL_CERT_FILE (replacing the system store) and route proxies
        # without saying which one failed.
        trust_env=False,
    )


def retry_after(value: str | None, cap: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - datetime.now(UTC)).total_seconds(), cap))


CACHE_COUNTS: Counter[str] = Counter()
"""This process's GETs by how they were answered: ``hit`` (the cache, no request) or
``asked`` (a request went out); the service's ``/metrics`` reports the hit rate."""


class Fetcher:
    """Cached, retrying, concurrency-bounded requests; counts what reached the network."""

    def __init__(self, settings: EnrichSettings, client: httpx.AsyncClient, cache: Cache) -> None:
        self.settings = settings
        self.client = client
        self.cache = cache
        self.requests: Counter[str] = Counter()
        self.hosts = Hosts()
        self._gate = asyncio.Semaphore(settings.concurrency)

    async def get(self, source: str, url: str, ttl: float, accept: str | None = None) -> Answer:
        """GET ``url`` through the cache (``source`` names the counter and the TTL's owner).

        ``accept`` asks for one representation (PEP 691's JSON simple index); it is part
        of the cache key, since the same URL serves others.
        """
        key = f"GET {url}" if accept is None else f"GET {url} accept={accept}"
        entry = self.cache.get(key)
        if entry is not None and (self.settings.offline or entry.fresh(ttl)):
            CACHE_COUNTS["hit"] += 1
            return _from_entry(entry)
        if self.settings.offline:
            raise NotCached(f"offline: no cached answer for {url}")
        headers: dict[str, str] = {} if accept is None else {"Accept": accept}
        if entry is not None and entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry is not None and entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        CACHE_COUNTS["asked"] += 1
        response, body = await self._send(source, "GET", url, headers=headers)
        now = time.time()
        if response.status_code == 304 and entry is not None:
            self.cache.touch(key, now)
            return _from_entry(Entry(entry.url, entry.status, entry.body, now))
        final = str(response.url)
        if response.status_code in _CACHEABLE:
            self.cache.put(
                key,
                Entry(
                    url=final,
                    status=response.status_code,
                    body=body,
                    fetched_at=now,
                    content_type=response.headers.get("content-type"),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                ),
            )
        return Answer(final, response.status_code, body, _stamp(now), from_cache=False)

    def unserved(self, endpoint: str, ttl: float) -> bool:
        """True when ``endpoint`` (a URL pattern) was found not served within ``ttl``."""
        entry = self.cache.get(f"UNSERVED {endpoint}")
        return entry is not None and (self.settings.offline or entry.fresh(ttl))

    def mark_unserved(self, endpoint: str, status: int) -> None:
        """Remember, in the cache, that ``endpoint`` answered ``status`` (404: not served)."""
        self.cache.put(f"UNSERVED {endpoint}", Entry(endpoint, status, b"", time.time()))

    def cached(self, url: str, ttl: float) -> Answer | None:
        """The cached answer for ``url`` when it is usable now, without any request."""
        entry = self.cache.get(f"GET {url}")
        if entry is not None and (self.settings.offline or entry.fresh(ttl)):
            return _from_entry(entry)
        return None

    def forget(self, url: str) -> None:
        """Drop the cached answer for ``url`` (its body turned out to be unusable)."""
        self.cache.delete(f"GET {url}")

    async def post_json(self, source: str, url: str, payload: bytes) -> Answer:
        """POST a JSON body (never cached here: callers cache per query)."""
        if self.settings.offline:
            raise NotCached(f"offline: cannot POST to {url}")
        response, body = await self._send(
            source, "POST", url, content=payload, headers={"Content-Type": "application/json"}
        )
        return Answer(str(response.url), response.status_code, body, _stamp(time.time()), False)

    async def _send(
        self,
        source: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        content: bytes | None = None,
    ) -> tuple[httpx.Response, bytes]:
        attempts = self.settings.retries + 1
        key = origin(httpx.URL(url))
        asker = Asker()
        reason = ""
        try:
            for attempt in range(attempts):
                wait = self.settings.backoff * (2**attempt)
                connected = True
                try:
                    async with self._slot(key, asker):
                        self.requests[source] += 1
                        async with asyncio.timeout(self.settings.total_timeout):
                            response, body = await self._receive(method, url, headers, content)
                except (httpx.TimeoutException, TimeoutError):
                    reason = f"timed out asking {url}"
                except RedirectRefused as exc:
                    raise FetchError(str(exc)) from None
                except _TooLarge:
                    cap = self.settings.max_response_bytes
                    reason = f"the answer from {url} is over {cap} bytes"
                except httpx.HTTPError as exc:
                    reason = f"{type(exc).__name__} from {url}: {exc}"
                    trouble = classify(exc)
                    if trouble is not None:
                        connected = False
                        down = await self.hosts.judge(
                            _failed_url(exc, url),
                            trouble,
                            asker,
                            can_retry=attempt + 1 < attempts,
                            retried=attempt > 0,
                        )
                        if down is not None:
                            raise HostDown(down) from None
                else:
                    status = response.status_code
                    if status == 429 or status >= 500:
                        reason = f"HTTP {status} from {url}"
                        hinted = retry_after(
                            response.headers.get("retry-after"), self.settings.max_retry_after
                        )
                        if hinted is not None:
                            wait = hinted
                    else:
                        return response, body
                if connected:
                    # Whatever answered or failed here, the host was reached (or the fault
                    # passes): if this request was probing it, the host is not down.
                    self.hosts.reached(asker)
                if attempt + 1 < attempts:
                    await asyncio.sleep(wait)
        finally:
            self.hosts.reached(asker)
        raise FetchError(f"{reason} (after {attempts} attempts)")

    @asynccontextmanager
    async def _slot(self, key: str, asker: Asker) -> AsyncIterator[None]:
        """A place under the concurrency gate for a request to ``key`` (an origin).

        Raises :class:`HostDown` once the host is known to be down. While another
        request probes the host, waits outside the gate: checked again inside it,
        since requests queued at the gate would otherwise each try the host in turn.
        """
        while True:
            down = await self.hosts.settled(key, asker)
            if down is not None:
                raise HostDown(down)
            async with self._gate:
                if self.hosts.free(key, asker):
                    yield
                    return

    async def _receive(
        self, method: str, url: str, headers: dict[str, str], content: bytes | None
    ) -> tuple[httpx.Response, bytes]:
        # Streamed so that an oversized answer is cut off instead of filling the memory.
        cap = self.settings.max_response_bytes
        async with self.client.stream(method, url, headers=headers, content=content) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise _TooLarge
            chunks = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise _TooLarge
                chunks.append(chunk)
        return response, b"".join(chunks)


def _failed_url(exc: httpx.HTTPError, url: str) -> httpx.URL:
    """The URL whose connection failed: after a redirect, not the one first asked for."""
    try:
        return exc.request.url
    except RuntimeError:  # an error raised outside a request carries none
        return httpx.URL(url)


class _TooLarge(Exception):
    """An answer over ``max_response_bytes``."""


def _stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(microsecond=0)


def _from_entry(entry: Entry) -> Answer:
    return Answer(entry.url, entry.status, entry.body, _stamp(entry.fetched_at), from_cache=True)
