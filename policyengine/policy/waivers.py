"""Waivers: which results an accepted exception covers, and version ranges per ecosystem.

Version ranges use each ecosystem's own order and syntax: PEP 440 specifiers
for PyPI (``packaging``), node-semver ranges for npm. Other ecosystems accept
waivers for a purl with or without an exact version, but no range.
"""

from __future__ import annotations

from datetime import date

import nodesemver
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from policyengine.model import Component
from policyengine.model.policy import Waiver
from policyengine.policy.selectors import purl_key, purl_matches

RANGE_ECOSYSTEMS = ("pypi", "npm")
"""Ecosystems whose version ranges waivers understand."""


def range_problem(ecosystem: str, versions: str) -> str | None:
    """Why ``versions`` is not a valid range for ``ecosystem``, or None when it is."""
    if ecosystem == "pypi":
        try:
            SpecifierSet(versions)
        except InvalidSpecifier:
            return f"{versions!r} is not a PEP 440 version specifier (e.g. `<1.83,>=1.80`)"
        return None
    if ecosystem == "npm":
        try:
            nodesemver.make_range(versions, loose=False)
        except ValueError:
            return f"{versions!r} is not an npm semver range (e.g. `<1.83.0`)"
        return None
    return f"version ranges are supported for {', '.join(RANGE_ECOSYSTEMS)} only, not {ecosystem}"


def in_range(ecosystem: str, version: str, versions: str) -> bool:
    """True when ``version`` lies in ``versions``; an unparsable version is never in range."""
    try:
        if ecosystem == "pypi":
            return SpecifierSet(versions).contains(Version(version), prereleases=True)
        if ecosystem == "npm":
            return bool(
                nodesemver.satisfies(version, versions, loose=False, include_prerelease=True)
            )
    except (InvalidSpecifier, InvalidVersion, ValueError):
        return False
    return False


def waiver_matches(
    waiver: Waiver, rule_id: str, component: Component | None, subject: str | None
) -> bool:
    """True when ``waiver`` covers a result of ``rule_id`` on ``component`` about ``subject``."""
    if waiver.rule != rule_id or component is None:
        return False
    if not purl_matches(waiver.component, component.purl):
        return False
    if waiver.advisory is not None and (subject or "").lower() != waiver.advisory.lower():
        return False
    if waiver.versions is not None:
        key = purl_key(waiver.component)
        if key is None or component.version is None:
            return False
        return in_range(key[0], component.version, waiver.versions)
    return True


def days_left(waiver: Waiver, today: date) -> int | None:
    """Days from ``today`` until the waiver's last day (negative once expired)."""
    if waiver.expires is None:
        return None
    return (waiver.expires - today).days


def is_expired(waiver: Waiver, today: date) -> bool:
    """True once the waiver's ``expires`` day has passed (it still applies on that day)."""
    left = days_left(waiver, today)
    return left is not None and left < 0
