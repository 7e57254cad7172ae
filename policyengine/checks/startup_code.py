"""PE-ART-001 startup-code: ``.pth`` files that run code at every interpreter start."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from policyengine.checks.base import CheckParams
from policyengine.checks.contents_common import ContentsCheck, failures_or_pass, matches
from policyengine.model import ArtifactContents, Finding, Source, Status


class StartupCodeParams(CheckParams):
    """Parameters of ``startup-code``."""

    allow: list[str] = Field(
        default_factory=list,
        description="Glob patterns of .pth file names allowed to run code "
        "(e.g. distutils-precedence.pth for setuptools).",
    )
    site_root_only: bool = Field(
        default=True,
        description="Only judge .pth files that installation puts in site-packages itself; "
        "false also fails executable .pth files anywhere in wheels and sdists.",
    )


class StartupCodeCheck(ContentsCheck):
    """An installed ``.pth`` file must not execute code.

    What it checks:
        Every ``.pth`` file in the version's wheels (and, with
        ``site_root_only: false``, anywhere in its artifacts) is read the way
        CPython's ``site.addpackage`` reads it: a line starting with
        ``import`` followed by a space or tab is executed at every interpreter
        start. The check fails for each such file, naming the file and line.

    Why:
        LiteLLM 1.82.8 (PyPI, 2026-03-24, uploaded with a stolen API token)
        shipped ``litellm_init.pth``; PYSEC-2026-2 points its evidence at line
        1 of that file. A ``.pth`` line starting with ``import`` runs whenever
        any Python process starts in the environment, whether or not the
        package is ever imported, and the malware harvested credentials and
        sent them to a remote API. Metadata checks do not look inside the
        artifact.

    Parameters:
        ``allow``: glob patterns of ``.pth`` names allowed to run code.
        ``site_root_only`` (default true): judge only ``.pth`` files installed
        directly into site-packages.

    Example:
        ```yaml
        - id: no-startup-code
          check: startup-code
          params: {allow: ["distutils-precedence.pth"]}
          severity: fail
        ```

    How to fix:
        Do not install this version; pin the previous release and report the
        file to the project and the registry. If the hook is legitimate and
        reviewed, add its file name to ``allow`` or waive the finding for that
        component and file.
    """

    id: ClassVar[str] = "PE-ART-001"
    slug: ClassVar[str] = "startup-code"
    title: ClassVar[str] = "No .pth file that runs code at interpreter start"
    params_model: ClassVar[type[CheckParams]] = StartupCodeParams

    def judge(
        self, contents: ArtifactContents, source: Source, params: CheckParams
    ) -> list[Finding]:
        """Fail once per executable ``.pth`` file; pass when there is none."""
        assert isinstance(params, StartupCodeParams)
        findings: list[Finding] = []
        for report in contents.artifacts:
            for pth in report.pth_files:
                if not pth.executes_code or matches(pth.path, params.allow):
                    continue
                if params.site_root_only and not pth.site_root:
                    continue
                line = pth.executable_lines[0]
                findings.append(
                    Finding(
                        status=Status.FAIL,
                        message=f"{pth.path} in {report.filename} runs code at every "
                        f"interpreter start (line {line}: {pth.excerpt})",
                        observed={
                            "artifact": report.filename,
                            "file": pth.path,
                            "lines": list(pth.executable_lines),
                            "excerpt": pth.excerpt,
                            "new_file": pth.new_file,
                        },
                        expected="no executable line in installed .pth files",
                        sources=(source,),
                        remediation="Do not install this version; pin the previous release "
                        "and report the file. Allow it only after review.",
                        subject=pth.path,
                    )
                )
        count = sum(len(r.pth_files) for r in contents.artifacts)
        message = f"no .pth file runs code ({count} .pth file(s) seen)"
        return failures_or_pass(findings, contents, source, message, pth_files=count)
