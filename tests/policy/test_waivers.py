from __future__ import annotations

import datetime

import pytest

from policyengine.model import Component
from policyengine.model.policy import Waiver
from policyengine.policy.waivers import (
    days_left,
    in_range,
    is_expired,
    range_problem,
    waiver_matches,
)

LITELLM = Component(
    ref="r", name="litellm", version="1.82.8", ecosystem="pypi", purl="pkg:pypi/litellm@1.82.8"
)


@pytest.mark.parametrize(
    ("ecosystem", "version", "spec", "expected"),
    [
        ("pypi", "1.82.8", "<1.83", True),
        ("pypi", "1.83.0", "<1.83", False),
        # PEP 440: `<V` excludes pre-releases of V itself
        ("pypi", "1.83.0rc1", "<1.83", False),
        ("pypi", "1.82.9rc1", "<1.83", True),
        ("pypi", "1.82.8", ">=1.82,<1.83", True),
        ("pypi", "not-a-version", "<1.83", False),
        ("npm", "1.2.3", "<1.3.0", True),
        ("npm", "1.3.0", "^1.2.0", True),
        ("npm", "2.0.0", "^1.2.0", False),
        # node-semver (Python port) keeps 1.3.0 pre-releases out of `<1.3.0`: a waiver
        # then covers less, never more, so the result stays a failure (fail closed).
        ("npm", "1.3.0-beta.1", "<1.3.0", False),
        ("npm", "1.2.0-beta.1", "<1.3.0", True),
        ("npm", "bogus", "<1.3.0", False),
        ("maven", "1.0", "<2", False),
    ],
)
def test_in_range(ecosystem: str, version: str, spec: str, expected: bool) -> None:
    assert in_range(ecosystem, version, spec) is expected


def test_range_problem() -> None:
    assert range_problem("pypi", "<1.83") is None
    assert range_problem("npm", "^1.2.0 || >=3") is None
    assert "PEP 440" in (range_problem("pypi", "~~1") or "")
    assert "npm semver" in (range_problem("npm", "<<<") or "")
    assert "pypi, npm only" in (range_problem("cargo", "<1") or "")


def _w(**kw: object) -> Waiver:
    base: dict[str, object] = {"rule": "adv", "component": "pkg:pypi/litellm", "reason": "r"}
    base.update(kw)
    return Waiver(**base)  # type: ignore[arg-type]


def test_waiver_matches() -> None:
    assert waiver_matches(_w(), "adv", LITELLM, None)
    assert not waiver_matches(_w(), "other", LITELLM, None)
    assert not waiver_matches(_w(), "adv", None, None)
    assert waiver_matches(_w(advisory="pysec-2026-2"), "adv", LITELLM, "PYSEC-2026-2")
    assert not waiver_matches(_w(advisory="PYSEC-2026-2"), "adv", LITELLM, "MAL-2026-1")
    assert waiver_matches(_w(versions="<1.83"), "adv", LITELLM, None)
    assert not waiver_matches(_w(versions=">=1.83"), "adv", LITELLM, None)
    assert not waiver_matches(_w(component="pkg:pypi/litellm@1.82.7"), "adv", LITELLM, None)


def test_expiry() -> None:
    today = datetime.date(2026, 3, 24)
    assert days_left(_w(), today) is None and not is_expired(_w(), today)
    assert days_left(_w(expires=datetime.date(2026, 3, 24)), today) == 0
    assert not is_expired(_w(expires=datetime.date(2026, 3, 24)), today)
    assert is_expired(_w(expires=datetime.date(2026, 3, 23)), today)
