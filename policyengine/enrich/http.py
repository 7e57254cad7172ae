"""HTTP for enrichment: one client factory, retries with backoff, and the cache in front.

Every request goes through :class:`Fetcher`: a fresh cached answer is used as is;
a stale one is revalidated with ETag / Last-Modified; offline, only the cache
answers. 429 and 5xx answers and transport errors are retried with exponential
backoff, honouring ``Retry-After`` up to a cap. Failures raise :class:`FetchError`
with a one-line reason; they are never cached.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from policyengine.enrich.cache import Cache, Entry
from policyengine.enrich.settings import EnrichSettings

VERSION = "0.1.0"
# Answers that say something true about the request and are worth keeping:
# 404/410 mean "no such package", a fact like any other.
_CACHEABLE = frozenset({200, 404, 410})


class FetchError(Exception):
    """A request that failed after retries (or offline with nothing cached)."""


class NotCached(FetchError):
    """Offline and the cache has no answer for the request."""


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
    """The one async client: timeouts, pool limits matching the concurrency, User-Agent."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
    )
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        headers={"User-Agent": user_agent(), "Accept": "application/json"},
        follow_redirects=True,
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


class Fetcher:
    """Cached, retrying, concurrency-bounded requests; counts what reached the network."""

    def __init__(self, settings: EnrichSettings, client: httpx.AsyncClient, cache: Cache) -> None:
        self.settings = settings
        self.client = client
        self.cache = cache
        self.requests: Counter[str] = Counter()
        self._gate = asyncio.Semaphore(settings.concurrency)

    async def get(self, source: str, url: str, ttl: float) -> Answer:
        """GET ``url`` through the cache (``source`` names the counter and the TTL's owner)."""
        key = f"GET {url}"
        entry = self.cache.get(key)
        if entry is not None and (self.settings.offline or entry.fresh(ttl)):
            return _from_entry(entry)
        if self.settings.offline:
            raise NotCached(f"offline: no cached answer for {url}")
        headers: dict[str, str] = {}
        if entry is not None and entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry is not None and entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
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
        reason = ""
        for attempt in range(attempts):
            wait = self.settings.backoff * (2**attempt)
            try:
                async with self._gate:
                    self.requests[source] += 1
                    response = await self.client.request(
                        method, url, headers=headers, content=content
                    )
                    body = response.content
            except httpx.TimeoutException:
                reason = f"timed out asking {url}"
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__} from {url}: {exc}"
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
            if attempt + 1 < attempts:
                await asyncio.sleep(wait)
        raise FetchError(f"{reason} (after {attempts} attempts)")


def _stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(microsecond=0)


def _from_entry(entry: Entry) -> Answer:
    return Answer(entry.url, entry.status, entry.body, _stamp(entry.fetched_at), from_cache=True)
