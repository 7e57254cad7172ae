"""The offline advisory database: OSV records imported from a zip or a folder.

``policyengine db import PATH`` loads OSV JSON (for example the per-ecosystem
``all.zip`` export) and PyPA advisory YAML into ``osv.sqlite3`` in the cache
directory, in one transaction. Matching uses each ecosystem's own version order
(:mod:`policyengine.enrich.versions`), exactly as the OSV API does.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from policyengine.enrich.advisory import merge, not_covered, record_affects, to_advisory
from policyengine.enrich.cache import cache_error, check_layout, connect
from policyengine.enrich.pypi import SHAPE_ERRORS
from policyengine.enrich.versions import ORDERED_ECOSYSTEMS, normalise_name, purl_type
from policyengine.model import (
    Advisories,
    FactResult,
    Failed,
    InputError,
    Missing,
    Ok,
    Position,
    Source,
)

DB_NAME = "osv.sqlite3"
# libyaml's safe loader when present: the same documents, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vulns (id TEXT PRIMARY KEY, modified TEXT, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS packages (ecosystem TEXT NOT NULL, name TEXT NOT NULL, "
    "id TEXT NOT NULL, PRIMARY KEY (ecosystem, name, id))",
    "CREATE TABLE IF NOT EXISTS imports (path TEXT, digest TEXT, imported_at TEXT, "
    "records INTEGER)",
    # Which records each import added or changed (by the import's rowid, its generation):
    # the release inventory re-judges only the releases those records can touch.
    "CREATE TABLE IF NOT EXISTS import_changes (generation INTEGER NOT NULL, id TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS import_changes_generation ON import_changes (generation)",
    # Which ecosystems each import brought records of: what the database can speak for,
    # and as of when (a database of npm records cannot say no advisory affects a PyPI
    # package). Imports made before this table have no rows; see _covering_import.
    "CREATE TABLE IF NOT EXISTS import_ecosystems (generation INTEGER NOT NULL, "
    "ecosystem TEXT NOT NULL, PRIMARY KEY (generation, ecosystem))",
)
_LAYOUT = {
    "vulns": {"id", "modified", "record"},
    "packages": {"ecosystem", "name", "id"},
    "imports": {"path", "digest", "imported_at", "records"},
    "import_changes": {"generation", "id"},
    "import_ecosystems": {"generation", "ecosystem"},
}
"""The columns each table must have: fewer means another program's SQLite file."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: records stored, files skipped (with reasons), the input digest."""

    records: int
    skipped: tuple[tuple[str, str], ...]
    digest: str


class AdvisoryDb:
    """The local OSV store in ``<cache_dir>/osv.sqlite3``."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_dir / DB_NAME
        self._covered: frozenset[str] | None = None
        self._conn = connect(self.path)
        try:
            with self._conn:
                for statement in _SCHEMA:
                    self._conn.execute(statement)
        except sqlite3.Error as exc:
            self._conn.close()
            raise cache_error(self.path, exc) from None
        for table, columns in _LAYOUT.items():
            check_layout(self._conn, self.path, table, columns)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def count(self) -> int:
        """How many advisories are stored."""
        return int(self._conn.execute("SELECT COUNT(*) FROM vulns").fetchone()[0])

    def import_path(self, path: Path) -> ImportReport:
        """Import every OSV record under ``path`` (a zip, a folder, or one file)."""
        stored = 0
        skipped: list[tuple[str, str]] = []
        changed: list[str] = []
        ecosystems: set[str] = set()
        digest = hashlib.sha256()
        try:
            with self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                for record in read_records(path, digest, skipped):
                    if self._store(record):
                        changed.append(str(record["id"]))
                    ecosystems.update(_ecosystems_of(record))
                    stored += 1
                cursor = self._conn.execute(
                    "INSERT INTO imports VALUES (?, ?, ?, ?)",
                    (str(path), "sha256:" + digest.hexdigest(), _now(), stored),
                )
                self._conn.executemany(
                    "INSERT INTO import_changes VALUES (?, ?)",
                    [(cursor.lastrowid, ident) for ident in dict.fromkeys(changed)],
                )
                self._conn.executemany(
                    "INSERT INTO import_ecosystems VALUES (?, ?)",
                    [(cursor.lastrowid, eco) for eco in sorted(ecosystems)],
                )
        except sqlite3.Error as exc:
            raise InputError(
                f"cannot write the advisory database: {exc}", position=Position(str(self.path))
            ) from None
        self._covered = None
        return ImportReport(stored, tuple(skipped), "sha256:" + digest.hexdigest())

    def _store(self, record: dict[str, Any]) -> bool:
        """Store one record; whether it was new or differs from the stored copy."""
        ident = str(record["id"])
        modified = str(record.get("modified") or "")
        text = json.dumps(record, sort_keys=True)
        row = self._conn.execute(
            "SELECT modified, record FROM vulns WHERE id = ?", (ident,)
        ).fetchone()
        if row is not None and (row[0] or "") > modified:
            return False  # keep the newer copy already stored
        if row is not None and row[1] == text:
            return False
        self._conn.execute("INSERT OR REPLACE INTO vulns VALUES (?, ?, ?)", (ident, modified, text))
        self._conn.execute("DELETE FROM packages WHERE id = ?", (ident,))
        for entry in record.get("affected") or ():
            package = entry.get("package") or {} if isinstance(entry, dict) else {}
            eco = purl_type(str(package.get("ecosystem", "")))
            if eco and package.get("name"):
                self._conn.execute(
                    "INSERT OR IGNORE INTO packages VALUES (?, ?, ?)",
                    (eco, normalise_name(eco, str(package["name"])), ident),
                )
        return True

    def generation(self) -> int:
        """The latest import's generation (its row number); 0 before any import."""
        row = self._conn.execute("SELECT MAX(rowid) FROM imports").fetchone()
        return int(row[0] or 0)

    def changed_since(self, generation: int) -> list[tuple[int, dict[str, Any]]]:
        """(generation, record) of every record added or changed by a later import.

        A record changed by several imports is given once, with the latest generation.
        """
        rows = self._conn.execute(
            "SELECT MAX(c.generation), v.record FROM import_changes c JOIN vulns v "
            "ON v.id = c.id WHERE c.generation > ? GROUP BY c.id ORDER BY c.id",
            (generation,),
        ).fetchall()
        return [(int(g), json.loads(text)) for g, text in rows]

    def record(self, ident: str) -> dict[str, Any] | None:
        """The stored record with this id, else the first (by id) that names it as an alias."""
        row = self._conn.execute("SELECT record FROM vulns WHERE id = ?", (ident,)).fetchone()
        if row is not None:
            return dict(json.loads(row[0]))
        # Aliases live inside the records; the LIKE narrows, the parse decides.
        quoted = json.dumps(ident)
        for (text,) in self._conn.execute(
            "SELECT record FROM vulns WHERE record LIKE ? ORDER BY id", (f"%{quoted}%",)
        ):
            record = json.loads(text)
            if ident in (record.get("aliases") or ()):
                return dict(record)
        return None

    def lookup(self, ecosystem: str, name: str, version: str) -> FactResult:
        """The advisories (aliases merged, withdrawals kept with their date) of one version."""
        if ecosystem not in ORDERED_ECOSYSTEMS:
            return Missing(
                f"offline advisory matching needs the {ecosystem} version order, not known yet"
            )
        covered = self.ecosystems()
        if ecosystem not in covered:
            return not_covered(ecosystem, covered, f"the offline advisory database {self.path}")
        rows = self._conn.execute(
            "SELECT v.record FROM packages p JOIN vulns v ON v.id = p.id "
            "WHERE p.ecosystem = ? AND p.name = ? ORDER BY v.id",
            (ecosystem, normalise_name(ecosystem, name)),
        ).fetchall()
        records = [json.loads(r[0]) for r in rows]
        key = normalise_name(ecosystem, name)
        try:
            hits = [
                to_advisory(r, ecosystem, key)
                for r in records
                if record_affects(r, ecosystem, key, version)
            ]
        except SHAPE_ERRORS as exc:  # an imported record whose fields have the wrong type
            return Failed(f"an advisory in the offline database {self.path} is malformed: {exc}")
        origins = self._imports_of([a.id for a in hits])
        hits = [replace(a, imported_from=origins.get(a.id)) for a in hits]
        last = self._covering_import(ecosystem)
        source = Source(
            "osv-db",
            url=Path(last[0]).resolve().as_uri() if last else None,
            fetched_at=datetime.fromisoformat(last[2]) if last else None,
            digest=last[1] if last else None,
        )
        return Ok(Advisories(version, merge(hits, ecosystem)), source)

    def ecosystems(self) -> frozenset[str]:
        """The ecosystems (purl types) the database holds records of: what it speaks for."""
        if self._covered is None:
            rows = self._conn.execute("SELECT DISTINCT ecosystem FROM packages").fetchall()
            self._covered = frozenset(str(r[0]) for r in rows)
        return self._covered

    def _imports_of(self, idents: list[str]) -> dict[str, str]:
        """Each record's import: the latest one that added or changed it (file, time, digest).

        Records imported before imports recorded their changes have none.
        """
        found: dict[str, str] = {}
        for ident in idents:
            row = self._conn.execute(
                "SELECT i.path, i.imported_at, i.digest FROM import_changes c JOIN imports i "
                "ON i.rowid = c.generation WHERE c.id = ? ORDER BY c.generation DESC LIMIT 1",
                (ident,),
            ).fetchone()
            if row is not None:
                found[ident] = describe_import(str(row[0]), str(row[1]), str(row[2]))
        return found

    def _covering_import(self, ecosystem: str) -> tuple[str, str, str] | None:
        """(path, digest, time) of the latest import with records of ``ecosystem``.

        That import is what a "no advisory" answer rests on, and its time is the "as of"
        of the answer. A database imported before imports recorded their ecosystems
        names its latest import instead.
        """
        row = self._conn.execute(
            "SELECT i.path, i.digest, i.imported_at FROM imports i JOIN import_ecosystems e "
            "ON e.generation = i.rowid WHERE e.ecosystem = ? ORDER BY i.rowid DESC LIMIT 1",
            (ecosystem,),
        ).fetchone()
        if row is None:
            row = self._conn.execute(
                "SELECT path, digest, imported_at FROM imports ORDER BY rowid DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]))


def describe_import(path: str, imported_at: object, digest: str) -> str:
    """How an advisory names its import: ``file:///…/PyPI.zip (imported …, sha256:…)``."""
    where = path if "://" in path else Path(path).resolve().as_uri()
    return f"{where} (imported {imported_at}, {digest})"


def _ecosystems_of(record: dict[str, Any]) -> set[str]:
    found = set()
    for entry in record.get("affected") or ():
        package = entry.get("package") or {} if isinstance(entry, dict) else {}
        eco = purl_type(str(package.get("ecosystem", "")))
        if eco:
            found.add(eco)
    return found


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def read_records(
    path: Path, digest: Any, skipped: list[tuple[str, str]]
) -> Iterator[dict[str, Any]]:
    """Every usable OSV record under ``path``; ``digest`` (a hashlib object) sees every file.

    Unusable files are appended to ``skipped`` with the reason, as an import reports them.
    """
    for name, data in source_files(path):
        digest.update(name.encode() + b"\0" + data)
        record, problem = parse_record(name, data)
        if record is None:
            skipped.append((name, problem))
            continue
        yield record


def source_files(path: Path) -> Iterator[tuple[str, bytes]]:
    """Each ``.json`` / ``.yaml`` file under ``path`` (zip, folder or file) as (name, bytes)."""
    wanted = (".json", ".yaml", ".yml")
    if path.is_dir():
        for item in sorted(path.rglob("*")):
            if item.is_file() and item.suffix.lower() in wanted:
                yield str(item.relative_to(path)), item.read_bytes()
        return
    if not path.exists():
        raise InputError("no such file or folder", position=Position(str(path)))
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if not info.is_dir() and info.filename.lower().endswith(wanted):
                        yield info.filename, archive.read(info)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"unreadable zip: {exc}", position=Position(str(path))) from None
        return
    if path.suffix.lower() in wanted:
        yield path.name, path.read_bytes()
        return
    raise InputError(
        "not a zip, a folder or an OSV JSON/YAML file",
        position=Position(str(path)),
        hint="pass an OSV export such as PyPI/all.zip or a folder of OSV records",
    )


def _plain(value: Any) -> Any:
    # PyYAML turns unquoted timestamps into datetimes; OSV wants RFC 3339 strings.
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def parse_record(name: str, data: bytes) -> tuple[dict[str, Any] | None, str]:
    """One OSV record from JSON or PyPA YAML bytes, or ``None`` and the reason it is unusable."""
    try:
        if name.lower().endswith(".json"):  # orjson also refuses lone surrogate escapes
            record = orjson.loads(data)
        else:
            record = _plain(yaml.load(data, Loader=_LOADER))
    except orjson.JSONDecodeError as exc:
        if exc.msg == "depth limit exceeded":
            return None, "not valid JSON/YAML: nested too deeply"
        return None, f"not valid JSON/YAML: {exc}".splitlines()[0]
    except (ValueError, yaml.YAMLError) as exc:
        return None, f"not valid JSON/YAML: {exc}".splitlines()[0]
    except RecursionError:
        return None, "not valid JSON/YAML: nested too deeply"
    if not isinstance(record, dict):
        return None, "not an OSV record (not an object)"
    try:  # the pure-Python YAML loader accepts a lone surrogate escape; no verdict could carry it
        orjson.dumps(record)
    except TypeError as exc:
        return None, f"not valid JSON/YAML: {exc}"
    if not record.get("id"):
        return None, "OSV record without an id"
    if not isinstance(record.get("affected") or [], list):
        return None, "'affected' is not a list"
    return record, ""
