"""PE-ART-004 suspicious-code: obfuscated execution and credential hunting in source files."""

from __future__ import annotations

from typing import ClassVar, Literal, get_args

from pydantic import Field

from policyengine.checks.base import CheckParams
from policyengine.checks.contents_common import (
    ContentsCheck,
    failures_or_pass,
    mark_failure,
    matches,
    where,
)
from policyengine.model import (
    ArtifactContents,
    ArtifactReport,
    Component,
    ContentMark,
    Finding,
    Source,
)

MarkKind = Literal["decode-exec", "dynamic-import", "encoded-blob", "credential-path"]
ALL_MARK_KINDS: list[MarkKind] = list(get_args(MarkKind))


class SuspiciousCodeParams(CheckParams):
    """Parameters of ``suspicious-code``."""

    kinds: list[MarkKind] = Field(
        default_factory=lambda: list(ALL_MARK_KINDS),
        description="Marker kinds that fail the check.",
    )
    credential_scope: Literal["anywhere", "new-or-startup"] = Field(
        default="new-or-startup",
        description="Where credential and cloud-metadata strings count: anywhere, or only in "
        ".pth files, setup.py and files new since the previous release (SDKs mention them "
        "legitimately).",
    )
    ignore_paths: list[str] = Field(
        default_factory=list,
        description="Glob patterns of member paths (or base names) not judged.",
    )


class SuspiciousCodeCheck(ContentsCheck):
    """Source files must not hide executed payloads or hunt for credentials.

    What it checks:
        Code files in the artifacts (Python, ``.pth``, JavaScript, shell)
        for: ``decode-exec`` (``exec``/``eval``/``compile``/``Function`` of
        base64, hex, zlib, marshal or codecs output, also inside strings),
        ``dynamic-import`` (``__import__('base64')``-style hidden imports),
        ``encoded-blob`` (a base64-alphabet run of 1,000+ characters), and
        ``credential-path`` (``~/.ssh/id_rsa``, ``.aws/credentials``,
        ``.kube/config``, ``169.254.169.254``, ``metadata.google.internal``,
        ``/proc/self/environ`` ...). Each finding names the file and line.

    Why:
        LiteLLM 1.82.7 carried its payload in ``litellm/proxy/proxy_server.py``
        (PYSEC-2026-2 links line 130), run when a module of the package is
        imported; 1.82.8 added a startup ``.pth`` file. Per the advisory, the
        malware collected private SSH keys, Git and Docker credentials,
        Kubernetes service-account tokens and cloud tokens from metadata
        servers. Code that hides what it executes, or that goes looking for
        those files and endpoints, is rare in honest libraries.

    Parameters:
        ``kinds``: marker kinds that fail (default all four).
        ``credential_scope``: ``new-or-startup`` (default) counts credential
        strings only in ``.pth`` files, ``setup.py`` and files new since the
        previous release; ``anywhere`` counts them in every file.
        ``ignore_paths``: globs of paths not judged (e.g. ``*/tests/*``).

    Example:
        ```yaml
        - id: no-obfuscated-code
          check: suspicious-code
          params: {kinds: [decode-exec, dynamic-import], ignore_paths: ["*/tests/*"]}
          severity: fail
        ```

    How to fix:
        Open the file at the line given and read what it decodes or reads.
        If it is malicious, do not install the version and report it; if it
        is reviewed and benign, ignore the path or waive the finding.

    """

    id: ClassVar[str] = "PE-ART-004"
    slug: ClassVar[str] = "suspicious-code"
    title: ClassVar[str] = "No obfuscated execution or credential hunting in the code"
    params_model: ClassVar[type[CheckParams]] = SuspiciousCodeParams

    def judge(
        self,
        component: Component,
        contents: ArtifactContents,
        source: Source,
        params: CheckParams,
    ) -> list[Finding]:
        """Fail once per marker of a failing kind, with file and line; else pass."""
        assert isinstance(params, SuspiciousCodeParams)
        findings: list[Finding] = []
        for report in contents.artifacts:
            for mark in report.suspicious:
                if not _counts(mark, report, params):
                    continue
                at = where(mark.path, mark.line)
                findings.append(
                    mark_failure(
                        report,
                        mark,
                        message=f"{mark.kind} at {at} in {report.filename}: {mark.detail}",
                        expected=f"none of: {', '.join(params.kinds)}",
                        source=source,
                        remediation="Read the file at that line; do not install the version "
                        "if it is a payload, or ignore the path once reviewed.",
                        new_file=mark.new_file,
                    )
                )
        marks = sum(len(r.suspicious) for r in contents.artifacts)
        message = f"no suspicious code of a failing kind ({marks} marker(s) not counted)"
        return failures_or_pass(findings, contents, source, message, markers=marks)


def _counts(mark: ContentMark, report: ArtifactReport, params: SuspiciousCodeParams) -> bool:
    if mark.kind not in params.kinds or matches(mark.path, params.ignore_paths):
        return False
    if mark.kind != "credential-path" or params.credential_scope == "anywhere":
        return True
    startup = mark.path.endswith(".pth") or mark.path.rsplit("/", 1)[-1] == "setup.py"
    return startup or mark.new_file
