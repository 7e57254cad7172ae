"""PE-ART-005 new-files: what appeared in the artifacts since the previous release."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from policyengine.checks.base import CheckParams
from policyengine.checks.contents_common import ContentsCheck, failures_or_pass, matches
from policyengine.model import ArtifactContents, Component, Finding, JsonValue, Source, Status

LISTED = 50
"""How many new file names a finding lists before cutting the list short."""


class NewFilesParams(CheckParams):
    """Parameters of ``new-files``."""

    fail_patterns: list[str] = Field(
        default_factory=lambda: ["*.pth"],
        description="Glob patterns (path or base name) of new files that fail.",
    )
    fail_on_binaries: bool = Field(
        default=True,
        description="Fail on a new native binary that is not an extension module of a "
        "platform wheel.",
    )
    max_new: int | None = Field(
        default=None,
        ge=0,
        description="Fail when more files than this appeared (none: no limit).",
    )


class NewFilesCheck(ContentsCheck):
    """Files that appeared since the previous release must not be startup code or binaries.

    What it checks:
        The normalised file list of each artifact (versions and top
        directories removed) against the same kind of artifact of the
        previous release. Fails for each new file matching ``fail_patterns``
        (``*.pth`` by default), for each new unexpected native binary, and
        when more than ``max_new`` files appeared. ``not_applicable`` for a
        first release; ``unknown`` when the previous release could not be
        inspected.

    Why:
        A hijacked release is often the previous one plus a payload: LiteLLM
        1.82.8 (PYSEC-2026-2) shipped ``litellm_init.pth``, a startup file that
        was not part of the project's earlier releases. A diff against the
        previous release turns that into a one-line finding.

    Parameters:
        ``fail_patterns``: globs of new files that fail (default
        ``["*.pth"]``). ``fail_on_binaries`` (default true). ``max_new``:
        the largest accepted number of new files (default: no limit).

    Example:
        ```yaml
        - id: no-new-startup-files
          check: new-files
          params: {fail_patterns: ["*.pth", "*.node", "*/postinstall*"], max_new: 200}
          severity: fail
        ```

    How to fix:
        Compare the release with the previous one and read the new files.
        If they are legitimate, waive the finding for the file or widen the
        patterns; otherwise pin the previous release.

    """

    id: ClassVar[str] = "PE-ART-005"
    slug: ClassVar[str] = "new-files"
    title: ClassVar[str] = "No startup code or binaries among files new since the last release"
    params_model: ClassVar[type[CheckParams]] = NewFilesParams

    def judge(
        self,
        component: Component,
        contents: ArtifactContents,
        source: Source,
        params: CheckParams,
    ) -> list[Finding]:
        """Fail per offending new file and on too many new files; else pass."""
        assert isinstance(params, NewFilesParams)
        if contents.previous_error is not None:
            return [
                Finding(
                    status=Status.UNKNOWN,
                    message="could not compare with the previous release "
                    f"{contents.previous_version}: {contents.previous_error}",
                    observed={"previous_version": contents.previous_version},
                    sources=(source,),
                    remediation="Re-run enrichment; the previous release's files must be "
                    "downloadable for the comparison.",
                )
            ]
        if contents.previous_version is None:
            return [
                Finding(
                    status=Status.NOT_APPLICABLE,
                    message="no previous release to compare with",
                    sources=(source,),
                )
            ]
        previous = contents.previous_version
        findings: list[Finding] = []
        for report in contents.artifacts:
            for name in report.added_files:
                if matches(name, params.fail_patterns):
                    why = "matches a failing pattern"
                    findings.append(_fail(report.filename, name, why, previous, source))
            if params.fail_on_binaries:
                for binary in report.binaries:
                    if binary.new_file and not binary.expected:
                        why = f"is a new {binary.format} binary"
                        findings.append(_fail(report.filename, binary.path, why, previous, source))
        added: list[JsonValue] = list(contents.added_files)
        if params.max_new is not None and len(added) > params.max_new:
            findings.append(
                Finding(
                    status=Status.FAIL,
                    message=f"{len(added)} files appeared since {contents.previous_version}, "
                    f"more than {params.max_new}",
                    observed={"added": len(added), "files": added[:LISTED]},
                    expected={"max_new": params.max_new},
                    sources=(source,),
                    remediation="Compare the release with the previous one before using it.",
                )
            )
        return failures_or_pass(
            findings,
            contents,
            source,
            f"{len(added)} new and {len(contents.removed_files)} removed file(s) "
            f"since {contents.previous_version}, none failing",
            previous_version=contents.previous_version,
            added=added[:LISTED],
            removed=list(contents.removed_files[:LISTED]),
        )


def _fail(artifact: str, path: str, why: str, previous: str, source: Source) -> Finding:
    return Finding(
        status=Status.FAIL,
        message=f"new file {path} in {artifact} {why} (absent from {previous})",
        observed={"artifact": artifact, "file": path, "previous_version": previous},
        expected="no new startup code or native binaries",
        sources=(source,),
        remediation="Read the new file; pin the previous release unless it is legitimate.",
        subject=path,
    )
