"""PE-PIN-001 pinning: every component is pinned to one exact version."""

from __future__ import annotations

import re
from collections.abc import Iterable

import nodesemver
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, input_source, unknown
from policyengine.checks.project_view import project_facts
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    Source,
    Status,
)
from policyengine.model.project import DeclaredDependency

_COMMIT = re.compile(r"[@#]([0-9a-f]{40}|[0-9a-f]{64})(?![0-9a-z])", re.IGNORECASE)
_VCS_PREFIXES = ("git+", "git:", "hg+", "svn+", "bzr+", "github:", "gitlab:", "bitbucket:")
_URL_PREFIXES = ("file:", "link:", "http:", "https:", "workspace:", "portal:", "patch:")
_NPM_GITHUB_SHORTHAND = re.compile(r"^[\w.-]+/[\w.-]+(#.*)?$")
_RANGE_CHARS = re.compile(r"[\^~<>=*|,\[\]()\s]|(^|\.)[xX](\.|$)|^latest$")


def unpinned_reason(ecosystem: str | None, version: str | None) -> str | None:
    """Why ``version`` is not an exact pin in ``ecosystem``, or ``None`` when it is one.

    Exact means one immutable release: a plain version, or a VCS reference to a
    full commit hash. Ranges, dist-tags, URLs, paths and branch/tag references fail.
    """
    if version is None or not version.strip():
        return "no version"
    text = version.strip()
    if ecosystem == "npm" and text.startswith("npm:"):
        # An alias ("npm:real-name@1.2.3") is pinned when its target version is.
        return unpinned_reason(ecosystem, text.rpartition("@")[2] or None)
    if text.lower().startswith(_VCS_PREFIXES) or (
        ecosystem == "npm" and _NPM_GITHUB_SHORTHAND.match(text)
    ):
        if _COMMIT.search(text):
            return None
        return f"VCS reference {text!r} without a full commit hash"
    if "://" in text or text.lower().startswith(_URL_PREFIXES) or text.startswith(("./", "../")):
        return f"URL or path {text!r} instead of a registry version"
    if ecosystem == "pypi":
        return _pypi_reason(text)
    if ecosystem == "npm":
        return _npm_reason(text)
    if _RANGE_CHARS.search(text):
        return f"version range {text!r}"
    return None


def _pypi_reason(text: str) -> str | None:
    candidate = text[3:] if text.startswith("===") else text
    candidate = candidate[2:] if candidate.startswith("==") else candidate
    try:
        Version(candidate)
    except InvalidVersion:
        pass
    else:
        return None
    for candidate in (text, f"=={text}"):
        # A bare wildcard ("1.2.*") is only valid as a specifier after "==".
        try:
            SpecifierSet(candidate)
        except InvalidSpecifier:
            continue
        return f"version range {text!r}"
    return f"{text!r} is not a PEP 440 version"


def _npm_reason(text: str) -> str | None:
    if nodesemver.valid(text, False) is not None:
        return None
    if nodesemver.valid_range(text, False) is not None:
        return f"version range {text!r}"
    return f"dist-tag or unrecognised version {text!r}"


class PinningParams(CheckParams):
    """Parameters of ``pinning``."""

    declared: bool | None = Field(
        default=None,
        description=(
            "Judge how manifests declare the component: null uses project facts when present, "
            "true requires them (unknown without), false ignores them."
        ),
    )
    include_dev: bool = Field(default=True, description="Judge development-only declarations too.")


_PIN_WORDS = {
    "range": "a version range",
    "url": "an archive URL",
    "vcs-ref": "a VCS branch or tag (no commit)",
    "unpinned": "no version constraint",
    "path": "a local path",
}


class PinningCheck(Check):
    """Every component is pinned to one exact version.

    What it checks:
        Each component's version is one exact, immutable release: a plain
        version (``1.82.6``), or a VCS reference to a full commit hash. Version
        ranges (``>=1.0``, ``^1.2.3``, ``~=1.4``), dist-tags (``latest``), URLs
        and paths, VCS references to a branch or tag, and missing versions fail;
        the finding names which of these it is. PyPI versions are read with
        ``packaging`` (PEP 440), npm versions with ``node-semver``. With project
        facts (``--project-dir``), every manifest declaration of the component
        is judged as well (one finding each, subject ``manifest:name``): only
        an exact version or a full commit hash passes.

    Why:
        A range resolves to whatever the registry serves at install time. On
        2026-03-24 any build that resolved ``litellm>=1.82`` in the hours
        before PyPI removed the compromised releases installed the credential
        stealer. An exact pin means a new release reaches you only
        through a reviewed change.

    Parameters:
        ``declared``: judge manifest declarations: null (default) when
        project facts exist, true always (unknown without project facts),
        false never. ``include_dev``: include development-only
        declarations (default true).

    Example:
        ```yaml
        - id: exact-pins
          check: pinning
          severity: fail
        ```

    How to fix:
        Pin the dependency to the exact version you tested (``name==1.2.3`` for
        pip, ``"name": "1.2.3"`` in package.json) or regenerate the lockfile and
        build the SBOM from it; for a VCS dependency, reference a full commit hash.
    """

    id = "PE-PIN-001"
    slug = "pinning"
    title = "Every component is pinned to one exact version"
    needs = ()
    params_model = PinningParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Judge the component's version string."""
        assert isinstance(params, PinningParams)
        yield _judge_version(component, context)
        if params.declared is False:
            return
        found = project_facts(context.evidence)
        if not isinstance(found, tuple):
            if params.declared:
                yield unknown(
                    FactKind.PROJECT,
                    found,
                    "so how the manifests declare this dependency cannot be judged "
                    "(pass --project-dir)",
                )
            # Otherwise project facts are optional: the SBOM alone is judged.
            return
        project, source = found
        for dependency in project.declared:
            if dependency.ecosystem != component.ecosystem or dependency.name != component.name:
                continue
            if dependency.dev and not params.include_dev:
                continue
            yield _judge_declared(component, dependency, source)


def _judge_version(component: Component, context: CheckContext) -> Finding:
    reason = unpinned_reason(component.ecosystem, component.version)
    if reason is None:
        return Finding(
            status=Status.PASS,
            message=f"{describe(component)} is pinned to an exact version",
            observed=component.version,
            expected="an exact version",
        )
    return Finding(
        status=Status.FAIL,
        message=f"{component.name} is not pinned: {reason}",
        observed=component.version,
        expected="an exact version or a full commit hash",
        sources=(input_source(context),),
        remediation=(
            f"Pin {component.name} to the exact version you tested and regenerate the "
            "lockfile/SBOM from it; for a VCS dependency reference a full commit hash."
        ),
    )


def _judge_declared(
    component: Component, dependency: DeclaredDependency, source: Source
) -> Finding:
    where = dependency.manifest + (f":{dependency.line}" if dependency.line else "")
    subject = f"{dependency.manifest}:{dependency.name}"
    observed: JsonValue = {
        "manifest": dependency.manifest,
        "line": dependency.line,
        "specifier": dependency.specifier,
        "pin": dependency.pin,
    }
    if dependency.pin in ("exact", "vcs-commit"):
        return Finding(
            status=Status.PASS,
            message=f"{where} pins {dependency.name} exactly ({dependency.specifier})",
            observed=observed,
            expected="an exact version or a full commit hash",
            sources=(source,),
            subject=subject,
        )
    kind = _PIN_WORDS.get(dependency.pin, dependency.pin)
    return Finding(
        status=Status.FAIL,
        message=f"{where} declares {dependency.name} with {kind}: {dependency.specifier!r}",
        observed=observed,
        expected="an exact version or a full commit hash",
        sources=(source,),
        remediation=(
            f"Declare {dependency.name} as =={component.version or '<version>'} "
            f'(npm: "{component.version or "<version>"}") in {dependency.manifest}, or keep '
            "the range there and gate on a committed lockfile instead (drop `declared`)."
        ),
        subject=subject,
    )
