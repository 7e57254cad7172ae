"""PE-CAD-001 release-cadence: the version was not part of a burst or far out of rhythm."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

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


class ReleaseCadenceParams(CheckParams):
    """Parameters of ``release-cadence``."""

    burst_count: int = Field(
        default=3, ge=2, description="This many releases within burst_window is a burst."
    )
    burst_window: Duration = Field(
        default="24h", validate_default=True, description="The burst window, e.g. '24h'."
    )
    gap_ratio: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="Fail when the gap before this release is below this share of the median gap.",
    )
    min_history: int = Field(
        default=5,
        ge=2,
        description="Earlier releases needed before the gap rule applies (too few: not judged).",
    )
    history: int = Field(
        default=20, ge=2, description="How many earlier releases the median gap is taken over."
    )


class ReleaseCadenceCheck(Check):
    """The version was not released in a burst or far outside the project's usual rhythm.

    What it checks:
        From the release history (upload times of every version): a burst is
        ``burst_count`` or more releases within ``burst_window`` that include
        this version, unless the project usually releases that often (its
        median gap times ``burst_count - 1`` fits in the window). Out of
        rhythm means the gap between the previous release
        and this one is shorter than ``gap_ratio`` times the median gap between
        the project's earlier releases (needs ``min_history`` earlier releases;
        the median is taken over the last ``history`` gaps). The finding gives
        the numbers: the releases in the burst, the gap and the median.

    Why:
        An attacker holding a stolen token publishes quickly, often several
        versions in a row, outside the maintainers' routine, as with LiteLLM
        1.82.7 and 1.82.8 on 2026-03-24. Unusual cadence is a cheap
        signal that a release deserves a look before it is adopted.

    Parameters:
        ``burst_count`` (default 3), ``burst_window`` (default ``24h``),
        ``gap_ratio`` (default 0.1), ``min_history`` (default 5), ``history``
        (default 20).

    Example:
        ```yaml
        - id: unusual-cadence
          check: release-cadence
          params:
            burst_count: 2
            burst_window: 6h
          severity: warn
        ```

    How to fix:
        Look at what changed in the release and who published it (compare with
        the previous version); if it checks out, waive it with an expiry,
        otherwise stay on the earlier version.
    """

    id = "PE-CAD-001"
    slug = "release-cadence"
    title = "The version was not released in a burst or far out of rhythm"
    needs = (FactKind.RELEASES,)
    params_model = ReleaseCadenceParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Look for a burst around this release and for an unusually short gap before it."""
        assert isinstance(params, ReleaseCadenceParams)
        found = published_release(evidence, "so the cadence is unknown", "the cadence")
        if isinstance(found, Finding):
            yield found
            return
        history, at, source = found
        times = sorted(
            (r.published_at, r.version) for r in history.releases if r.published_at is not None
        )
        burst = _burst(times, at, params.burst_window)
        earlier = [t for t, _ in times if t < at]
        problems: list[str] = []
        observed: dict[str, JsonValue] = {"published_at": iso(at)}
        expected: dict[str, JsonValue] = {
            "burst": f"fewer than {params.burst_count} releases within "
            f"{format_duration(params.burst_window)}",
            "gap": f"at least {params.gap_ratio:g} x the median gap",
        }
        typical: timedelta | None = None
        if len(earlier) >= params.min_history:
            recent = earlier[-(params.history + 1) :]
            gaps = [b - a for a, b in pairwise(recent)]
            typical = timedelta(seconds=median(g.total_seconds() for g in gaps))
            gap = at - earlier[-1]
            observed["gap"] = format_duration(gap)
            observed["median_gap"] = format_duration(typical)
            if typical > timedelta(0) and gap < typical * params.gap_ratio:
                problems.append(
                    f"released {format_duration(gap)} after the previous release, while the "
                    f"median gap over the last {len(gaps)} releases is {format_duration(typical)} "
                    f"(below {params.gap_ratio:g} x the median)"
                )
        else:
            observed["gap"] = None
            observed["note"] = (
                f"{len(earlier)} earlier releases; the gap rule needs {params.min_history}"
            )
        if len(burst) >= params.burst_count:
            observed["burst"] = [v for _, v in burst]
            # A project that usually releases this often is not bursting: judge by its rhythm.
            if typical is not None and typical * (params.burst_count - 1) <= params.burst_window:
                observed["burst_note"] = (
                    f"{params.burst_count} releases within {format_duration(params.burst_window)} "
                    f"are usual for this project (median gap {format_duration(typical)})"
                )
            else:
                problems.insert(
                    0,
                    f"{len(burst)} releases within {format_duration(params.burst_window)} "
                    f"({', '.join(v for _, v in burst)})",
                )
        if not problems:
            yield Finding(
                status=Status.PASS,
                message=f"{describe(component)} was released in the project's usual rhythm",
                observed=observed,
                expected=expected,
                sources=(source,),
            )
            return
        yield Finding(
            status=Status.FAIL,
            message=f"{describe(component)} is out of cadence: " + "; ".join(problems),
            observed=observed,
            expected=expected,
            sources=(source,),
            remediation=(
                f"Review what changed in {describe(component)} and who published it before "
                "adopting it; if it checks out, waive this finding with an expiry, otherwise "
                "stay on the previous version."
            ),
        )


def _burst(
    times: list[tuple[datetime, str]], at: datetime, window: timedelta
) -> list[tuple[datetime, str]]:
    """The largest set of releases inside one window of length ``window`` containing ``at``."""
    best: list[tuple[datetime, str]] = []
    for start, _ in times:
        if not at - window <= start <= at:
            continue
        inside = [(t, v) for t, v in times if start <= t <= start + window]
        if len(inside) > len(best):
            best = inside
    return best
