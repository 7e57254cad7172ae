"""Project facts for a directory: its manifests, lockfiles, declarations and lock coverage.

The pinning and lockfile checks judge these. A manifest or lockfile that cannot
be read is recorded with its error instead of stopping the run: the checks then
answer ``unknown`` for it, never ``pass``. Only the directory itself is looked at
(no recursion): the project is what sits beside the input.

Which manifests a lockfile locks: pyproject.toml for poetry.lock, uv.lock,
pdm.lock and pylock.toml; Pipfile for Pipfile.lock; ``X.in`` for a pip-compile
``X.txt``; package.json for the npm, yarn and pnpm lockfiles. A requirements
file with no ``.in`` beside it is a manifest (its ``==`` pins are declarations).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from policyengine.ingest.lockfiles import KINDS, name_kind, reader_for
from policyengine.ingest.lockfiles.npm import declared_package_json
from policyengine.ingest.lockfiles.pins import npm_satisfies, python_satisfies
from policyengine.ingest.lockfiles.python_manifests import (
    declared_pipfile,
    declared_pyproject,
    is_dynamic,
)
from policyengine.ingest.lockfiles.requirements import declared as declared_requirements
from policyengine.ingest.lockfiles.yarn import berry_checksummed
from policyengine.model import (
    DeclaredDependency,
    Disagreement,
    LockEntry,
    LockfileFacts,
    ManifestFacts,
    PolicyEngineError,
    ProjectFacts,
)
from policyengine.safeio import read_capped

MAX_FILE_BYTES = 256 * 1024 * 1024

_MANIFEST_READERS: dict[str, Callable[[bytes, str], list[DeclaredDependency]]] = {
    "pyproject.toml": declared_pyproject,
    "Pipfile": declared_pipfile,
    "requirements.txt": declared_requirements,
    "package.json": declared_package_json,
}
_ECOSYSTEM = {
    "pyproject.toml": "pypi",
    "Pipfile": "pypi",
    "requirements.txt": "pypi",
    "poetry.lock": "pypi",
    "Pipfile.lock": "pypi",
    "uv.lock": "pypi",
    "pdm.lock": "pypi",
    "pylock.toml": "pypi",
    "package.json": "npm",
    "package-lock.json": "npm",
    "npm-shrinkwrap.json": "npm",
    "yarn.lock": "npm",
    "pnpm-lock.yaml": "npm",
}
_LOCKS_MANIFEST = {
    "poetry.lock": ("pyproject.toml",),
    "uv.lock": ("pyproject.toml",),
    "pdm.lock": ("pyproject.toml",),
    "pylock.toml": ("pyproject.toml",),
    "Pipfile.lock": ("Pipfile",),
    "package-lock.json": ("package.json",),
    "npm-shrinkwrap.json": ("package.json",),
    "yarn.lock": ("package.json",),
    "pnpm-lock.yaml": ("package.json",),
}
_NOT_LOCKABLE = ("path", "url", "vcs-commit", "vcs-ref")


def project_facts(directory: Path) -> ProjectFacts:
    """Find and read every manifest and lockfile directly inside ``directory``."""
    manifests: list[ManifestFacts] = []
    locks: list[tuple[str, Path, str | None]] = []
    files = sorted(p for p in directory.iterdir() if p.is_file()) if directory.is_dir() else []
    compiled = {p.with_suffix(".txt") for p in files if p.suffix == ".in"}
    for path in files:
        kind = name_kind(str(path))
        if kind is None:
            continue
        if kind == "requirements.txt" and path in compiled:
            locks.append((kind, path, path.with_suffix(".in").name))
        elif kind in _MANIFEST_READERS:
            manifests.append(_manifest(kind, path))
        elif kind in KINDS:
            locks.append((kind, path, None))
    lockfiles = tuple(_lockfile(kind, path, source, manifests) for kind, path, source in locks)
    # A requirements file nested with -r is also found on its own: count each line once.
    declared = tuple(dict.fromkeys(d for m in manifests for d in m.declared))
    return ProjectFacts(str(directory), tuple(manifests), lockfiles, declared)


def _read(path: Path) -> bytes:
    # A project file is found, not named: a FIFO or device under that name is refused.
    return read_capped(path, max_bytes=MAX_FILE_BYTES, regular_only=True)


def _manifest(kind: str, path: Path) -> ManifestFacts:
    ecosystem = _ECOSYSTEM[kind]
    try:
        declared = _MANIFEST_READERS[kind](_read(path), str(path))
    except PolicyEngineError as exc:
        return ManifestFacts(kind, str(path), ecosystem, error=exc.one_line())
    except OSError as exc:
        return ManifestFacts(kind, str(path), ecosystem, error=f"{path}: {exc}")
    dynamic = kind == "pyproject.toml" and is_dynamic(_read(path))
    return ManifestFacts(kind, str(path), ecosystem, tuple(declared), dynamic=dynamic)


def _lockfile(
    kind: str, path: Path, compiled_from: str | None, manifests: list[ManifestFacts]
) -> LockfileFacts:
    ecosystem = _ECOSYSTEM[kind]
    try:
        data = _read(path)
        sbom = reader_for(kind)(data, str(path), validate=False)
        checksummed = berry_checksummed(data, str(path)) if kind == "yarn.lock" else set()
    except PolicyEngineError as exc:
        return LockfileFacts(kind, str(path), ecosystem, False, error=exc.one_line())
    except OSError as exc:
        return LockfileFacts(kind, str(path), ecosystem, False, error=f"{path}: {exc}")
    entries = tuple(
        LockEntry(
            ecosystem=c.ecosystem or ecosystem,
            name=c.name,
            version=c.version,
            line=c.location.line if c.location else None,
            has_hash=bool(c.hashes) or (c.name, c.version or "") in checksummed,
            scope=c.scope,
            direct=c.direct,
        )
        for c in sbom.components
    )
    if compiled_from is not None:
        related = [m for m in manifests if Path(m.path).name == compiled_from]
    else:
        related = [m for m in manifests if m.kind in _LOCKS_MANIFEST.get(kind, ())]
    missing, disagreeing = _coverage(entries, related)
    unreadable = any(m.error for m in related)
    return LockfileFacts(
        kind=kind,
        path=str(path),
        ecosystem=ecosystem,
        covers_manifest=not missing and not disagreeing and not unreadable,
        missing=missing,
        disagreeing=disagreeing,
        entries_without_hash=tuple(f"{e.name}@{e.version}" for e in entries if not e.has_hash),
        entries=entries,
    )


def _coverage(
    entries: tuple[LockEntry, ...], manifests: list[ManifestFacts]
) -> tuple[tuple[str, ...], tuple[Disagreement, ...]]:
    locked: dict[str, list[str]] = {}
    for entry in entries:
        locked.setdefault(entry.name, []).append(entry.version or "")
    missing: list[str] = []
    disagreeing: list[Disagreement] = []
    for manifest in manifests:
        for dep in manifest.declared:
            if dep.pin == "path":
                continue  # the project's own code, not something a lockfile pins
            versions = locked.get(dep.name)
            if not versions:
                missing.append(dep.name)
                continue
            if dep.pin in _NOT_LOCKABLE or dep.pin == "unpinned":
                continue
            if not any(_satisfies(dep, v) is not False for v in versions):
                disagreeing.append(
                    Disagreement(
                        name=dep.name,
                        declared=dep.specifier,
                        locked=", ".join(sorted(set(versions))),
                        manifest=dep.manifest,
                        line=dep.line,
                    )
                )
    return tuple(dict.fromkeys(missing)), tuple(disagreeing)


def _satisfies(dep: DeclaredDependency, version: str) -> bool | None:
    if not version:
        return None
    if dep.ecosystem == "npm":
        return npm_satisfies(version, dep.specifier)
    return python_satisfies(version, dep.specifier)
