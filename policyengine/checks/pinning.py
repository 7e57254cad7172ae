"""PE-PIN-001 pinning: every component is pinned to one exact version."""

from __future__ import annotations

import re
from collections.abc import Iterable

import nodesemver
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from poetry.core.constraints.version import Version as PoetryVersion
from poetry.core.constraints.version import parse_constraint
from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, input_source, unknown
from policyengine.checks.project_view import covering_lock, project_facts
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    Origin,
    Source,
    Status,
)
from policyengine.model.project import DeclaredDependency, LockfileFacts

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
    lock_pins: bool = Field(
        default=True,
        description=(
            "A declared range or open declaration passes when the lockfile that locks its "
            "manifest pins the version it resolved to; false demands exact declarations."
        ),
    )


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
        ``packaging`` (PEP 440), npm versions with ``node-semver``. A lockfile
        entry installed from git is judged by its commit (a full 40- or 64-hex
        commit passes, a branch or tag fails); one from a local path
        (``file:``, ``link:``, ``portal:``, a directory or editable source) is
        the project's own code and passes; one from a plain URL fails.

        With project facts (``--project-dir``), the manifest declarations that
        govern the component are judged as well (one finding each, subject
        ``manifest:name``). An exact version or a full commit hash passes. A
        range or an open declaration (``^5.6.2``, ``>=2``, ``*``) is intent,
        and the lockfile is what pins, as npm, uv, Poetry, PDM, Pipenv and
        pip-compile all work: it passes when the lockfile that locks its
        manifest pins this component's version and that version satisfies the
        range; it fails when there is no such lockfile ("no lockfile pins
        it"), or the lockfile pins another version or none that satisfies it;
        it is unknown when that lockfile could not be read. URLs, paths and
        VCS branch or tag references fail whatever the lockfile says.
        ``lock_pins: false`` demands exact declarations everywhere.

        What it ignores, and why: a declaration governs only the component it
        resolves to. npm installs several versions of a name side by side, so
        ``"chalk": "^5.6.2"`` in package.json governs the lockfile's top-level
        ``node_modules/chalk`` (the direct dependency), never a
        ``chalk@4.1.2`` nested under another package, which that package's own
        range chose; where the lockfile does not mark direct dependencies
        (yarn v1), the entries the range accepts stand in, and without a
        lockfile the SBOM's direct components whose version fits the range. A
        Python environment holds one version of a name, so there a
        declaration governs every component of that name. Development-only
        declarations are skipped with ``include_dev: false``.

    Why:
        A range resolves to whatever the registry serves at install time. On
        2026-03-24 any build that resolved ``litellm>=1.82`` without a lockfile
        in the hours before PyPI removed the compromised releases installed the
        credential stealer. An exact pin, in the manifest or in a committed
        lockfile that CI installs from, means a new release reaches you only
        through a reviewed change.

    Parameters:
        ``declared``: judge manifest declarations: null (default) when
        project facts exist, true always (unknown without project facts),
        false never. ``include_dev``: include development-only
        declarations (default true). ``lock_pins``: accept a range whose
        lockfile pins the resolved version (default true).

    Example:
        ```yaml
        - id: exact-pins
          check: pinning
          severity: fail
        ```

    How to fix:
        Commit a lockfile (``uv lock``, ``poetry lock``, ``pip-compile
        --generate-hashes``, ``npm install --package-lock-only``), install from
        it in CI and build the SBOM from it; or pin the dependency to the exact
        version you tested (``name==1.2.3`` for pip, ``"name": "1.2.3"`` in
        package.json). For a VCS dependency, reference a full commit hash.
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
            lock = covering_lock(dependency.manifest, dependency.ecosystem, project.lockfiles)
            if not _governs(dependency, component, lock):
                continue
            yield _judge_declared(component, dependency, lock, params, source)


def _governs(
    dependency: DeclaredDependency, component: Component, lock: LockfileFacts | None
) -> bool:
    """Whether the declaration is the one that chose this component's version.

    A Python environment holds one version of a name, so a declaration governs
    every component of that name. npm installs several versions side by side:
    the declaration resolves to the lockfile's top-level entry (the direct
    dependency; also the SBOM's direct component when its version differs), and
    a copy nested under another package answers to that package's range, not to
    this one. Without a usable lockfile the SBOM's direct components whose
    version fits the declaration stand in for it.
    """
    if component.ecosystem != "npm":
        return True
    resolved = _resolved(dependency, lock)
    if resolved:
        # The SBOM's own direct dependency is governed too: a version the lock does
        # not pin there means the declaration did not hold it.
        return component.version in resolved or component.direct is True
    return component.direct is not False and (
        _satisfies(dependency, component.version) is not False
    )


def _resolved(dependency: DeclaredDependency, lock: LockfileFacts | None) -> set[str]:
    """The versions the lockfile resolved the declaration to (empty when it cannot say)."""
    if lock is None or lock.error:
        return set()
    entries = [e for e in lock.entries if e.name == dependency.name and e.version]
    if dependency.ecosystem == "npm":
        direct = [e for e in entries if e.direct]
        if direct:
            return {e.version for e in direct if e.version}
    # No tree to go by (yarn v1, Python locks): the entries the declaration accepts.
    return {e.version for e in entries if e.version and _satisfies(dependency, e.version)}


def _satisfies(dependency: DeclaredDependency, version: str | None) -> bool | None:
    """Whether ``version`` meets the declaration; ``None`` when that cannot be judged."""
    if not version:
        return None
    spec = dependency.specifier.strip()
    if dependency.pin == "unpinned":
        return True
    if dependency.pin not in ("range", "exact"):
        return None  # URLs, paths and VCS references name no version to compare
    if dependency.ecosystem != "npm":
        return _python_contains(spec, version)
    try:
        return bool(nodesemver.satisfies(version, spec, True))
    except Exception:  # node-semver raises plain errors on odd input
        return None


def _python_contains(spec: str, version: str) -> bool | None:
    # PEP 440 first; what it refuses is read as Poetry's syntax (^8.1, ~1.2), as
    # [tool.poetry.dependencies] writes it.
    try:
        return SpecifierSet(spec).contains(Version(version), prereleases=True)
    except InvalidVersion:
        return None
    except InvalidSpecifier:
        pass
    try:
        return bool(parse_constraint(spec).allows(PoetryVersion.parse(version)))
    except ValueError:  # poetry-core's parse errors are ValueErrors
        return None


def _judge_origin(component: Component, origin: Origin, context: CheckContext) -> Finding:
    """A git component is pinned by a full commit id; a local path is the project's own code."""
    where = origin.location + (f"#{origin.revision}" if origin.revision else "")
    if origin.pinned:
        what = "a local path (the project's own code)" if origin.kind == "path" else "a commit"
        return Finding(
            status=Status.PASS,
            message=f"{component.name} is pinned to {what}: {where}",
            observed=where,
            expected="a full commit hash",
        )
    reason = (
        f"{origin.revision!r} is a branch or tag, not a full commit hash"
        if origin.revision and origin.kind == "vcs"
        else f"{where!r} names no commit"
        if origin.kind == "vcs"
        else f"a URL ({where!r}) can serve other bytes tomorrow"
    )
    return Finding(
        status=Status.FAIL,
        message=f"{component.name} is not pinned: {reason}",
        observed=where,
        expected="a full commit hash",
        sources=(input_source(context),),
        remediation=(
            f"Reference {component.name}'s repository by a full 40-character commit hash "
            "(or install it from the registry at an exact version)."
        ),
    )


def _judge_version(component: Component, context: CheckContext) -> Finding:
    if component.origin is not None:
        return _judge_origin(component, component.origin, context)
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
    component: Component,
    dependency: DeclaredDependency,
    lock: LockfileFacts | None,
    params: PinningParams,
    source: Source,
) -> Finding:
    where = dependency.manifest + (f":{dependency.line}" if dependency.line else "")
    subject = f"{dependency.manifest}:{dependency.name}"
    observed: dict[str, JsonValue] = {
        "manifest": dependency.manifest,
        "line": dependency.line,
        "specifier": dependency.specifier,
        "pin": dependency.pin,
    }
    expected = "an exact version or a full commit hash" + (
        ", or a lockfile that pins the version the declaration resolved to"
        if params.lock_pins
        else ""
    )
    if dependency.pin in ("exact", "vcs-commit"):
        return Finding(
            status=Status.PASS,
            message=f"{where} pins {dependency.name} exactly ({dependency.specifier})",
            observed=observed,
            expected=expected,
            sources=(source,),
            subject=subject,
        )
    kind = _PIN_WORDS.get(dependency.pin, dependency.pin)
    declared = f"{where} declares {dependency.name} with {kind}: {dependency.specifier!r}"
    if params.lock_pins and dependency.pin in ("range", "unpinned"):
        if lock is not None:
            observed["lockfile"] = lock.path
        if lock is not None and lock.error:
            return Finding(
                status=Status.UNKNOWN,
                message=(
                    f"{declared}; {lock.path} could not be read ({lock.error}), so it is "
                    "unknown whether a lockfile pins it"
                ),
                observed=observed,
                expected=expected,
                sources=(source,),
                remediation=f"Regenerate {lock.path} with its tool and commit it.",
                subject=subject,
            )
        locked = sorted(_resolved(dependency, lock))
        if lock is not None and component.version in locked:
            observed["locked"] = component.version
            return Finding(
                status=Status.PASS,
                message=(
                    f"{declared}; {lock.path} pins it to {component.version} (the lockfile "
                    "pins, the declaration states intent)"
                ),
                observed=observed,
                expected=expected,
                sources=(source,),
                subject=subject,
            )
        if lock is not None:
            observed["locked"] = list[JsonValue](locked)
            why = (
                f"{lock.path} pins {', '.join(locked)}, not {component.version}"
                if locked
                else f"{lock.path} has no entry for it that satisfies the declaration"
            )
        else:
            why = "no lockfile pins it"
        return Finding(
            status=Status.FAIL,
            message=f"{declared}, and {why}",
            observed=observed,
            expected=expected,
            sources=(source,),
            remediation=(
                f"Commit a lockfile that pins {dependency.name} (uv lock, poetry lock, "
                "pip-compile --generate-hashes, npm install) and install from it, or declare "
                f"{dependency.name} as =={component.version or '<version>'} "
                f'(npm: "{component.version or "<version>"}") in {dependency.manifest}.'
            ),
            subject=subject,
        )
    return Finding(
        status=Status.FAIL,
        message=declared,
        observed=observed,
        expected=expected,
        sources=(source,),
        remediation=(
            f"Declare {dependency.name} as =={component.version or '<version>'} "
            f'(npm: "{component.version or "<version>"}") in {dependency.manifest}, or keep '
            "the range there and gate on a committed lockfile instead (drop `declared`)."
        ),
        subject=subject,
    )
