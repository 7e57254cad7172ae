"""Advisories from the OSV API: ``POST /v1/querybatch`` then ``GET /v1/vulns/<id>``.

Queries go out in chunks of at most ``osv_batch_size`` (1,000, the API's limit);
each query's answer is cached on its own, so a later run over a different SBOM
reuses every package version already asked about. Details are fetched once per
distinct advisory id and re-fetched when the batch reports a newer ``modified``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson

from policyengine.enrich.advisory import merge, parse_time, to_advisory
from policyengine.enrich.cache import Entry
from policyengine.enrich.http import Fetcher, FetchError, NotCached
from policyengine.enrich.pypi import SHAPE_ERRORS, decode_json
from policyengine.enrich.versions import OSV_ECOSYSTEMS
from policyengine.model import Advisories, FactResult, Failed, Missing, Ok, Source


@dataclass(frozen=True, slots=True)
class Target:
    """One package version to ask about (``ecosystem`` is the purl type)."""

    ecosystem: str
    name: str
    version: str

    def query(self) -> dict[str, Any]:
        """The OSV query object for this version."""
        return {
            "package": {"ecosystem": OSV_ECOSYSTEMS[self.ecosystem], "name": self.name},
            "version": self.version,
        }


@dataclass(slots=True)
class _Hits:
    ids: dict[str, str | None]
    fetched_at: float
    digest: str


async def osv_advisories(
    fetcher: Fetcher, targets: Sequence[Target], done: Callable[[int], None] | None = None
) -> dict[Target, FactResult]:
    """Advisories per target from the OSV API (cached per query and per advisory)."""
    base = fetcher.settings.osv_url.rstrip("/")
    batch_url = f"{base}/v1/querybatch"
    hits: dict[Target, _Hits] = {}
    results: dict[Target, FactResult] = {}
    todo: list[Target] = []
    for target in dict.fromkeys(targets):
        entry = fetcher.cache.get(_key(base, target))
        if entry is not None and (
            fetcher.settings.offline or entry.fresh(fetcher.settings.ttl.osv_query)
        ):
            hits[target] = _Hits(orjson.loads(entry.body), entry.fetched_at, _digest(entry.body))
        elif fetcher.settings.offline:
            results[target] = Missing(f"offline: no cached OSV answer for {target.name}")
        else:
            todo.append(target)
    size = max(1, fetcher.settings.osv_batch_size)
    for start in range(0, len(todo), size):
        chunk = todo[start : start + size]
        try:
            found, endless = await _query_batch(fetcher, batch_url, chunk)
        except FetchError as exc:
            results.update(dict.fromkeys(chunk, Failed(str(exc))))
            continue
        pages = fetcher.settings.osv_max_pages
        for target in endless:
            # Half an answer would read as "no further advisories": the fact fails instead.
            results[target] = Failed(
                f"OSV kept paging: more than {pages} pages for {target.name} {target.version}"
            )
        now = time.time()
        for target, ids in found.items():
            body = json.dumps(ids, sort_keys=True).encode()
            fetcher.cache.put(_key(base, target), Entry(batch_url, 200, body, now))
            hits[target] = _Hits(ids, now, _digest(body))
        if done:
            done(len(chunk))
    records, errors = await _details(fetcher, base, hits)
    for target, hit in hits.items():
        broken = [errors[i] for i in sorted(hit.ids) if i in errors]
        if broken:
            results[target] = broken[0]
            continue
        try:
            advisories = [
                to_advisory(records[i], target.ecosystem, target.name) for i in sorted(hit.ids)
            ]
        except SHAPE_ERRORS as exc:  # e.g. `affected` as a string: the record says nothing
            results[target] = Failed(f"unexpected OSV record from {base}: {exc}")
            continue
        stamp = datetime.fromtimestamp(hit.fetched_at, UTC).replace(microsecond=0)
        results[target] = Ok(
            Advisories(target.version, merge(advisories, target.ecosystem)),
            Source("osv", batch_url, stamp, hit.digest),
        )
    return results


def _key(base: str, target: Target) -> str:
    return f"OSV-QUERY {base} {target.ecosystem}/{target.name}@{target.version}"


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


async def _query_batch(
    fetcher: Fetcher, url: str, chunk: Sequence[Target]
) -> tuple[dict[Target, dict[str, str | None]], list[Target]]:
    """Advisory ids (with ``modified``) per target, and the targets still paging at the cap.

    Pages are followed up to ``osv_max_pages`` per query: an API that always returns
    a ``next_page_token`` would otherwise be asked forever.
    """
    found: dict[Target, dict[str, str | None]] = {t: {} for t in chunk}
    pending: list[tuple[Target, str | None]] = [(t, None) for t in chunk]
    for _page in range(max(1, fetcher.settings.osv_max_pages)):
        if not pending:
            break
        queries = []
        for target, token in pending:
            query = target.query()
            if token:
                query["page_token"] = token
            queries.append(query)
        answer = await fetcher.post_json("osv", url, json.dumps({"queries": queries}).encode())
        if answer.status != 200:
            raise FetchError(f"HTTP {answer.status} from {url}")
        data = decode_json(answer)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or len(results) != len(pending):
            raise FetchError(f"unexpected answer from {url}: results do not match the queries")
        follow: list[tuple[Target, str | None]] = []
        for (target, _), result in zip(pending, results, strict=True):
            vulns = (result.get("vulns") or []) if isinstance(result, dict) else None
            if not isinstance(vulns, list):  # never read as "no advisory"
                raise FetchError(f"unexpected answer from {url}: a result is not a list of vulns")
            for vuln in vulns:
                if isinstance(vuln, dict) and vuln.get("id"):
                    found[target][str(vuln["id"])] = vuln.get("modified")
            if result.get("next_page_token"):
                follow.append((target, str(result["next_page_token"])))
        pending = follow
    endless = [target for target, _ in pending]
    for target in endless:
        del found[target]
    return found, endless


async def _details(
    fetcher: Fetcher, base: str, hits: Mapping[Target, _Hits]
) -> tuple[dict[str, Mapping[str, Any]], dict[str, FactResult]]:
    wanted: dict[str, str | None] = {}
    for hit in hits.values():
        for ident, modified in hit.ids.items():
            if ident not in wanted or (modified or "") > (wanted[ident] or ""):
                wanted[ident] = modified
    records: dict[str, Mapping[str, Any]] = {}
    errors: dict[str, FactResult] = {}
    ttl = fetcher.settings.ttl.osv_vuln

    async def one(ident: str, modified: str | None) -> None:
        url = f"{base}/v1/vulns/{quote(ident, safe='')}"
        try:
            answer = await fetcher.get("osv", url, ttl)
            record = _record(answer.body, answer.url, answer.status, ident)
            newer, known = parse_time(modified), parse_time(record.get("modified"))
            stale = answer.from_cache and newer and known and newer > known
            if stale and not fetcher.settings.offline:
                answer = await fetcher.get("osv", url, 0.0)
                record = _record(answer.body, answer.url, answer.status, ident)
            records[ident] = record
        except NotCached as exc:
            errors[ident] = Missing(str(exc))
        except FetchError as exc:
            fetcher.forget(url)  # an unusable answer is asked again next run, not replayed
            errors[ident] = Failed(str(exc))

    await asyncio.gather(*(one(i, m) for i, m in sorted(wanted.items())))
    return records, errors


def _record(body: bytes, url: str, status: int, ident: str) -> Mapping[str, Any]:
    """The OSV record ``ident`` from an answer; FetchError when it is not that record."""
    if status != 200:
        raise FetchError(f"HTTP {status} from {url}")
    try:  # orjson also refuses lone surrogate escapes, which no verdict could carry
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        problem = "nested too deeply" if exc.msg == "depth limit exceeded" else str(exc)
        raise FetchError(f"invalid JSON from {url}: {problem}") from None
    if not isinstance(data, dict) or not data.get("id"):
        raise FetchError(f"unexpected answer from {url}: not an OSV record")
    if data["id"] != ident:
        # Another advisory's record (a clean one for a MAL- id) must not stand for it.
        raise FetchError(f"the answer from {url} is the record {str(data['id'])[:80]!r}")
    return data
