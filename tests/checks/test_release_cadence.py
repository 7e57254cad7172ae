from __future__ import annotations

from datetime import timedelta

import pytest

from policyengine.checks.release_cadence import ReleaseCadenceCheck
from policyengine.model import (
    FactKind,
    FactResult,
    Missing,
    Publishers,
    Release,
    ReleaseHistory,
    Status,
)
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


def releases_of(*items: tuple[str, timedelta]) -> dict[FactKind, FactResult]:
    """The history of (version, offset from START) pairs; the last one is the component."""
    rel = tuple(Release(v, START + t) for v, t in items)
    return {FactKind.RELEASES: ok(ReleaseHistory(items[-1][0], True, rel))}


def test_a_backport_is_not_part_of_the_lines_rhythm() -> None:
    weekly = [(f"1.110.{i}", timedelta(days=7 * i)) for i in range(8)]
    older = [(f"1.108.{i}", timedelta(days=7 * i, hours=1)) for i in range(7)]
    backport = ("1.108.7", timedelta(days=49, minutes=5))
    facts = releases_of(*sorted([*weekly, *older], key=lambda x: x[1]), backport)
    [f] = run(CHECK, component(version="1.108.7"), facts)
    assert f.status is Status.PASS
    assert isinstance(f.observed, dict) and "backport" in str(f.observed["note"])


def test_quick_gaps_the_line_already_had_are_its_rhythm() -> None:
    times = [timedelta(days=7 * i) for i in range(6)]
    times.insert(3, times[2] + timedelta(minutes=20))  # an earlier quick follow-up
    times.append(times[-1] + timedelta(minutes=13))
    [f] = run(CHECK, COMP, history(times))
    assert f.status is Status.PASS
    assert isinstance(f.observed, dict) and "quick follow-ups" in str(f.observed["precedent"])


def test_the_component_in_a_mirror_fill_is_unknown() -> None:
    items = [(f"1.82.{i}", timedelta(days=7 * i)) for i in range(5)]
    items += [("1.81.3", timedelta(days=40)), ("1.80.2", timedelta(days=40, seconds=2))]
    items += [("1.81.1", timedelta(days=40, seconds=5))]
    [f] = run(CHECK, component(version="1.81.1"), releases_of(*items))
    assert f.status is Status.UNKNOWN
    assert "implausible" in f.message and "mirror" in f.message


def _changed(previous: tuple[str, ...], now: tuple[str, ...]) -> FactResult:
    return ok(Publishers("1.82.8", now, previous_version="1.82.7", previous_publishers=previous))


@pytest.mark.parametrize(
    ("publishers", "status"),
    [
        (_changed(("ci",), ("mallory",)), Status.FAIL),
        (_changed(("ci",), ("ci",)), Status.PASS),
        (Missing("the registry serves no metadata for litellm 1.82.8"), Status.UNKNOWN),
    ],
)
def test_corroboration(publishers: FactResult, status: Status) -> None:
    facts = history([*WEEKLY[:-1], WEEKLY[-2] + timedelta(minutes=13)])
    facts[FactKind.PUBLISHERS] = publishers
    [f] = run(CHECK, COMP, facts, {"corroborate_with": ["publisher_change"]})
    assert f.status is status
    assert "out of" in f.message
    [alone] = run(CHECK, COMP, facts)
    assert alone.status is Status.FAIL


def test_corroboration_asks_for_the_signals_facts() -> None:
    params = CHECK.params_model.model_validate({"corroborate_with": ["startup_code"]})
    assert ReleaseCadenceCheck.needs_for(params) == (FactKind.CONTENTS,)
    assert ReleaseCadenceCheck.needs_for(CHECK.params_model()) == ()
