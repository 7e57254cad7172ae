"""PE-META-001 metadata-completeness: the registry names a source and a responsible person."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, require, version_greater
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    PackageMetadata,
    Person,
    Status,
)

Answer = Literal["given", "not given", "unknown"]
"""What the metadata says about one requirement: named, answered empty, or not answered."""

# What packaging tools wrote for a field the author left empty (setuptools wrote "UNKNOWN"
# into PKG-INFO for years): an answer that names nothing.
_PLACEHOLDERS = frozenset({"", "unknown", "none", "null", "n/a", "na", "-", "tbd", "todo"})


class MetadataCompletenessParams(CheckParams):
    """Parameters of ``metadata-completeness``."""

    require_source: bool = Field(
        default=True, description="Require a repository URL (or a homepage, see below)."
    )
    homepage_counts: bool = Field(
        default=True, description="Whether a homepage satisfies the source requirement."
    )
    require_people: bool = Field(default=True, description="Require an author or a maintainer.")


def _text(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in _PLACEHOLDERS


def _named(person: Person | None) -> bool:
    return person is not None and (_text(person.name) or _text(person.email))


def _answer(given: bool, fields: Iterable[str], metadata: PackageMetadata) -> Answer:
    if given:
        return "given"
    return "unknown" if any(f in metadata.unknown_fields for f in fields) else "not given"


class MetadataCompletenessCheck(Check):
    """The registry names where the source lives and who is responsible.

    What it checks:
        The registry metadata of the component's own version has a repository
        URL (or, unless ``homepage_counts`` is false, a homepage) and names a
        responsible party: an author or maintainer with a name or an email
        address, or on PyPI an account with a role on the project
        (``ownership``) or the organization that owns it. On npm the version's
        own manifest is read (never the ``latest`` tag's). On PyPI the JSON
        API describes the latest release only: for an older version what the
        latest release names still counts (it names the project's source and
        people), and the observed values say which release was read
        (``described_version``). A PyPI repository is a project URL labelled
        as one (Source, Sources, Source Code, Repository, GitHub ..., compared
        as PEP 753 normalises labels), else any project URL into a repository
        on a code forge (``https://github.com/o/r/issues`` names
        ``https://github.com/o/r``).

        What it ignores, and why: a field the registry's answer does not carry
        at all is missing evidence, not an empty value: a mirror that strips
        npm's ``maintainers`` (which the registry sends with every package) or
        a PyPI answer without its author keys makes that part ``unknown``,
        never "no author". The same goes for a field the latest PyPI release
        leaves empty when the component is an older release: that says nothing
        about the older one. Only a field that is present and empty, or holds
        a placeholder such as ``UNKNOWN`` (what setuptools wrote for an empty
        field), is a negative fact; a package.json that leaves out ``author``
        or ``repository`` published them as not given. The result fails when a
        required part is not given, is unknown when a required part is unknown
        and none is not given, and passes otherwise.

    Why:
        A package without a source repository cannot be reviewed or compared
        with its published artifacts, and one without a named person has
        nobody to contact when it goes wrong. Typosquats and throwaway
        malicious packages very often have neither.

    Parameters:
        ``require_source`` (default true), ``homepage_counts`` (default true),
        ``require_people`` (default true).

    Example:
        ```yaml
        - id: known-origin
          check: metadata-completeness
          params:
            homepage_counts: false
          severity: warn
        ```

    How to fix:
        Prefer packages that publish their repository and maintainers; for
        your own packages add ``project.urls`` (Source/Repository) and
        ``authors``/``maintainers`` to pyproject.toml, or ``repository`` and
        ``author`` to package.json, and publish a new release. An ``unknown``
        result comes from a registry or mirror that did not answer the field:
        enrich against one that does (``--npm-url``/``--pypi-url``).
    """

    id = "PE-META-001"
    slug = "metadata-completeness"
    title = "The registry names a source repository and a responsible person"
    needs = (FactKind.PACKAGE,)
    params_model = MetadataCompletenessParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Fail on a part not given, else unknown on a part not answered, else pass."""
        assert isinstance(params, MetadataCompletenessParams)
        found = require(
            evidence, FactKind.PACKAGE, PackageMetadata, "so repository and author are unknown"
        )
        if isinstance(found, Finding):
            yield found
            return
        metadata, source = found
        answers: dict[str, Answer] = {}
        if params.require_source:
            label = "repository or homepage" if params.homepage_counts else "repository"
            fields = ("repository", "homepage") if params.homepage_counts else ("repository",)
            given = _text(metadata.repository) or (
                params.homepage_counts and _text(metadata.homepage)
            )
            answers[label] = _answer(given, fields, metadata)
        if params.require_people:
            given = (
                _named(metadata.author)
                or any(_named(p) for p in metadata.maintainers)
                or any(_text(account) for account, _ in metadata.roles)
                or _text(metadata.organization)
            )
            answers["author or maintainer"] = _answer(given, ("author", "maintainers"), metadata)
        missing = [label for label, answer in answers.items() if answer == "not given"]
        unknown = [label for label, answer in answers.items() if answer == "unknown"]
        observed = _observed(metadata)
        expected = list[JsonValue](answers)
        if missing:
            yield Finding(
                status=Status.FAIL,
                message=f"{describe(component)}: the registry metadata{_of(component, metadata)} "
                "has no " + " and no ".join(missing),
                observed={
                    **observed,
                    "missing": list[JsonValue](missing),
                    **({"unknown": list[JsonValue](unknown)} if unknown else {}),
                },
                expected=expected,
                sources=(source,),
                remediation=(
                    f"Check where {component.name} comes from and who maintains it before "
                    "relying on it; prefer a package that publishes its repository and "
                    "maintainers."
                ),
            )
            return
        if unknown:
            wanted = [f for label in unknown for f in _FIELDS_OF[label]]
            unanswered = [f for f in dict.fromkeys(wanted) if f in metadata.unknown_fields]
            why = (
                f"the registry describes only release {metadata.described_version}, which names no "
                if _other_release(component, metadata)
                else "the registry's answer does not carry "
            )
            # npm: package.json names no author, and the maintainers were not served.
            no_author = (
                "author or maintainer" in unknown
                and "author" not in metadata.unknown_fields
                and not _named(metadata.author)
            )
            yield Finding(
                status=Status.UNKNOWN,
                message=f"{describe(component)}: {why}{', '.join(unanswered)}"
                f"{' and it names no author' if no_author else ''}, so it is unknown whether "
                f"this version names its {' and its '.join(unknown)}",
                observed={**observed, "unknown": list[JsonValue](unknown)},
                expected=expected,
                sources=(source,),
                remediation=(
                    "Enrich against a registry or mirror that serves these fields "
                    "(--npm-url / --pypi-url), or check the project page by hand."
                ),
            )
            return
        yield Finding(
            status=Status.PASS,
            message=f"{describe(component)} names its source and a responsible person",
            observed=observed,
            expected=expected,
            sources=(source,),
        )


_FIELDS_OF: dict[str, tuple[str, ...]] = {
    "repository or homepage": ("repository", "homepage"),
    "repository": ("repository",),
    "author or maintainer": ("author", "maintainers"),
}


def _other_release(component: Component, metadata: PackageMetadata) -> bool:
    """Whether the metadata read is another release's than the component's (PyPI's latest)."""
    described, version = metadata.described_version, component.version
    if described is None or version is None or described == version:
        return False
    # Another spelling of the same version ("1.0" and "1.0.0" on PyPI) is the same release.
    above = version_greater(component.ecosystem, described, version)
    below = version_greater(component.ecosystem, version, described)
    return above is None or below is None or above or below


def _of(component: Component, metadata: PackageMetadata) -> str:
    """`` (of release X, ...)`` when another release's metadata than the component's was read."""
    if not _other_release(component, metadata):
        return ""
    return f" (of release {metadata.described_version}, the only one the registry describes)"


def _observed(metadata: PackageMetadata) -> dict[str, JsonValue]:
    observed: dict[str, JsonValue] = {
        "repository": metadata.repository,
        "homepage": metadata.homepage,
        "author": _person_text(metadata.author),
        "maintainers": [_person_text(p) for p in metadata.maintainers],
    }
    # Each shown only when the evidence names it, so a result says only what was read.
    if metadata.roles:
        observed["owners"] = [f"{account} ({role})" for account, role in metadata.roles]
    if metadata.organization:
        observed["organization"] = metadata.organization
    if metadata.described_version is not None:
        observed["described_version"] = metadata.described_version
    return observed


def _person_text(person: Person | None) -> str | None:
    if person is None:
        return None
    if person.name and person.email:
        return f"{person.name} <{person.email}>"
    return person.name or person.email
