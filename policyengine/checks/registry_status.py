"""PE-REG-001 registry-status: the version is still served and the project is in good standing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import (
    current_release,
    describe,
    fact_value,
    require,
    sources,
    unknown,
)
from policyengine.checks.safe_version import Suggestion, nearest_safe
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    PackageMetadata,
    ReleaseHistory,
    Status,
)

Condition = Literal["removed", "yanked", "deprecated", "quarantined", "archived"]
_PROJECT_CONDITIONS: tuple[Condition, ...] = ("quarantined", "archived", "deprecated")


class RegistryStatusParams(CheckParams):
    """Parameters of ``registry-status``."""

    fail_on: tuple[Condition, ...] = Field(
        default=("removed", "yanked", "quarantined", "archived", "deprecated"),
        description="Which conditions fail: removed, yanked, deprecated, quarantined, archived.",
    )


class RegistryStatusCheck(Check):
    """The version is still served by its registry and the project is in good standing.

    What it checks:
        From the registry's release history: the component's version is still
        listed (a version in the SBOM that the registry no longer lists was
        removed), is not yanked (the yank reason is shown) and not deprecated.
        From the package metadata: the project is not quarantined, archived or
        deprecated (PEP 792 status markers). A project whose latest release
        declares the trove classifier ``Development Status :: 7 - Inactive``
        counts as ``archived``: its maintainers say it is no longer developed.
        On npm, deprecation is per version: the component's own version's
        ``deprecated`` message is the ``deprecated`` condition.

        What it ignores, and why: free text (a summary or README saying
        "unmaintained") is never read: words are not a status, and a guess
        would flag projects that merely mention the phrase. A deprecated
        ``latest`` npm release says nothing about another version (a single
        bad release is often deprecated), so only the component's own
        version's deprecation counts. Other ``Development Status`` values (1 -
        Planning ... 6 - Mature) say how far along a project is, not that it
        was abandoned.

    Why:
        Registries remove and quarantine releases when they are found malicious:
        PyPI deleted LiteLLM 1.82.7 and 1.82.8 within hours and quarantined the
        project. "This version no longer exists on the registry" is the fastest
        signal a gate can act on, long before an advisory is published.

    Parameters:
        ``fail_on``: the conditions that fail (default: all five). A condition
        left out is still reported in the passing finding's observed values.

    Example:
        ```yaml
        - id: no-removed-versions
          check: registry-status
          params:
            fail_on: [removed, yanked, quarantined]
          severity: fail
        ```

    How to fix:
        Move to a version the registry still serves and that its maintainers
        have not yanked; if the project is quarantined, stop installing it
        until the registry lifts the quarantine, and check your systems for the
        removed version. For archived or deprecated projects plan a replacement.
    """

    id = "PE-REG-001"
    slug = "registry-status"
    title = "The version is still served and the project is in good standing"
    needs = (FactKind.RELEASES, FactKind.PACKAGE)
    params_model = RegistryStatusParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Report every bad condition found; unknown when the release history is missing."""
        assert isinstance(params, RegistryStatusParams)
        found = require(
            evidence, FactKind.RELEASES, ReleaseHistory, "so it is unknown whether it was removed"
        )
        if isinstance(found, Finding):
            yield found
            return
        history, history_source = found
        package_result = evidence.get(FactKind.PACKAGE)
        package = fact_value(package_result, PackageMetadata)
        problems: dict[Condition, str] = {}
        current = current_release(history, component.ecosystem)
        # Listed means the registry's own list holds the version: a ``listed`` flag that the
        # list contradicts (an edited bundle) cannot hide a removal.
        listed = history.listed and current is not None
        if not listed:
            problems["removed"] = (
                f"version {history.version} is no longer listed by the registry (removed)"
            )
        if current is not None and current.yanked:
            reason = f": {current.yanked_reason}" if current.yanked_reason else " (no reason given)"
            problems["yanked"] = f"version {current.version} is yanked{reason}"
        if current is not None and current.deprecated:
            problems["deprecated"] = (
                f"version {current.version} is deprecated: {current.deprecated}"
            )
        status = None
        development: str | None = None
        if package is not None:
            metadata, _ = package
            status = (metadata.status or "").lower() or None
            if status in _PROJECT_CONDITIONS:
                why = f": {metadata.status_reason}" if metadata.status_reason else ""
                key: Condition = status
                problems.setdefault(key, f"the project is {status}{why}")
            development = metadata.development_status
            if inactive(development):
                problems.setdefault(
                    "archived",
                    "the project declares itself no longer maintained "
                    f"(classifier Development Status :: {development})",
                )
        observed: dict[str, JsonValue] = {
            "listed": listed,
            "yanked": bool(current and current.yanked),
            "yanked_reason": current.yanked_reason if current else None,
            "deprecated": current.deprecated if current else None,
            "project_status": status,
        }
        if development is not None:
            observed["development_status"] = development
        failing = {k: v for k, v in problems.items() if k in params.fail_on}
        used = sources(history_source, package[1] if package else None)
        if failing:
            suggestion = (
                nearest_safe(component, evidence, context.now)
                if "removed" in failing or "yanked" in failing
                else None
            )
            if suggestion is not None:
                observed["suggested_version"] = suggestion.version
            yield Finding(
                status=Status.FAIL,
                message=f"{describe(component)}: " + "; ".join(failing.values()),
                observed=observed,
                expected={"fail_on": list(params.fail_on), "conditions": []},
                sources=used,
                remediation=_remedy(component, failing, suggestion),
            )
            return
        if package is None and any(c in params.fail_on for c in _PROJECT_CONDITIONS):
            yield unknown(
                FactKind.PACKAGE,
                package_result,
                "so the project status (quarantined, archived, deprecated) is unknown",
            )
            return
        others = [text for key, text in problems.items() if key not in params.fail_on]
        message = (
            f"{describe(component)}: none of {', '.join(params.fail_on)} applies "
            f"(not failed by this rule: {'; '.join(others)})"
            if others
            else f"{describe(component)} is listed by the registry and in good standing"
        )
        yield Finding(
            status=Status.PASS,
            message=message,
            observed=observed,
            expected={"fail_on": list(params.fail_on), "conditions": []},
            sources=used,
        )


def inactive(development_status: str | None) -> bool:
    """Whether a trove ``Development Status`` value is ``7 - Inactive``.

    The classifier is the maintainers' own statement that the project is no longer
    developed: the same thing PEP 792's ``archived`` says for the index. Read by its
    number and word, as the trove list spells it; nothing else in free text counts.
    """
    if development_status is None:
        return False
    number, _, word = development_status.partition(" - ")
    return number.strip() == "7" or word.strip().lower() == "inactive"


def _remedy(
    component: Component, failing: dict[Condition, str], suggestion: Suggestion | None
) -> str:
    steps = []
    if "removed" in failing or "yanked" in failing:
        named = f" (e.g. {suggestion.version}, {suggestion.why})" if suggestion else ""
        steps.append(
            f"Replace {describe(component)} with a version the registry still serves and has "
            f"not yanked{named}, and check every system that installed it (removed versions "
            "are often malicious)."
        )
    if "quarantined" in failing:
        steps.append(f"Stop installing {component.name} until the registry lifts the quarantine.")
    if "deprecated" in failing or "archived" in failing:
        steps.append(f"Plan a replacement for {component.name}: it is no longer maintained.")
    return " ".join(steps)
