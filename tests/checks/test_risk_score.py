from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from policyengine.checks.risk_score import DEFAULT_WEIGHTS, RiskScoreCheck
from policyengine.model import (
    Advisories,
    Advisory,
    Artifact,
    Artifacts,
    FactKind,
    FactResult,
    Failed,
    Missing,
    PackageMetadata,
    Person,
    Publishers,
    Release,
    ReleaseHistory,
    Status,
)
from tests.checks.factories import NOW, assert_actionable, component, ok, run, sha256

CHECK = RiskScoreCheck()
COMP = component(hashes=(sha256("a"),))
WEEK = timedelta(days=7)


def clean() -> dict[FactKind, FactResult]:
    earlier = [Release(f"1.82.{i}", NOW - WEEK * (10 - i)) for i in range(8)]
    releases = (*earlier, Release("1.82.8", NOW - WEEK * 2))
    return {
        FactKind.ADVISORIES: ok(Advisories("1.82.8")),
        FactKind.RELEASES: ok(ReleaseHistory("1.82.8", True, releases)),
        FactKind.PACKAGE: ok(
            PackageMetadata("pypi", "litellm", repository="https://x", author=Person("a"))
        ),
        FactKind.PUBLISHERS: ok(
            Publishers("1.82.8", ("ci",), previous_version="1.82.7", previous_publishers=("ci",))
        ),
        FactKind.ARTIFACTS: ok(Artifacts("1.82.8", (Artifact("w.whl", hashes=(sha256("a"),)),))),
    }


def terms(finding: object) -> dict[str, dict[str, object]]:
    observed = finding.observed
    return {t["signal"]: t for t in observed["terms"]}


def test_clean_component_scores_zero() -> None:
    [f] = run(CHECK, COMP, clean())
    assert f.status is Status.PASS
    assert f.observed["score"] == 0
    assert set(terms(f)) == {name for name, weight in DEFAULT_WEIGHTS.items() if weight}


def test_several_weak_signals_add_up() -> None:
    facts = clean()
    # Weekly releases, then 1.82.8 one hour after 1.82.7 and two hours before now.
    last = NOW - timedelta(hours=3)
    releases = tuple(Release(f"1.82.{i}", last - WEEK * (7 - i)) for i in range(8))
    fresh = Release("1.82.8", NOW - timedelta(hours=2))
    facts[FactKind.RELEASES] = ok(ReleaseHistory("1.82.8", True, (*releases, fresh)))
    facts[FactKind.PUBLISHERS] = ok(
        Publishers("1.82.8", ("mallory",), previous_version="1.82.7", previous_publishers=("ci",))
    )
    [f] = run(CHECK, COMP, facts, {"threshold": 50})
    t = terms(f)
    assert t["fresh"]["contribution"] == 15 and t["publisher_change"]["contribution"] == 25
    assert t["cadence"]["contribution"] == 20
    assert f.status is Status.FAIL and f.observed["score"] == 60
    assert "publisher_change 25" in f.message
    assert_actionable(f)


def test_weights_override_and_vulnerability_grade() -> None:
    facts = clean()
    facts[FactKind.ADVISORIES] = ok(Advisories("1.82.8", (Advisory("GHSA-1", severity="high"),)))
    [f] = run(CHECK, COMP, facts, {"weights": {"vulnerability": 100}})
    assert terms(f)["vulnerability"]["contribution"] == 70
    assert f.status is Status.FAIL
    [g] = run(CHECK, COMP, facts)
    assert g.status is Status.PASS and terms(g)["vulnerability"]["contribution"] == 28


def test_malicious_alone_fails() -> None:
    facts = clean()
    facts[FactKind.ADVISORIES] = ok(Advisories("1.82.8", (Advisory("MAL-1", malicious=True),)))
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL and terms(f)["malicious"]["contribution"] == 100


def test_hash_mismatch_signal() -> None:
    facts = clean()
    facts[FactKind.ARTIFACTS] = ok(Artifacts("1.82.8", (Artifact("w.whl", hashes=(sha256("b"),)),)))
    [f] = run(CHECK, COMP, facts)
    assert terms(f)["hash_mismatch"]["contribution"] == 50


def test_unknown_when_missing_signals_could_reach_threshold() -> None:
    [f] = run(CHECK, COMP, {})
    assert f.status is Status.UNKNOWN
    assert f.observed["unknown"]


def test_missing_signals_that_cannot_matter_are_listed_but_pass() -> None:
    facts = clean()
    facts[FactKind.PUBLISHERS] = Missing("no uploader data")
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.PASS
    assert f.observed["unknown"] == ["publisher_change"]
    assert terms(f)["publisher_change"]["contribution"] is None


def test_zero_weight_drops_signal() -> None:
    [f] = run(CHECK, COMP, clean(), {"weights": {"unpinned": 0}})
    assert "unpinned" not in terms(f)


def test_params_strict() -> None:
    with pytest.raises(ValidationError):
        RiskScoreCheck.params_model.model_validate({"weights": {"vibes": 1}})


def test_needs_follow_the_weights() -> None:
    default = RiskScoreCheck.params_model()
    assert FactKind.CONTENTS not in RiskScoreCheck.needs_for(default)
    assert FactKind.ADVISORIES in RiskScoreCheck.needs_for(default)
    only_content = RiskScoreCheck.params_model.model_validate(
        {"weights": {k: 0 for k in DEFAULT_WEIGHTS} | {"startup_code": 80}}
    )
    assert RiskScoreCheck.needs_for(only_content) == (FactKind.CONTENTS,)


def test_content_signal_counts_when_weighted() -> None:
    [f] = run(CHECK, COMP, clean(), {"weights": {"startup_code": 80}})
    # No contents facts: the startup-code signal is unknown and could reach the threshold.
    assert f.status is Status.UNKNOWN
    assert "startup_code" in f.observed["unknown"]


def test_a_warn_band_with_up_to_leaves_high_scores_to_the_fail_rule() -> None:
    facts = clean()
    facts[FactKind.ADVISORIES] = ok(Advisories("1.82.8", (Advisory("MAL-1", malicious=True),)))
    [band] = run(CHECK, COMP, facts, {"threshold": 30, "up_to": 60})
    assert band.status is Status.NOT_APPLICABLE and "upper end 60" in band.message
    [fail] = run(CHECK, COMP, facts, {"threshold": 60})
    assert fail.status is Status.FAIL
    [warn] = run(CHECK, COMP, clean(), {"threshold": 30, "up_to": 60})
    assert warn.status is Status.PASS


@pytest.mark.parametrize(
    ("package", "removed"),
    [
        (PackageMetadata("pypi", "litellm", development_status="7 - Inactive"), 0),
        (PackageMetadata("pypi", "litellm", status="archived"), 0),
        (PackageMetadata("pypi", "litellm", status="quarantined"), 60),
    ],
)
def test_removed_signal_is_removal_not_maintenance(package: PackageMetadata, removed: int) -> None:
    # An archived or inactive project is registry-status's own concern, not a compromise.
    facts = clean()
    facts[FactKind.PACKAGE] = ok(package)
    [f] = run(CHECK, COMP, facts)
    assert terms(f)["removed"]["contribution"] == removed


WARN_BAND = {"threshold": 40, "up_to": 60}
"""The release gate's warn band (policies/release-gate.yaml)."""


def fresh_with(facts: dict[FactKind, FactResult]) -> dict[FactKind, FactResult]:
    """``facts`` with 1.82.8 published two hours ago, a week after 1.82.7 (no cadence issue)."""
    last = NOW - timedelta(hours=2)
    releases = tuple(Release(f"1.82.{i}", last - WEEK * (8 - i)) for i in range(8))
    fresh = Release("1.82.8", last)
    facts[FactKind.RELEASES] = ok(ReleaseHistory("1.82.8", True, (*releases, fresh)))
    return facts


@pytest.mark.parametrize(
    "soft",
    [
        {FactKind.PACKAGE: ok(PackageMetadata("pypi", "litellm"))},  # metadata
        {},  # freshness alone
    ],
)
def test_fresh_with_one_soft_signal_stays_under_the_warn_band(
    soft: dict[FactKind, FactResult],
) -> None:
    facts = fresh_with(clean()) | soft
    [f] = run(CHECK, COMP, facts, WARN_BAND)
    assert f.status is Status.PASS, f.message
    assert terms(f)["fresh"]["contribution"] == 15


def test_fresh_with_a_new_publisher_warns() -> None:
    facts = fresh_with(clean())
    facts[FactKind.PUBLISHERS] = ok(
        Publishers("1.82.8", ("mallory",), previous_version="1.82.7", previous_publishers=("ci",))
    )
    [f] = run(CHECK, COMP, facts, WARN_BAND)
    assert f.status is Status.FAIL and f.observed["score"] == 40


def test_switched_off_source_drops_its_weights_and_says_so() -> None:
    facts = clean()
    facts[FactKind.ADVISORIES] = Missing.off("advisories")
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.PASS
    assert f.observed["left_out"] == ["malicious", "vulnerability"]
    assert f.observed["unknown"] == []
    assert "left out, source switched off: malicious, vulnerability" in f.message
    assert terms(f)["malicious"]["contribution"] is None


def test_switched_off_source_still_lets_the_rest_fail() -> None:
    facts = clean()
    facts[FactKind.ADVISORIES] = Missing.off("advisories")
    facts[FactKind.RELEASES] = ok(ReleaseHistory("1.82.8", False, ()))
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL and f.observed["score"] == 60
    assert "left out" in f.message


@pytest.mark.parametrize(
    "advisories",
    [Failed("HTTP 503 from the advisory source"), Missing("offline: no cached OSV answer")],
)
def test_source_that_was_on_but_gave_nothing_stays_unknown(advisories: FactResult) -> None:
    facts = clean()
    facts[FactKind.ADVISORIES] = advisories
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.UNKNOWN
    assert f.observed["unknown"] == ["malicious", "vulnerability"]
    assert "left_out" not in f.observed
