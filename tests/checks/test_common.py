from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from policyengine.checks.common import (
    format_duration,
    parse_duration,
    published_release,
    require,
    sources,
    unknown,
    version_greater,
)
from policyengine.checks.pinning import unpinned_reason
from policyengine.model import (
    ComponentEvidence,
    FactKind,
    Failed,
    Finding,
    Missing,
    Release,
    ReleaseHistory,
    Source,
    Status,
)
from tests.checks.factories import NOW, SOURCE, ok


def test_unknown_names_fact_and_reason() -> None:
    f = unknown(FactKind.RELEASES, Missing("offline"), "so the age is unknown")
    assert f.status is Status.UNKNOWN
    assert f.message == "releases facts are missing: offline; so the age is unknown"
    g = unknown(FactKind.ARTIFACTS, Failed("HTTP 500"))
    assert g.message == "artifacts facts could not be obtained: HTTP 500"
    assert g.remediation


def test_require_rejects_wrong_type_and_absent_fact() -> None:
    evidence = ComponentEvidence("pypi/x@1", {FactKind.RELEASES: ok("not a history")})
    found = require(evidence, FactKind.RELEASES, ReleaseHistory)
    assert not isinstance(found, tuple) and found.status is Status.UNKNOWN
    assert "unexpected type" in found.message
    absent = require(evidence, FactKind.PACKAGE, ReleaseHistory)
    assert not isinstance(absent, tuple) and "were not collected" in absent.message


def test_sources_deduplicated_in_order() -> None:
    a, b = Source("pypi"), Source("osv")
    assert sources(a, None, b, a) == (a, b)


def test_version_order_per_ecosystem() -> None:
    assert version_greater("pypi", "1.10.0", "1.9.0") is True
    assert version_greater("pypi", "1.0.0rc1", "1.0.0") is False
    assert version_greater("npm", "1.0.0", "1.0.0-beta.2") is True
    assert version_greater("npm", "1.2.0", "1.10.0") is False
    assert version_greater("maven", "2", "1") is None


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=10**7))
def test_duration_round_trips(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    text = format_duration(value)
    # format_duration drops minutes once there are days, and seconds once there are minutes.
    assert abs(parse_duration(text) - value) < timedelta(hours=1)


@settings(max_examples=50)
@given(st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=4))
def test_every_plain_pep440_release_is_exact(parts: list[int]) -> None:
    version = ".".join(map(str, parts))
    assert str(Version(version))
    assert unpinned_reason("pypi", version) is None
    assert unpinned_reason("pypi", f">={version}") is not None


def test_unknown_does_not_repeat_the_fact_name() -> None:
    evidence = ComponentEvidence("pypi/x@1")
    found = require(evidence, FactKind.ADVISORIES, ReleaseHistory, "so it is unknown")
    assert not isinstance(found, tuple)
    assert found.message == "advisories facts were not collected; so it is unknown"


def test_published_release_returns_upload_time_or_says_why_not() -> None:
    def judge(history: ReleaseHistory | None) -> object:
        facts = {} if history is None else {FactKind.RELEASES: ok(history)}
        return published_release(
            ComponentEvidence("pypi/x@1", facts), "so the age is unknown", "the age"
        )

    listed = ReleaseHistory("1", True, (Release("1", NOW),))
    assert judge(listed) == (listed, NOW, SOURCE)
    absent = judge(None)
    assert isinstance(absent, Finding)
    assert absent.message == "releases facts were not collected; so the age is unknown"
    removed = judge(ReleaseHistory("1", False, (Release("0.9", NOW),)))
    assert isinstance(removed, Finding)
    assert removed.message == (
        "the registry does not list version 1 (see registry-status), so the age is unknown"
    )
    undated = judge(ReleaseHistory("1", True, (Release("1"),)))
    assert isinstance(undated, Finding)
    assert undated.status is Status.UNKNOWN
    assert (
        undated.message == "the registry gives no upload time for version 1, so the age is unknown"
    )


def test_the_remedy_for_a_missing_fact_follows_its_cause() -> None:
    from policyengine.checks.common import unknown
    from policyengine.model import FactKind, Failed, Missing

    removed = unknown(FactKind.PUBLISHERS, Missing("version 1.82.8 is not listed by the registry"))
    offline = unknown(FactKind.PUBLISHERS, Missing("offline: no cached answer for https://x"))
    failed = unknown(FactKind.PUBLISHERS, Failed("HTTP 500 from https://x"))
    absent = unknown(FactKind.PUBLISHERS, Missing("the registry serves no metadata for x 1.0"))
    assert removed.remediation and "replace it" in removed.remediation
    assert "network" not in removed.remediation
    assert offline.remediation and "network access" in offline.remediation
    assert failed.remediation and "answers again" in failed.remediation
    assert absent.remediation and "waiver" in absent.remediation
