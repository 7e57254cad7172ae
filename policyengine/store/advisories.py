"""The advisory database kept in the store: OSV records, their packages, import generations.

Records arrive parsed, with the (ecosystem, normalised name) pairs they name already
computed by the caller (``store`` imports only ``model``; the OSV knowledge lives in
``enrich``). Matching versions against records is the caller's too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from policyengine.store import schema as t
from policyengine.store.store import Store, _utc


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One import: its generation, what was imported, when, and how many records."""

    generation: int
    source: str
    digest: str
    imported_at: datetime
    records: int


class StoredAdvisories:
    """Read and write the store's advisory tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def import_records(
        self,
        source: str,
        digest: str,
        records: Iterable[tuple[dict[str, Any], Sequence[tuple[str, str]]]],
    ) -> ImportRow:
        """Store records (each with the packages it names) as one import, in one transaction."""
        a, p = t.advisories.c, t.advisory_packages.c
        stored = 0
        changed: list[str] = []
        with self.store._begin() as conn:
            if conn.dialect.name == "postgresql":
                # Imports from two machines at once get consecutive generations.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7314003)"))
            for record, packages in records:
                stored += 1
                ident = str(record["id"])
                modified = str(record.get("modified") or "")
                text = json.dumps(record, sort_keys=True)
                row = conn.execute(
                    sa.select(a.modified, a.record).where(a.id == ident)
                ).one_or_none()
                if row is not None and (row.modified > modified or row.record == text):
                    continue  # a newer or the same copy is already stored
                if row is not None:
                    conn.execute(sa.delete(t.advisories).where(a.id == ident))
                    conn.execute(sa.delete(t.advisory_packages).where(p.id == ident))
                conn.execute(
                    sa.insert(t.advisories).values(id=ident, modified=modified, record=text)
                )
                pairs = sorted(set(packages))
                if pairs:
                    conn.execute(
                        sa.insert(t.advisory_packages),
                        [{"ecosystem": e, "name": n, "id": ident} for e, n in pairs],
                    )
                changed.append(ident)
            now = datetime.now(UTC).replace(microsecond=0)
            # Generations continue past any a verdict was judged at (releases kept while
            # advisories came from a local database): the new records count as newer.
            generation = 1 + max(
                int(
                    conn.execute(sa.select(sa.func.max(t.advisory_imports.c.generation))).scalar()
                    or 0
                ),
                int(
                    conn.execute(sa.select(sa.func.max(t.verdicts.c.advisory_generation))).scalar()
                    or 0
                ),
            )
            conn.execute(
                sa.insert(t.advisory_imports).values(
                    generation=generation,
                    source=source,
                    digest=digest,
                    imported_at=now,
                    records=stored,
                )
            )
            unique = list(dict.fromkeys(changed))
            if unique:
                conn.execute(
                    sa.insert(t.advisory_changes),
                    [{"generation": generation, "id": ident} for ident in unique],
                )
        return ImportRow(generation, source, digest, now, stored)

    def count(self) -> int:
        """How many records are stored."""
        with self.store._read() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(t.advisories)).scalar_one()
            )

    def generation(self) -> int:
        """The latest import's generation; 0 before any."""
        with self.store._read() as conn:
            value = conn.execute(sa.select(sa.func.max(t.advisory_imports.c.generation))).scalar()
        return int(value or 0)

    def last_import(self) -> ImportRow | None:
        """The latest import, or ``None``."""
        i = t.advisory_imports.c
        with self.store._read() as conn:
            row = conn.execute(
                sa.select(t.advisory_imports).order_by(i.generation.desc()).limit(1)
            ).one_or_none()
        if row is None:
            return None
        return ImportRow(row.generation, row.source, row.digest, _utc(row.imported_at), row.records)

    def imports_of(self, idents: list[str]) -> dict[str, ImportRow]:
        """Each record's import: the latest one that added or changed it."""
        c, i = t.advisory_changes.c, t.advisory_imports.c
        found: dict[str, ImportRow] = {}
        if not idents:
            return found
        with self.store._read() as conn:
            rows = conn.execute(
                sa.select(c.id, t.advisory_imports)
                .join(t.advisory_imports, i.generation == c.generation)
                .where(c.id.in_(idents))
                .order_by(c.generation)
            ).all()
        for row in rows:  # ordered by generation: the latest import wins
            found[row.id] = ImportRow(
                row.generation, row.source, row.digest, _utc(row.imported_at), row.records
            )
        return found

    def ecosystems(self) -> frozenset[str]:
        """The ecosystems the stored records name: what the database speaks for."""
        p = t.advisory_packages.c
        with self.store._read() as conn:
            rows = conn.execute(sa.select(p.ecosystem).distinct()).scalars()
            return frozenset(str(e) for e in rows)

    def for_package(self, ecosystem: str, name: str) -> list[dict[str, Any]]:
        """Every stored record naming this package, by id."""
        a, p = t.advisories.c, t.advisory_packages.c
        with self.store._read() as conn:
            rows = conn.execute(
                sa.select(a.record)
                .join(t.advisory_packages, p.id == a.id)
                .where(p.ecosystem == ecosystem, p.name == name)
                .order_by(a.id)
            ).scalars()
            return [json.loads(text) for text in rows]

    def changed_since(self, generation: int) -> list[tuple[int, dict[str, Any]]]:
        """(latest generation, record) of every record a later import added or changed."""
        a, c = t.advisories.c, t.advisory_changes.c
        with self.store._read() as conn:
            rows = conn.execute(
                sa.select(sa.func.max(c.generation), a.record)
                .join(t.advisories, a.id == c.id)
                .where(c.generation > generation)
                .group_by(c.id, a.record)
                .order_by(c.id)
            ).all()
        return [(int(g), json.loads(text)) for g, text in rows]

    def record(self, ident: str) -> dict[str, Any] | None:
        """The record with this id, else the first (by id) naming it as an alias."""
        a = t.advisories.c
        with self.store._read() as conn:
            text = conn.execute(sa.select(a.record).where(a.id == ident)).scalar_one_or_none()
            if text is not None:
                return dict(json.loads(text))
            quoted = json.dumps(ident)
            for candidate in conn.execute(
                sa.select(a.record).where(a.record.contains(quoted)).order_by(a.id)
            ).scalars():
                record = json.loads(candidate)
                if ident in (record.get("aliases") or ()):
                    return dict(record)
        return None
