from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from policyengine.checks.common import format_duration, parse_duration
from policyengine.checks.release_age import ReleaseAgeCheck
from policyengine.model import FactKind, Failed, Release, ReleaseHistory, Status
from tests.checks.factories import NOW, assert_actionable, component, ok, run

CHECK = ReleaseAgeCheck()
COMP = component()


def released(ago: timedelta | None, listed: bool = True) -> dict[FactKind, object]:
    releases = (Release("1.82.8", NOW - ago if ago is not None else None),) if listed else ()
    return {FactKind.RELEASES: ok(ReleaseHistory("1.82.8", listed, releases))}


def test_old_enough_passes() -> None:
    [f] = run(CHECK, COMP, released(timedelta(days=4)))
    assert f.status is Status.PASS


def test_fresh_release_fails_with_ready_time() -> None:
    [f] = run(CHECK, COMP, released(timedelta(hours=7)), {"min_age": "72h"})
    assert f.status is Status.FAIL
    assert "7h ago" in f.message and "3d" in f.message
    assert f.remediation and "2026-03-27T11:00:00Z" in f.remediation
    assert_actionable(f)


def test_boundary_is_inclusive() -> None:
    [f] = run(CHECK, COMP, released(timedelta(days=7)), {"min_age": "7d"})
    assert f.status is Status.PASS


@pytest.mark.parametrize("facts", [released(None), released(None, listed=False)])
def test_no_upload_time_is_unknown(facts: dict[FactKind, object]) -> None:
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.UNKNOWN


def test_failed_fact_unknown() -> None:
    [f] = run(CHECK, COMP, {FactKind.RELEASES: Failed("timeout after 10 s")})
    assert f.status is Status.UNKNOWN and "timeout" in f.message


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("72h", 72 * 3600),
        ("7d", 7 * 86400),
        ("1d12h", 36 * 3600),
        ("90m", 5400),
        ("2w", 14 * 86400),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "7", "7x", "h7", "7d junk", "-1d"])
def test_bad_duration_rejected(text: str) -> None:
    with pytest.raises(ValidationError):
        ReleaseAgeCheck.params_model.model_validate({"min_age": text})


def test_format_duration_round_trip() -> None:
    assert format_duration(timedelta(days=2, hours=3)) == "2d 3h"
    assert format_duration(timedelta(hours=5, minutes=10)) == "5h 10m"
    assert parse_duration(format_duration(timedelta(hours=30))) == timedelta(hours=30)
