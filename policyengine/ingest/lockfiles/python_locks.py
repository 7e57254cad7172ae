"""Python lockfiles: poetry.lock, Pipfile.lock, uv.lock, pdm.lock, pylock.toml (PEP 751).

TOML is parsed by tomllib and JSON by the standard library; line numbers come
from the ``[[package]]`` headers, which the parsers do not keep. Scopes follow
:mod:`policyengine.ingest.lockfiles._common`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from policyengine.ingest.lockfiles._common import (
    EXCLUDED,
    OPTIONAL,
    REQUIRED,
    JsonKeys,
    Package,
    build_sbom,
    expect_list,
    expect_mapping,
    fail,
    load_json,
    load_toml,
    parse_hash,
    table_lines,
    text_of,
)
from policyengine.ingest.lockfiles.origins import path_origin, python_origin, vcs_origin
from policyengine.ingest.normalize import normalize_hash_alg, normalize_hash_value, normalize_name
from policyengine.model import Hash, Origin, Sbom

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def _str(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and str(value) else None


def _file_hashes(files: Iterable[Any]) -> list[Hash]:
    hashes = []
    for item in files:
        if isinstance(item, dict):
            parsed = parse_hash(str(item.get("hash", "")))
            if parsed:
                hashes.append(parsed)
    return hashes


def _lock_metadata(
    doc: dict[str, Any], source: str, kind: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``[metadata]`` and its ``[metadata.files]`` table, where older lock versions kept hashes."""
    metadata = expect_mapping(doc.get("metadata"), source, "[metadata]", kind)
    return metadata, expect_mapping(metadata.get("files"), source, "[metadata.files]", kind)


def _packages_table(
    doc: dict[str, Any], text: str, source: str, kind: str, key: str = "package"
) -> list[tuple[dict[str, Any], int | None]]:
    entries = expect_list(doc.get(key), source, f"[[{key}]]", kind)
    lines = table_lines(text, key)
    result = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        if not isinstance(entry, dict):
            raise fail(source, f"[[{key}]] entry {index + 1} is not a table", line, kind=kind)
        if not isinstance(entry.get("name"), str) or not entry["name"]:
            raise fail(source, f"[[{key}]] entry {index + 1} has no name", line, kind=kind)
        result.append((entry, line))
    return result


def read_poetry(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """poetry.lock (lock-version 1.x and 2.x): ``category``/``groups`` give the scope."""
    del validate
    kind = "poetry.lock"
    text = text_of(data, source)
    doc = load_toml(text, source, kind)
    metadata, legacy_files = _lock_metadata(doc, source, kind)
    packages = []
    for entry, line in _packages_table(doc, text, source, kind):
        name = entry["name"]
        hashes = _file_hashes(expect_list(entry.get("files"), source, "files", kind, line))
        hashes += _file_hashes(expect_list(legacy_files.get(name), source, "files", kind, line))
        groups = entry.get("groups")
        category = entry.get("category")
        if entry.get("optional") is True:
            scope = OPTIONAL
        elif isinstance(groups, list) and groups:
            scope = REQUIRED if "main" in groups else EXCLUDED
        elif category is not None:
            scope = REQUIRED if category == "main" else EXCLUDED
        else:
            scope = None
        deps = entry.get("dependencies")
        packages.append(
            Package(
                "pypi",
                name,
                _str(entry.get("version")),
                line,
                tuple(hashes),
                scope,
                depends_on=tuple((d, None) for d in deps) if isinstance(deps, dict) else (),
                origin=_poetry_origin(entry.get("source")),
            )
        )
    version = _str(metadata.get("lock-version"))
    return build_sbom(kind, version, source, data, packages)


def _poetry_origin(source: Any) -> Origin | None:
    """poetry.lock ``[package.source]``: git, a directory or file, or a plain URL."""
    if not isinstance(source, dict):
        return None
    kind, url = source.get("type"), _str(source.get("url"))
    if url is None:
        return None
    if kind == "git":
        revision = _str(source.get("resolved_reference")) or _str(source.get("reference"))
        return Origin("vcs", vcs_origin(url).location, revision)
    if kind in ("directory", "file"):
        return path_origin(url)
    if kind == "url":
        return python_origin(url)
    return None  # "legacy"/"pypi": a package index, asked like PyPI


def _pipfile_origin(entry: dict[str, Any]) -> Origin | None:
    """Pipfile.lock ``git``/``ref``, ``path``/``editable`` and ``file`` entries."""
    git = _str(entry.get("git"))
    if git is not None:
        found = vcs_origin(git if "://" in git or git.startswith("git+") else f"git+{git}")
        return Origin("vcs", found.location, _str(entry.get("ref")) or found.revision)
    path = _str(entry.get("path"))
    if path is not None:
        return path_origin(path)
    file = _str(entry.get("file"))
    if file is not None:
        return python_origin(file)
    return None


def _uv_origin(source: Any) -> Origin | None:
    """uv.lock ``source``: ``git = "<url>?rev=..#<commit>"``, ``path``, ``directory``, ``url``."""
    if not isinstance(source, dict):
        return None
    git = _str(source.get("git"))
    if git is not None:
        url, _, commit = git.partition("#")
        return Origin("vcs", vcs_origin(url.split("?", 1)[0]).location, commit or None)
    for key in ("path", "directory", "editable"):
        if _str(source.get(key)) is not None:
            return path_origin(str(source[key]))
    address = _str(source.get("url"))
    return python_origin(address) if address is not None else None


def _pdm_origin(entry: dict[str, Any]) -> Origin | None:
    """pdm.lock ``git``/``revision``, ``path`` (also editable) and ``url`` entries."""
    git = _str(entry.get("git"))
    if git is not None:
        found = vcs_origin(git)
        return Origin("vcs", found.location, _str(entry.get("revision")) or found.revision)
    path = _str(entry.get("path"))
    if path is not None:
        return path_origin(path)
    url = _str(entry.get("url"))
    return python_origin(url) if url is not None else None


def read_pipfile_lock(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """Pipfile.lock: ``default`` is required, ``develop`` is development-only."""
    del validate
    kind = "Pipfile.lock"
    text = text_of(data, source)
    doc = expect_mapping(load_json(text, source, kind), source, "the document", kind)
    keys = JsonKeys(text, objects=True)
    packages = []
    for section, scope in (("default", REQUIRED), ("develop", EXCLUDED)):
        table = expect_mapping(doc.get(section), source, f'"{section}"', kind)
        start = keys.offset(section) or 0
        for name, entry in table.items():
            line = keys.line(name, start)
            entry = expect_mapping(entry, source, f'"{section}.{name}"', kind, line)
            version = _str(entry.get("version"))
            origin = _pipfile_origin(entry)
            # Never dropped: an entry with no version and no known source is unidentified.
            reason = None
            if version is None and origin is None:
                reason = "Pipfile.lock entry with no version and no git, path or file source"
            if version is not None:
                version = version[2:] if version.startswith("==") else version
            hashes = [
                h
                for h in (
                    parse_hash(str(x))
                    for x in expect_list(entry.get("hashes"), source, "hashes", kind, line)
                )
                if h
            ]
            packages.append(
                Package(
                    "pypi",
                    name,
                    version,
                    line,
                    tuple(hashes),
                    scope,
                    unidentified_reason=reason,
                    origin=origin,
                )
            )
    meta = expect_mapping(doc.get("_meta"), source, '"_meta"', kind)
    spec = _str(meta.get("pipfile-spec"))
    return build_sbom(kind, spec, source, data, packages)


def read_uv(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """uv.lock: the project's own entries are left out; reachability gives direct and scope."""
    del validate
    kind = "uv.lock"
    text = text_of(data, source)
    doc = load_toml(text, source, kind)
    entries = _packages_table(doc, text, source, kind)
    roots = [e for e, _ in entries if _uv_is_project(e)]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for entry, _ in entries:
        by_name.setdefault(normalize_name("pypi", entry["name"]), []).append(entry)
    direct = {normalize_name("pypi", d) for r in roots for d in _uv_deps(r, ("dependencies",))}
    prod = _reach(roots, by_name, ("dependencies",), ("dependencies",))
    optional = _reach(
        roots, by_name, ("optional-dependencies",), ("dependencies", "optional-dependencies")
    )
    packages = []
    for entry, line in entries:
        if _uv_is_project(entry):
            continue
        name = normalize_name("pypi", entry["name"])
        wheels = expect_list(entry.get("wheels"), source, "wheels", kind, line)
        hashes = _file_hashes([entry.get("sdist"), *wheels])
        scope = None
        if roots:
            scope = REQUIRED if name in prod else OPTIONAL if name in optional else EXCLUDED
        packages.append(
            Package(
                "pypi",
                name,
                _str(entry.get("version")),
                line,
                tuple(hashes),
                scope,
                (name in direct) if roots else None,
                depends_on=_uv_depends_on(entry),
                origin=_uv_origin(entry.get("source")),
            )
        )
    return build_sbom(kind, _str(doc.get("version")), source, data, packages)


def _uv_depends_on(entry: dict[str, Any]) -> tuple[tuple[str, str | None], ...]:
    deps = _uv_dep_tables(entry, ("dependencies", "optional-dependencies"))
    return tuple((dep["name"], _str(dep.get("version"))) for dep in deps)


def _uv_is_project(entry: dict[str, Any]) -> bool:
    source = entry.get("source")
    return isinstance(source, dict) and ("virtual" in source or "editable" in source)


def _uv_deps(entry: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [dep["name"] for dep in _uv_dep_tables(entry, keys)]


def _uv_dep_tables(entry: dict[str, Any], keys: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """The named dependency tables under ``keys`` (a list, or lists by extra or group)."""
    for key in keys:
        value = entry.get(key)
        groups: Iterable[Any] = value.values() if isinstance(value, dict) else [value or []]
        for group in groups:
            for dep in group if isinstance(group, list) else []:
                if isinstance(dep, dict) and isinstance(dep.get("name"), str):
                    yield dep


def _reach(
    roots: list[dict[str, Any]],
    by_name: dict[str, list[dict[str, Any]]],
    root_keys: tuple[str, ...],
    keys: tuple[str, ...],
) -> set[str]:
    seen: set[str] = set()
    todo = [normalize_name("pypi", n) for r in roots for n in _uv_deps(r, root_keys)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for entry in by_name.get(name, []):
            todo.extend(normalize_name("pypi", n) for n in _uv_deps(entry, keys))
    return seen


def read_pdm(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """pdm.lock: group ``default`` is required, ``dev`` development-only, others optional."""
    del validate
    kind = "pdm.lock"
    text = text_of(data, source)
    doc = load_toml(text, source, kind)
    metadata, legacy_files = _lock_metadata(doc, source, kind)
    packages = []
    for entry, line in _packages_table(doc, text, source, kind):
        name = entry["name"]
        groups = expect_list(entry.get("groups"), source, "groups", kind, line)
        if not groups or "default" in groups:
            scope = REQUIRED
        elif "dev" in groups:
            scope = EXCLUDED
        else:
            scope = OPTIONAL
        hashes = _file_hashes(expect_list(entry.get("files"), source, "files", kind, line))
        version = _str(entry.get("version"))
        for key, files in legacy_files.items():
            if isinstance(key, str) and key.split(" ")[0] == f"{name}" and isinstance(files, list):
                hashes += _file_hashes(files)
        deps = expect_list(entry.get("dependencies"), source, "dependencies", kind, line)
        depends_on = tuple(
            (m.group(0), None) for m in (_NAME.match(str(d)) for d in deps) if m is not None
        )
        packages.append(
            Package(
                "pypi",
                name,
                version,
                line,
                tuple(hashes),
                scope,
                depends_on=depends_on,
                origin=_pdm_origin(entry),
            )
        )
    return build_sbom(kind, _str(metadata.get("lock_version")), source, data, packages)


def read_pylock(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """pylock.toml (PEP 751): hashes from sdist, wheels and archives; local directories left out."""
    del validate
    kind = "pylock.toml"
    text = text_of(data, source)
    doc = load_toml(text, source, kind)
    packages = []
    for entry, line in _packages_table(doc, text, source, kind, key="packages"):
        if "directory" in entry:
            continue  # a local source tree: the project's own code, not a distribution
        hashes = []
        parts: list[Any] = [entry.get("sdist"), entry.get("archive")]
        parts += expect_list(entry.get("wheels"), source, "wheels", kind, line)
        for part in parts:
            if not isinstance(part, dict):
                continue
            for alg, value in expect_mapping(
                part.get("hashes"), source, "hashes", kind, line
            ).items():
                hexed = normalize_hash_value(str(value))
                if hexed:
                    hashes.append(Hash(normalize_hash_alg(alg), hexed))
        version = _str(entry.get("version"))
        reason = None
        if version is None:
            reason = "pylock.toml entry without a version (a VCS or archive source)"
        deps = expect_list(entry.get("dependencies"), source, "dependencies", kind, line)
        depends_on = tuple(
            (str(d["name"]), _str(d.get("version")))
            for d in deps
            if isinstance(d, dict) and isinstance(d.get("name"), str)
        )
        packages.append(
            Package(
                "pypi",
                entry["name"],
                version,
                line,
                tuple(hashes),
                unidentified_reason=reason,
                depends_on=depends_on,
            )
        )
    return build_sbom(kind, _str(doc.get("lock-version")), source, data, packages)
