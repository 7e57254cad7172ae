"""JUnit XML: one test suite per rule, one test case per result.

fail -> ``<failure>``; error -> ``<error>``; unknown (evidence missing) and
waived -> ``<skipped>`` with the reason; pass, warn and info pass, warn and info
with their message in ``<system-out>`` so CI dashboards still show them.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import BinaryIO

from policyengine.model.verdict import RuleResult, Verdict
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
    totals = dict.fromkeys(_TOTALS, 0)
    for rule_id, results in by_rule.items():
        suite = _suite(rule_id, results)
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
    in. The bytes of the whole tree serialised (tests/report/test_streamed.py).
    """

    def __init__(self) -> None:
        super().__init__()
        self._totals = dict.fromkeys(_TOTALS, 0)
        self._open: tuple[str, list[RuleResult]] | None = None

    def add(self, block: Sequence[RuleResult]) -> None:
        """Take the next results, in verdict order (a rule's results may span blocks)."""
        for result in block:
            if self._open is not None and self._open[0] != result.rule:
                self._flush()
            if self._open is None:
                self._open = (result.rule, [])
            self._open[1].append(result)

    def _flush(self) -> None:
        if self._open is None:
            return
        suite = _suite(*self._open)
        self._open = None
        for key in self._totals:
            self._totals[key] += int(suite.get(key, "0"))
        ET.indent(suite, level=1)
        self._spool.write(b"\n  " + ET.tostring(suite, "unicode").encode())

    def write(self, verdict: Verdict, handle: BinaryIO) -> None:
        """Write the document: ``verdict``'s name and time, the spooled suites and totals."""
        self._flush()
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


def _suite(rule_id: str, results: Sequence[RuleResult]) -> ET.Element:
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
