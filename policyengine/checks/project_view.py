"""Project facts (``Evidence.project``) for the pinning and lockfile checks.

The evidence bundle may hand project facts over as the model's
:class:`~policyengine.model.project.ProjectFacts` or, from a recorded bundle,
as the plain JSON object ``project_facts_to_json`` wrote; both are accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from policyengine.model import Evidence, FactResult, Missing, Ok, Source
from policyengine.model.project import LockfileFacts, ProjectFacts, project_facts_from_json


def project_facts(evidence: Evidence) -> tuple[ProjectFacts, Source] | FactResult | None:
    """The project facts with their source, else the Missing/Failed result (or None)."""
    result = evidence.project
    if not isinstance(result, Ok):
        return result
    value = result.value
    if isinstance(value, Mapping):
        try:
            value = project_facts_from_json(dict(value))
        except (KeyError, TypeError) as exc:
            return Missing(f"the project facts in the evidence are malformed ({exc})")
    if isinstance(value, ProjectFacts):
        return value, result.source
    return Missing(f"project facts have an unexpected type ({type(value).__name__})")


def covering_lock(
    manifest: str, ecosystem: str, lockfiles: Iterable[LockfileFacts]
) -> LockfileFacts | None:
    """The lockfile that locks ``manifest``, or ``None``.

    A lockfile that names the manifest in ``locks`` wins, a dedicated lockfile
    (uv.lock, package-lock.json ...) before a requirements file. Facts recorded
    before ``locks`` existed leave it empty: then the nearest lockfile of the
    ecosystem in the manifest's folder or a parent (a workspace root) covers it.
    """
    candidates = list(lockfiles)
    named = [lock for lock in candidates if manifest in lock.locks]
    if named:
        named.sort(key=lambda lock: lock.kind == "requirements.txt")
        return named[0]
    folder = PurePosixPath(manifest).parent
    found = []
    for lock in candidates:
        lock_dir = PurePosixPath(lock.path).parent
        if (
            not lock.locks
            and lock.ecosystem == ecosystem
            and (lock_dir == folder or lock_dir in folder.parents)
        ):
            found.append(lock)
    # The nearest lockfile wins: a package's own lock before a workspace root's.
    found.sort(key=lambda lock: -len(PurePosixPath(lock.path).parent.parts))
    return found[0] if found else None
