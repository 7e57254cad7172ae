"""Version order and OSV range matching (PyPI: PEP 440, npm: semver)."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from policyengine.enrich.versions import (
    affects,
    fixed_versions,
    in_range,
    same_version,
    sort_versions,
)


def test_pypi_order_is_pep440() -> None:
    assert sort_versions("pypi", ["1.10", "1.9", "1.0rc1", "1.0", "1.0.post1", "junk"]) == (
        "1.0rc1",
        "1.0",
        "1.0.post1",
        "1.9",
        "1.10",
        "junk",
    )
    assert same_version("pypi", "1.0", "1.0.0")
    assert not same_version("pypi", "1.0", "1.0.1")


def test_npm_order_is_semver_with_prereleases() -> None:
    assert sort_versions("npm", ["1.0.0", "1.0.0-beta.2", "1.0.0-beta.10", "0.9.9"]) == (
        "0.9.9",
        "1.0.0-beta.2",
        "1.0.0-beta.10",
        "1.0.0",
    )


def test_last_affected_and_fixed() -> None:
    events = [{"introduced": "1.82.7"}, {"last_affected": "1.82.8"}]
    assert [in_range("pypi", v, events) for v in ("1.82.6", "1.82.7", "1.82.8", "1.83.0")] == [
        False,
        True,
        True,
        False,
    ]
    events = [{"introduced": "0"}, {"fixed": "2.6.1"}]
    assert in_range("pypi", "0.1", events) and not in_range("pypi", "2.6.1", events)


def test_multiple_ranges_in_one_event_list() -> None:
    # osv-schema ghsa testdata multiple_ranges_in_package: two open/close pairs in one list
    events = [{"introduced": "0"}, {"introduced": "4.0.1"}, {"fixed": "4.0.5"}, {"fixed": "3.0.21"}]
    got = {v: in_range("pypi", v, events) for v in ("3.0.20", "3.0.21", "4.0.0", "4.0.2", "4.0.5")}
    assert got == {"3.0.20": True, "3.0.21": False, "4.0.0": False, "4.0.2": True, "4.0.5": False}


def test_semver_range_for_npm_prerelease() -> None:
    entry = {
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "2.1.1-0"}, {"fixed": "3.0.0"}]}]
    }
    assert affects("npm", "2.1.1-beta", entry)
    assert affects("npm", "2.2.4", entry)
    assert not affects("npm", "3.0.0", entry)
    assert not affects("npm", "2.1.0", entry)


def test_explicit_versions_and_git_ranges() -> None:
    entry = {
        "versions": ["1.82.7", "1.82.8"],
        "ranges": [{"type": "GIT", "repo": "x", "events": [{"introduced": "abc"}]}],
    }
    assert affects("pypi", "1.82.8", entry)
    assert not affects("pypi", "1.82.6", entry)


def test_unparsable_versions_never_fall_in_a_range() -> None:
    events = [{"introduced": "0"}]
    assert not in_range("pypi", "not a version", events)
    assert not in_range("npm", "latest", events)


def test_fixed_versions_sorted() -> None:
    entries = [{"ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1.10"}, {"fixed": "1.9"}]}]}]
    assert fixed_versions("pypi", entries) == ("1.9", "1.10")


versions = st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)).map(
    lambda t: ".".join(map(str, t))
)


@settings(max_examples=50, deadline=None)
@given(versions, versions, versions)
def test_single_range_matches_interval(low: str, high: str, probe: str) -> None:
    # (a "fixed" below "introduced" leaves the range open after it, per the OSV algorithm)
    assume(Version(low) <= Version(high))
    events = [{"introduced": low}, {"fixed": high}]
    expected = Version(low) <= Version(probe) < Version(high)
    assert in_range("pypi", probe, events) == expected
    assert in_range("npm", probe, events) == expected
