"""File lists comparable across versions, and which artifact to compare with which.

Names are normalised so that a release's own version does not make every file
look new: a wheel's ``name-1.2.dist-info/`` and ``name-1.2.data/`` lose the
version, an sdist's ``name-1.2/`` and an npm tarball's ``package/`` top
directory are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from policyengine.model import Artifact, ArtifactReport

_WHEEL_META = re.compile(r"^([^/-]+)-[^/-]+\.(dist-info|data)(?=/|$)")


def artifact_kind(artifact: Artifact) -> str:
    """``wheel``, ``sdist``, ``npm`` or ``egg`` from the registry's kind or the file name."""
    declared = (artifact.kind or "").lower()
    lower = artifact.filename.lower()
    if "wheel" in declared or lower.endswith(".whl"):
        return "wheel"
    if lower.endswith(".egg") or "egg" in declared:
        return "egg"
    if declared in {"npm", "tarball"} or (lower.endswith(".tgz") and "sdist" not in declared):
        return "npm"
    return "sdist"


def normalise(name: str, kind: str) -> str:
    """The member name with the version-bearing top directory normalised away."""
    if kind in {"wheel", "egg"}:
        return _WHEEL_META.sub(r"\1-{version}.\2", name, count=1)
    _head, sep, rest = name.partition("/")
    return rest if sep else name


def pairing_key(artifact: Artifact, kind: str) -> str:
    """What must match for two artifacts to be compared: the kind and the wheel tags."""
    if kind == "wheel":
        stem = artifact.filename[: -len(".whl")]
        parts = stem.split("-")
        return "wheel:" + "-".join(parts[-3:])
    return kind


def pick_previous(
    current: Artifact, kind: str, previous: Sequence[tuple[Artifact, str]]
) -> Artifact | None:
    """The previous release's artifact to compare ``current`` with: same tags, else same kind."""
    key = pairing_key(current, kind)
    same_kind = [a for a, k in previous if k == kind]
    for candidate in same_kind:
        if pairing_key(candidate, kind) == key:
            return candidate
    return same_kind[0] if same_kind else None


def diff(current: ArtifactReport, previous: ArtifactReport) -> tuple[list[str], list[str]]:
    """(added, removed) normalised file names, each sorted."""
    now, before = set(current.files), set(previous.files)
    return sorted(now - before), sorted(before - now)
