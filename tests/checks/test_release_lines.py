from __future__ import annotations

from datetime import timedelta

import pytest

from policyengine.checks.release_lines import place, timeline
from policyengine.model import Release, ReleaseHistory
from tests.checks.factories import NOW, at

MINUTE = timedelta(seconds=60)


@pytest.mark.parametrize(
    ("ecosystem", "version", "line", "channel"),
    [
        ("npm", "7.29.17", (7,), ""),
        ("npm", "8.0.0-beta.3", (8,), "beta"),
        ("npm", "19.2.0-canary-23884812-20250520", (19,), "canary-23884812-20250520"),
        ("npm", "0.16.0", (0, 16), ""),
        ("npm", "2.0.0beta", (2,), "beta"),  # pre-semver spelling the registry still serves
        ("pypi", "2.34.2", (2,), ""),
        ("pypi", "0.16.0", (0, 16), ""),
        ("pypi", "1.24.0rc1", (1,), "rc"),
        ("pypi", "2.34.0.dev1", (2,), "dev"),
        ("pypi", "26.1.2.post1", (26,), ""),
    ],
)
def test_place(ecosystem: str, version: str, line: tuple[int, ...], channel: str) -> None:
    found = place(ecosystem, version)
    assert found is not None
    assert (found.line, found.channel) == (line, channel)


def test_place_orders_by_the_ecosystem_rules() -> None:
    def key(v: str) -> tuple[object, ...]:
        found = place("npm", v)
        assert found is not None and isinstance(found.key, tuple)
        return found.key

    assert key("1.2.3-beta.2") < key("1.2.3-beta.10") < key("1.2.3") < key("1.10.0")
    assert place("npm", "not a version") is None and place("cargo", "1.0.0") is None


def history(*releases: tuple[str, str]) -> ReleaseHistory:
    return ReleaseHistory(releases[-1][0], True, tuple(Release(v, at(t)) for v, t in releases))


def test_a_mirror_fill_is_set_apart() -> None:
    # Genuine weekly 7.26.x, then old versions "published" within seconds, out of order.
    found = timeline(
        "npm",
        history(
            ("7.26.0", "2024-10-01T10:00:00"),
            ("7.26.1", "2024-10-08T10:00:00"),
            ("7.7.4", "2024-12-02T18:34:04"),
            ("7.23.7", "2024-12-02T18:34:06"),
            ("7.22.19", "2024-12-02T18:34:08"),
            ("7.23.6", "2024-12-02T18:34:24"),
        ),
        NOW,
        MINUTE,
        3,
    )
    assert set(found.filled) == {"7.7.4", "7.23.7", "7.22.19", "7.23.6"}
    assert "out of version order" in found.filled["7.23.6"]
    assert [d.version for d in found.dated] == ["7.26.0", "7.26.1"]


@pytest.mark.parametrize(
    ("ecosystem", "releases"),
    [
        # react-dom: one fix on three minors of 19 within a minute, each newest of its minor.
        (
            "npm",
            [
                ("19.0.8", "2026-09-01T10:00:00"),
                ("19.2.8", "2026-09-01T10:01:00"),
                ("19.3.0", "2026-09-20T10:00:00"),
                ("19.3.1", "2026-10-14T16:49:10"),
                ("19.2.9", "2026-10-14T16:49:51"),
                ("19.0.9", "2026-10-14T16:50:13"),
            ],
        ),
        # pip: post-releases of eight releases within one second.
        (
            "pypi",
            [
                ("26.1.2", "2026-09-01T10:00:00"),
                ("26.1.2.post1", "2026-10-18T04:33:21"),
                ("26.0.1.post1", "2026-10-18T04:33:22"),
                ("26.1.1.post1", "2026-10-18T04:33:22"),
                ("26.2.1.post1", "2026-10-18T04:33:22"),
            ],
        ),
    ],
)
def test_a_fix_shipped_on_several_lines_at_once_is_kept(
    ecosystem: str, releases: list[tuple[str, str]]
) -> None:
    found = timeline(ecosystem, history(*releases), NOW.replace(year=2027), MINUTE, 3)
    assert found.filled == {}
    assert len(found.dated) == len(releases)


def test_times_before_the_registry_or_after_the_fetch_are_implausible() -> None:
    found = timeline(
        "npm",
        history(
            ("1.0.0", "1985-10-26T01:21:00"),
            ("1.0.1", "2026-03-01T10:00:00"),
            ("1.0.2", "2030-01-01T00:00:00"),
        ),
        NOW,
        MINUTE,
        3,
    )
    assert "before the registry opened" in found.filled["1.0.0"]
    assert "after the history was fetched" in found.filled["1.0.2"]
    assert [d.version for d in found.dated] == ["1.0.1"]


@pytest.mark.parametrize("version", ["0.0.0", "1.2.3", "10.20.30", "19.2.0", "0.16.0"])
def test_the_plain_version_fast_path_agrees_with_nodesemver(version: str) -> None:
    import nodesemver

    fast = place("npm", version)
    parsed = nodesemver.parse(version, True)
    assert fast is not None and parsed is not None
    assert fast.key == (parsed.major, parsed.minor, parsed.patch, 1, ())
    assert fast.line == ((parsed.major,) if parsed.major else (0, parsed.minor))
    assert fast.series == (parsed.major, parsed.minor) and fast.channel == ""
    # What the fast path does not take goes through the library.
    assert place("npm", version + "-rc.1") is not None
    assert place("npm", "01.2.3") == place("npm", "1.2.3")
