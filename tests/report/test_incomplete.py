from __future__ import annotations

from policyengine.model.verdict import ComponentRef, RuleResult
from policyengine.report.incomplete import Lacking


def _unknown(rule: str, name: str) -> RuleResult:
    ref = ComponentRef(f"{name}@1", f"pkg:pypi/{name}@1", name, "1")
    return RuleResult(rule, "c", "fail", "unknown", ref, "facts missing")


def test_only_results_of_fail_closed_rules_are_named() -> None:
    # publisher-change's unknowns are reported in the verdict but do not hold it: the exit-4
    # line must name what does (issue 12: "26 of 26 components lack evidence" misled)
    lacking = Lacking(blocking={"risk-warn"})
    for name in ("a", "b", "c"):
        lacking.add(_unknown("publisher-change", name))
    lacking.add(_unknown("risk-warn", "b"))
    line = lacking.line(3)
    assert line.startswith("evidence incomplete: 1 of 3 components lack evidence (1 unknown")
    assert "pkg:pypi/b@1" in line and "pkg:pypi/a@1" not in line


def test_without_a_policy_every_unknown_counts() -> None:
    lacking = Lacking()
    lacking.add(_unknown("publisher-change", "a"))
    lacking.add(_unknown("risk-warn", "b"))
    assert "2 of 2 components" in lacking.line(2)
