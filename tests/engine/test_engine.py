from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from policyengine.checks import registry
from policyengine.engine import changed_components, evaluate, evaluate_diff, required_facts
from policyengine.model import FactKind, Failed, Hash
from policyengine.model.policy import Policy
from policyengine.policy.loader import load_policy
from tests.engine import fakes
from tests.engine.fakes import (
    CHECKS,
    MISSING,
    NOW,
    advisories,
    component,
    evidence,
    package,
    sbom,
)
from tests.policy.helpers import load, write

LITELLM = component("litellm", "1.82.8", direct=True)
REQUESTS = component("requests", "2.32.0", direct=False)


def _policy(tmp_path: Path, rules: str, extra: str = "") -> Policy:
    return load(tmp_path, extra + "rules:\n" + rules)


STATUS = "  - id: status\n    check: fake-status\n"


def _outcomes(verdict: object) -> list[tuple[str, str | None, str]]:
    return [
        (r.rule, r.component.name if r.component else None, r.outcome)
        for r in verdict.results  # type: ignore[attr-defined]
    ]


def test_pass_and_fail(tmp_path: Path) -> None:
    facts = evidence(
        {
            LITELLM.key: {FactKind.PACKAGE: package("quarantined")},
            REQUESTS.key: {FactKind.PACKAGE: package(None)},
        },
        digest="sha256:abc",
    )
    verdict = evaluate(
        sbom(LITELLM, REQUESTS), facts, _policy(tmp_path, STATUS), NOW, checks=CHECKS
    )
    assert verdict.outcome == "fail"
    assert _outcomes(verdict) == [("status", "litellm", "fail"), ("status", "requests", "pass")]
    failed = verdict.results[0]
    assert failed.observed == "quarantined" and failed.remediation == "pin another version"
    assert failed.sources[0].name == "pypi" and failed.severity == "fail"
    assert failed.component is not None and failed.component.purl == "pkg:pypi/litellm@1.82.8"
    assert verdict.evidence_digest == "sha256:abc"
    assert verdict.summary.failed == 1 and verdict.summary.passed == 1
    assert verdict.summary.rules == 1 and verdict.summary.components == 2
    assert verdict.evaluated_at == NOW


@pytest.mark.parametrize(
    ("rule", "outcome", "overall"),
    [
        ("    severity: warn\n", "warn", "warn"),
        ("    severity: info\n", "info", "pass"),
        ("    mode: log\n", "info", "pass"),
        ("    effective_from: 2026-04-01\n", "warn", "warn"),
        ("    effective_from: 2026-03-24\n", "fail", "fail"),
        ("    message: overridden\n", "fail", "fail"),
    ],
)
def test_severity_mode_and_staged_rollout(
    tmp_path: Path, rule: str, outcome: str, overall: str
) -> None:
    facts = evidence({LITELLM.key: {FactKind.PACKAGE: package("quarantined")}})
    verdict = evaluate(sbom(LITELLM), facts, _policy(tmp_path, STATUS + rule), NOW, checks=CHECKS)
    assert verdict.results[0].outcome == outcome
    assert verdict.outcome == overall
    if "message" in rule:
        assert verdict.results[0].message == "overridden"
    staged = "2026-04-01" in rule
    # a staged failure says why it is only a warning (issue 13)
    assert (
        "a warning until the rule takes effect on 2026-04-01" in verdict.results[0].message
    ) is staged


@pytest.mark.parametrize(
    ("setting", "overall"), [("fail", "incomplete"), ("warn", "warn"), ("ignore", "pass")]
)
def test_missing_evidence_is_unknown_never_pass(tmp_path: Path, setting: str, overall: str) -> None:
    policy = _policy(tmp_path, STATUS, f"settings: {{on_missing_evidence: {setting}}}\n")
    facts = evidence({LITELLM.key: {FactKind.PACKAGE: MISSING}})
    verdict = evaluate(sbom(LITELLM, REQUESTS), facts, policy, NOW, checks=CHECKS)
    assert {r.outcome for r in verdict.results} == {"unknown"}
    assert verdict.outcome == overall
    assert verdict.summary.unknown == 2 and verdict.summary.passed == 0


@pytest.mark.parametrize(
    ("setting", "rule_setting", "overall"),
    [
        ("fail", "ignore", "pass"),
        ("fail", "warn", "warn"),
        ("ignore", "fail", "incomplete"),
        ("warn", "ignore", "pass"),
    ],
)
def test_a_rule_can_override_what_its_unknown_results_do(
    tmp_path: Path, setting: str, rule_setting: str, overall: str
) -> None:
    policy = _policy(
        tmp_path,
        STATUS + f"    on_missing_evidence: {rule_setting}\n",
        f"settings: {{on_missing_evidence: {setting}}}\n",
    )
    facts = evidence({LITELLM.key: {FactKind.PACKAGE: MISSING}})
    verdict = evaluate(sbom(LITELLM), facts, policy, NOW, checks=CHECKS)
    # reported either way: an ignored unknown is still an unknown result, never a pass
    assert {r.outcome for r in verdict.results} == {"unknown"}
    assert verdict.outcome == overall


def test_an_override_counts_only_for_its_own_rule(tmp_path: Path) -> None:
    rules = STATUS + "    on_missing_evidence: ignore\n" + STATUS.replace("id: status", "id: other")
    policy = _policy(tmp_path, rules, "settings: {on_missing_evidence: fail}\n")
    facts = evidence({LITELLM.key: {FactKind.PACKAGE: MISSING}})
    verdict = evaluate(sbom(LITELLM), facts, policy, NOW, checks=CHECKS)
    assert verdict.outcome == "incomplete"


def test_failed_fact_is_unknown_and_fail_beats_incomplete(tmp_path: Path) -> None:
    facts = evidence(
        {
            LITELLM.key: {FactKind.PACKAGE: Failed("HTTP 500")},
            REQUESTS.key: {FactKind.PACKAGE: package("archived")},
        }
    )
    verdict = evaluate(
        sbom(LITELLM, REQUESTS), facts, _policy(tmp_path, STATUS), NOW, checks=CHECKS
    )
    assert _outcomes(verdict) == [("status", "litellm", "unknown"), ("status", "requests", "fail")]
    assert verdict.outcome == "fail"


def test_no_evidence_at_all(tmp_path: Path) -> None:
    verdict = evaluate(sbom(LITELLM), evidence({}), _policy(tmp_path, STATUS), NOW, checks=CHECKS)
    assert verdict.outcome == "incomplete"
    assert verdict.evidence_digest is None


def test_selector_limits_components(tmp_path: Path) -> None:
    rules = STATUS + "    selector: {names: ['lite*'], direct: true}\n"
    facts = evidence({LITELLM.key: {FactKind.PACKAGE: package(None)}})
    verdict = evaluate(sbom(LITELLM, REQUESTS), facts, _policy(tmp_path, rules), NOW, checks=CHECKS)
    assert _outcomes(verdict) == [("status", "litellm", "pass")]


def test_not_applicable_is_counted_not_reported(tmp_path: Path) -> None:
    generic = component("blob", ecosystem="generic")
    rules = "  - id: adv\n    check: fake-advisories\n"
    facts = evidence({LITELLM.key: {FactKind.ADVISORIES: advisories()}})
    verdict = evaluate(sbom(LITELLM, generic), facts, _policy(tmp_path, rules), NOW, checks=CHECKS)
    assert _outcomes(verdict) == [("adv", "litellm", "pass")]
    assert verdict.summary.not_applicable == 1


def test_document_level_check(tmp_path: Path) -> None:
    rules = "  - id: doc\n    check: fake-doc\n    severity: warn\n"
    verdict = evaluate(
        sbom(LITELLM, timestamp=None), evidence({}), _policy(tmp_path, rules), NOW, checks=CHECKS
    )
    assert _outcomes(verdict) == [("doc", None, "warn")]
    assert verdict.results[0].component is None


def test_a_crashing_check_is_an_error_not_a_crash(tmp_path: Path) -> None:
    rules = "  - id: boom\n    check: exploding\n" + STATUS
    facts = evidence({LITELLM.key: {FactKind.PACKAGE: package(None)}})
    verdict = evaluate(sbom(LITELLM), facts, _policy(tmp_path, rules), NOW, checks=CHECKS)
    assert _outcomes(verdict) == [("boom", "litellm", "error"), ("status", "litellm", "pass")]
    assert "RuntimeError: boom" in verdict.results[0].message
    assert verdict.outcome == "incomplete"


def test_unavailable_check_is_an_error(tmp_path: Path) -> None:
    policy = _policy(tmp_path, STATUS)
    verdict = evaluate(sbom(LITELLM), evidence({}), policy, NOW, checks=(fakes.FakeDoc,))
    assert _outcomes(verdict) == [("status", None, "error")]


WAIVED = """\
waivers:
  - rule: adv
    component: pkg:pypi/litellm
    versions: "<1.83"
    advisory: PYSEC-2026-2
    reason: vendor patched
    owner: team-x
    ticket: SEC-1
    approved_by: alice
    expires: 2026-04-01
  - rule: adv
    component: pkg:pypi/requests
    reason: old
    expires: 2026-01-01
  - rule: adv
    component: pkg:pypi/flask
    reason: never matches
    expires: 2027-01-01
"""


def test_waivers_applied_expired_unused_expiring(tmp_path: Path) -> None:
    rules = "  - id: adv\n    check: fake-advisories\n"
    policy = load(tmp_path, "rules:\n" + rules + WAIVED)
    facts = evidence(
        {
            LITELLM.key: {FactKind.ADVISORIES: advisories("MAL-2026-2144", "PYSEC-2026-2")},
            REQUESTS.key: {FactKind.ADVISORIES: advisories("GHSA-1")},
        }
    )
    verdict = evaluate(sbom(LITELLM, REQUESTS), facts, policy, NOW, checks=CHECKS)
    by_subject = {r.subject: r for r in verdict.results}
    assert by_subject["PYSEC-2026-2"].outcome == "waived"
    waiver = by_subject["PYSEC-2026-2"].waiver
    assert waiver is not None and waiver.ticket == "SEC-1" and waiver.approved_by == "alice"
    assert by_subject["MAL-2026-2144"].outcome == "fail"
    assert by_subject["GHSA-1"].outcome == "fail"  # its waiver expired
    report = verdict.waivers
    assert [w.waiver.component for w in report.applied] == ["pkg:pypi/litellm"]
    assert report.applied[0].matched == 1
    assert report.applied[0].days_left == 8 and report.applied[0].expiring
    assert [w.waiver.component for w in report.expired] == ["pkg:pypi/requests"]
    assert [w.waiver.component for w in report.unused] == ["pkg:pypi/flask"]
    assert not report.unused[0].expiring
    assert verdict.summary.waived == 1


def test_waiver_version_range_excludes(tmp_path: Path) -> None:
    rules = "  - id: adv\n    check: fake-advisories\n"
    policy = load(tmp_path, "rules:\n" + rules + WAIVED)
    newer = component("litellm", "1.83.0")
    facts = evidence({newer.key: {FactKind.ADVISORIES: advisories("PYSEC-2026-2")}})
    verdict = evaluate(sbom(newer), facts, policy, NOW, checks=CHECKS)
    assert verdict.results[0].outcome == "fail"
    assert verdict.outcome == "fail"


def test_waiver_still_applies_on_its_last_day(tmp_path: Path) -> None:
    rules = "  - id: adv\n    check: fake-advisories\n"
    policy = load(tmp_path, "rules:\n" + rules + WAIVED)
    facts = evidence({LITELLM.key: {FactKind.ADVISORIES: advisories("PYSEC-2026-2")}})
    last_day = datetime.datetime(2026, 4, 1, 23, 59, tzinfo=datetime.UTC)
    verdict = evaluate(sbom(LITELLM), facts, policy, last_day, checks=CHECKS)
    assert verdict.results[0].outcome == "waived" and verdict.outcome == "pass"
    later = last_day + datetime.timedelta(minutes=1)
    after = evaluate(sbom(LITELLM), facts, policy, later, checks=CHECKS)
    assert after.waivers.expired[0].waiver.component == "pkg:pypi/litellm"


def test_waiver_does_not_touch_unknown(tmp_path: Path) -> None:
    body = (
        "rules:\n"
        + STATUS
        + (
            "waivers:\n  - {rule: status, component: pkg:pypi/litellm, reason: r,"
            " expires: 2027-01-01}\n"
        )
    )
    verdict = evaluate(sbom(LITELLM), evidence({}), load(tmp_path, body), NOW, checks=CHECKS)
    assert verdict.results[0].outcome == "unknown"
    assert verdict.waivers.unused


def test_required_facts(tmp_path: Path) -> None:
    rules = (
        STATUS
        + "    selector: {ecosystems: [npm]}\n"
        + "  - id: adv\n    check: fake-advisories\n"
        + "  - id: e\n    check: expr\n    params: {expr: 'facts.releases.listed == false'}\n"
    )
    policy = _policy(tmp_path, rules)
    needed = required_facts(policy, sbom(LITELLM), checks=CHECKS)
    assert needed == {FactKind.ADVISORIES, FactKind.RELEASES}
    npm = component("left-pad", ecosystem="npm")
    assert FactKind.PACKAGE in required_facts(policy, sbom(npm), checks=CHECKS)


def test_subject_of_several_inputs(tmp_path: Path) -> None:
    one, two = sbom(LITELLM), sbom(REQUESTS)
    two = type(two)(**{**{f: getattr(two, f) for f in two.__slots__}, "digest": "sha256:2"})
    policy = _policy(tmp_path, STATUS)
    verdict = evaluate([one, two], evidence({}), policy, NOW, checks=CHECKS)
    assert len(verdict.results) == 2
    assert verdict.subject.digest.startswith("sha256:") and verdict.subject.digest != one.digest
    swapped = evaluate([two, one], evidence({}), policy, NOW, checks=CHECKS)
    assert swapped.subject.digest == verdict.subject.digest


def test_naive_now_is_utc(tmp_path: Path) -> None:
    verdict = evaluate(
        sbom(LITELLM), evidence({}), _policy(tmp_path, STATUS), NOW.replace(tzinfo=None)
    )
    assert verdict.evaluated_at == NOW


def test_coverage_lists_unidentified_sorted(tmp_path: Path) -> None:
    from policyengine.model import Component

    odd = [Component(ref="z", name="z"), Component(ref="a", name="a")]
    verdict = evaluate(sbom(LITELLM, *odd), evidence({}), _policy(tmp_path, STATUS), NOW)
    assert verdict.coverage.total == 3 and verdict.coverage.identified == 1
    assert [u.ref for u in verdict.coverage.unidentified] == ["a", "z"]


def test_diff_keeps_added_and_changed_only(tmp_path: Path) -> None:
    old = component("requests", "2.31.0")
    rehashed = component("six", "1.0.0", hashes=(Hash("sha256", "bb"),))
    same = component("six", "1.0.0", hashes=(Hash("sha256", "aa"),))
    unchanged = component("idna", "3.7")
    base = sbom(old, same, unchanged)
    head = sbom(REQUESTS, rehashed, unchanged, LITELLM)
    assert changed_components(base, head) == {REQUESTS.key, rehashed.key, LITELLM.key}
    facts = evidence({c.key: {FactKind.PACKAGE: package("archived")} for c in head.components})
    verdict = evaluate_diff(base, head, facts, _policy(tmp_path, STATUS), NOW, checks=CHECKS)
    assert sorted(r.component.name for r in verdict.results if r.component) == [
        "litellm",
        "requests",
        "six",
    ]
    assert verdict.summary.results == 3 and verdict.outcome == "fail"


def test_a_pass_without_any_needed_evidence_is_unknown(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "  - id: lie\n    check: lying\n")
    facts = evidence(
        {
            LITELLM.key: {FactKind.PACKAGE: MISSING, FactKind.RELEASES: Failed("HTTP 500")},
            REQUESTS.key: {FactKind.PACKAGE: package(None)},
        }
    )
    verdict = evaluate(sbom(LITELLM, REQUESTS), facts, policy, NOW, checks=CHECKS)
    assert _outcomes(verdict) == [("lie", "litellm", "unknown"), ("lie", "requests", "pass")]
    assert "package: offline; releases: HTTP 500" in verdict.results[0].message


def test_expr_may_pass_on_purpose_when_guarded(tmp_path: Path) -> None:
    rules = "  - id: e\n    check: expr\n    params: {expr: 'has_fact(\"releases\") && true'}\n"
    verdict = evaluate(sbom(LITELLM), evidence({}), _policy(tmp_path, rules), NOW, checks=CHECKS)
    assert verdict.results[0].outcome == "pass"


def test_a_rule_note_is_reported_once_without_a_component(tmp_path: Path) -> None:
    # approved-publishers with "*" (as release-gate ships it): not configured, said once.
    rules = (
        "  - id: approved-publishers\n    check: approved-publishers\n"
        "    params: {ecosystems: {pypi: ['*'], npm: ['*']}}\n    severity: fail\n"
    )
    body = "settings: {on_missing_evidence: fail}\nrules:\n" + rules
    policy = load_policy(write(tmp_path, "policy.yaml", body), checks=registry.CHECKS)
    docs = (sbom(LITELLM, REQUESTS), sbom(LITELLM))
    verdict = evaluate(docs, evidence({}), policy, NOW)
    assert _outcomes(verdict) == [("approved-publishers", None, "info")]
    assert verdict.outcome == "pass"
    assert verdict.summary.info == 1 and verdict.summary.not_applicable == 3
    assert "not configured" in verdict.results[0].message
