"""Classify how a declared dependency is pinned, for PyPI (PEP 440/508) and npm (semver).

Versions and ranges are judged by the maintained libraries (``packaging`` for
PyPI, ``poetry-core`` for Poetry's own constraint syntax such as ``^8.1`` and
``~1.2``, ``node-semver`` for npm); only the URL and VCS spellings are
recognised here.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nodesemver
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from poetry.core.constraints.version import Version as PoetryVersion
from poetry.core.constraints.version import parse_constraint

from policyengine.model import Pin

_COMMIT = re.compile(r"^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$")
_VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")
_NPM_GIT = ("git+", "git://", "github:", "gitlab:", "bitbucket:", "gist:")
_NPM_PATH = ("file:", "link:", "workspace:", "portal:", "./", "../", "/", "~/")
_NPM_MOVING = ("", "*", "x", "X", "latest")


def is_commit(ref: str) -> bool:
    """True for a full SHA-1 (40 hex) or SHA-256 (64 hex) commit id."""
    return bool(_COMMIT.match(ref))


def python_url_pin(url: str) -> Pin:
    """Pin kind of a PEP 508 URL requirement: VCS with/without commit, local path or archive."""
    if url.startswith(_VCS_SCHEMES):
        path = urlsplit(url.split("+", 1)[1]).path
        ref = path.rsplit("@", 1)[1] if "@" in path else ""
        return "vcs-commit" if is_commit(ref) else "vcs-ref"
    if url.startswith("file:") or "://" not in url:
        return "path"
    return "url"


def python_pin(requirement: Requirement) -> tuple[Pin, str | None]:
    """Pin kind and exact version (when exact) of a PEP 508 requirement."""
    if requirement.url:
        return python_url_pin(requirement.url), None
    return specifier_pin(requirement.specifier)


def specifier_pin(specifier: SpecifierSet) -> tuple[Pin, str | None]:
    """``==1.2.3`` / ``===1.2.3`` alone is exact; any other constraint is a range."""
    specs = list(specifier)
    if not specs:
        return "unpinned", None
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return "exact", specs[0].version
    return "range", None


def python_specifier_text(text: str) -> tuple[Pin, str | None]:
    """Classify a bare PEP 440 specifier string (Poetry/Pipfile tables use these)."""
    text = text.strip()
    if text in ("", "*"):
        return "unpinned", None
    try:
        return specifier_pin(SpecifierSet(text))
    except InvalidSpecifier:
        pass
    try:
        # Poetry's bare "1.2.3" means exactly that version.
        Version(text)
    except InvalidVersion:
        return "range", None
    return "exact", text


def npm_pin(spec: str) -> tuple[Pin, str | None]:
    """Pin kind and exact version of an npm dependency specifier (package.json value)."""
    spec = spec.strip()
    if spec.startswith("npm:"):
        # Alias "npm:real-name@spec": judge the spec after the (possibly scoped) name.
        rest = spec[4:]
        at = rest.rfind("@")
        return npm_pin(rest[at + 1 :] if at > 0 else "")
    if spec in _NPM_MOVING:
        return "unpinned", None
    if spec.startswith(_NPM_PATH):
        return "path", None
    if spec.startswith(_NPM_GIT) or _is_github_shorthand(spec):
        ref = spec.rsplit("#", 1)[1] if "#" in spec else ""
        return ("vcs-commit" if is_commit(ref) else "vcs-ref"), None
    if spec.startswith(("http://", "https://")):
        return "url", None
    exact = nodesemver.valid(spec.lstrip("=v").strip(), True)
    if exact is not None and re.match(r"^=?v?\d", spec):
        return "exact", str(exact)
    try:
        valid = nodesemver.valid_range(spec, True)
    except Exception:  # node-semver raises plain errors on odd input
        valid = None
    if valid is None:
        # A dist-tag ("next", "beta") moves like "latest".
        return "unpinned", None
    return "range", None


def npm_satisfies(version: str, spec: str) -> bool | None:
    """Whether a locked version satisfies a declared range; ``None`` when it cannot be judged."""
    pin, exact = npm_pin(spec)
    if pin == "exact":
        return exact == version
    if pin == "unpinned":
        return True
    if pin != "range":
        return None
    try:
        return bool(nodesemver.satisfies(version, spec, True))
    except Exception:  # node-semver raises plain errors on odd input
        return None


def python_satisfies(version: str, specifier: str) -> bool | None:
    """Whether a locked version satisfies a PEP 440 specifier; ``None`` when unjudgeable.

    A specifier PEP 440 refuses is read as a Poetry constraint (``^8.1``,
    ``~1.2``, ``1.2.3``, ``>=1,<2 || ^3``), which is what pyproject.toml's
    ``[tool.poetry.dependencies]`` holds.
    """
    try:
        return SpecifierSet(specifier).contains(Version(version), prereleases=True)
    except InvalidVersion:
        return None
    except InvalidSpecifier:
        pass
    try:
        return bool(parse_constraint(specifier).allows(PoetryVersion.parse(version)))
    except ValueError:  # poetry-core's parse errors are ValueErrors
        return None


def _is_github_shorthand(spec: str) -> bool:
    # "user/repo" or "user/repo#ref" means a GitHub repository to npm.
    return (
        "/" in spec
        and not spec.startswith("@")
        and "://" not in spec
        and not spec.startswith(_NPM_PATH)
        and re.match(r"^[\w.-]+/[\w.-]+(#.*)?$", spec) is not None
    )
