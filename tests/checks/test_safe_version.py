"""The version a remediation suggests must clear what the evidence at hand says (issue 13)."""

from __future__ import annotations

from policyengine.checks.safe_version import nearest_safe
from policyengine.model import (
    Advisories,
    Advisory,
    FactKind,
    Missing,
    Release,
    ReleaseHistory,
)
from tests.checks.factories import NOW, at, component, evidence_for, ok

COMP = component("litellm", "1.82.8")


def _history(*releases: Release) -> ReleaseHistory:
    return ReleaseHistory("1.82.8", False, releases)


HISTORY = _history(
    Release("1.82.5", at("2026-03-10T12:00:00")),
    Release("1.82.6", at("2026-03-20T12:00:00")),
    Release("1.83.0", at("2026-03-30T12:00:00")),
    Release("1.84.0", at("2026-04-10T12:00:00"), yanked=True),
    Release("1.84.1", at("2026-04-11T12:00:00")),
    Release("1.85.0rc1", at("2026-04-20T12:00:00")),
    Release("1.85.0", at("2026-04-30T12:00:00")),
)


def test_the_suggestion_clears_every_fix_not_only_the_nearest_older_release() -> None:
    # before: "e.g. 1.82.6" for 1.82.8, which carries the same critical advisories
    advisories = Advisories(
        "1.82.8",
        (
            Advisory("PYSEC-1", severity="critical", fixed=("1.83.0",)),
            Advisory("PYSEC-2", severity="critical", fixed=("1.84.0",)),
            Advisory("MAL-2026-2144", malicious=True),
        ),
    )
    facts = evidence_for(
        COMP, {FactKind.RELEASES: ok(HISTORY), FactKind.ADVISORIES: ok(advisories)}
    )
    found = nearest_safe(COMP, facts, NOW)
    assert found is not None
    # 1.84.0 is yanked, 1.85.0rc1 a prerelease: the lowest served release at or above 1.84.0
    assert found.version == "1.84.1"
    assert "1.84.0" in found.why


def test_a_withdrawn_advisory_sets_no_floor() -> None:
    advisories = Advisories(
        "1.82.8", (Advisory("GHSA-x", fixed=("1.85.0",), withdrawn=at("2026-01-01T00:00:00")),)
    )
    facts = evidence_for(
        COMP, {FactKind.RELEASES: ok(HISTORY), FactKind.ADVISORIES: ok(advisories)}
    )
    found = nearest_safe(COMP, facts, NOW)
    assert found is not None and found.version == "1.82.6"


def test_without_advisories_it_says_they_were_unknown() -> None:
    facts = evidence_for(
        COMP, {FactKind.RELEASES: ok(HISTORY), FactKind.ADVISORIES: Missing("off")}
    )
    found = nearest_safe(COMP, facts, NOW)
    assert found is not None and found.version == "1.82.6" and "advisories unknown" in found.why


def test_no_history_no_suggestion() -> None:
    assert nearest_safe(COMP, evidence_for(COMP, {}), NOW) is None
