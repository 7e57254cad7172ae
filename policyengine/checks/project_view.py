"""The project facts the pinning and lockfile checks read, as structural types.

The lockfile helper defines the concrete types (``policyengine.model.project``:
``ProjectFacts`` with manifests, lockfiles and declared dependencies); these
protocols name only the attributes the checks use, so the checks keep working
whatever else those types grow. ``project_facts`` turns ``Evidence.project``
into a view or says why it cannot.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any, Protocol, runtime_checkable

from policyengine.model import Evidence, FactResult, Missing, Ok, Source


class DeclaredView(Protocol):
    """One dependency as a manifest declares it."""

    @property
    def ecosystem(self) -> str:
        """The purl type, e.g. ``pypi``."""

    @property
    def name(self) -> str:
        """The normalised package name."""

    @property
    def specifier(self) -> str:
        """The constraint as written (``==1.2.3``, ``^4.0.0``, a URL)."""

    @property
    def pin(self) -> str:
        """``exact``, ``range``, ``url``, ``vcs-commit``, ``vcs-ref``, ``unpinned`` or ``path``."""

    @property
    def manifest(self) -> str:
        """The manifest path that declares it."""

    @property
    def line(self) -> int | None:
        """The line of the declaration, when known."""

    @property
    def dev(self) -> bool:
        """True for development-only declarations."""


class ManifestView(Protocol):
    """A manifest file of the project."""

    @property
    def kind(self) -> str:
        """``pyproject.toml``, ``package.json`` ..."""

    @property
    def path(self) -> str:
        """Its path relative to the project directory."""

    @property
    def ecosystem(self) -> str:
        """The purl type of what it declares."""

    @property
    def error(self) -> str | None:
        """Why it could not be read, if so."""


class DisagreementView(Protocol):
    """A declared dependency whose locked version does not satisfy the declaration."""

    @property
    def name(self) -> str:
        """The package name."""

    @property
    def declared(self) -> str:
        """The declared constraint."""

    @property
    def locked(self) -> str:
        """The locked version."""

    @property
    def manifest(self) -> str:
        """The manifest that declares it."""


class LockfileView(Protocol):
    """A lockfile of the project and how it relates to the manifests beside it."""

    @property
    def kind(self) -> str:
        """``poetry.lock``, ``package-lock.json`` ..."""

    @property
    def path(self) -> str:
        """Its path relative to the project directory."""

    @property
    def ecosystem(self) -> str:
        """The purl type of what it locks."""

    @property
    def covers_manifest(self) -> bool:
        """Every declared dependency has an entry and none disagrees."""

    @property
    def missing(self) -> Sequence[str]:
        """Declared dependencies without an entry."""

    @property
    def disagreeing(self) -> Sequence[DisagreementView]:
        """Entries that do not satisfy their declaration."""

    @property
    def entries_without_hash(self) -> Sequence[str]:
        """``name@version`` of entries without a digest."""

    @property
    def error(self) -> str | None:
        """Why it could not be read, if so."""


@runtime_checkable
class ProjectView(Protocol):
    """Every manifest and lockfile of a project directory, and all declared dependencies."""

    @property
    def directory(self) -> str:
        """The project directory."""

    @property
    def manifests(self) -> Sequence[ManifestView]:
        """The manifests found."""

    @property
    def lockfiles(self) -> Sequence[LockfileView]:
        """The lockfiles found."""

    @property
    def declared(self) -> Sequence[DeclaredView]:
        """Every declared dependency of every manifest."""


def project_facts(evidence: Evidence) -> tuple[ProjectView, Source] | FactResult | None:
    """The project facts as a view with their source, else the Missing/Failed result (or None).

    A bundle loader that keeps project facts as plain JSON (until it knows the
    project types) hands over a mapping; it is read through the model's
    ``project_facts_from_json`` when that exists, else as attribute views.
    """
    result = evidence.project
    if not isinstance(result, Ok):
        return result
    value = result.value
    if isinstance(value, Mapping):
        value = _from_json(value)
    if isinstance(value, ProjectView):
        return value, result.source
    return Missing(f"project facts have an unexpected shape ({type(result.value).__name__})")


def _from_json(document: Mapping[str, Any]) -> object:
    try:
        module = importlib.import_module("policyengine.model.project")
        convert = module.project_facts_from_json
    except (ImportError, AttributeError):
        return _namespace(document)
    try:
        return convert(dict(document))
    except (KeyError, TypeError) as exc:
        return f"unreadable project facts: {exc}"


def _namespace(value: object) -> object:
    if isinstance(value, Mapping):
        return SimpleNamespace(**{str(k): _namespace(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_namespace(v) for v in value)
    return value
