"""Project facts for tests: the real model types when merged, else stand-ins of the same shape.

The lockfile helper defines ``policyengine.model.project``; until it is merged the checks
read project facts through protocols (``checks.project_view``), and these dataclasses
have exactly the attributes those protocols name.
"""

from __future__ import annotations

from dataclasses import dataclass

try:  # pragma: no cover - depends on merge order
    from policyengine.model.project import (  # type: ignore[import-not-found,unused-ignore]
        DeclaredDependency,
        Disagreement,
        LockEntry,
        LockfileFacts,
        ManifestFacts,
        ProjectFacts,
    )
except ImportError:  # pragma: no cover

    @dataclass(frozen=True)
    class DeclaredDependency:  # type: ignore[no-redef]
        ecosystem: str
        name: str
        specifier: str
        pin: str
        manifest: str
        line: int | None = None
        dev: bool = False
        optional: bool = False
        version: str | None = None
        marker: str | None = None
        hashes: int = 0

    @dataclass(frozen=True)
    class LockEntry:  # type: ignore[no-redef]
        ecosystem: str
        name: str
        version: str | None
        line: int | None = None
        has_hash: bool = False
        scope: str | None = None

    @dataclass(frozen=True)
    class ManifestFacts:  # type: ignore[no-redef]
        kind: str
        path: str
        ecosystem: str
        declared: tuple[DeclaredDependency, ...] = ()
        error: str | None = None

    @dataclass(frozen=True)
    class Disagreement:  # type: ignore[no-redef]
        name: str
        declared: str
        locked: str
        manifest: str
        line: int | None = None

    @dataclass(frozen=True)
    class LockfileFacts:  # type: ignore[no-redef]
        kind: str
        path: str
        ecosystem: str
        covers_manifest: bool
        missing: tuple[str, ...] = ()
        disagreeing: tuple[Disagreement, ...] = ()
        entries_without_hash: tuple[str, ...] = ()
        entries: tuple[LockEntry, ...] = ()
        error: str | None = None

    @dataclass(frozen=True)
    class ProjectFacts:  # type: ignore[no-redef]
        directory: str
        manifests: tuple[ManifestFacts, ...] = ()
        lockfiles: tuple[LockfileFacts, ...] = ()
        declared: tuple[DeclaredDependency, ...] = ()


__all__ = [
    "DeclaredDependency",
    "Disagreement",
    "LockEntry",
    "LockfileFacts",
    "ManifestFacts",
    "ProjectFacts",
]
