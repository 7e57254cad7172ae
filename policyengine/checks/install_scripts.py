"""PE-ART-002 install-scripts: code that runs when the package is built or installed."""

from __future__ import annotations

from typing import ClassVar, Literal, get_args

from pydantic import Field

from policyengine.checks.base import CheckParams
from policyengine.checks.contents_common import (
    ContentsCheck,
    failures_or_pass,
    mark_failure,
    where,
)
from policyengine.model import ArtifactContents, Component, Finding, Source

HookKind = Literal[
    "npm-script",
    "setup-module-call",
    "setup-dangerous-call",
    "setup-cmdclass",
    "setup-unparseable",
    "build-backend-custom",
    "build-backend-in-tree",
    "pyproject-unparseable",
]
ALL_HOOK_KINDS: list[HookKind] = list(get_args(HookKind))


class InstallScriptsParams(CheckParams):
    """Parameters of ``install-scripts``."""

    fail_on: list[HookKind] = Field(
        default_factory=lambda: list(ALL_HOOK_KINDS),
        description="Kinds of install-time hook that fail the check.",
    )
    allow_commands: list[str] = Field(
        default_factory=list,
        description="npm lifecycle commands allowed verbatim, e.g. 'node-gyp rebuild'.",
    )
    skip_sdist_with_pure_wheel: bool = Field(
        default=False,
        description="Ignore the sdist's hooks when the version also has a pure-Python wheel "
        "(installers then never build the sdist, unless told to).",
    )


class InstallScriptsCheck(ContentsCheck):
    """The artifacts must not run custom code at build or install time.

    What it checks:
        npm ``preinstall``/``install``/``postinstall``/``prepare`` scripts
        (and the implicit ``node-gyp rebuild`` of a package with
        ``binding.gyp``); a ``setup.py`` (parsed, never run) that calls more
        than ``setup()`` at module level, calls subprocess, ``os.system``,
        ``exec``/``eval``, urllib, sockets or ctypes, or overrides commands
        (``cmdclass``, subclasses of ``install``, ``build_ext`` ...); a
        ``pyproject.toml`` whose build backend is not a well-known one or is
        loaded from the sdist itself (``backend-path``).

    Why:
        Install hooks run with the installing user's rights on developer
        machines and CI runners, before any test or review: the favourite
        entry point of npm worms and malicious sdists.

    Parameters:
        ``fail_on``: the hook kinds that fail (default: all of
        ``npm-script``, ``setup-module-call``, ``setup-dangerous-call``,
        ``setup-cmdclass``, ``setup-unparseable``, ``build-backend-custom``,
        ``build-backend-in-tree``, ``pyproject-unparseable``).
        ``allow_commands``: npm script commands accepted verbatim.
        ``skip_sdist_with_pure_wheel`` (default false): ignore the sdist's
        hooks when the version has a ``*-none-any.whl``, which installers
        prefer (``pip install --no-binary`` still builds the sdist).

    Example:
        ```yaml
        - id: no-install-hooks
          check: install-scripts
          params:
            fail_on: [npm-script, setup-dangerous-call, build-backend-in-tree]
            allow_commands: ["node-gyp rebuild"]
          severity: warn
        ```

    How to fix:
        Many honest sdists trip this check (a ``setup.py`` with a publish
        helper calling ``os.system``, a build tool that builds itself
        in-tree), so read the hook named in the result. Install with scripts disabled
        (``npm ci --ignore-scripts``, ``pip install --only-binary :all:``),
        prefer a wheel over the sdist, or waive the reviewed hook for that
        component.

    """

    id: ClassVar[str] = "PE-ART-002"
    slug: ClassVar[str] = "install-scripts"
    title: ClassVar[str] = "No custom code run at build or install time"
    params_model: ClassVar[type[CheckParams]] = InstallScriptsParams

    def judge(
        self,
        component: Component,
        contents: ArtifactContents,
        source: Source,
        params: CheckParams,
    ) -> list[Finding]:
        """Fail once per install hook of a failing kind; pass when there is none."""
        assert isinstance(params, InstallScriptsParams)
        findings: list[Finding] = []
        pure_wheel = _has_pure_wheel(contents)
        for report in contents.artifacts:
            if report.kind == "sdist" and pure_wheel and params.skip_sdist_with_pure_wheel:
                continue
            for hook in report.install_hooks:
                if hook.kind not in params.fail_on:
                    continue
                command = hook.detail.split(": ", 1)[-1]
                if hook.kind == "npm-script" and command in params.allow_commands:
                    continue
                at = where(hook.path, hook.line)
                findings.append(
                    mark_failure(
                        report,
                        hook,
                        message=f"{hook.kind} in {report.filename} at {at}: {hook.detail}",
                        expected=f"none of: {', '.join(params.fail_on)}",
                        source=source,
                        remediation="Review the hook; install with scripts disabled or from "
                        "a wheel, or waive it for this component once reviewed.",
                    )
                )
        hooks = sum(len(r.install_hooks) for r in contents.artifacts)
        message = f"no install-time hook of a failing kind ({hooks} hook(s) seen)"
        return failures_or_pass(findings, contents, source, message, hooks=hooks)


def _has_pure_wheel(contents: ArtifactContents) -> bool:
    names = [r.filename for r in contents.artifacts]
    names += [entry.split(":", 1)[0] for entry in contents.not_inspected]
    return any(name.lower().endswith("-none-any.whl") for name in names)
