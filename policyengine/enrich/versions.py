"""Version order per ecosystem and OSV ``affected`` matching.

PyPI uses PEP 440 (``packaging.version``); npm and OSV ``SEMVER`` ranges use
node-semver. A version that cannot be parsed is never placed inside a range
(only an explicit ``versions`` list can name it), so matching stays exact.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import nodesemver
from packaging.version import InvalidVersion, Version

OSV_ECOSYSTEMS: Mapping[str, str] = {
    "pypi": "PyPI",
    "npm": "npm",
    "maven": "Maven",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
}
"""purl type -> OSV ecosystem name."""

ORDERED_ECOSYSTEMS = frozenset({"pypi", "npm"})
"""Ecosystems whose version order this module knows (so offline range matching works)."""

_PURL_TYPES = {v.lower(): k for k, v in OSV_ECOSYSTEMS.items()}


def purl_type(osv_ecosystem: str) -> str | None:
    """The purl type for an OSV ecosystem name (``PyPI`` -> ``pypi``), ignoring suffixes."""
    return _PURL_TYPES.get(osv_ecosystem.split(":", 1)[0].lower())


def normalise_name(ecosystem: str, name: str) -> str:
    """The name as the rest of the tool keys it (PEP 503 for PyPI; npm names as given)."""
    if ecosystem == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def sort_key(ecosystem: str, version: str) -> Any | None:
    """A comparable key for ``version`` in the ecosystem's own order, ``None`` if unparsable."""
    if ecosystem == "pypi":
        try:
            return Version(version)
        except InvalidVersion:
            return None
    if ecosystem in ("npm", "semver"):
        try:
            return _SemverKey(nodesemver.make_semver(version.lstrip("v="), False))
        except ValueError:
            return None
    return None


def same_version(ecosystem: str, a: str, b: str) -> bool:
    """True when two spellings name one version (``1.0`` == ``1.0.0`` on PyPI)."""
    if a == b:
        return True
    ka, kb = sort_key(ecosystem, a), sort_key(ecosystem, b)
    return ka is not None and kb is not None and ka == kb


def sort_versions(ecosystem: str, versions: Iterable[str]) -> tuple[str, ...]:
    """Distinct versions lowest first; unparsable ones last, in text order."""
    unique = sorted(set(versions))
    parsed = [(sort_key(ecosystem, v), v) for v in unique]
    good: list[tuple[Any, str]] = [p for p in parsed if p[0] is not None]
    good.sort(key=lambda p: p[0])
    bad = [v for k, v in parsed if k is None]
    return tuple(v for _, v in good) + tuple(bad)


@functools.total_ordering
class _SemverKey:
    """Wraps a node-semver object so that Python's sorting uses semver precedence."""

    __slots__ = ("_v",)

    def __init__(self, value: Any) -> None:
        self._v = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _SemverKey) and self._v.compare(other._v) == 0

    def __lt__(self, other: _SemverKey) -> bool:
        return bool(self._v.compare(other._v) < 0)

    def __hash__(self) -> int:
        return hash(str(self._v))


def _range_ecosystem(range_type: str, ecosystem: str) -> str | None:
    if range_type == "SEMVER":
        return "semver" if ecosystem != "npm" else "npm"
    if range_type == "ECOSYSTEM":
        return ecosystem
    return None  # GIT ranges name commits, not versions


def in_range(ecosystem: str, version: str, events: Sequence[Mapping[str, str]]) -> bool:
    """Whether ``version`` lies in one OSV range given as its ``events``.

    Follows the OSV schema's evaluation: events are sorted by version and walked;
    ``introduced`` opens the range (``"0"`` means from the beginning), ``fixed``
    closes it before that version and ``last_affected`` after it.
    """
    target = sort_key(ecosystem, version)
    if target is None:
        return False
    keyed: list[tuple[int, Any, str]] = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected"):
            value = event.get(kind)
            if value is None:
                continue
            if kind == "introduced" and value == "0":
                keyed.append((0, None, kind))
                continue
            key = sort_key(ecosystem, value)
            if key is None:
                return False  # an unparsable bound: the range cannot be evaluated
            keyed.append((1, key, kind))
    keyed.sort(key=functools.cmp_to_key(_cmp_event))
    affected = False
    for rank, key, kind in keyed:
        if kind == "introduced":
            if rank == 0 or target >= key:
                affected = True
        elif kind == "fixed":
            if target >= key:
                affected = False
        elif kind == "last_affected" and target > key:
            affected = False
    return affected


def _cmp_event(a: tuple[int, Any, str], b: tuple[int, Any, str]) -> int:
    if a[0] != b[0]:
        return a[0] - b[0]
    if a[1] is None or b[1] is None or a[1] == b[1]:
        return 0
    return -1 if a[1] < b[1] else 1


def affects(ecosystem: str, version: str, affected: Mapping[str, Any]) -> bool:
    """Whether one OSV ``affected`` entry (for the right package) covers ``version``."""
    listed = affected.get("versions") or ()
    if any(same_version(ecosystem, version, str(v)) for v in listed):
        return True
    for rng in affected.get("ranges") or ():
        kind = _range_ecosystem(str(rng.get("type", "")), ecosystem)
        if kind is not None and in_range(kind, version, rng.get("events") or ()):
            return True
    return False


def fixed_versions(ecosystem: str, affected: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The ``fixed`` versions named by the affected entries' ranges, lowest first."""
    found = [
        str(event["fixed"])
        for entry in affected
        for rng in entry.get("ranges") or ()
        if rng.get("type") in ("ECOSYSTEM", "SEMVER")
        for event in rng.get("events") or ()
        if "fixed" in event
    ]
    return sort_versions(ecosystem, found)
