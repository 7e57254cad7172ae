"""Python manifests: pyproject.toml (PEP 621, PEP 735 groups, Poetry tables) and Pipfile.

A manifest declares; it does not lock. Its components carry a version only when
the declaration is an exact pin; any other declaration gives a component
without a version, whose ``unidentified_reason`` says how it was declared.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from policyengine.ingest.lockfiles._common import (
    expect_list,
    expect_mapping,
    fail,
    load_toml,
    sbom_from_declared,
    text_of,
)
from policyengine.ingest.lockfiles.pins import is_commit, python_pin, python_specifier_text
from policyengine.ingest.normalize import normalize_name
from policyengine.model import DeclaredDependency, InputError, Pin, Position, Sbom


class _Lines:
    """Finds the line of a declaration by searching the text after a section header."""

    def __init__(self, text: str) -> None:
        self.text = text

    def section(self, header: str) -> int:
        match = re.search(rf"^[ \t]*\[\s*{re.escape(header)}\s*\]", self.text, re.MULTILINE)
        return match.start() if match else 0

    def find(self, needle: str, start: int = 0) -> int | None:
        # Quotes inside a TOML string are escaped in the text: match the part before them.
        needle = re.split(r"[\"']", needle, maxsplit=1)[0]
        index = self.text.find(needle, start)
        if index < 0:
            index = self.text.find(needle)
        return self.text.count("\n", 0, index) + 1 if index >= 0 else None

    def key(self, name: str, start: int = 0) -> int | None:
        pattern = re.compile(rf"^[ \t]*[\"']?{re.escape(name)}[\"']?\s*=", re.MULTILINE)
        match = pattern.search(self.text, start) or pattern.search(self.text)
        return self.text.count("\n", 0, match.start()) + 1 if match else None


def _pep508(
    text: str, source: str, line: int | None, *, dev: bool, optional: bool, kind: str
) -> DeclaredDependency:
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise InputError(
            f"invalid dependency {text!r} in {kind}: {exc}",
            position=Position(source, line),
            hint="use PEP 508 syntax, e.g. 'requests>=2.31'",
        ) from None
    pin, version = python_pin(req)
    return DeclaredDependency(
        ecosystem="pypi",
        name=normalize_name("pypi", req.name),
        specifier=req.url or str(req.specifier),
        pin=pin,
        manifest=source,
        line=line,
        dev=dev,
        optional=optional,
        version=version,
        marker=str(req.marker) if req.marker else None,
    )


def _pep508_items(
    items: list[Any], source: str, lines: _Lines, start: int, *, dev: bool, optional: bool
) -> list[DeclaredDependency]:
    """PEP 508 strings of a pyproject.toml list, each found from ``start`` on."""
    return [
        _pep508(
            str(item),
            source,
            lines.find(str(item), start),
            dev=dev,
            optional=optional,
            kind="pyproject.toml",
        )
        for item in items
    ]


def declared_pyproject(data: bytes, source: str) -> list[DeclaredDependency]:
    """Dependencies of a pyproject.toml: PEP 621, PEP 735 groups and Poetry's tables."""
    kind = "pyproject.toml"
    text = text_of(data, source)
    doc = load_toml(text, source, kind)
    lines = _Lines(text)
    result: list[DeclaredDependency] = []
    project = expect_mapping(doc.get("project"), source, "[project]", kind)
    start = lines.section("project")
    items = expect_list(project.get("dependencies"), source, "project.dependencies", kind)
    result += _pep508_items(items, source, lines, start, dev=False, optional=False)
    extras = expect_mapping(
        project.get("optional-dependencies"), source, "project.optional-dependencies", kind
    )
    start = lines.section("project.optional-dependencies")
    for group in extras.values():
        items = expect_list(group, source, "project.optional-dependencies", kind)
        result += _pep508_items(items, source, lines, start, dev=False, optional=True)
    groups = expect_mapping(doc.get("dependency-groups"), source, "[dependency-groups]", kind)
    start = lines.section("dependency-groups")
    for group in groups.values():
        # {include-group = "..."} repeats another group.
        items = [
            i
            for i in expect_list(group, source, "dependency-groups", kind)
            if not isinstance(i, dict)
        ]
        result += _pep508_items(items, source, lines, start, dev=True, optional=False)
    tool = expect_mapping(doc.get("tool"), source, "[tool]", kind)
    poetry = expect_mapping(tool.get("poetry"), source, "[tool.poetry]", kind)
    if poetry:
        result += _poetry_tables(poetry, source, lines)
    return result


def is_dynamic(data: bytes) -> bool:
    """True when ``[project]`` marks its dependencies ``dynamic`` (computed by the backend)."""
    try:
        project = tomllib.loads(data.decode("utf-8-sig")).get("project", {})
    except (ValueError, UnicodeDecodeError):  # bad TOML, or an int of over 4,300 digits
        return False
    dynamic = project.get("dynamic", []) if isinstance(project, dict) else []
    return isinstance(dynamic, list) and (
        "dependencies" in dynamic or "optional-dependencies" in dynamic
    )


def _poetry_tables(poetry: dict[str, Any], source: str, lines: _Lines) -> list[DeclaredDependency]:
    kind = "pyproject.toml"
    tables: list[tuple[str, dict[str, Any], bool]] = [
        (
            "tool.poetry.dependencies",
            expect_mapping(poetry.get("dependencies"), source, "[tool.poetry.dependencies]", kind),
            False,
        ),
        (
            "tool.poetry.dev-dependencies",
            expect_mapping(
                poetry.get("dev-dependencies"), source, "[tool.poetry.dev-dependencies]", kind
            ),
            True,
        ),
    ]
    for name, group in expect_mapping(
        poetry.get("group"), source, "[tool.poetry.group]", kind
    ).items():
        group = expect_mapping(group, source, f"[tool.poetry.group.{name}]", kind)
        deps = expect_mapping(
            group.get("dependencies"), source, f"[tool.poetry.group.{name}.dependencies]", kind
        )
        tables.append((f"tool.poetry.group.{name}.dependencies", deps, name != "main"))
    result = []
    for header, table, dev in tables:
        start = lines.section(header)
        for name, value in table.items():
            if name.lower() == "python":
                continue
            result.append(_table_dependency(name, value, source, lines.key(name, start), dev, kind))
    return result


def _table_dependency(
    name: str, value: Any, source: str, line: int | None, dev: bool, kind: str
) -> DeclaredDependency:
    """One entry of a Poetry or Pipfile dependency table."""
    specifier, pin, version, optional = _table_value(value, source, line, kind)
    return DeclaredDependency(
        ecosystem="pypi",
        name=normalize_name("pypi", name),
        specifier=specifier,
        pin=pin,
        manifest=source,
        line=line,
        dev=dev,
        optional=optional,
        version=version,
    )


def _table_value(
    value: Any, source: str, line: int | None, kind: str
) -> tuple[str, Pin, str | None, bool]:
    """Poetry / Pipfile dependency value: a version string or a table (git, path, url ...)."""
    if isinstance(value, str):
        pin, version = python_specifier_text(value)
        return value, pin, version, False
    if isinstance(value, list):
        # Several constraints by marker: whatever they say, not one exact version.
        return str(value), "range", None, False
    if not isinstance(value, dict):
        raise fail(
            source, f"a dependency must be a string or table, found {value!r}", line, kind=kind
        )
    optional = bool(value.get("optional", False))
    if "git" in value or any(k in value for k in ("hg", "svn", "bzr")):
        url = str(value.get("git") or value.get("hg") or value.get("svn") or value.get("bzr"))
        ref = str(value.get("rev") or value.get("ref") or "")
        return (
            f"{url}@{ref}" if ref else url,
            ("vcs-commit" if is_commit(ref) else "vcs-ref"),
            None,
            optional,
        )
    if "path" in value or "file" in value:
        return str(value.get("path") or value.get("file")), "path", None, optional
    if "url" in value:
        return str(value["url"]), "url", None, optional
    spec = str(value.get("version", "*"))
    pin, version = python_specifier_text(spec)
    return spec, pin, version, optional


def declared_pipfile(data: bytes, source: str) -> list[DeclaredDependency]:
    """Dependencies of a Pipfile: ``[packages]`` and ``[dev-packages]``."""
    kind = "Pipfile"
    text = text_of(data, source)
    doc = load_toml(text, source, kind)
    lines = _Lines(text)
    result = []
    for section, dev in (("packages", False), ("dev-packages", True)):
        start = lines.section(section)
        for name, value in expect_mapping(doc.get(section), source, f"[{section}]", kind).items():
            result.append(_table_dependency(name, value, source, lines.key(name, start), dev, kind))
    return result


def read_pyproject(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """pyproject.toml as an input: the declared dependencies as components."""
    del validate
    return sbom_from_declared("pyproject.toml", declared_pyproject(data, source), source, data)


def read_pipfile(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """Pipfile as an input: the declared dependencies as components."""
    del validate
    return sbom_from_declared("Pipfile", declared_pipfile(data, source), source, data)
