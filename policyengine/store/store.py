"""The release inventory over SQLAlchemy Core: one code path for SQLite and PostgreSQL.

Every write is one transaction. Verdicts are only ever inserted: a release's history is
never rewritten. Questions across releases go through the component index
(``components`` + ``release_components``), never through the stored SBOMs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from policyengine.model import UsageError
from policyengine.store import schema as t
from policyengine.store.blobs import digest_of, pack, unpack

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True, slots=True)
class IndexedComponent:
    """A component as the index keeps it, with the fingerprints of the facts judged on.

    ``advisories`` is the sorted, comma-joined advisory ids (aliases included) the
    verdict saw for it, or ``None`` when the advisories were not obtained; ``registry``
    digests the registry facts' values (sources and fetch times left out).
    """

    ecosystem: str
    name: str
    version: str
    purl: str | None = None
    advisories: str | None = None
    registry: str | None = None


@dataclass(frozen=True, slots=True)
class NewVerdict:
    """A verdict to append, with the bytes it was judged on (stored compressed, deduplicated)."""

    judged_at: datetime
    evaluated_at: datetime
    reason: str
    outcome: str
    summary: str
    policy_name: str
    policy_digest: str
    evidence_digest: str | None
    advisory_generation: int
    policy: bytes
    evidence: bytes
    verdict: bytes


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """One stored verdict of a release."""

    id: int
    release_id: int
    seq: int
    judged_at: datetime
    evaluated_at: datetime
    reason: str
    outcome: str
    summary: dict[str, Any]
    policy_name: str
    policy_digest: str
    evidence_digest: str | None
    advisory_generation: int
    policy_blob: str
    evidence_blob: str
    verdict_blob: str


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    """A release with its first and latest verdict."""

    id: int
    name: str
    version: str
    created_at: datetime
    verdicts: int
    first: VerdictRow
    latest: VerdictRow
    components: int


@dataclass(frozen=True, slots=True)
class Holder:
    """A release holding an asked-about component: what the gate said then and says now."""

    release: str
    version: str
    released_at: datetime
    component: str
    component_version: str
    purl: str | None
    first_outcome: str
    first_judged_at: datetime
    outcome: str
    judged_at: datetime


@dataclass(frozen=True, slots=True)
class HolderTotal:
    """How many releases hold one component, and when the first of them was stored."""

    component: str
    component_version: str
    releases: int
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    """A component of a release as its latest verdict saw it."""

    release_id: int
    component_id: int
    ecosystem: str
    name: str
    version: str
    purl: str | None
    advisories: str | None
    registry: str | None


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time stored is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _moment(value: Any) -> datetime:
    """A time from the driver: a datetime (psycopg) or SQLite's stored text, in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _utc(value)


def _verdict_row(row: Any) -> VerdictRow:
    import json

    return VerdictRow(
        id=row.id,
        release_id=row.release_id,
        seq=row.seq,
        judged_at=_utc(row.judged_at),
        evaluated_at=_utc(row.evaluated_at),
        reason=row.reason,
        outcome=row.outcome,
        summary=json.loads(row.summary),
        policy_name=row.policy_name,
        policy_digest=row.policy_digest,
        evidence_digest=row.evidence_digest,
        advisory_generation=row.advisory_generation,
        policy_blob=row.policy_blob,
        evidence_blob=row.evidence_blob,
        verdict_blob=row.verdict_blob,
    )


class Store:
    """An open inventory; :func:`open_store` makes one (migrated to the newest schema)."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise _store_error(self.url, exc) from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise _store_error(self.url, exc) from None

    def ping(self) -> None:
        """Ask the database one trivial question (a readiness probe); raise if it cannot."""
        with self._read() as conn:
            conn.execute(sa.text("SELECT 1"))

    # --- writing ---------------------------------------------------------------------------

    def record(
        self,
        name: str,
        version: str,
        inputs: Sequence[tuple[str, bytes]],
        members: Sequence[IndexedComponent],
        verdict: NewVerdict,
    ) -> VerdictRow:
        """Keep a judged release: its inputs and components (first time) and the verdict.

        Judging a stored release again appends a verdict; its inputs must be the same
        bytes (a release is what was shipped: a different SBOM is a different release).
        """
        with self._begin() as conn:
            release_id = self._release_id(conn, name, version, inputs, verdict.judged_at)
            ids = self._component_ids(conn, members)
            self._set_members(conn, release_id, members, ids)
            return self._append(conn, release_id, verdict)

    def append(
        self, release_id: int, members: Sequence[IndexedComponent], verdict: NewVerdict
    ) -> VerdictRow:
        """Append a re-judged verdict and the fingerprints it was judged on."""
        with self._begin() as conn:
            ids = self._component_ids(conn, members)
            self._set_members(conn, release_id, members, ids)
            return self._append(conn, release_id, verdict)

    def _release_id(
        self,
        conn: Connection,
        name: str,
        version: str,
        inputs: Sequence[tuple[str, bytes]],
        created_at: datetime,
    ) -> int:
        found = conn.execute(
            sa.select(t.releases.c.id).where(
                t.releases.c.name == name, t.releases.c.version == version
            )
        ).scalar_one_or_none()
        digests = [digest_of(data) for _, data in inputs]
        if found is not None:
            stored = conn.execute(
                sa.select(t.release_inputs.c.blob)
                .where(t.release_inputs.c.release_id == found)
                .order_by(t.release_inputs.c.position)
            ).scalars()
            if list(stored) != digests:
                raise UsageError(
                    f"release {name}@{version} is already stored with other inputs",
                    hint="a release's SBOM never changes: give the new build a new version",
                )
            return int(found)
        release_id = conn.execute(
            sa.insert(t.releases).values(name=name, version=version, created_at=created_at)
        ).inserted_primary_key
        assert release_id is not None
        new_id = int(release_id[0])
        for position, ((source, data), digest) in enumerate(zip(inputs, digests, strict=True)):
            self._put_blob(conn, "sbom", data, digest)
            conn.execute(
                sa.insert(t.release_inputs).values(
                    release_id=new_id, position=position, source=source, blob=digest
                )
            )
        return new_id

    def _put_blob(self, conn: Connection, kind: str, data: bytes, digest: str) -> None:
        conn.execute(
            _insert_ignore(conn, t.blobs, ["digest"]).values(
                digest=digest, kind=kind, size=len(data), data=pack(data)
            )
        )

    def _component_ids(
        self, conn: Connection, members: Sequence[IndexedComponent]
    ) -> dict[tuple[str, str, str], int]:
        # The driver's own statements, a few per release rather than a few per component:
        # SQLAlchemy's executemany sends one statement per row through psycopg's pipeline,
        # which was most of what keeping a release of 300 components cost on PostgreSQL.
        purls = {(m.ecosystem, m.name, m.version): m.purl for m in members}
        if not purls:
            return {}
        if conn.dialect.name == "postgresql":
            return _pg_component_ids(conn, purls)
        return _sqlite_component_ids(conn, purls)

    def _set_members(
        self,
        conn: Connection,
        release_id: int,
        members: Sequence[IndexedComponent],
        ids: Mapping[tuple[str, str, str], int],
    ) -> None:
        # The membership is the release's (fixed); the fingerprints are those of the
        # latest verdict, so they are replaced as a whole with each verdict.
        conn.exec_driver_sql(_DELETE_MEMBERS[conn.dialect.paramstyle], (release_id,))
        rows: dict[int, tuple[int, int, str | None, str | None]] = {}
        for m in members:
            cid = ids[(m.ecosystem, m.name, m.version)]
            rows[cid] = (release_id, cid, m.advisories, m.registry)
        if not rows:
            return
        if conn.dialect.name == "postgresql":
            # One statement for the whole release: the columns as arrays, unnested.
            conn.exec_driver_sql(
                "INSERT INTO release_components (release_id, component_id, advisories, registry)"
                " SELECT %s, * FROM unnest(%s::int[], %s::text[], %s::text[])",
                (
                    release_id,
                    [r[1] for r in rows.values()],
                    [r[2] for r in rows.values()],
                    [r[3] for r in rows.values()],
                ),
            )
            return
        conn.exec_driver_sql(
            "INSERT INTO release_components (release_id, component_id, advisories, registry)"
            " VALUES (?, ?, ?, ?)",
            list(rows.values()),
        )

    def _append(self, conn: Connection, release_id: int, verdict: NewVerdict) -> VerdictRow:
        v = t.verdicts.c
        seq = int(
            conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(v.seq), 0)).where(v.release_id == release_id)
            ).scalar_one()
        )
        blobs = {}
        for kind, data in (
            ("policy", verdict.policy),
            ("evidence", verdict.evidence),
            ("verdict", verdict.verdict),
        ):
            blobs[kind] = digest_of(data)
            self._put_blob(conn, kind, data, blobs[kind])
        values = {
            "release_id": release_id,
            "seq": seq + 1,
            "judged_at": verdict.judged_at,
            "evaluated_at": verdict.evaluated_at,
            "reason": verdict.reason,
            "outcome": verdict.outcome,
            "summary": verdict.summary,
            "policy_name": verdict.policy_name,
            "policy_digest": verdict.policy_digest,
            "evidence_digest": verdict.evidence_digest,
            "advisory_generation": verdict.advisory_generation,
            "policy_blob": blobs["policy"],
            "evidence_blob": blobs["evidence"],
            "verdict_blob": blobs["verdict"],
        }
        key = conn.execute(sa.insert(t.verdicts).values(**values)).inserted_primary_key
        assert key is not None
        # The release row repeats what its first and latest verdicts say, in this same
        # transaction, so that ``releases affected`` reads no verdict row.
        outcomes: dict[str, Any] = {
            "latest_seq": seq + 1,
            "latest_outcome": verdict.outcome,
            "latest_judged_at": verdict.judged_at,
        }
        if seq == 0:
            outcomes.update(first_outcome=verdict.outcome, first_judged_at=verdict.judged_at)
        conn.execute(sa.update(t.releases).where(t.releases.c.id == release_id).values(**outcomes))
        row = conn.execute(sa.select(t.verdicts).where(v.id == key[0])).one()
        return _verdict_row(row)

    def set_setting(self, key: str, value: str) -> None:
        """Set a named value (e.g. the advisory generation already watched)."""
        with self._begin() as conn:
            conn.execute(sa.delete(t.settings).where(t.settings.c.key == key))
            conn.execute(sa.insert(t.settings).values(key=key, value=value))

    # --- reading ---------------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        """A named value, or ``None``."""
        with self._read() as conn:
            value = conn.execute(
                sa.select(t.settings.c.value).where(t.settings.c.key == key)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def blob(self, digest: str) -> bytes:
        """The plain bytes of a stored blob."""
        with self._read() as conn:
            data = conn.execute(
                sa.select(t.blobs.c.data).where(t.blobs.c.digest == digest)
            ).scalar_one()
        return unpack(bytes(data))

    def inputs(self, release_id: int) -> list[tuple[str, bytes]]:
        """The release's SBOM/lockfile inputs as (source name, bytes), in order."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(t.release_inputs.c.source, t.blobs.c.data)
                .join(t.blobs, t.blobs.c.digest == t.release_inputs.c.blob)
                .where(t.release_inputs.c.release_id == release_id)
                .order_by(t.release_inputs.c.position)
            ).all()
        return [(r.source, unpack(bytes(r.data))) for r in rows]

    def releases(
        self, ids: Iterable[int] | None = None, name: str | None = None
    ) -> list[ReleaseRow]:
        """Releases (all, by id, or of one name) with first and latest verdicts, by name."""
        r, v = t.releases.c, t.verdicts.c
        query = sa.select(t.releases)
        if ids is not None:
            query = query.where(r.id.in_(list(ids)))
        if name is not None:
            query = query.where(r.name == name)
        with self._read() as conn:
            rel = conn.execute(query.order_by(r.name, r.created_at, r.id)).all()
            if not rel:
                return []
            wanted = [row.id for row in rel]
            bounds = (
                sa.select(
                    v.release_id,
                    sa.func.min(v.seq).label("first"),
                    sa.func.max(v.seq).label("latest"),
                    sa.func.count().label("n"),
                )
                .where(v.release_id.in_(wanted))
                .group_by(v.release_id)
                .subquery()
            )
            rows = conn.execute(
                sa.select(t.verdicts, bounds.c.n)
                .join(bounds, bounds.c.release_id == v.release_id)
                .where(sa.or_(v.seq == bounds.c.first, v.seq == bounds.c.latest))
            ).all()
            counts: dict[int, int] = dict(
                conn.execute(
                    sa.select(t.release_components.c.release_id, sa.func.count())
                    .where(t.release_components.c.release_id.in_(wanted))
                    .group_by(t.release_components.c.release_id)
                ).all()
            )
        firsts: dict[int, VerdictRow] = {}
        latests: dict[int, VerdictRow] = {}
        numbers: dict[int, int] = {}
        for row in rows:
            verdict = _verdict_row(row)
            numbers[verdict.release_id] = int(row.n)
            if verdict.release_id not in firsts or verdict.seq < firsts[verdict.release_id].seq:
                firsts[verdict.release_id] = verdict
            if verdict.release_id not in latests or verdict.seq > latests[verdict.release_id].seq:
                latests[verdict.release_id] = verdict
        return [
            ReleaseRow(
                id=row.id,
                name=row.name,
                version=row.version,
                created_at=_utc(row.created_at),
                verdicts=numbers[row.id],
                first=firsts[row.id],
                latest=latests[row.id],
                components=int(counts.get(row.id, 0)),
            )
            for row in rel
            if row.id in latests
        ]

    def recent_releases(
        self, prefix: str = "", *, limit: int = 50, offset: int = 0
    ) -> tuple[list[ReleaseRow], int]:
        """A page of the releases whose names start with ``prefix``, newest first, and their count.

        The prefix is compared exactly (``substr``, not ``LIKE``: SQLite's ``LIKE`` ignores
        ASCII case and would widen a token's prefix); only one page is read in full.
        """
        r = t.releases.c
        where = (
            [sa.func.substr(r.name, 1, len(prefix)) == prefix]
            if prefix
            else [sa.true()]  # every release
        )
        with self._read() as conn:
            total = int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(t.releases).where(*where)
                ).scalar_one()
            )
            ids = [
                int(i)
                for i in conn.execute(
                    sa.select(r.id)
                    .where(*where)
                    .order_by(r.created_at.desc(), r.id.desc())
                    .limit(limit)
                    .offset(offset)
                ).scalars()
            ]
        if not ids:
            return [], total
        rows = {row.id: row for row in self.releases(ids)}
        return [rows[i] for i in ids if i in rows], total

    def release(self, name: str, version: str) -> ReleaseRow | None:
        """One release by name and version, or ``None``."""
        with self._read() as conn:
            found = conn.execute(
                sa.select(t.releases.c.id).where(
                    t.releases.c.name == name, t.releases.c.version == version
                )
            ).scalar_one_or_none()
        if found is None:
            return None
        rows = self.releases([int(found)])
        return rows[0] if rows else None

    def history(self, release_id: int) -> list[VerdictRow]:
        """Every verdict of a release, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(t.verdicts)
                .where(t.verdicts.c.release_id == release_id)
                .order_by(t.verdicts.c.seq)
            ).all()
        return [_verdict_row(row) for row in rows]

    def versions_of(self, ecosystem: str, name: str) -> list[tuple[int, str, str | None]]:
        """(component id, version, purl) of every indexed version of one package."""
        c = t.components.c
        with self._read() as conn:
            rows = conn.execute(
                sa.select(c.id, c.version, c.purl).where(c.ecosystem == ecosystem, c.name == name)
            ).all()
        return [(int(r.id), r.version, r.purl) for r in rows]

    def members(
        self,
        component_ids: Iterable[int] | None = None,
        release_ids: Iterable[int] | None = None,
    ) -> list[Membership]:
        """Memberships of these components and/or releases, with their fingerprints."""
        m, c = t.release_components.c, t.components.c
        query = sa.select(
            m.release_id,
            m.component_id,
            c.ecosystem,
            c.name,
            c.version,
            c.purl,
            m.advisories,
            m.registry,
        ).join(t.components, c.id == m.component_id)
        ids = None if component_ids is None else list(component_ids)
        out: list[Membership] = []
        with self._read() as conn:
            chunks: list[list[int] | None] = [None]
            if ids is not None:
                chunks = [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
            for chunk in chunks:
                q = query
                if chunk is not None:
                    q = q.where(m.component_id.in_(chunk))
                if release_ids is not None:
                    q = q.where(m.release_id.in_(list(release_ids)))
                out.extend(Membership(*row) for row in conn.execute(q))
        return out

    def holders(
        self, component_ids: Iterable[int], *, limit: int | None = None, offset: int = 0
    ) -> list[Holder]:
        """The releases holding these components, oldest first, with what the gate said.

        ``limit``/``offset`` page through them (:meth:`holder_totals` counts them all).
        """
        with self._read() as conn:
            return list(self._holders(conn, list(component_ids), limit, offset))

    def stream_holders(self, component_ids: Iterable[int]) -> Iterator[Holder]:
        """Every release holding these components, read from the database as it is used.

        On PostgreSQL through a server-side cursor: the whole answer is never in memory.
        """
        ids = list(component_ids)
        with self._read() as conn:
            yield from self._holders(conn.execution_options(stream_results=True), ids, None, 0)

    def _holders(
        self, conn: Connection, ids: list[int], limit: int | None, offset: int
    ) -> Iterator[Holder]:
        # The index (``release_components`` by component, covered by its index) joined
        # to the release row, which carries its first and latest outcome: no verdict row
        # and no SBOM is read. The few asked components are read on their own (joining
        # them made PostgreSQL hash the whole component table). The driver's own rows:
        # SQLAlchemy's per-row processing cost most of the time for a package held by
        # the whole fleet.
        if not ids:
            return
        named = self._components(conn, ids)
        sql = (
            "SELECT r.name, r.version, r.created_at, m.component_id,"
            " r.first_outcome, r.first_judged_at, r.latest_outcome, r.latest_judged_at"
            " FROM release_components m JOIN releases r ON r.id = m.release_id"
            f" WHERE {_ids_clause(conn)}"
            " ORDER BY r.created_at, r.id, m.component_id"
        )
        params: list[Any] = [_ids_param(conn, ids)]
        if limit is not None:
            sql += " LIMIT ? OFFSET ?" if conn.dialect.name == "sqlite" else " LIMIT %s OFFSET %s"
            params += [limit, offset]
        moment = _moment
        for row in conn.exec_driver_sql(sql, tuple(params)):
            name, version, purl = named[row[3]]
            yield Holder(
                row[0],
                row[1],
                moment(row[2]),
                name,
                version,
                purl,
                row[4],
                moment(row[5]),
                row[6],
                moment(row[7]),
            )

    @staticmethod
    def _components(conn: Connection, ids: list[int]) -> dict[int, tuple[str, str, str | None]]:
        """The name, version and purl of these components, by id."""
        clause = _ids_clause(conn).replace("m.component_id", "id")
        rows = conn.exec_driver_sql(
            f"SELECT id, name, version, purl FROM components WHERE {clause}",
            (_ids_param(conn, ids),),
        )
        return {int(i): (n, v, p) for i, n, v, p in rows}

    def holder_totals(self, component_ids: Iterable[int]) -> list[HolderTotal]:
        """Per component: how many releases hold it and when the first of them was stored."""
        with self._read() as conn:
            return self._totals(conn, list(component_ids))

    def holders_page(
        self, component_ids: Iterable[int], limit: int, offset: int = 0
    ) -> tuple[list[HolderTotal], list[Holder]]:
        """:meth:`holder_totals` and a page of :meth:`holders`, on one connection."""
        ids = list(component_ids)
        with self._read() as conn:
            return self._totals(conn, ids), list(self._holders(conn, ids, limit, offset))

    def _totals(self, conn: Connection, ids: list[int]) -> list[HolderTotal]:
        if not ids:
            return []
        named = self._components(conn, ids)
        rows = conn.exec_driver_sql(
            "SELECT m.component_id, COUNT(*), MIN(r.created_at)"
            " FROM release_components m JOIN releases r ON r.id = m.release_id"
            f" WHERE {_ids_clause(conn)} GROUP BY m.component_id",
            (_ids_param(conn, ids),),
        )
        return [HolderTotal(*named[int(cid)][:2], int(n), _moment(first)) for cid, n, first in rows]

    def release_ids(self) -> list[int]:
        """Every release id, oldest first."""
        with self._read() as conn:
            ids = conn.execute(sa.select(t.releases.c.id).order_by(t.releases.c.id)).scalars()
            return [int(i) for i in ids]

    def generations(self) -> dict[int, int]:
        """The advisory generation each release's latest verdict was judged at."""
        v = t.verdicts.c
        latest = (
            sa.select(v.release_id, sa.func.max(v.seq).label("seq"))
            .group_by(v.release_id)
            .subquery()
        )
        with self._read() as conn:
            rows = conn.execute(
                sa.select(v.release_id, v.advisory_generation).join(
                    latest, sa.and_(latest.c.release_id == v.release_id, latest.c.seq == v.seq)
                )
            )
            return {int(a): int(b) for a, b in rows}


_DELETE_MEMBERS = {
    "qmark": "DELETE FROM release_components WHERE release_id = ?",
    "format": "DELETE FROM release_components WHERE release_id = %s",
    "pyformat": "DELETE FROM release_components WHERE release_id = %s",
}

Key = tuple[str, str, str]


def _pg_component_ids(conn: Connection, purls: Mapping[Key, str | None]) -> dict[Key, int]:
    """Ids of these components on PostgreSQL, inserting the new ones: two statements.

    The existing ones are read first so that the sequence is not spent on conflicts; a
    component another writer inserts meanwhile is read again after the insert.
    """
    keys = list(purls)
    select = (
        "SELECT c.id, c.ecosystem, c.name, c.version FROM components c"
        " JOIN unnest(%s::text[], %s::text[], %s::text[]) AS k(e, n, v)"
        " ON c.ecosystem = k.e AND c.name = k.n AND c.version = k.v"
    )

    def lookup(wanted: list[Key]) -> dict[Key, int]:
        columns = ([k[0] for k in wanted], [k[1] for k in wanted], [k[2] for k in wanted])
        return {(e, n, v): int(i) for i, e, n, v in conn.exec_driver_sql(select, columns)}

    ids = lookup(keys)
    missing = [k for k in keys if k not in ids]
    if missing:
        inserted = conn.exec_driver_sql(
            "INSERT INTO components (ecosystem, name, version, purl)"
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])"
            " ON CONFLICT DO NOTHING RETURNING id, ecosystem, name, version",
            (
                [k[0] for k in missing],
                [k[1] for k in missing],
                [k[2] for k in missing],
                [purls[k] for k in missing],
            ),
        )
        ids.update({(e, n, v): int(i) for i, e, n, v in inserted})
        raced = [k for k in missing if k not in ids]
        if raced:
            ids.update(lookup(raced))
    return ids


def _sqlite_component_ids(conn: Connection, purls: Mapping[Key, str | None]) -> dict[Key, int]:
    """Ids of these components on SQLite, inserting the new ones (no round trips there)."""
    keys = list(purls)
    conn.exec_driver_sql(
        "INSERT INTO components (ecosystem, name, version, purl) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (ecosystem, name, version) DO NOTHING",
        [(*k, purls[k]) for k in keys],
    )
    ids: dict[Key, int] = {}
    for start in range(0, len(keys), 300):
        chunk = keys[start : start + 300]
        marks = ", ".join(["(?, ?, ?)"] * len(chunk))
        rows = conn.exec_driver_sql(
            "SELECT id, ecosystem, name, version FROM components"
            f" WHERE (ecosystem, name, version) IN (VALUES {marks})",
            tuple(x for k in chunk for x in k),
        )
        ids.update({(e, n, v): int(i) for i, e, n, v in rows})
    return ids


def _ids_clause(conn: Connection) -> str:
    """``m.component_id`` in a list given as one parameter (any length, one statement)."""
    if conn.dialect.name == "postgresql":
        return "m.component_id = ANY(%s)"
    return "m.component_id IN (SELECT value FROM json_each(?))"


def _ids_param(conn: Connection, ids: list[int]) -> Any:
    return ids if conn.dialect.name == "postgresql" else json.dumps(ids)


def _insert_ignore(conn: Connection, table: sa.Table, keys: list[str]) -> Any:
    """INSERT that skips rows whose key already exists, in the dialect's own words."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=keys)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=keys)


def _store_error(url: str, exc: Exception) -> UsageError:
    first = str(getattr(exc, "orig", exc)).strip().splitlines()
    return UsageError(
        f"cannot use the store {_redacted(url)}: {first[0] if first else type(exc).__name__}",
        hint="check --store / POLICYENGINE_STORE",
    )


def _redacted(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def alembic_config(conn: Connection) -> Config:
    """An Alembic configuration whose migrations run on ``conn``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at (``None`` for an empty one)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (the newest by default)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two workers starting at once must not both create the tables.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7314001)"))
        command.upgrade(alembic_config(conn), revision)


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine for ``url``; SQLite files get WAL and a busy timeout."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise UsageError(
            f"--store {url!r} is not a database URL",
            hint="e.g. sqlite:///inventory.sqlite3 or postgresql://user@host/db",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(
                    f"cannot create the store's folder for {database}: {exc.strerror}",
                    hint="check --store / POLICYENGINE_STORE",
                ) from None
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if parsed.get_backend_name() != "postgresql":
        raise UsageError(
            f"--store {_redacted(url)}: only SQLite and PostgreSQL stores are supported",
            hint="e.g. sqlite:///inventory.sqlite3 or postgresql://user@host/db",
        )
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:  # psycopg missing
        raise UsageError(
            f"a PostgreSQL store needs {exc.name}", hint="pip install 'psycopg[binary]'"
        ) from None


def open_store(url: str, *, upgrade: bool = True) -> Store:
    """Open the store at ``url``, creating it or upgrading it to the newest schema first."""
    engine = make_engine(url)
    if upgrade:
        try:
            migrate(engine)
        except sa.exc.OperationalError as exc:
            engine.dispose()
            raise _store_error(url, exc) from None
    return Store(engine, url)
