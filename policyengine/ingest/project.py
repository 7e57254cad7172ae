"""Project facts for a directory: its manifests, lockfiles, declarations and lock coverage.

The pinning and lockfile checks judge these. A manifest or lockfile that cannot
be read is recorded with its error instead of stopping the run: the checks then
answer ``unknown`` for it, never ``pass``. Only the directory itself is looked at
(no recursion): the project is what sits beside the input.

Which manifests a lockfile locks: pyproject.toml for poetry.lock, uv.lock,
pdm.lock and pylock.toml; Pipfile for Pipfile.lock; package.json for the npm,
yarn and pnpm lockfiles. pip has no lockfile format of its own, so a
requirements file is a lock when it is compiled (``X.in`` beside ``X.txt``) or
when every requirement names one release (``pip freeze``, ``pip-compile``,
``uv pip compile``; see :mod:`~policyengine.ingest.lockfiles.requirements_lock`).
Such a lock locks the manifests its pip-compile / ``uv pip compile`` header
names; without a header, a pyproject.toml that has no lockfile of its own (the
``pip-compile pyproject.toml`` layout with ``--no-header``); else nothing but
itself, and then it is also listed as a manifest that is its own lock. A
requirements file with ranges is a manifest (its lines are declarations).

Coverage is strict, as the tools are: every declared dependency needs an
entry whose version satisfies the declaration (``packaging`` for PEP 440,
``node-semver`` for npm ranges). A requirements lock is compiled for one
environment, so a declaration that is optional, development-only or carries
an environment marker may be absent from it; when present it must agree.
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
from policyengine.ingest.lockfiles.requirements_lock import compiled_from, is_lock
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
    locks: list[tuple[str, Path]] = []
    requirement_locks: list[tuple[Path, tuple[str, ...]]] = []
    files = sorted(p for p in directory.iterdir() if p.is_file()) if directory.is_dir() else []
    compiled = {p.with_suffix(".txt") for p in files if p.suffix == ".in"}
    for path in files:
        kind = name_kind(str(path))
        if kind is None:
            continue
        if kind == "requirements.txt" and path in compiled:
            requirement_locks.append((path, (path.with_suffix(".in").name,)))
        elif kind == "requirements.txt" and path.suffix != ".in" and _is_requirements_lock(path):
            requirement_locks.append((path, compiled_from(_text(path))))
        elif kind in _MANIFEST_READERS:
            manifests.append(_manifest(kind, path))
        elif kind in KINDS:
            locks.append((kind, path))
    lockfiles = [_lockfile(kind, path, _related_by_kind(kind, manifests)) for kind, path in locks]
    lockfiles += _requirement_lockfiles(requirement_locks, manifests, lockfiles)
    # A requirements file nested with -r is also found on its own: count each line once.
    declared = tuple(dict.fromkeys(d for m in manifests for d in m.declared))
    return ProjectFacts(str(directory), tuple(manifests), tuple(lockfiles), declared)


def _related_by_kind(kind: str, manifests: list[ManifestFacts]) -> list[ManifestFacts]:
    return [m for m in manifests if m.kind in _LOCKS_MANIFEST.get(kind, ())]


def _is_requirements_lock(path: Path) -> bool:
    try:
        return is_lock(declared_requirements(_read(path), str(path)))
    except (PolicyEngineError, OSError):
        return False  # read again as a manifest, which records the error


def _text(path: Path) -> str:
    return _read(path).decode("utf-8", errors="replace")


def _requirement_lockfiles(
    found: list[tuple[Path, tuple[str, ...]]],
    manifests: list[ManifestFacts],
    lockfiles: list[LockfileFacts],
) -> list[LockfileFacts]:
    """Requirements locks with the manifests they lock; an orphan locks itself."""
    locked = {path for lock in lockfiles for path in lock.locks}
    orphans = [
        m for m in manifests if m.kind == "pyproject.toml" and m.path not in locked and not m.error
    ]
    # The conventional name first: with --no-header, requirements.txt is the one
    # compiled from pyproject.toml.
    order = sorted(found, key=lambda item: item[0].name != "requirements.txt")
    result: list[LockfileFacts] = []
    for path, sources in order:
        related = [m for m in manifests if Path(m.path).name in sources]
        if not related and not sources and orphans:
            related, orphans = orphans, []
        if not related:
            own = _manifest("requirements.txt", path)
            manifests.append(own)
            related = [own]
        result.append(_lockfile("requirements.txt", path, related, environment_specific=True))
    return result


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
    kind: str,
    path: Path,
    related: list[ManifestFacts],
    *,
    environment_specific: bool = False,
) -> LockfileFacts:
    ecosystem = _ECOSYSTEM[kind]
    locks = tuple(m.path for m in related)
    try:
        data = _read(path)
        sbom = reader_for(kind)(data, str(path), validate=False)
        checksummed = berry_checksummed(data, str(path)) if kind == "yarn.lock" else set()
    except PolicyEngineError as exc:
        return LockfileFacts(kind, str(path), ecosystem, False, error=exc.one_line(), locks=locks)
    except OSError as exc:
        return LockfileFacts(kind, str(path), ecosystem, False, error=f"{path}: {exc}", locks=locks)
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
    missing, disagreeing = _coverage(entries, related, environment_specific)
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
        locks=locks,
    )


def _coverage(
    entries: tuple[LockEntry, ...], manifests: list[ManifestFacts], environment_specific: bool
) -> tuple[tuple[str, ...], tuple[Disagreement, ...]]:
    locked: dict[str, list[str]] = {}
    direct: dict[str, list[str]] = {}
    for entry in entries:
        locked.setdefault(entry.name, []).append(entry.version or "")
        if entry.direct:
            direct.setdefault(entry.name, []).append(entry.version or "")
    # A declaration resolves to the lock's direct (top-level) entry where the lock
    # marks one: a copy nested under another package satisfies that package's range,
    # not the manifest's (npm installs both).
    locked.update(direct)
    missing: list[str] = []
    disagreeing: list[Disagreement] = []
    for manifest in manifests:
        for dep in manifest.declared:
            if dep.pin == "path":
                continue  # the project's own code, not something a lockfile pins
            versions = locked.get(dep.name)
            if not versions:
                if not (environment_specific and (dep.optional or dep.dev or dep.marker)):
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
