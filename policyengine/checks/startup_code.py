"""PE-ART-001 startup-code: ``.pth`` files that run code at every interpreter start."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from policyengine.checks.base import CheckParams
from policyengine.checks.contents_common import ContentsCheck, failures_or_pass, matches
from policyengine.checks.pth_shims import Recognition, recognise
from policyengine.model import (
    ArtifactContents,
    Component,
    Finding,
    JsonValue,
    PthFile,
    Source,
    Status,
)


class StartupCodeParams(CheckParams):
    """Parameters of ``startup-code``."""

    allow: list[str] = Field(
        default_factory=list,
        description="Glob patterns of .pth file names allowed to run code, in any package "
        "and with any content (known shims are recognised without it, by digest).",
    )
    site_root_only: bool = Field(
        default=True,
        description="Only judge .pth files that installation puts in site-packages itself; "
        "false also fails executable .pth files anywhere in wheels and sdists.",
    )


class StartupCodeCheck(ContentsCheck):
    """An installed ``.pth`` file must not execute code, unless it is a known shim.

    What it checks:
        Every ``.pth`` file in the version's wheels (and, with
        ``site_root_only: false``, anywhere in its artifacts) is read the way
        CPython's ``site.addpackage`` reads it: a line starting with
        ``import`` followed by a space or tab is executed at every interpreter
        start. The check fails for each such file, naming the file and line,
        unless the file is a known shim: its package, its name at the wheel's
        root and the SHA-256 of its whole content all match an entry of
        ``policyengine/data/known-pth-shims.toml``. Recognised today:
        setuptools' ``distutils-precedence.pth`` (49.3.0–84.2.1), coverage's
        ``a1_coverage.pth`` (7.13.0–7.18.0), pytest-cov's ``pytest-cov.pth``
        (2.0.0–6.3.0), coloredlogs' ``coloredlogs.pth`` (5.2–15.0.1),
        pywin32's ``pywin32.pth`` (223–312), and the setuptools
        namespace-package loaders ``*-nspkg.pth`` of protobuf (3.0–4.21),
        matplotlib (2.0–3.7) and zope.interface (4.2–7.2). Each digest was computed from
        the wheels on PyPI, whose own sha256 was verified; the data file says
        which releases and wheels each one came from.

        Never recognised: a file by its name alone (a ``litellm_init.pth``
        renamed ``distutils-precedence.pth`` fails, and so does setuptools'
        file with one byte changed, with a message saying its content matches
        none of the known digests); a known content in another package (the
        shims import a module of their own package, which another package
        could ship with other code); files outside the wheel's root; evidence
        recorded without digests. Not in the list because no registry artifact
        carries them: ``_virtualenv.pth`` (written by virtualenv when it
        creates an environment) and ``__editable__.*.pth`` (written by an
        editable install, naming local paths).

        Links in an sdist or npm tarball (``docs/CONTRIBUTING.md ->
        ../CONTRIBUTING.md`` in pyparsing's sdist) are resolved inside the
        archive, never on disk: one that ends at a file is judged as that file
        under the link's name (a link named ``x.pth`` is read as what it points
        to). A link whose target leaves the archive (absolute, climbing out
        with ``..``, a hard link to no member) cannot be judged: this and the
        other contents checks then answer ``unknown`` instead of passing, while
        a failure found in the rest of the artifacts still fails. An entry
        placed under a symbolic link, or a second entry under one name, makes
        the archive refused (the file inspected would not be the file
        installed).

    Why:
        LiteLLM 1.82.8 (PyPI, 2026-03-24, uploaded with a stolen API token)
        shipped ``litellm_init.pth``; PYSEC-2026-2 points its evidence at line
        1 of that file. A ``.pth`` line starting with ``import`` runs whenever
        any Python process starts in the environment, whether or not the
        package is ever imported, and the malware harvested credentials and
        sent them to a remote API. Metadata checks do not look inside the
        artifact. The known shims are each a line of reviewed code that only
        acts when an environment variable asks for it, or only sets up paths
        and namespace modules; failing them made every environment with
        setuptools fail, and a rule that always fails is waived and then
        protects nothing. What a recognised shim imports is still inspected
        by the other content checks (``suspicious-code``, ``new-files``).

    Parameters:
        ``allow``: glob patterns of ``.pth`` names allowed to run code, in any
        package and with any content: use it only for a reviewed in-house
        file; prefer a waiver naming the component and the file.
        ``site_root_only`` (default true): judge only ``.pth`` files installed
        directly into site-packages.

    Example:
        ```yaml
        - id: no-startup-code
          check: startup-code
          params: {site_root_only: true}
          severity: fail
        ```

    How to fix:
        Do not install this version; pin the previous release and report the
        file to the project and the registry. If the hook is legitimate and
        reviewed, waive the finding for that component and file; if it is a
        widely used shim, propose its digests for the known-shim list.
    """

    id: ClassVar[str] = "PE-ART-001"
    slug: ClassVar[str] = "startup-code"
    title: ClassVar[str] = "No .pth file that runs code at interpreter start"
    params_model: ClassVar[type[CheckParams]] = StartupCodeParams

    def judge(
        self,
        component: Component,
        contents: ArtifactContents,
        source: Source,
        params: CheckParams,
    ) -> list[Finding]:
        """Fail once per executable ``.pth`` file that is not a known shim; else pass."""
        assert isinstance(params, StartupCodeParams)
        # The same file in several wheels of one release (one per Python version or
        # platform) is one finding naming every artifact, not one per wheel.
        failing: dict[tuple[str, str | None], tuple[PthFile, Recognition, list[str]]] = {}
        recognised: list[JsonValue] = []
        for report in contents.artifacts:
            for pth in report.pth_files:
                if not pth.executes_code or matches(pth.path, params.allow):
                    continue
                if params.site_root_only and not pth.site_root:
                    continue
                found = recognise(component, pth)
                if found.shim is not None:
                    recognised.append(
                        {"artifact": report.filename, "file": pth.path, "shim": found.shim.what}
                    )
                    continue
                key = (pth.path, pth.sha256 or pth.excerpt)
                failing.setdefault(key, (pth, found, []))[2].append(report.filename)
        findings = [_failure(names, pth, found, source) for pth, found, names in failing.values()]
        count = sum(len(r.pth_files) for r in contents.artifacts)
        message = f"no .pth file runs code ({count} .pth file(s) seen)"
        if recognised:
            names = sorted({str(item["file"]) for item in recognised if isinstance(item, dict)})
            message = (
                f"no .pth file runs code other than known shims ({', '.join(names)}: package, "
                f"name and content digest match; {count} .pth file(s) seen)"
            )
        return failures_or_pass(
            findings, contents, source, message, pth_files=count, known_shims=recognised
        )


def _failure(artifacts: list[str], pth: PthFile, found: Recognition, source: Source) -> Finding:
    line = pth.executable_lines[0]
    artifact = artifacts[0]
    where = artifact if len(artifacts) == 1 else f"{artifact} and {len(artifacts) - 1} more"
    message = (
        f"{pth.path} in {where} runs code at every interpreter start (line {line}: {pth.excerpt})"
    )
    if found.lookalike is not None:
        # Named like a known shim of this package, but other bytes: say so, it is the
        # one thing a reviewer needs to know first.
        message += (
            f"; it is named like the known {found.lookalike.package} shim but its content "
            f"matches none of the {len(found.lookalike.digests)} known digests"
        )
    return Finding(
        status=Status.FAIL,
        message=message,
        observed={
            "artifact": artifact,
            "artifacts": list(artifacts),
            "file": pth.path,
            "lines": list(pth.executable_lines),
            "excerpt": pth.excerpt,
            "new_file": pth.new_file,
            "sha256": pth.sha256,
        },
        expected="no executable line in installed .pth files other than a known shim",
        sources=(source,),
        remediation="Do not install this version; pin the previous release and report the "
        "file. Waive it for this component and file only after review.",
        subject=pth.path,
    )
