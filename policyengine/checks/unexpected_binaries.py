"""PE-ART-003 unexpected-binaries: native code where none belongs."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from policyengine.checks.base import CheckParams
from policyengine.checks.contents_common import ContentsCheck, failures_or_pass, matches
from policyengine.model import ArtifactContents, Component, Finding, Source, Status


class UnexpectedBinariesParams(CheckParams):
    """Parameters of ``unexpected-binaries``."""

    allow_extension_modules: bool = Field(
        default=True,
        description="Accept shared libraries (.so, .pyd, .dylib, .dll) inside "
        "platform-specific wheels.",
    )
    allow_paths: list[str] = Field(
        default_factory=list,
        description="Glob patterns of member paths (or base names) where binaries are accepted.",
    )


class UnexpectedBinariesCheck(ContentsCheck):
    """Native executables and libraries only where compiled code is expected.

    What it checks:
        Every member of the version's artifacts is recognised by its magic
        number (ELF, PE, Mach-O and fat Mach-O), whatever its name. A binary
        fails unless it is a shared library with a library suffix inside a
        platform-specific wheel (an extension module) or its path is allowed.
        Binaries in pure-Python wheels, sdists, npm tarballs, or installed as
        scripts fail.

    Why:
        A prebuilt executable in a package that has no reason to ship one is
        how droppers travel; it cannot be reviewed like source and runs
        outside the interpreter's view.

    Parameters:
        ``allow_extension_modules`` (default true): accept libraries in
        platform wheels. ``allow_paths``: globs of accepted paths, e.g.
        ``package/bin/*`` for an npm package that ships platform binaries.

    Example:
        ```yaml
        - id: no-stray-binaries
          check: unexpected-binaries
          params: {allow_paths: ["package/vendor/*.node"]}
          severity: fail
        ```

    How to fix:
        Find out why the binary is there (release notes, build scripts). If it
        is legitimate, allow its path for that component; otherwise do not
        install the version and report it.

    """

    id: ClassVar[str] = "PE-ART-003"
    slug: ClassVar[str] = "unexpected-binaries"
    title: ClassVar[str] = "No native binaries outside extension modules of platform wheels"
    params_model: ClassVar[type[CheckParams]] = UnexpectedBinariesParams

    def judge(
        self,
        component: Component,
        contents: ArtifactContents,
        source: Source,
        params: CheckParams,
    ) -> list[Finding]:
        """Fail once per unexpected binary; pass when there is none."""
        assert isinstance(params, UnexpectedBinariesParams)
        findings: list[Finding] = []
        for report in contents.artifacts:
            for binary in report.binaries:
                if binary.expected and params.allow_extension_modules:
                    continue
                if matches(binary.path, params.allow_paths):
                    continue
                findings.append(
                    Finding(
                        status=Status.FAIL,
                        message=f"{binary.format} binary {binary.path} in {report.filename} "
                        f"({report.kind})",
                        observed={
                            "artifact": report.filename,
                            "file": binary.path,
                            "format": binary.format,
                            "size": binary.size,
                            "new_file": binary.new_file,
                        },
                        expected="native code only as extension modules of platform wheels",
                        sources=(source,),
                        remediation="Find out why the binary ships; allow its path once "
                        "reviewed, or do not install this version.",
                        subject=binary.path,
                    )
                )
        count = sum(len(r.binaries) for r in contents.artifacts)
        message = f"no unexpected native binary ({count} binary file(s) accepted)"
        return failures_or_pass(findings, contents, source, message, binaries=count)
