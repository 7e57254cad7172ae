from __future__ import annotations

import pytest
from pydantic import ValidationError

from policyengine.checks.advisories import AdvisoriesCheck, severity_of
from policyengine.model import Advisories, Advisory, FactKind, Missing, Status
from tests.checks.factories import assert_actionable, at, component, ok, run

CHECK = AdvisoriesCheck()
COMP = component(version="1.82.8")


def facts(*advisories: Advisory) -> dict[FactKind, object]:
    return {FactKind.ADVISORIES: ok(Advisories("1.82.8", advisories))}


def test_no_advisories_is_one_pass() -> None:
    [f] = run(CHECK, COMP, facts())
    assert f.status is Status.PASS and f.subject is None


def test_malicious_always_fails_even_with_no_severity_rule() -> None:
    mal = Advisory("MAL-2026-2144", aliases=("PYSEC-2026-2",), malicious=True, severity="low")
    [f] = run(CHECK, COMP, facts(mal), {"severity": None})
    assert f.status is Status.FAIL
    assert f.subject == "MAL-2026-2144"
    assert "malicious" in f.message and "PYSEC-2026-2" in f.message
    assert f.remediation and "rotate the credentials" in f.remediation
    assert_actionable(f)


def test_one_finding_per_advisory_with_threshold() -> None:
    crit = Advisory("GHSA-crit", severity="critical", fixed=("1.80.0", "1.83.0"))
    low = Advisory("GHSA-low", severity="low")
    found = run(CHECK, COMP, facts(low, crit), {"severity": "high"})
    by_id = {f.subject: f for f in found}
    assert by_id["GHSA-crit"].status is Status.FAIL
    assert by_id["GHSA-low"].status is Status.PASS
    # The remediation names the lowest fixed version above the current one.
    assert by_id["GHSA-crit"].remediation == "Upgrade litellm to 1.83.0 or later (fixes GHSA-crit)."


def test_score_threshold() -> None:
    adv = Advisory("CVE-1", severity="medium", score=6.5)
    [f] = run(CHECK, COMP, facts(adv), {"severity": None, "min_score": 6.0})
    assert f.status is Status.FAIL and "6.5" in f.message
    [g] = run(CHECK, COMP, facts(adv), {"severity": None, "min_score": 7.0})
    assert g.status is Status.PASS


def test_severity_derived_from_score_when_database_has_none() -> None:
    assert severity_of(Advisory("X", score=9.8)) == "critical"
    assert severity_of(Advisory("X", severity="MODERATE")) == "medium"
    assert severity_of(Advisory("X")) == "unknown"


def test_max_counts_fail_all_of_that_severity() -> None:
    advs = [Advisory(f"M-{i}", severity="medium") for i in range(3)]
    found = run(CHECK, COMP, facts(*advs), {"severity": "high", "max_counts": {"medium": 2}})
    assert [f.status for f in found] == [Status.FAIL] * 3
    found = run(CHECK, COMP, facts(*advs), {"severity": "high", "max_counts": {"medium": 3}})
    assert [f.status for f in found] == [Status.PASS] * 3


def test_withdrawn_ignored() -> None:
    gone = Advisory("GHSA-gone", severity="critical", withdrawn=at("2026-03-01T00:00:00"))
    [f] = run(CHECK, COMP, facts(gone))
    assert f.status is Status.PASS and "1 withdrawn" in f.message


def test_a_withdrawal_dated_after_now_is_not_in_force() -> None:
    # NOW is 2026-03-24: a withdrawal of 2026-04-01 cannot hide the advisory yet
    later = Advisory("GHSA-later", severity="critical", withdrawn=at("2026-04-01T00:00:00"))
    [f] = run(CHECK, COMP, facts(later))
    assert f.status is Status.FAIL


@pytest.mark.parametrize(
    "advisory",
    [
        Advisory("MAL-2026-2144"),
        Advisory("PYSEC-2026-2", aliases=("MAL-2026-2144",)),
        Advisory("GHSA-x", cwes=("CWE-506",)),
    ],
    ids=["mal-id", "mal-alias", "cwe-506"],
)
def test_malicious_follows_the_record_not_only_the_flag(advisory: Advisory) -> None:
    # an evidence bundle edited to drop `malicious` (or set it false) still fails
    assert not advisory.malicious
    [f] = run(CHECK, COMP, facts(advisory), {"severity": None})
    assert f.status is Status.FAIL and "malicious" in f.message


@pytest.mark.parametrize(
    ("setting", "status"),
    [("pass", Status.PASS), ("fail", Status.FAIL), ("unknown", Status.UNKNOWN)],
)
def test_unknown_severity_setting(setting: str, status: Status) -> None:
    [f] = run(CHECK, COMP, facts(Advisory("X-1")), {"unknown_severity": setting})
    assert f.status is status


def test_no_fixed_version_says_so() -> None:
    adv = Advisory("GHSA-old", severity="critical", fixed=("1.0.0",))
    [f] = run(CHECK, COMP, facts(adv))
    assert f.remediation and "No fixed version" in f.remediation


def test_missing_advisories_unknown() -> None:
    [f] = run(CHECK, COMP, {FactKind.ADVISORIES: Missing("offline mode, no OSV database")})
    assert f.status is Status.UNKNOWN and "offline mode" in f.message


def test_params_strict() -> None:
    with pytest.raises(ValidationError):
        AdvisoriesCheck.params_model.model_validate({"severity": "severe"})
    with pytest.raises(ValidationError):
        AdvisoriesCheck.params_model.model_validate({"min_score": 11})


def test_npm_fixed_version_uses_semver_order() -> None:
    comp = component("lodash", "4.17.9", "npm")
    adv = Advisory("GHSA-npm", severity="high", fixed=("4.17.5", "4.17.12", "5.0.0"))
    [f] = run(CHECK, comp, {FactKind.ADVISORIES: ok(Advisories("4.17.9", (adv,)))})
    assert f.remediation == "Upgrade lodash to 4.17.12 or later (fixes GHSA-npm)."


def test_pass_messages_name_the_rule_limits() -> None:
    crit = Advisory("GHSA-crit", severity="critical")
    [f] = run(CHECK, COMP, facts(crit), {"severity": None})
    assert f.status is Status.PASS
    assert f.message.endswith("this rule fails only malicious-package advisories")
    low = Advisory("GHSA-low", severity="low")
    [g] = run(CHECK, COMP, facts(low), {"severity": "high", "min_score": 8})
    assert "under this rule's limits (severity high, score 8)" in g.message


def test_a_vulnerability_rule_can_leave_malicious_records_to_another_rule() -> None:
    mal = Advisory("MAL-2026-2144", malicious=True)
    [f] = run(CHECK, COMP, facts(mal), {"severity": "critical", "malicious": "ignore"})
    assert f.status is Status.NOT_APPLICABLE
    assert f.subject == "MAL-2026-2144"


def test_an_advisory_without_severity_is_unknown_under_a_severity_limit() -> None:
    bare = Advisory("PYSEC-2026-9", fixed=("1.83.0",))
    [limited] = run(CHECK, COMP, facts(bare), {"severity": "critical"})
    assert limited.status is Status.UNKNOWN
    assert "no severity or score" in limited.message
    assert limited.remediation and "1.83.0" in limited.remediation
    [malicious_only] = run(CHECK, COMP, facts(bare), {"severity": None})
    assert malicious_only.status is Status.PASS
    [told_to_pass] = run(
        CHECK, COMP, facts(bare), {"severity": "critical", "unknown_severity": "pass"}
    )
    assert told_to_pass.status is Status.PASS
