from __future__ import annotations

from datetime import timedelta

import pytest

from policyengine.checks.release_cadence import ReleaseCadenceCheck
from policyengine.model import FactKind, FactResult, Missing, Release, ReleaseHistory, Status
from tests.checks.factories import assert_actionable, at, component, ok, run

CHECK = ReleaseCadenceCheck()
COMP = component(version="1.82.8")
START = at("2026-01-01T12:00:00")


def history(times: list[timedelta]) -> dict[FactKind, FactResult]:
    """Releases 1.82.0 .. at START + each offset; the last one is 1.82.8 (the component)."""
    releases = [Release(f"1.82.{i}", START + t) for i, t in enumerate(times)]
    releases[-1] = Release("1.82.8", START + times[-1])
    return {FactKind.RELEASES: ok(ReleaseHistory("1.82.8", True, tuple(releases)))}


WEEKLY = [timedelta(days=7 * i) for i in range(7)]


def test_regular_weekly_release_passes() -> None:
    [f] = run(CHECK, COMP, history(WEEKLY))
    assert f.status is Status.PASS
    assert isinstance(f.observed, dict)
    assert f.observed["gap"] == "7d" and f.observed["median_gap"] == "7d"


def test_out_of_rhythm_fails_with_numbers() -> None:
    times = [*WEEKLY[:-1], WEEKLY[-2] + timedelta(hours=3)]
    [f] = run(CHECK, COMP, history(times))
    assert f.status is Status.FAIL
    assert "3h after the previous release of its line" in f.message and "median gap" in f.message
    assert "7d" in f.message
    assert_actionable(f)


def test_burst_fails_and_names_versions() -> None:
    times = [*WEEKLY[:4], WEEKLY[3] + timedelta(hours=1), WEEKLY[3] + timedelta(hours=2)]
    [f] = run(CHECK, COMP, history(times), {"burst_count": 3, "burst_window": "6h"})
    assert f.status is Status.FAIL
    assert "3 releases of its line within 6h" in f.message
    assert isinstance(f.observed, dict) and f.observed["burst"] == ["1.82.3", "1.82.4", "1.82.8"]


def test_short_history_only_burst_rule() -> None:
    times = [timedelta(0), timedelta(days=30), timedelta(days=30, hours=1)]
    [f] = run(CHECK, COMP, history(times))
    assert f.status is Status.PASS
    assert isinstance(f.observed, dict) and "gap rule needs 5" in str(f.observed["note"])


@pytest.mark.parametrize(
    "facts",
    [
        {FactKind.RELEASES: Missing("offline")},
        {FactKind.RELEASES: ok(ReleaseHistory("1.82.8", False, ()))},
    ],
)
def test_unknown(facts: dict[FactKind, FactResult]) -> None:
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.UNKNOWN


def test_burst_is_usual_for_a_fast_releasing_project() -> None:
    hourly = [timedelta(hours=h) for h in range(12)]
    [f] = run(CHECK, COMP, history(hourly), {"burst_count": 3, "burst_window": "6h"})
    assert f.status is Status.PASS
    assert isinstance(f.observed, dict) and "usual for this line" in str(f.observed["burst_note"])
