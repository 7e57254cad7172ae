"""The nearest version a remediation may suggest: one the evidence at hand does not condemn.

A remediation that says "use 1.82.6 instead of 1.82.8" while 1.82.6 carries the same
critical advisories sends the reader from one failure to the next (issue 13). What the
evidence of the failing version says about others:

- the registry's list says which versions are still served, not yanked, not deprecated,
  and which are prereleases;
- each advisory that affects this version and names fixed versions says that every
  version below its fix may be affected too (the range is known to the advisory, not to
  the evidence): a suggestion must be at or above the highest fix.

Advisories affecting other versions only (a malicious upload of another release) are not
in this version's evidence: the suggestion says what it was judged on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from packaging.version import InvalidVersion, Version

from policyengine.checks.common import (
    current_release,
    fact_value,
    same_version,
    version_greater,
    withdrawn_by,
)
from policyengine.model import (
    Advisories,
    Component,
    ComponentEvidence,
    FactKind,
    ReleaseHistory,
)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A version to move to, and in words why it was chosen."""

    version: str
    why: str


def nearest_safe(
    component: Component, evidence: ComponentEvidence, now: datetime
) -> Suggestion | None:
    """The lowest served, stable release at or above every fix; else the newest before it.

    ``None`` when the release history is missing or offers nothing usable.
    """
    found = fact_value(evidence.get(FactKind.RELEASES), ReleaseHistory)
    if found is None or component.version is None:
        return None
    history = found[0]
    ecosystem = component.ecosystem
    own = current_release(history, ecosystem)
    prerelease_ok = own is not None and _prerelease(ecosystem, own.version)
    usable = [
        r.version
        for r in history.releases
        if not r.yanked
        and not r.deprecated
        and not same_version(ecosystem, r.version, component.version)
        and (prerelease_ok or not _prerelease(ecosystem, r.version))
    ]
    if not usable:
        return None
    advisories = fact_value(evidence.get(FactKind.ADVISORIES), Advisories)
    fixes = (
        [
            fixed
            for advisory in advisories[0].advisories
            if not withdrawn_by(advisory, now)
            for fixed in advisory.fixed
        ]
        if advisories is not None
        else []
    )
    floor = _highest(ecosystem, fixes)
    if floor is not None:
        above = [v for v in usable if version_greater(ecosystem, v, floor) is not False]
        lowest = _lowest(ecosystem, above)
        if lowest is None:
            return None
        return Suggestion(
            lowest,
            f"the lowest release the registry serves at or above {floor}, the highest fix "
            f"of the advisories affecting {component.version}",
        )
    before = [v for v in usable if version_greater(ecosystem, component.version, v)]
    older = _highest(ecosystem, before)
    if older is None:
        return None
    if advisories is None:
        return Suggestion(
            older,
            "the newest release before it the registry still serves (advisories unknown: "
            "check it before moving)",
        )
    return Suggestion(
        older,
        "the newest release before it the registry still serves; no advisory at hand names "
        "a fixed version",
    )


def _prerelease(ecosystem: str | None, version: str) -> bool:
    # Suggest only final releases: an rc or a dev build is no replacement for a release.
    if ecosystem == "pypi":
        try:
            return Version(version).is_prerelease
        except InvalidVersion:
            return True
    return "-" in version if ecosystem == "npm" else False


def _highest(ecosystem: str | None, versions: list[str]) -> str | None:
    best: str | None = None
    for version in versions:
        if best is None or version_greater(ecosystem, version, best):
            best = version
    return best


def _lowest(ecosystem: str | None, versions: list[str]) -> str | None:
    best: str | None = None
    for version in versions:
        if best is None or version_greater(ecosystem, best, version):
            best = version
    return best
