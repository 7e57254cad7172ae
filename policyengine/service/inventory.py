"""The inventory over HTTP: releases, their verdicts, what an advisory or package affects.

Every answer is the JSON of the matching ``policyengine releases ... --format json``
command, built by the same functions (:mod:`policyengine.watch`), and narrowed to the
releases the token may see. The handlers here are plain functions run on worker threads.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from policyengine.model import PolicyEngineError, UsageError
from policyengine.service.auth import require_release
from policyengine.service.principal import Principal
from policyengine.service.problems import Problem
from policyengine.store import ReleaseRow, Store
from policyengine.watch.documents import release_doc, verdict_doc


def list_releases(store: Store, principal: Principal, name: str | None) -> dict[str, Any]:
    """``GET /v1/releases``: every release the token may see, with its latest outcome."""
    rows = [r for r in store.releases(name=name) if principal.may_see(r.name)]
    return {"releases": [release_doc(r) for r in rows]}


def _release(store: Store, principal: Principal, name: str, version: str) -> ReleaseRow:
    require_release(principal, name)
    row = store.release(name, version)
    if row is None:
        raise Problem(404, f"no release {name}@{version} in the store")
    return row


def show_release(store: Store, principal: Principal, name: str, version: str) -> dict[str, Any]:
    """``GET /v1/releases/{name}/{version}``: the release, its inputs and latest verdict row."""
    row = _release(store, principal, name, version)
    inputs = [source for source, _ in store.inputs(row.id)]
    return {**release_doc(row), "inputs": inputs}


def release_verdict(store: Store, principal: Principal, name: str, version: str) -> bytes:
    """``GET /v1/releases/{name}/{version}/verdict``: the latest verdict JSON, as written."""
    row = _release(store, principal, name, version)
    return store.blob(row.latest.verdict_blob)


def release_history(store: Store, principal: Principal, name: str, version: str) -> dict[str, Any]:
    """``GET /v1/releases/{name}/{version}/history``: every verdict row, oldest first."""
    row = _release(store, principal, name, version)
    return {
        "release": row.name,
        "version": row.version,
        "verdicts": [verdict_doc(v) for v in store.history(row.id)],
    }


def affected(
    store: Store,
    principal: Principal,
    cache_dir: Path,
    *,
    purl: str | None = None,
    advisory: str | None = None,
    versions: str | None = None,
) -> dict[str, Any]:
    """``GET /v1/affected?purl=`` and ``/v1/advisories/{id}/affected``: holding releases."""
    from policyengine.watch.advisory_store import advisory_source
    from policyengine.watch.affected import (
        advisory_versions,
        document,
        first_seen_in,
        hits,
        purl_versions,
    )

    try:
        if advisory is not None:
            with advisory_source(store, cache_dir) as db:
                if db.record(advisory) is None:
                    raise Problem(404, f"advisory {advisory} is not in the advisory database")
                ident, ids = advisory_versions(store, db, advisory, versions)
            query: dict[str, Any] = {"advisory": ident, "asked": advisory}
        else:
            assert purl is not None
            ids = purl_versions(store, purl, versions)
            query = {"purl": purl}
    except UsageError as exc:
        raise Problem(400, exc.one_line().replace("--versions", "versions=")) from None
    if versions:
        query["versions"] = versions
    found = [h for h in hits(store, ids) if principal.may_see(h.release)]
    return {
        "query": query,
        "first_seen": first_seen_in(found),
        "releases": [document(h) for h in found],
    }


def import_advisories(store: Store, body: bytes) -> dict[str, Any]:
    """``POST /v1/advisories/import``: OSV records (a zip export or one JSON record)."""
    from policyengine.watch.advisory_store import StoreAdvisoryDb, import_into_store

    suffix = ".zip" if body[:2] == b"PK" else ".json"
    with tempfile.TemporaryDirectory(prefix="policyengine-import-") as folder:
        path = Path(folder) / f"advisories{suffix}"
        path.write_bytes(body)
        try:
            report = import_into_store(store, path)
        except PolicyEngineError as exc:
            raise Problem(422, exc.one_line().replace(str(path), "the body")) from None
    db = StoreAdvisoryDb(store)
    return {
        "records": report.records,
        "skipped": [
            {"name": name.replace(str(path), "body"), "reason": why} for name, why in report.skipped
        ],
        "digest": report.digest,
        "total": db.count(),
        "generation": db.generation(),
    }
