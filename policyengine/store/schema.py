"""The inventory's tables, written once in SQLAlchemy Core for SQLite and PostgreSQL.

Migrations (``migrations/versions``) create and change these tables; this module is
what the code reads and writes through, and a test keeps the two in step.

- ``releases``: one row per released ``name@version``, with the ``seq`` of its latest
  verdict (the first is always 1) and what its first and latest verdicts said, so that
  questions across releases are one join.
- ``blobs``: content-addressed, zlib-compressed bytes (SBOM inputs, evidence bundles,
  composed policies, verdict JSON); identical bytes are stored once.
- ``release_inputs``: the SBOM/lockfile inputs of a release, in order, by blob digest.
- ``components``: the index, one row per distinct (ecosystem, normalised name, version).
- ``release_components``: which components a release holds, with fingerprints of the
  advisory and registry facts its latest verdict was judged on (what re-judging compares).
- ``verdicts``: the append-only verdict history; a row is never updated or deleted.
- ``settings``: small named values.
- ``advisories``, ``advisory_packages``, ``advisory_imports``, ``advisory_changes``: the
  offline advisory database kept in the store (``db import --store``), so that every
  machine sharing a PostgreSQL store sees one copy.
- ``tokens``: the gate service's bearer tokens, by the digest of their secret, with
  scopes, an optional release-name prefix and when they were revoked.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("latest_seq", Integer, nullable=False, server_default="1"),
    # What the first and latest verdicts say, written with them (``releases affected``
    # reads them for thousands of releases at once): never null once a verdict is kept.
    Column("first_outcome", String(20)),
    Column("first_judged_at", DateTime(timezone=True)),
    Column("latest_outcome", String(20)),
    Column("latest_judged_at", DateTime(timezone=True)),
    UniqueConstraint("name", "version", name="uq_releases_name_version"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("digest", String(80), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

release_inputs = Table(
    "release_inputs",
    metadata,
    Column("release_id", Integer, ForeignKey("releases.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("blob", String(80), ForeignKey("blobs.digest"), nullable=False),
)

components = Table(
    "components",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ecosystem", String(40), nullable=False),
    Column("name", String(400), nullable=False),
    Column("version", String(200), nullable=False),
    Column("purl", Text),
    UniqueConstraint("ecosystem", "name", "version", name="uq_components_key"),
)

release_components = Table(
    "release_components",
    metadata,
    Column("release_id", Integer, ForeignKey("releases.id"), primary_key=True),
    Column("component_id", Integer, ForeignKey("components.id"), primary_key=True),
    Column("advisories", Text),
    Column("registry", String(80)),
    # Covering: the releases holding a component come from the index alone.
    Index("ix_release_components_component_release", "component_id", "release_id"),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("release_id", Integer, ForeignKey("releases.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("judged_at", DateTime(timezone=True), nullable=False),
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("summary", Text, nullable=False),
    Column("policy_name", Text, nullable=False),
    Column("policy_digest", String(80), nullable=False),
    Column("evidence_digest", String(80)),
    Column("advisory_generation", Integer, nullable=False),
    Column("policy_blob", String(80), ForeignKey("blobs.digest"), nullable=False),
    Column("evidence_blob", String(80), ForeignKey("blobs.digest"), nullable=False),
    Column("verdict_blob", String(80), ForeignKey("blobs.digest"), nullable=False),
    UniqueConstraint("release_id", "seq", name="uq_verdicts_release_seq"),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
)

advisories = Table(
    "advisories",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("modified", String(40), nullable=False),
    Column("record", Text, nullable=False),
)

advisory_packages = Table(
    "advisory_packages",
    metadata,
    Column("ecosystem", String(40), primary_key=True),
    Column("name", String(400), primary_key=True),
    Column("id", String(200), primary_key=True),
)

advisory_imports = Table(
    "advisory_imports",
    metadata,
    Column("generation", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("digest", String(80), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("records", Integer, nullable=False),
)

advisory_changes = Table(
    "advisory_changes",
    metadata,
    Column("generation", Integer, primary_key=True),
    Column("id", String(200), primary_key=True),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", Text, nullable=False),
    Column("digest", String(80), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("release_prefix", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    UniqueConstraint("digest", name="uq_tokens_digest"),
)
