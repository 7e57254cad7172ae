"""Inspect one verified artifact in memory and produce its ``ArtifactReport``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from policyengine.enrich.artifacts.archive import Archive, ArchiveLimits, Member, open_archive
from policyengine.enrich.artifacts.binaries import HEAD_BYTES, classify_binary
from policyengine.enrich.artifacts.code_markers import is_code_file, scan_code
from policyengine.enrich.artifacts.entry_points import npm_bin, parse_entry_points
from policyengine.enrich.artifacts.filelist import normalise
from policyengine.enrich.artifacts.install_hooks import (
    inspect_package_json,
    inspect_pyproject,
    inspect_setup_py,
    read_package_json,
)
from policyengine.enrich.artifacts.pth import inspect_pth
from policyengine.model import (
    ArtifactReport,
    BinaryFile,
    ContentMark,
    EntryPoint,
    PthFile,
)

MiB = 1024 * 1024
_ENTRY_POINTS = re.compile(r"^[^/]+\.(dist-info|egg-info)/entry_points\.txt$")
_WHEEL_SCRIPT = re.compile(r"^[^/]+\.data/scripts/([^/]+)$")


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """How deep one archive is looked at.

    ``scan_max_bytes``: code files larger than this are listed as skipped, not
    scanned; ``blob_min``: the shortest base64-alphabet run reported as an
    encoded blob; ``max_listed``: the most findings of one category kept per
    artifact (the most serious first; the cut is noted in ``skipped``).
    """

    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    scan_max_bytes: int = 8 * MiB
    blob_min: int = 1000
    max_listed: int = 5000


@dataclass
class _Collected:
    pth: list[PthFile] = field(default_factory=list)
    hooks: list[ContentMark] = field(default_factory=list)
    binaries: list[BinaryFile] = field(default_factory=list)
    entry_points: list[EntryPoint] = field(default_factory=list)
    suspicious: list[ContentMark] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def inspect_archive(
    data: bytes, filename: str, kind: str, digest: str, settings: ScanSettings
) -> ArtifactReport:
    """The report for verified ``data``; ``ArtifactRefused`` when the archive is unsafe."""
    archive = open_archive(data, filename, settings.limits)
    found = _Collected()
    # A link that brings in no member's bytes (to a directory, dangling, or outside the
    # archive) still exists once extracted: it is part of the file list all the same.
    names = {normalise(m.name, kind) for m in archive.members}
    names.update(normalise(link.path, kind) for link in archive.links)
    for member in archive.members:
        normalised = normalise(member.name, kind)
        _inspect_member(archive.read, member, normalised, kind, filename, settings, found)
    if kind in {"npm", "sdist"}:
        _inspect_build_files(archive, kind, settings, found)
    cap = settings.max_listed
    # Most serious first, so that a cut never hides what a check fails on.
    binaries = sorted(found.binaries, key=lambda b: b.expected)
    suspicious = sorted(found.suspicious, key=lambda m: _SEVERITY.get(m.kind, len(_SEVERITY)))
    return ArtifactReport(
        filename=filename,
        kind=kind,
        digest=digest,
        size=len(data),
        file_count=len(archive.members),
        files=tuple(sorted(names)),
        pth_files=_cut(found.pth, cap, "pth files", found.skipped),
        install_hooks=_cut(found.hooks, cap, "install hooks", found.skipped),
        binaries=_cut(binaries, cap, "binaries", found.skipped),
        entry_points=_cut(found.entry_points, cap, "entry points", found.skipped),
        suspicious=_cut(suspicious, cap, "suspicious markers", found.skipped),
        skipped=tuple(found.skipped),
        links=archive.links,
    )


_SEVERITY = {"decode-exec": 0, "dynamic-import": 1, "encoded-blob": 2, "credential-path": 3}

T = TypeVar("T")


def _cut(items: list[T], cap: int, what: str, skipped: list[str]) -> tuple[T, ...]:
    if len(items) > cap:
        skipped.append(f"{len(items) - cap} more {what} not listed (limit {cap})")
    return tuple(items[:cap])


def _inspect_build_files(
    archive: Archive, kind: str, settings: ScanSettings, found: _Collected
) -> None:
    """Install hooks of every top directory's build files.

    Every ``<top>/setup.py``, ``<top>/pyproject.toml`` (sdist) and
    ``<top>/package.json`` (npm) is read, not just the first: an archive with
    two top directories must not be able to show a harmless one and hide the other.
    """
    tops: dict[str, set[str]] = {}
    for member in archive.members:
        top, _, rest = member.name.partition("/")
        if rest and "/" not in rest:
            tops.setdefault(top, set()).add(rest)
    for member in archive.members:
        top, _, rest = member.name.partition("/")
        if not rest or "/" in rest:
            continue
        if kind == "sdist" and rest in {"setup.py", "pyproject.toml"}:
            inspector = inspect_setup_py if rest == "setup.py" else inspect_pyproject
            found.hooks.extend(
                inspector(member.name, archive.read(member, settings.scan_max_bytes))
            )
        elif kind == "npm" and rest == "package.json":
            source = archive.read(member, settings.scan_max_bytes)
            manifest = read_package_json(source)
            if manifest is None:
                continue
            gyp = "binding.gyp" in tops.get(top, set())
            found.hooks.extend(inspect_package_json(member.name, source, manifest, gyp))
            found.entry_points.extend(npm_bin(member.name, manifest))


def _inspect_member(
    read: Callable[[Member, int], bytes],
    member: Member,
    normalised: str,
    kind: str,
    filename: str,
    settings: ScanSettings,
    found: _Collected,
) -> None:
    lower = member.name.lower()
    script = _WHEEL_SCRIPT.match(normalised) if kind == "wheel" else None
    if script:
        found.entry_points.append(EntryPoint("scripts", script.group(1), "", member.name))
    is_pth = lower.endswith(".pth")
    is_code = is_code_file(lower) or script is not None
    is_entry_points = bool(_ENTRY_POINTS.match(normalised))
    wants_text = is_pth or is_code or is_entry_points
    # A .pth is read whole whatever its size (site.py does; the archive's byte budget
    # still bounds it): skipping a large one would let padding hide a startup hook.
    if wants_text and not is_pth and member.size > settings.scan_max_bytes:
        found.skipped.append(f"{member.name}: {member.size} bytes, larger than the scan limit")
        wants_text = False
    data = read(member, member.size if wants_text else HEAD_BYTES)
    binary = classify_binary(member.name, data[:HEAD_BYTES], member.size, kind, filename)
    if binary is not None:
        found.binaries.append(binary)
        return
    if not wants_text:
        return
    if is_pth:
        found.pth.append(inspect_pth(member.name, data, kind))
    if is_entry_points:
        found.entry_points.extend(parse_entry_points(member.name, data))
    if is_code:
        found.suspicious.extend(scan_code(member.name, data, blob_min=settings.blob_min))
