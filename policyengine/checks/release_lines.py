"""A release history read as lines and channels, with implausible upload times set apart.

``release-cadence`` compares a version only with the releases that came before it on
its own line and channel. This module places every version (``packaging`` for PyPI,
``nodesemver`` for npm: no hand parsing), orders them by upload time and finds the
times that a registry or mirror filled in rather than recorded.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import nodesemver
from packaging.version import InvalidVersion, Version

from policyengine.model import ReleaseHistory

Line = tuple[int, ...]
"""A release line: ``(major,)`` from 1.0 on, ``(0, minor)`` before it."""

_PLAIN = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
"""A release version with no prerelease or build part, as semver spells it."""

REGISTRY_OPENED = {
    "pypi": datetime(2003, 1, 1, tzinfo=UTC),
    "npm": datetime(2009, 9, 1, tzinfo=UTC),
}
"""No upload can be older than its registry: an earlier time was made up."""


class Place(NamedTuple):
    """Where a version sits: its line, its channel (``""`` for stable) and its order key.

    A named tuple, not a dataclass: one is made per version of every history judged, and
    a frozen dataclass took three times as long to build.
    """

    line: Line
    channel: str
    key: Any
    """Orders versions of one ecosystem: packaging's Version, or semver's precedence tuple."""
    series: tuple[int, int] = (0, 0)
    """Major and minor: the patches of one minor form a series."""
    republished: bool = False
    """A PEP 440 post-release: a re-publication of an existing release."""


class Dated(NamedTuple):
    """One release with a plausible upload time and its place."""

    at: datetime
    version: str
    place: Place


@dataclass(frozen=True, slots=True)
class Timeline:
    """The releases of one history that can be compared, oldest first.

    ``filled`` maps each version whose upload time is implausible to why;
    those versions are not in ``dated``. ``unplaced`` counts versions the
    ecosystem's version rules cannot parse (also left out).
    """

    dated: tuple[Dated, ...]
    filled: dict[str, str]
    unplaced: int


def place(ecosystem: str | None, version: str) -> Place | None:
    """The line, channel and order key of ``version``; ``None`` when it does not parse.

    Lines: the major version from 1.0 on, major.minor before it (npm's caret treats
    0.x minors as breaking, and PyPI's 0.x projects use them the same way). Channels:
    stable, or the prerelease's name (``beta``, ``canary``, ``rc``; PEP 440 ``a``/``b``/
    ``rc`` and ``dev``): nightlies and release candidates follow their own rhythm.
    """
    if ecosystem == "pypi":
        try:
            parsed = Version(version)
        except InvalidVersion:
            return None
        release = (*parsed.release, 0)
        line: Line = (release[0],) if release[0] else (0, release[1])
        pre = parsed.pre
        channel = pre[0] if pre else ("dev" if parsed.dev is not None else "")
        return Place(line, channel, parsed, (release[0], release[1]), parsed.post is not None)
    if ecosystem == "npm":
        plain = _PLAIN.fullmatch(version)
        if plain is not None:
            # Fast path for the common "1.2.3": nodesemver's parse is most of the time of a
            # release-gate run on an npm lockfile (50,000 versions in 625 histories; the two
            # give the same place, tests/checks/test_release_lines.py).
            major, minor, patch = (int(p) for p in plain.groups())
            plain_line: Line = (major,) if major else (0, minor)
            return Place(plain_line, "", (major, minor, patch, 1, ()), (major, minor))
        # Loose: the registry still serves versions published before strict semver
        # ("2.0.0beta", "1.0.0rc4"), and they belong to their lines like any other.
        semver = nodesemver.parse(version, True)
        if semver is None:
            return None
        pre = tuple(semver.prerelease)
        npm_line: Line = (semver.major,) if semver.major else (0, semver.minor)
        first = pre[0] if pre else ""
        npm_channel = first if isinstance(first, str) else "pre"
        # semver precedence: a prerelease sorts before its release; numeric ids before text.
        ids = tuple((0, i, "") if isinstance(i, int) else (1, 0, str(i)) for i in pre)
        key = (semver.major, semver.minor, semver.patch, 0 if pre else 1, ids)
        return Place(npm_line, npm_channel, key, (semver.major, semver.minor))
    return None


def timeline(
    ecosystem: str | None,
    history: ReleaseHistory,
    fetched_at: datetime | None,
    same_moment: timedelta,
    fill_count: int,
) -> Timeline:
    """Every timed, parseable release in upload order, implausible times set apart.

    Implausible: before the registry opened, after the history was fetched, or one of
    ``fill_count`` or more releases of one line and channel uploaded within
    ``same_moment`` of each other (a chain of such gaps). Maintainers do not publish
    three versions of one line within a minute out of version order; mirrors that fill
    in missing publish times do, by the dozen (measured on the npm mirror: 4 to 605
    versions a minute). A fix shipped on several lines or minors at once (each version
    the newest of its minor) is kept, and so are PEP 440 post-releases (re-publications
    of existing releases).
    """
    opened = REGISTRY_OPENED.get(ecosystem or "")
    filled: dict[str, str] = {}
    placed: list[Dated] = []
    unplaced = 0
    for release in history.releases:
        when = release.published_at
        if when is None:
            continue
        where = place(ecosystem, release.version)
        if where is None:
            unplaced += 1
            continue
        if opened is not None and when < opened:
            filled[release.version] = f"its upload time {_day(when)} is before the registry opened"
        elif fetched_at is not None and when > fetched_at:
            filled[release.version] = (
                f"its upload time {_day(when)} is after the history was fetched"
            )
        else:
            placed.append(Dated(when, release.version, where))
    placed.sort(key=lambda d: d.at)
    stale = _stale(placed)
    for moment in _moments(placed, same_moment):
        # Post-releases are pushed to every supported line at once (pip uploaded eight
        # within one second on 2026-10-18, several per major line): a real moment.
        lines: dict[tuple[Line, str], list[Dated]] = {}
        for d in moment:
            if not d.place.republished:
                lines.setdefault((d.place.line, d.place.channel), []).append(d)
        series = Counter((d.place.series, d.place.channel) for d in moment)
        for members in lines.values():
            many = len(members)
            # A fix shipped on several minors at once (react-dom 19.3.1, 19.2.9 and 19.0.9
            # within a minute) has each version newest of its minor; a mirror's fill has
            # old versions out of order, or several patches of one minor.
            if many < fill_count or not (
                any(d.version in stale for d in members)
                or any(series[(d.place.series, d.place.channel)] >= fill_count for d in members)
            ):
                continue
            for d in members:
                filled[d.version] = (
                    f"{many} versions of its line were given upload times within "
                    f"{int(same_moment.total_seconds())}s of each other "
                    f"({_day(moment[0].at)}), out of version order, as a mirror filling "
                    "in missing times does"
                )
    dated = tuple(d for d in placed if d.version not in filled)
    return Timeline(dated, filled, unplaced)


def _stale(placed: Sequence[Dated]) -> set[str]:
    """Versions uploaded after a higher version of their own minor series and channel."""
    highest: dict[tuple[tuple[int, int], str], Any] = {}
    stale: set[str] = set()
    for d in placed:
        where = (d.place.series, d.place.channel)
        top = highest.get(where)
        if top is not None and top > d.place.key:
            stale.add(d.version)
        elif top is None or d.place.key > top:
            highest[where] = d.place.key
    return stale


def _moments(placed: Sequence[Dated], same_moment: timedelta) -> list[list[Dated]]:
    """Runs of releases each within ``same_moment`` of the one before (only runs of 2+)."""
    runs: list[list[Dated]] = []
    current: list[Dated] = []
    for d in placed:
        if current and d.at - current[-1].at <= same_moment:
            current.append(d)
            continue
        if len(current) > 1:
            runs.append(current)
        current = [d]
    if len(current) > 1:
        runs.append(current)
    return runs


def _day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")
