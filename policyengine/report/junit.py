"""JUnit XML: one test suite per rule, one test case per result.

fail -> ``<failure>``; error -> ``<error>``; unknown (evidence missing) and
waived -> ``<skipped>`` with the reason; pass, warn and info pass, warn and info
with their message in ``<system-out>`` so CI dashboards still show them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from policyengine.model.verdict import RuleResult, Verdict
from policyengine.report.attention import component_name


def render_junit(verdict: Verdict) -> str:
    """The verdict as a JUnit XML document (UTF-8 declaration, trailing newline)."""
    suites = ET.Element("testsuites", name=f"policyengine: {verdict.policy.name}")
    by_rule: dict[str, list[RuleResult]] = {}
    for result in verdict.results:
        by_rule.setdefault(result.rule, []).append(result)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for rule_id, results in by_rule.items():
        suite = _suite(suites, rule_id, results)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("timestamp", verdict.evaluated_at.isoformat().replace("+00:00", "Z"))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def _suite(parent: ET.Element, rule_id: str, results: Sequence[RuleResult]) -> ET.Element:
    suite = ET.SubElement(parent, "testsuite", name=rule_id)
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    for result in results:
        case = ET.SubElement(
            suite, "testcase", classname=f"{rule_id}.{result.check}", name=_case_name(result)
        )
        text = _details(result)
        if result.outcome == "fail":
            counts["failures"] += 1
            failure = ET.SubElement(case, "failure", message=result.message, type="fail")
            failure.text = text
        elif result.outcome == "error":
            counts["errors"] += 1
            error = ET.SubElement(case, "error", message=result.message, type="error")
            error.text = text
        elif result.outcome in {"unknown", "waived"}:
            counts["skipped"] += 1
            reason = result.message
            if result.waiver is not None:
                reason = f"waived: {result.waiver.reason}"
            ET.SubElement(case, "skipped", message=reason)
        if result.outcome in {"warn", "info", "pass"}:
            out = ET.SubElement(case, "system-out")
            out.text = f"{result.outcome}: {result.message}"
    suite.set("tests", str(len(results)))
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def _case_name(result: RuleResult) -> str:
    name = component_name(result)
    return f"{name} [{result.subject}]" if result.subject else name


def _details(result: RuleResult) -> str:
    lines = [result.message]
    if result.observed is not None:
        lines.append(f"observed: {result.observed}")
    if result.expected is not None:
        lines.append(f"expected: {result.expected}")
    if result.remediation:
        lines.append(f"remediation: {result.remediation}")
    return "\n".join(lines)
