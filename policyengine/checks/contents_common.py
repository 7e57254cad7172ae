"""Shared by the artifact-contents checks: reading the CONTENTS fact and matching paths."""

from __future__ import annotations

import fnmatch
from abc import abstractmethod
from collections.abc import Iterable
from typing import ClassVar

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.model import (
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
        return self.judge(contents, source, params)

    @abstractmethod
    def judge(
        self, contents: ArtifactContents, source: Source, params: CheckParams
    ) -> list[Finding]:
        """The findings on the inspected contents (at least one)."""
