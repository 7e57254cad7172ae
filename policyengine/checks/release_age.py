"""PE-AGE-001 release-age: the version has been public for at least a quarantine window."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import (
    Duration,
    describe,
    format_duration,
    iso,
    published_release,
)
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    Status,
)


class ReleaseAgeParams(CheckParams):
    """Parameters of ``release-age``."""

    min_age: Duration = Field(
        default="72h",
        validate_default=True,
        description="How long a version must have been public, e.g. '72h', '7d', '1d12h'.",
    )


class ReleaseAgeCheck(Check):
    """The version was published at least a minimum time before the evaluation.

    What it checks:
        The upload time of the component's version, from the registry's release
        history, is at least ``min_age`` before the evaluation time ``now``.

    Why:
        Malicious releases are usually found and removed within hours or days:
        PyPI deleted the compromised LiteLLM releases within hours. A
        quarantine window lets the community and the registry catch them before
        your build picks them up.

    Parameters:
        ``min_age``: the quarantine window, a duration such as ``72h`` or ``7d``
        (default ``72h``).

    Example:
        ```yaml
        - id: quarantine-window
          check: release-age
          params:
            min_age: 7d
          severity: warn
        ```

    How to fix:
        Wait until the window has passed before adopting the release, or stay
        on the previous version; if you must ship it now, review the release
        (diff, publisher, files) and record a waiver with an expiry.
    """

    id = "PE-AGE-001"
    slug = "release-age"
    title = "The version has been public for at least a quarantine window"
    needs = (FactKind.RELEASES,)
    params_model = ReleaseAgeParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Compare the upload time with ``now``; unknown when it is not known."""
        assert isinstance(params, ReleaseAgeParams)
        found = published_release(evidence, "so the upload time is unknown", "the release age")
        if isinstance(found, Finding):
            yield found
            return
        _, published_at, source = found
        age = context.now - published_at
        expected: dict[str, JsonValue] = {"min_age": format_duration(params.min_age)}
        observed: dict[str, JsonValue] = {
            "published_at": iso(published_at),
            "age": format_duration(age),
        }
        if age >= params.min_age:
            yield Finding(
                status=Status.PASS,
                message=f"{describe(component)} was published {format_duration(age)} ago",
                observed=observed,
                expected=expected,
                sources=(source,),
            )
            return
        ready = published_at + params.min_age
        yield Finding(
            status=Status.FAIL,
            message=(
                f"{describe(component)} was published only {format_duration(age)} ago "
                f"(at {iso(published_at)}); the quarantine window is "
                f"{format_duration(params.min_age)}"
            ),
            observed=observed,
            expected=expected,
            sources=(source,),
            remediation=(
                f"Wait until {iso(ready)} before adopting {describe(component)}, or stay on the "
                "previous version; if it must ship now, review the release and record a waiver "
                "with an expiry."
            ),
        )
