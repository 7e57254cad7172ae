"""Shared by the artifact-contents checks: reading the CONTENTS fact and matching paths."""

from __future__ import annotations

import fnmatch
from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import replace
from typing import ClassVar

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.model import (
    ArchiveLink,
    ArtifactContents,
    ArtifactReport,
    Component,
    ComponentEvidence,
    ContentMark,
    FactKind,
    Failed,
    Finding,
    JsonValue,
    Missing,
    Ok,
    Source,
    Status,
)


def contents_or_unknown(evidence: ComponentEvidence) -> tuple[ArtifactContents, Source] | Finding:
    """The CONTENTS fact and its source, or an ``unknown`` finding saying why it is absent."""
    fact = evidence.get(FactKind.CONTENTS)
    if isinstance(fact, Ok) and isinstance(fact.value, ArtifactContents):
        return fact.value, fact.source
    if isinstance(fact, Missing):
        reason = fact.reason
    elif isinstance(fact, Failed):
        reason = fact.error
    else:
        reason = f"contents fact has an unexpected value of type {type(fact.value).__name__}"
    return Finding(
        status=Status.UNKNOWN,
        message=f"artifact contents unknown: {reason}",
        observed={"contents": fact.status, "reason": reason},
        remediation="Re-run enrichment with network access to the registry's file URLs, "
        "or raise the artifact size limits if an artifact was too large to inspect.",
    )


def unjudged_links(contents: ArtifactContents) -> list[ArchiveLink]:
    """The links of the inspected artifacts whose target lies outside their archive."""
    return [link for report in contents.artifacts for link in report.links if not link.judged]


def _links(links: list[ArchiveLink]) -> list[JsonValue]:
    return [{"path": link.path, "kind": link.kind, "target": link.target} for link in links]


def _as_dict(observed: JsonValue) -> dict[str, JsonValue]:
    return dict(observed) if isinstance(observed, dict) else {"observed": observed}


def matches(path: str, patterns: Iterable[str]) -> bool:
    """True when the path or its base name matches one of the glob patterns."""
    base = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(base, p) for p in patterns)


def where(path: str, line: int | None) -> str:
    """``path:line`` or ``path``."""
    return f"{path}:{line}" if line is not None else path


def pass_observed(contents: ArtifactContents, **extra: JsonValue) -> dict[str, JsonValue]:
    """The observed block of a pass: which files were inspected and which were not."""
    observed: dict[str, JsonValue] = {
        "artifacts": [report.filename for report in contents.artifacts],
        "not_inspected": list(contents.not_inspected),
    }
    observed.update(extra)
    return observed


def mark_failure(
    report: ArtifactReport,
    mark: ContentMark,
    *,
    message: str,
    expected: str,
    source: Source,
    remediation: str,
    **extra: JsonValue,
) -> Finding:
    """A failing finding for one marker in an artifact, with the marker's evidence observed.

    ``subject`` is the file, so a waiver can name it.
    """
    observed: dict[str, JsonValue] = {
        "artifact": report.filename,
        "kind": mark.kind,
        "file": mark.path,
        "line": mark.line,
        "detail": mark.detail,
        "excerpt": mark.excerpt,
        **extra,
    }
    return Finding(
        status=Status.FAIL,
        message=message,
        observed=observed,
        expected=expected,
        sources=(source,),
        remediation=remediation,
        subject=mark.path,
    )


def failures_or_pass(
    findings: list[Finding],
    contents: ArtifactContents,
    source: Source,
    message: str,
    **extra: JsonValue,
) -> list[Finding]:
    """The failures if there are any, else one pass with ``message`` and ``extra`` observed."""
    if findings:
        return findings
    return [
        Finding(
            status=Status.PASS,
            message=message,
            observed=pass_observed(contents, **extra),
            sources=(source,),
        )
    ]


class ContentsCheck(Check):
    """Base of the checks judging the CONTENTS fact: ``unknown`` without it, else ``judge``."""

    needs: ClassVar[tuple[FactKind, ...]] = (FactKind.CONTENTS,)

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Judge the component's artifact contents, or say why they are unknown."""
        got = contents_or_unknown(evidence)
        if isinstance(got, Finding):
            return [got]
        contents, source = got
        findings = self.judge(component, contents, source, params)
        outside = unjudged_links(contents)
        if not outside:
            return findings
        # What a link outside the archive brings in was never seen: a pass cannot stand,
        # but a failure found in what was seen still does.
        shown = ", ".join(f"{link.path} -> {link.target}" for link in outside[:3])
        more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
        return [
            replace(
                finding,
                status=Status.UNKNOWN,
                message=f"{finding.message}; but {len(outside)} link(s) point outside the "
                f"archive, whose contents cannot be judged: {shown}{more}",
                observed={**_as_dict(finding.observed), "unjudged_links": _links(outside)},
                remediation="Inspect the link targets by hand: an sdist link that leaves the "
                "archive reads a file of the installing machine or another package.",
            )
            if finding.status is Status.PASS
            else finding
            for finding in findings
        ]

    @abstractmethod
    def judge(
        self,
        component: Component,
        contents: ArtifactContents,
        source: Source,
        params: CheckParams,
    ) -> list[Finding]:
        """The findings on the inspected contents (at least one)."""
