"""pnpm-lock.yaml, lockfileVersion 5.x, 6.x and 9.x, read with PyYAML's safe loader.

Package keys differ by version: ``/name/1.2.3_peer@1`` (5.x),
``/name@1.2.3(peer@1)`` (6.x), ``name@1.2.3`` (9.x); an entry's own ``name`` and
``version`` fields win when present (git and tarball dependencies). Scope comes
from the ``dev``/``optional`` flags (5.x, 6.x) or, for 9.x, from what the
importers reach through ``snapshots``. A key that names no package is kept as
an unidentified component rather than dropped.
"""

from __future__ import annotations

import re
from typing import Any

import nodesemver

from policyengine.ingest.lockfiles._common import (
    EXCLUDED,
    OPTIONAL,
    REQUIRED,
    Package,
    build_sbom,
    expect_mapping,
    load_yaml,
    parse_integrity,
    text_of,
    yaml_key_lines,
)
from policyengine.ingest.lockfiles.origins import npm_origin, path_origin, vcs_origin
from policyengine.model import Origin, Sbom

KIND = "pnpm-lock.yaml"
_GROUPS = (
    ("dependencies", REQUIRED),
    ("optionalDependencies", OPTIONAL),
    ("devDependencies", EXCLUDED),
)


def _major(version: Any) -> int:
    match = re.match(r"^\s*'?(\d+)", str(version))
    return int(match.group(1)) if match else 0


def split_key(key: str, major: int) -> tuple[str, str | None]:
    """Name and version of a ``packages`` key (peer suffixes removed)."""
    key = key.lstrip("/")
    if major >= 6:
        key = key.split("(", 1)[0]
        at = key.find("@", 1)
        if at > 0:
            return key[:at], key[at + 1 :]
        return key, None
    segments = key.split("/")
    if segments and "." in segments[0] and not segments[0].startswith("@"):
        segments = segments[1:]  # a registry host such as registry.npmjs.org
    if len(segments) >= 3 and segments[0].startswith("@"):
        name, version = f"{segments[0]}/{segments[1]}", "/".join(segments[2:])
    elif len(segments) >= 2:
        name, version = segments[0], "/".join(segments[1:])
    else:
        return key, None
    return name, version.split("_", 1)[0]


def _clean(version: Any) -> str:
    return str(version).split("(", 1)[0].split("_", 1)[0]


def read(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """Components of a pnpm lockfile."""
    del validate
    text = text_of(data, source)
    doc, node = load_yaml(text, source, KIND)
    doc = expect_mapping(doc, source, "the document", KIND)
    major = _major(doc.get("lockfileVersion"))
    lines = yaml_key_lines(node, "packages")
    table = expect_mapping(doc.get("packages"), source, "packages", KIND)
    importers = _importers(doc, source)
    direct = {
        (name, _clean(_dep_version(value)))
        for importer in importers
        for group, _scope in _GROUPS
        for name, value in expect_mapping(importer.get(group), source, group, KIND).items()
    }
    reached = _reachability(doc, importers, source) if major >= 9 else {}
    edges = _edges(expect_mapping(doc.get("snapshots"), source, "snapshots", KIND), source)
    if major < 9:
        edges = _edges(table, source)
    packages = []
    for key, entry in table.items():
        line = lines.get(str(key))
        entry = expect_mapping(entry, source, f"packages[{key!r}]", KIND, line)
        name, version = split_key(str(key), major)
        explicit = entry.get("name")
        if explicit:
            name = str(explicit)
        if entry.get("version") is not None:
            version = str(entry["version"])
        resolution = expect_mapping(entry.get("resolution"), source, "resolution", KIND, line)
        origin = _origin(str(key), resolution)
        reason = None
        if origin is not None:
            if origin.kind == "path" and not explicit:
                name = str(key)  # a path key carries no package name
            if version is not None and nodesemver.valid(version, True) is None:
                version = None
        elif version is None or nodesemver.valid(version, True) is None:
            reason = f"the package key {key!r} names no registry version"
            name = name if explicit else str(key)
            version = None
        integrity = str(resolution.get("integrity") or "")
        if entry.get("dev") is True:
            scope: str | None = EXCLUDED
        elif entry.get("optional") is True:
            scope = OPTIONAL
        elif entry.get("dev") is False:
            scope = REQUIRED
        else:
            scope = reached.get(f"{name}@{version}")
        packages.append(
            Package(
                "npm",
                name,
                version,
                line,
                parse_integrity(integrity),
                scope,
                (name, version) in direct if importers else None,
                bool(integrity or resolution.get("commit")),
                reason,
                tuple(edges.get(str(key).split("(", 1)[0], ())),
                origin=origin,
            )
        )
    spec = doc.get("lockfileVersion")
    return build_sbom(KIND, str(spec) if spec is not None else None, source, data, packages)


def _origin(key: str, resolution: dict[str, Any]) -> Origin | None:
    """A path key, a git resolution or a non-registry tarball; ``None`` for the registry."""
    bare = key.lstrip("/")
    if bare.startswith(("file:", "link:")):
        return path_origin(bare)
    if resolution.get("type") == "git" and isinstance(resolution.get("repo"), str):
        commit = resolution.get("commit")
        found = vcs_origin(str(resolution["repo"]))
        return Origin("vcs", found.location, str(commit) if commit else found.revision)
    tarball = resolution.get("tarball")
    if isinstance(tarball, str) and tarball:
        # pnpm writes a tarball only for what the default registry does not serve; a
        # registry-shaped one (<registry>/<name>/-/<file>) is another registry's package.
        return npm_origin(tarball) or (None if "/-/" in tarball else Origin("url", tarball))
    if resolution.get("directory"):
        return path_origin(str(resolution["directory"]))
    return None


def _edges(table: dict[str, Any], source: str) -> dict[str, list[tuple[str, str | None]]]:
    """Per package key (peer suffix removed): the (name, version) pairs it depends on."""
    edges: dict[str, list[tuple[str, str | None]]] = {}
    for key, entry in table.items():
        targets = edges.setdefault(str(key).split("(", 1)[0], [])
        if not isinstance(entry, dict):
            continue
        for group in ("dependencies", "optionalDependencies"):
            for name, version in expect_mapping(entry.get(group), source, group, KIND).items():
                cleaned = _clean(version)
                if nodesemver.valid(cleaned, True) is not None:
                    targets.append((str(name), cleaned))
    return edges


def _dep_version(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("version", ""))
    return str(value)


def _importers(doc: dict[str, Any], source: str) -> list[dict[str, Any]]:
    importers = expect_mapping(doc.get("importers"), source, "importers", KIND)
    if importers:
        return [expect_mapping(i, source, "importer", KIND) for i in importers.values()]
    if any(group in doc for group, _ in _GROUPS):
        return [doc]  # a single-project lockfile keeps the groups at the top level
    return []


def _reachability(
    doc: dict[str, Any], importers: list[dict[str, Any]], source: str
) -> dict[str, str]:
    snapshots = expect_mapping(doc.get("snapshots"), source, "snapshots", KIND)
    edges: dict[str, set[str]] = {}
    for key, entry in snapshots.items():
        base = str(key).split("(", 1)[0]
        entry = expect_mapping(entry, source, f"snapshots[{key!r}]", KIND)
        targets = edges.setdefault(base, set())
        for group in ("dependencies", "optionalDependencies"):
            for name, version in expect_mapping(entry.get(group), source, group, KIND).items():
                targets.add(f"{name}@{_clean(version)}")
    scopes: dict[str, str] = {}
    for group, scope in _GROUPS:
        todo = [
            f"{name}@{_clean(_dep_version(value))}"
            for importer in importers
            for name, value in expect_mapping(importer.get(group), source, group, KIND).items()
        ]
        while todo:
            node = todo.pop()
            if node in scopes:
                continue
            scopes[node] = scope
            todo.extend(edges.get(node, ()))
    return scopes
