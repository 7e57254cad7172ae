"""The offline advisory database kept in the store, with the local database's interface.

``db import PATH --store URL`` imports OSV records into the store (PostgreSQL: one copy
for every machine); re-judging, ``releases affected --advisory`` and workers then read
them from there, matched exactly as the local ``osv.sqlite3`` matches them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from policyengine.enrich.advisory import merge, not_covered, record_affects, to_advisory
from policyengine.enrich.osv_db import ImportReport, describe_import, read_records
from policyengine.enrich.versions import ORDERED_ECOSYSTEMS, normalise_name, purl_type
from policyengine.model import Advisories, FactResult, Missing, Ok, Source
from policyengine.store import Store
from policyengine.store.advisories import StoredAdvisories


class AdvisorySource(Protocol):
    """What re-judging and ``affected`` ask of an advisory database (local or in the store)."""

    @property
    def path(self) -> Path | str:
        """Where it lives, for messages."""
        ...

    def count(self) -> int:
        """How many records it holds."""
        ...

    def generation(self) -> int:
        """The latest import's generation."""
        ...

    def changed_since(self, generation: int) -> list[tuple[int, dict[str, Any]]]:
        """Records added or changed by later imports."""
        ...

    def record(self, ident: str) -> dict[str, Any] | None:
        """A record by id or alias."""
        ...

    def lookup(self, ecosystem: str, name: str, version: str) -> FactResult:
        """The advisories fact of one package version."""
        ...


def packages_of(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(ecosystem as purl type, normalised name) of every package a record names."""
    found = []
    for entry in record.get("affected") or ():
        package = entry.get("package") or {} if isinstance(entry, dict) else {}
        eco = purl_type(str(package.get("ecosystem", "")))
        if eco and package.get("name"):
            found.append((eco, normalise_name(eco, str(package["name"]))))
    return found


def import_into_store(store: Store, path: Path) -> ImportReport:
    """Import every OSV record under ``path`` into the store, as ``db import`` does locally."""
    skipped: list[tuple[str, str]] = []
    digest = hashlib.sha256()
    records = [(record, packages_of(record)) for record in read_records(path, digest, skipped)]
    source = path.resolve().as_uri()
    text = "sha256:" + digest.hexdigest()
    done = StoredAdvisories(store).import_records(source, text, records)
    return ImportReport(done.records, tuple(skipped), text)


class StoreAdvisoryDb:
    """The store's advisory tables behind the interface of the local ``AdvisoryDb``."""

    def __init__(self, store: Store) -> None:
        self.tables = StoredAdvisories(store)
        self._store_url = store.url

    @property
    def path(self) -> str:
        """The store, for messages."""
        from policyengine.store.store import _redacted

        return f"the store {_redacted(self._store_url)}"

    def count(self) -> int:
        """How many records the store holds."""
        return self.tables.count()

    def generation(self) -> int:
        """The latest import's generation."""
        return self.tables.generation()

    def changed_since(self, generation: int) -> list[tuple[int, dict[str, Any]]]:
        """Records added or changed by imports after ``generation``."""
        return self.tables.changed_since(generation)

    def record(self, ident: str) -> dict[str, Any] | None:
        """A record by id or alias."""
        return self.tables.record(ident)

    def lookup(self, ecosystem: str, name: str, version: str) -> FactResult:
        """The advisories (aliases merged, withdrawals dated) affecting one package version."""
        if ecosystem not in ORDERED_ECOSYSTEMS:
            return Missing(
                f"offline advisory matching needs the {ecosystem} version order, not known yet"
            )
        covered = self.tables.ecosystems()
        if ecosystem not in covered:
            return not_covered(ecosystem, covered, f"the advisory database in {self.path}")
        key = normalise_name(ecosystem, name)
        hits = [
            to_advisory(r, ecosystem, key)
            for r in self.tables.for_package(ecosystem, key)
            if record_affects(r, ecosystem, key, version)
        ]
        origins = self.tables.imports_of([a.id for a in hits])
        hits = [
            replace(a, imported_from=describe_import(o.source, o.imported_at.isoformat(), o.digest))
            if (o := origins.get(a.id)) is not None
            else a
            for a in hits
        ]
        last = self.tables.last_import()
        source = Source(
            "osv-db",
            url=last.source if last else None,
            fetched_at=last.imported_at if last else None,
            digest=last.digest if last else None,
        )
        return Ok(Advisories(version, merge(hits, ecosystem)), source)


@contextmanager
def advisory_source(store: Store, cache_dir: Path) -> Iterator[AdvisorySource]:
    """The store's advisory database when imports went there, else the local one."""
    in_store = StoreAdvisoryDb(store)
    if in_store.generation() > 0:
        yield in_store
        return
    from policyengine.enrich.osv_db import AdvisoryDb

    local = AdvisoryDb(cache_dir)
    try:
        yield local
    finally:
        local.close()
