"""npm: package-lock.json / npm-shrinkwrap.json (lockfileVersion 1, 2, 3) and package.json.

Version 2 and 3 files are read from ``packages`` (keyed by install path); version
1 files from the nested ``dependencies`` tree. Aliases (``npm:real@1.0.0``)
are reported under the real package name. Workspace folders and links are the
project itself, not dependencies, and are left out. ``integrity`` (base64 SRI)
becomes hex digests.
"""

from __future__ import annotations

import re
from typing import Any

from policyengine.ingest.lockfiles._common import (
    EXCLUDED,
    OPTIONAL,
    REQUIRED,
    JsonKeys,
    Package,
    build_sbom,
    expect_mapping,
    fail,
    load_json,
    parse_integrity,
    sbom_from_declared,
    text_of,
)
from policyengine.ingest.lockfiles.origins import npm_origin
from policyengine.ingest.lockfiles.pins import npm_pin
from policyengine.model import DeclaredDependency, Origin, Sbom

_DEP_TABLES = (
    ("dependencies", False, False),
    ("devDependencies", True, False),
    ("optionalDependencies", False, True),
)


def _scope(entry: dict[str, Any]) -> str:
    if entry.get("dev") is True or entry.get("devOptional") is True:
        return EXCLUDED
    if entry.get("optional") is True:
        return OPTIONAL
    return REQUIRED


def _alias(name: str, version: str) -> tuple[str, str]:
    # "npm:real-name@1.2.3" installs real-name under another folder name.
    if version.startswith("npm:"):
        rest = version[4:]
        at = rest.rfind("@")
        if at > 0:
            return rest[:at], rest[at + 1 :]
    return name, version


_PLAIN_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def _version_reason(version: str, entry: dict[str, Any]) -> tuple[str | None, str | None]:
    if _PLAIN_VERSION.match(version):
        return version, None  # the common case, without asking node-semver
    pin, _ = npm_pin(version)
    if pin in ("exact", "range"):
        return version, None
    if _origin(version, entry) is not None:
        return None, None
    resolved = str(entry.get("resolved") or version)
    return None, f"installed from {pin} {resolved!r}, not from the registry"


def _origin(version: str, entry: dict[str, Any]) -> Origin | None:
    """Where the entry came from when not the registry: ``resolved``, else the version text."""
    resolved = entry.get("resolved")
    if isinstance(resolved, str) and resolved:
        found = npm_origin(resolved)
        if found is not None:
            return found
    if version and not _PLAIN_VERSION.match(version):
        return npm_origin(version)
    return None


def read_package_lock(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """package-lock.json or npm-shrinkwrap.json, any lockfileVersion."""
    del validate
    kind = (
        "npm-shrinkwrap.json"
        if source.lower().endswith("npm-shrinkwrap.json")
        else "package-lock.json"
    )
    text = text_of(data, source)
    doc = expect_mapping(load_json(text, source, kind), source, "the document", kind)
    keys = JsonKeys(text, objects=True)
    version = doc.get("lockfileVersion")
    if "packages" in doc:
        packages = _from_packages(doc, keys, source, kind)
    else:
        packages = []
        _from_dependencies(
            expect_mapping(doc.get("dependencies"), source, '"dependencies"', kind),
            keys,
            keys.offset("dependencies") or 0,
            source,
            kind,
            packages,
        )
    return build_sbom(kind, str(version) if version is not None else None, source, data, packages)


def _from_packages(doc: dict[str, Any], keys: JsonKeys, source: str, kind: str) -> list[Package]:
    table = expect_mapping(doc.get("packages"), source, '"packages"', kind)
    start = keys.offset("packages") or 0
    root = expect_mapping(table.get(""), source, '"packages"[""]', kind)
    direct_names = {
        name
        for field in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
        for name in expect_mapping(root.get(field), source, f"root {field}", kind)
    }
    installed: dict[str, tuple[str, str | None, str | None, dict[str, Any]]] = {}
    for path, entry in table.items():
        if not path or "node_modules/" not in path:
            continue  # the project itself or a workspace folder
        entry = expect_mapping(entry, source, f'"packages"["{path}"]', kind, keys.line(path, start))
        if entry.get("link") is True:
            continue  # a symlink to a workspace folder: the folder is the project's own code
        folder = path.rsplit("node_modules/", 1)[1]
        name = str(entry.get("name") or folder)
        raw = str(entry.get("version") or "")
        name, raw = _alias(name, raw)
        if not raw and entry.get("resolved"):
            raw = str(entry["resolved"])
        version, reason = (
            _version_reason(raw, entry) if raw else (None, "no version in the lockfile")
        )
        installed[path] = (name, version, reason, entry)
    packages = []
    for path, (name, version, reason, entry) in installed.items():
        folder = path.rsplit("node_modules/", 1)[1]
        top_level = path.count("node_modules/") == 1 and path.startswith("node_modules/")
        integrity = str(entry.get("integrity") or "")
        packages.append(
            Package(
                "npm",
                name,
                version,
                keys.line(path, start),
                parse_integrity(integrity),
                _scope(entry),
                top_level and folder in direct_names if direct_names or root else None,
                bool(integrity),
                reason,
                _depends_on(path, entry, installed),
                origin=_origin(str(entry.get("version") or ""), entry),
            )
        )
    return packages


def _depends_on(
    path: str,
    entry: dict[str, Any],
    installed: dict[str, tuple[str, str | None, str | None, dict[str, Any]]],
) -> tuple[tuple[str, str | None], ...]:
    """What an installed package requires, resolved as Node does: nearest node_modules up."""
    found = []
    for field in ("dependencies", "optionalDependencies", "peerDependencies"):
        wanted = entry.get(field)
        for dep in wanted if isinstance(wanted, dict) else ():
            base = path
            while True:
                candidate = f"{base}/node_modules/{dep}" if base else f"node_modules/{dep}"
                if candidate in installed:
                    name, version, _reason, _entry = installed[candidate]
                    found.append((name, version))
                    break
                if not base:
                    break
                cut = base.rfind("/node_modules/")
                base = base[:cut] if cut >= 0 else ""
    return tuple(found)


def _from_dependencies(
    table: dict[str, Any],
    keys: JsonKeys,
    start: int,
    source: str,
    kind: str,
    out: list[Package],
    chain: tuple[dict[str, Any], ...] = (),
) -> None:
    """Version 1: walk the nested ``dependencies`` tree; ``chain`` holds the enclosing tables."""
    scope = (*chain, table)
    for name, entry in table.items():
        here = keys.offset(name, start)
        line = keys.line(name, start)
        entry = expect_mapping(entry, source, f'"dependencies"["{name}"]', kind, line)
        raw = str(entry.get("version") or "")
        real, raw = _alias(name, raw)
        if not raw:
            raise fail(source, f'dependency "{name}" has no version', line, kind=kind)
        version, reason = _version_reason(raw, entry)
        integrity = str(entry.get("integrity") or "")
        nested = expect_mapping(
            entry.get("dependencies"), source, f'"{name}".dependencies', kind, line
        )
        out.append(
            Package(
                "npm",
                real,
                version,
                line,
                parse_integrity(integrity),
                _scope(entry),
                None,
                bool(integrity),
                reason,
                _requires(entry, (*scope, nested)),
                origin=_origin(raw, entry),
            )
        )
        if nested:
            offset = keys.offset("dependencies", here if here is not None else start) or start
            _from_dependencies(nested, keys, offset, source, kind, out, scope)


def _requires(
    entry: dict[str, Any], scope: tuple[dict[str, Any], ...]
) -> tuple[tuple[str, str | None], ...]:
    """Version 1 ``requires``, resolved from the innermost enclosing table outwards."""
    wanted = entry.get("requires")
    found = []
    for dep in wanted if isinstance(wanted, dict) else ():
        for table in reversed(scope):
            target = table.get(dep)
            if isinstance(target, dict):
                real, raw = _alias(dep, str(target.get("version") or ""))
                if raw:
                    found.append((real, _version_reason(raw, target)[0]))
                break
    return tuple(found)


def declared_package_json(data: bytes, source: str) -> list[DeclaredDependency]:
    """Dependencies declared in package.json; peerDependencies are the consumer's to install."""
    kind = "package.json"
    text = text_of(data, source)
    doc = expect_mapping(load_json(text, source, kind), source, "the document", kind)
    keys = JsonKeys(text)
    result = []
    for field, dev, optional in _DEP_TABLES:
        start = keys.offset(field) or 0
        for name, spec in expect_mapping(doc.get(field), source, f'"{field}"', kind).items():
            line = keys.line(name, start)
            if not isinstance(spec, str):
                raise fail(source, f'"{field}"."{name}" must be a string', line, kind=kind)
            pin, version = npm_pin(spec)
            result.append(
                DeclaredDependency(
                    ecosystem="npm",
                    name=name,
                    specifier=spec,
                    pin=pin,
                    manifest=source,
                    line=line,
                    dev=dev,
                    optional=optional,
                    version=version,
                )
            )
    return result


def read_package_json(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """package.json as an input: declared dependencies; exact pins are identified."""
    del validate
    return sbom_from_declared("package.json", declared_package_json(data, source), source, data)
