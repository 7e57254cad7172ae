"""PE-META-001 metadata-completeness: the registry names a source and a responsible person."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, require
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


class MetadataCompletenessParams(CheckParams):
    """Parameters of ``metadata-completeness``."""

    require_source: bool = Field(
        default=True, description="Require a repository URL (or a homepage, see below)."
    )
    homepage_counts: bool = Field(
        default=True, description="Whether a homepage satisfies the source requirement."
    )
    require_people: bool = Field(default=True, description="Require an author or a maintainer.")


def _named(person: Person | None) -> bool:
    return person is not None and bool((person.name or "").strip() or (person.email or "").strip())


class MetadataCompletenessCheck(Check):
    """The registry names where the source lives and who is responsible.

    What it checks:
        The package's registry metadata has a repository URL (or, unless
        ``homepage_counts`` is false, a homepage) and an author or at least
        one maintainer with a name or an email address.

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
        ``author`` to package.json, and publish a new release.
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
        """List the missing elements; unknown when the package metadata is missing."""
        assert isinstance(params, MetadataCompletenessParams)
        found = require(
            evidence, FactKind.PACKAGE, PackageMetadata, "so repository and author are unknown"
        )
        if isinstance(found, Finding):
            yield found
            return
        metadata, source = found
        missing: list[str] = []
        has_source = bool(metadata.repository) or (
            params.homepage_counts and bool(metadata.homepage)
        )
        if params.require_source and not has_source:
            missing.append("repository or homepage" if params.homepage_counts else "repository")
        has_people = _named(metadata.author) or any(_named(p) for p in metadata.maintainers)
        if params.require_people and not has_people:
            missing.append("author or maintainer")
        observed: dict[str, JsonValue] = {
            "repository": metadata.repository,
            "homepage": metadata.homepage,
            "author": _person_text(metadata.author),
            "maintainers": [_person_text(p) for p in metadata.maintainers],
        }
        expected: list[JsonValue] = [
            *(["repository or homepage"] if params.require_source else []),
            *(["author or maintainer"] if params.require_people else []),
        ]
        if not missing:
            yield Finding(
                status=Status.PASS,
                message=f"{describe(component)} names its source and a responsible person",
                observed=observed,
                expected=expected,
                sources=(source,),
            )
            return
        yield Finding(
            status=Status.FAIL,
            message=f"{describe(component)}: the registry metadata has no "
            + " and no ".join(missing),
            observed={**observed, "missing": list[JsonValue](missing)},
            expected=expected,
            sources=(source,),
            remediation=(
                f"Check where {component.name} comes from and who maintains it before relying "
                "on it; prefer a package that publishes its repository and maintainers."
            ),
        )


def _person_text(person: Person | None) -> str | None:
    if person is None:
        return None
    if person.name and person.email:
        return f"{person.name} <{person.email}>"
    return person.name or person.email
