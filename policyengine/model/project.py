"""Project facts: how a project declares and locks its dependencies.

The pinning and lockfile checks judge these, not the SBOM: a team can have a
lockfile before it has an SBOM, and an SBOM says which versions ended up in a
build, not how they were asked for. The CLI wraps a :class:`ProjectFacts` as
``Evidence.project = Ok(facts, Source("project"))``. Every type here is a plain
frozen dataclass of strings, numbers, booleans and tuples, so that
``dataclasses.asdict`` gives a JSON-ready shape for the evidence bundle
(:func:`project_facts_to_json` / :func:`project_facts_from_json`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Pin = Literal["exact", "range", "url", "vcs-commit", "vcs-ref", "unpinned", "path"]
"""How a declared dependency is pinned.

``exact``: one version (``==1.2.3``, ``===1.2.3``, npm ``1.2.3``). ``range``: any
other version constraint (``>=1.2``, ``^1.2.3``, ``~=1.2``, ``1.2.*``). ``url``:
an archive URL (pinned only if the lockfile adds a hash). ``vcs-commit``: a VCS
reference naming a full commit id. ``vcs-ref``: a VCS branch, tag or no ref.
``unpinned``: no constraint at all (``requests``, ``*``, ``latest``). ``path``: a
local directory or file (``./libs/x``, ``file:../x``, workspace, link).
"""

PINS: tuple[str, ...] = ("exact", "range", "url", "vcs-commit", "vcs-ref", "unpinned", "path")


@dataclass(frozen=True, slots=True)
class DeclaredDependency:
    """One dependency as a manifest declares it.

    ``name`` is normalised per ecosystem; ``specifier`` is the constraint as
    written (``==1.2.3``, ``^4.0.0``, a URL); ``version`` the exact version when
    ``pin == "exact"``. ``dev`` is true for development-only declarations;
    ``optional`` for extras / npm optionalDependencies.
    """

    ecosystem: str
    name: str
    specifier: str
    pin: Pin
    manifest: str
    line: int | None = None
    dev: bool = False
    optional: bool = False
    version: str | None = None
    marker: str | None = None
    hashes: int = 0
    """How many ``--hash`` digests a requirements file gives for this line."""


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One package a lockfile pins: name, version, and whether it is pinned by a digest."""

    ecosystem: str
    name: str
    version: str | None
    line: int | None = None
    has_hash: bool = False
    scope: str | None = None
    direct: bool | None = None


@dataclass(frozen=True, slots=True)
class ManifestFacts:
    """A manifest file found in the project and what it declares."""

    kind: str
    path: str
    ecosystem: str
    declared: tuple[DeclaredDependency, ...] = ()
    error: str | None = None
    """Set when the manifest could not be read; then ``declared`` is empty."""
    dynamic: bool = False
    """True when the dependency list is computed at build time (PEP 621 ``dynamic``)."""


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A declared dependency whose locked version does not satisfy the declaration."""

    name: str
    declared: str
    locked: str
    manifest: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class LockfileFacts:
    """A lockfile found in the project and how it relates to the manifests beside it.

    ``covers_manifest`` is true when every dependency declared by the manifests of
    the same ecosystem has an entry (``missing`` lists those without one) and
    ``disagreeing`` is empty. ``entries_without_hash`` names (``name@version``)
    lock entries that carry no digest. ``error`` is set when the lockfile could
    not be read; then the other fields say nothing. ``locks`` names the
    manifests (paths) this lockfile locks; a fully pinned requirements file with
    no other manifest to lock names itself. Empty in facts recorded before the
    field existed: then a lockfile covers the manifests of its ecosystem in its
    directory and below.
    """

    kind: str
    path: str
    ecosystem: str
    covers_manifest: bool
    missing: tuple[str, ...] = ()
    disagreeing: tuple[Disagreement, ...] = ()
    entries_without_hash: tuple[str, ...] = ()
    entries: tuple[LockEntry, ...] = ()
    error: str | None = None
    locks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """Every manifest and lockfile of a project directory, and all declared dependencies."""

    directory: str
    manifests: tuple[ManifestFacts, ...] = ()
    lockfiles: tuple[LockfileFacts, ...] = ()
    declared: tuple[DeclaredDependency, ...] = ()


def project_facts_to_json(facts: ProjectFacts) -> dict[str, Any]:
    """A JSON-ready dict of the facts (tuples become lists), for the evidence bundle."""
    return asdict(facts)


def project_facts_from_json(document: dict[str, Any]) -> ProjectFacts:
    """Rebuild :class:`ProjectFacts` from :func:`project_facts_to_json` output."""

    def declared(items: list[dict[str, Any]]) -> tuple[DeclaredDependency, ...]:
        return tuple(DeclaredDependency(**item) for item in items)

    manifests = tuple(
        ManifestFacts(
            kind=m["kind"],
            path=m["path"],
            ecosystem=m["ecosystem"],
            declared=declared(m.get("declared", [])),
            error=m.get("error"),
            dynamic=bool(m.get("dynamic", False)),
        )
        for m in document.get("manifests", [])
    )
    lockfiles = tuple(
        LockfileFacts(
            kind=lf["kind"],
            path=lf["path"],
            ecosystem=lf["ecosystem"],
            covers_manifest=lf["covers_manifest"],
            missing=tuple(lf.get("missing", [])),
            disagreeing=tuple(Disagreement(**d) for d in lf.get("disagreeing", [])),
            entries_without_hash=tuple(lf.get("entries_without_hash", [])),
            entries=tuple(LockEntry(**e) for e in lf.get("entries", [])),
            error=lf.get("error"),
            locks=tuple(lf.get("locks", [])),
        )
        for lf in document.get("lockfiles", [])
    )
    return ProjectFacts(
        directory=document["directory"],
        manifests=manifests,
        lockfiles=lockfiles,
        declared=declared(document.get("declared", [])),
    )
