"""SARIF 2.1.0 for code-scanning tools: one SARIF rule per policy rule, one result per answer.

Mapping: fail/warn/info results are ``kind: fail`` at level error/warning/note;
waived results keep their level and carry an accepted external suppression with
the waiver's reason; unknown and error results are ``kind: open`` (the tool could
not decide); passes are ``kind: pass``. SARIF requires ``level: none`` for every
kind other than ``fail``. Passes a verdict counts per rule (schema version "2") are not
results: each rule's count is its ``properties.passed``, and a rule that only passed is
still listed among the tool's rules.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from typing import Any, BinaryIO
from urllib.parse import quote

import orjson

from policyengine.model.verdict import ResultBlock, RulePasses, RuleResult, Verdict, passes_of
from policyengine.report.spool import SpooledWriter

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/policyengine/policyengine"

_LEVEL = {"fail": "error", "warn": "warning", "info": "note"}
_KIND = {"pass": "pass", "unknown": "open", "error": "open"}


def sarif_document(verdict: Verdict, tool_version: str) -> dict[str, Any]:
    """The SARIF log as plain JSON values."""
    rules = _Rules()
    rules.count(verdict.passes)
    artifact = verdict.subject.inputs[0] if len(verdict.subject.inputs) == 1 else None
    results = [_result(r, rules.index_of(r), artifact) for r in verdict.results]
    return _log(verdict, tool_version, rules.finish(), results)


class _Rules:
    """The tool's rules in the order their results (or counted passes) arrive.

    A rule that only passed comes before the first result of a rule with a later id (the
    verdict's order), or at the end; each counted rule gets ``properties.passed``.
    """

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self.index: dict[str, int] = {}
        self._pending: dict[str, RulePasses] = {}
        self._passed: dict[str, int] = {}

    def count(self, passes: Sequence[RulePasses]) -> None:
        """Take the passes of some rules (before the results of any later rule)."""
        for found in passes:
            self._passed[found.rule] = self._passed.get(found.rule, 0) + found.passed
            if found.rule not in self.index:
                self._pending.setdefault(found.rule, found)

    def index_of(self, result: RuleResult) -> int:
        """The index of ``result``'s rule, registering it (and earlier passing rules)."""
        found = self.index.get(result.rule)
        if found is None:
            for rule in sorted(r for r in self._pending if r < result.rule):
                self._add(rule, _rule_of_passes(self._pending.pop(rule)))
            self._pending.pop(result.rule, None)
            found = self._add(result.rule, _rule(result))
        return found

    def _add(self, rule: str, entry: dict[str, Any]) -> int:
        self.index[rule] = len(self.entries)
        self.entries[rule] = entry
        return self.index[rule]

    def finish(self) -> list[dict[str, Any]]:
        """Every rule, each counted one with its ``passed``."""
        for rule in sorted(self._pending):
            self._add(rule, _rule_of_passes(self._pending[rule]))
        self._pending.clear()
        for rule, passed in self._passed.items():
            self.entries[rule]["properties"]["passed"] = passed
        return list(self.entries.values())


def _log(
    verdict: Verdict,
    tool_version: str,
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
) -> dict[str, Any]:
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "policyengine",
                "version": tool_version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [{"executionSuccessful": True}],
        "results": results,
        "properties": {
            "outcome": verdict.outcome,
            "policy": verdict.policy.name,
            "policyDigest": verdict.policy.digest,
            "evaluatedAt": verdict.evaluated_at.isoformat().replace("+00:00", "Z"),
            "subjectDigest": verdict.subject.digest,
            "evidenceDigest": verdict.evidence_digest,
        },
    }
    base = verdict.subject.base
    if base is not None:  # a diff: its results are only what the change from base introduced
        run["properties"]["baseDigest"] = base.digest
        run["properties"]["baseInputs"] = list(base.inputs)
    if verdict.subject.inputs:
        run["artifacts"] = [{"location": {"uri": _uri(path)}} for path in verdict.subject.inputs]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(verdict: Verdict, tool_version: str) -> str:
    """SARIF 2.1.0 JSON, indented, trailing newline."""
    out = io.BytesIO()
    with SarifSpool(tool_version, verdict.subject.inputs) as spool:
        spool.add(ResultBlock(verdict.results, verdict.passes))
        spool.write(verdict, out)
    return out.getvalue().decode()


class SarifSpool(SpooledWriter):
    """The SARIF log of results that arrive rule by rule (see :mod:`.spool`).

    The bytes of ``orjson.dumps(sarif_document(verdict), OPT_INDENT_2)`` plus a newline
    (tests/report/test_streamed.py), without the document: at 50,000 components with
    ``release-gate`` it was 4.5 GB of dicts (benchmarks/README.md). ``inputs`` are the
    verdict's ``subject.inputs`` (one input is each result's artifact).
    """

    def __init__(self, tool_version: str, inputs: tuple[str, ...]) -> None:
        super().__init__()
        self._tool_version = tool_version
        self._artifact = inputs[0] if len(inputs) == 1 else None
        self._rules = _Rules()

    def add(self, block: Sequence[RuleResult]) -> None:
        """Write the next results, in the order they appear in the verdict.

        The passes the block carries (:class:`~policyengine.model.verdict.ResultBlock`) are
        counted on their rules.
        """
        self._rules.count(passes_of(block))
        for start in range(0, len(block), 1000):
            entries = []
            for result in block[start : start + 1000]:
                entries.append(_result(result, self._rules.index_of(result), self._artifact))
            text = orjson.dumps(entries, option=orjson.OPT_INDENT_2)
            # Each entry at its depth in the log (runs[0].results[i]: eight spaces).
            items = text[len(b"[\n  ") : -len(b"\n]")].replace(b"\n", b"\n      ")
            self._spool.write((b"" if self._spool.empty else b",\n        ") + items)

    def write(self, verdict: Verdict, handle: BinaryIO) -> None:
        """Write the log: ``verdict``'s fields, with the spooled results for its own."""
        document = _log(verdict, self._tool_version, self._rules.finish(), [])
        self._spool.splice(handle, orjson.dumps(document, option=orjson.OPT_INDENT_2), indent=6)


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/:._-~")


def _rule(result: RuleResult) -> dict[str, Any]:
    return _rule_entry(result.rule, result.check, result.severity)


def _rule_of_passes(passes: RulePasses) -> dict[str, Any]:
    return _rule_entry(passes.rule, passes.check, passes.severity)


def _rule_entry(rule: str, check: str, severity: str) -> dict[str, Any]:
    """A rule of the tool's driver, the same whether it failed somewhere or only passed."""
    return {
        "id": rule,
        "name": check,
        "shortDescription": {"text": f"{rule} ({check})"},
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {"check": check, "severity": severity},
    }


def _result(result: RuleResult, rule_index: int, artifact: str | None) -> dict[str, Any]:
    kind = _KIND.get(result.outcome, "fail")
    level = "none"
    if kind == "fail":
        level = _LEVEL.get(result.outcome, _LEVEL[result.severity])
    entry: dict[str, Any] = {
        "ruleId": result.rule,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": result.message or result.outcome},
    }
    location: dict[str, Any] = {}
    if artifact:
        location["physicalLocation"] = {"artifactLocation": {"uri": _uri(artifact)}}
    component = result.component
    if component is not None:
        name = component.purl or f"{component.name}@{component.version or ''}"
        location["logicalLocations"] = [
            {"name": component.name, "fullyQualifiedName": name, "kind": "module"}
        ]
    if location:
        entry["locations"] = [location]
    fingerprint = "|".join(
        (result.rule, component.purl or component.ref if component else "", result.subject or "")
    )
    entry["partialFingerprints"] = {
        "policyengine/v1": hashlib.sha256(fingerprint.encode()).hexdigest()
    }
    properties: dict[str, Any] = {"outcome": result.outcome, "check": result.check}
    for key in ("observed", "expected", "subject", "remediation"):
        value = getattr(result, key)
        if value is not None:
            properties[key] = value
    entry["properties"] = properties
    if result.waiver is not None:
        waiver = result.waiver
        entry["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": waiver.reason,
                "properties": {
                    k: v
                    for k, v in {
                        "owner": waiver.owner,
                        "ticket": waiver.ticket,
                        "approvedBy": waiver.approved_by,
                        "expires": waiver.expires.isoformat() if waiver.expires else None,
                        "source": waiver.source,
                    }.items()
                    if v is not None
                },
            }
        ]
    return entry
