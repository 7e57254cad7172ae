"""JUnit XML: one test suite per rule, one test case per listed result.

fail -> ``<failure>``; error -> ``<error>``; unknown (evidence missing) and
waived -> ``<skipped>`` with the reason; pass, warn and info pass, warn and info
with their message in ``<system-out>`` so CI dashboards still show them.

Passes a verdict counts per rule (schema version "2") are one passing test case per rule,
named ``passed``, whose ``<system-out>`` gives the count: CI dashboards count test cases,
and a rule that held for every component still shows as a passing test, under a name that
stays the same from run to run (a count in the name would make every run's test new).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import BinaryIO

from policyengine.model.verdict import ResultBlock, RulePasses, RuleResult, Verdict, passes_of
from policyengine.report.attention import component_name
from policyengine.report.spool import SpooledWriter


def render_junit(verdict: Verdict) -> str:
    """The verdict as a JUnit XML document (UTF-8 declaration, trailing newline)."""
    out = io.BytesIO()
    # One suite per rule even when a hand-built verdict does not keep a rule's results
    # together (the engine always does): by rule, in order of first appearance.
    by_rule: dict[str, list[RuleResult]] = {}
    for result in verdict.results:
        by_rule.setdefault(result.rule, []).append(result)
    with JunitSpool() as spool:
        spool.add(ResultBlock((), verdict.passes))
        for results in by_rule.values():
            spool.add(results)
        spool.write(verdict, out)
    return out.getvalue().decode()


def junit_tree(verdict: Verdict) -> ET.Element:
    """The whole document as one ElementTree, indented (the reference for :class:`JunitSpool`)."""
    suites = ET.Element("testsuites", name=f"policyengine: {verdict.policy.name}")
    by_rule: dict[str, list[RuleResult]] = {}
    for result in verdict.results:
        by_rule.setdefault(result.rule, []).append(result)
    pending: dict[str, list[RulePasses]] = {}
    for found in verdict.passes:
        pending.setdefault(found.rule, []).append(found)
    order: list[tuple[str, Sequence[RuleResult], list[RulePasses]]] = []
    for rule_id, listed in by_rule.items():
        for rule in sorted(r for r in pending if r < rule_id):
            order.append((rule, (), pending.pop(rule)))
        order.append((rule_id, listed, pending.pop(rule_id, [])))
    order += [(rule, (), pending[rule]) for rule in sorted(pending)]
    totals = dict.fromkeys(_TOTALS, 0)
    for rule_id, results, passes in order:
        suite = _suite(rule_id, results, passes)
        suites.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    _finish_root(suites, totals, verdict)
    ET.indent(suites)
    return suites


_TOTALS = ("tests", "failures", "errors", "skipped")
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _finish_root(root: ET.Element, totals: dict[str, int], verdict: Verdict) -> None:
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("timestamp", verdict.evaluated_at.isoformat().replace("+00:00", "Z"))


class JunitSpool(SpooledWriter):
    """The JUnit XML of results that arrive rule by rule (see :mod:`.spool`).

    One test suite per rule, written indented as it would sit in the whole tree
    (:func:`junit_tree`) and let go; the root's totals are written once every suite is
    in. The bytes of the whole tree serialised (tests/report/test_streamed.py). A rule's
    counted passes may arrive in any block up to the one with its last result, and no
    later than the first block with a result of a later rule.
    """

    def __init__(self) -> None:
        super().__init__()
        self._totals = dict.fromkeys(_TOTALS, 0)
        self._open: tuple[str, list[RuleResult]] | None = None
        self._pending: dict[str, list[RulePasses]] = {}

    def add(self, block: Sequence[RuleResult]) -> None:
        """Take the next results, in verdict order (a rule's results may span blocks)."""
        for found in passes_of(block):
            self._pending.setdefault(found.rule, []).append(found)
        for result in block:
            if self._open is not None and self._open[0] != result.rule:
                self._flush()
            if self._open is None:
                # Rules that only passed and come before this one get their suites first.
                for rule in sorted(r for r in self._pending if r < result.rule):
                    self._write_suite(_suite(rule, (), self._pending.pop(rule)))
                self._open = (result.rule, [])
            self._open[1].append(result)

    def _flush(self) -> None:
        if self._open is None:
            return
        rule, results = self._open
        self._open = None
        self._write_suite(_suite(rule, results, self._pending.pop(rule, [])))

    def _write_suite(self, suite: ET.Element) -> None:
        for key in self._totals:
            self._totals[key] += int(suite.get(key, "0"))
        ET.indent(suite, level=1)
        self._spool.write(b"\n  " + ET.tostring(suite, "unicode").encode())

    def write(self, verdict: Verdict, handle: BinaryIO) -> None:
        """Write the document: ``verdict``'s name and time, the spooled suites and totals."""
        self._flush()
        for rule in sorted(self._pending):
            self._write_suite(_suite(rule, (), self._pending[rule]))
        self._pending.clear()
        root = ET.Element("testsuites", name=f"policyengine: {verdict.policy.name}")
        _finish_root(root, self._totals, verdict)
        if self._spool.empty:
            text = _DECLARATION + ET.tostring(root, "unicode") + "\n"
            handle.write(text.encode())
            return
        # ElementTree escapes ">" in attribute values, so the first one ends the start tag.
        tag = ET.tostring(root, "unicode", short_empty_elements=False)
        handle.write((_DECLARATION + tag[: tag.index(">") + 1]).encode())
        self._spool.copy_to(handle)
        handle.write(b"\n</testsuites>\n")


def _suite(
    rule_id: str, results: Sequence[RuleResult], passes: Sequence[RulePasses] = ()
) -> ET.Element:
    suite = ET.Element("testsuite", name=rule_id)
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
    for found in passes:
        case = ET.SubElement(suite, "testcase", classname=f"{rule_id}.{found.check}", name="passed")
        out = ET.SubElement(case, "system-out")
        out.text = _passed_text(found)
    suite.set("tests", str(len(results) + len(passes)))
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def _passed_text(passes: RulePasses) -> str:
    counted = [f"{len(passes.components)} components"] if passes.components else []
    if passes.document:
        counted.append(f"{passes.document} about the document")
    return (
        f"pass: {passes.passed} results passed ({', '.join(counted)}); the JSON verdict's "
        "passes name the components"
    )


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
