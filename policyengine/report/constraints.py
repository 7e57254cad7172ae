"""``check --constraints FILE``: keep the versions a verdict failed out of the next install.

Written from the failing results of version-dependent rules (a removed or malicious
release, an advisory, startup code ...), never from rules about the input itself (pins,
hashes, the lockfile), whose fix is not another version. Two formats, by the file's name:

- anything but ``.json``: a pip / uv constraints file, one line per package,
  ``name!=1.82.8`` for each failing version, with the rules and the nearest version the
  evidence at hand does not condemn as a comment;
- ``.json``: an npm ``overrides`` snippet (``"name": "<1.0.3 || >1.0.3"``) to merge into
  package.json.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from itertools import pairwise

import nodesemver

from policyengine.model.verdict import RuleResult

VERSION_RULE_CHECKS = frozenset(
    {
        "registry-status",
        "advisories",
        "release-age",
        "release-cadence",
        "publisher-change",
        "approved-publishers",
        "startup-code",
        "install-scripts",
        "suspicious-code",
        "unexpected-binaries",
        "new-files",
        "risk-score",
    }
)
"""Checks whose failure is about the version itself: another version can clear it."""


@dataclass(slots=True)
class _Package:
    versions: dict[str, set[str]] = field(default_factory=dict)
    suggested: str | None = None


class Constraints:
    """Failing versions per (ecosystem, name), fed one result at a time as they stream."""

    def __init__(self) -> None:
        self.packages: dict[tuple[str, str], _Package] = {}

    def add(self, result: RuleResult) -> None:
        """Keep ``result`` if it fails a version-dependent rule for a known package version."""
        component = result.component
        if result.outcome != "fail" or result.check not in VERSION_RULE_CHECKS:
            return
        if component is None or component.version is None or component.purl is None:
            return
        ecosystem = component.purl[4:].split("/", 1)[0] if component.purl.startswith("pkg:") else ""
        if ecosystem not in ("pypi", "npm"):
            return
        entry = self.packages.setdefault((ecosystem, component.name), _Package())
        entry.versions.setdefault(component.version, set()).add(result.rule)
        observed = result.observed
        if isinstance(observed, dict) and isinstance(observed.get("suggested_version"), str):
            entry.suggested = entry.suggested or observed["suggested_version"]

    def pip(self, header: str) -> str:
        """The pip / uv constraints file."""
        lines = [f"# {header}", "# Keeps out the versions the verdict failed; pip install -c FILE"]
        for (ecosystem, name), entry in sorted(self.packages.items()):
            if ecosystem != "pypi":
                continue
            excluded = ",".join(f"!={v}" for v in sorted(entry.versions))
            rules = sorted({r for rs in entry.versions.values() for r in rs})
            note = f"; nearest safe version at hand: {entry.suggested}" if entry.suggested else ""
            lines.append(f"{name}{excluded}  # {', '.join(rules)}{note}")
        return "\n".join(lines) + "\n"

    def npm(self) -> str:
        """The npm ``overrides`` snippet, as JSON."""
        overrides = {
            name: _semver_excluding(entry.versions)
            for (ecosystem, name), entry in sorted(self.packages.items())
            if ecosystem == "npm"
        }
        return json.dumps({"overrides": overrides}, indent=2, sort_keys=True) + "\n"


def _semver_excluding(versions: dict[str, set[str]]) -> str:
    """A semver range of every version but these: ``<1 || >1 <2 || >2``."""
    ordered = sorted(versions, key=functools.cmp_to_key(_semver_cmp))
    parts = [f"<{ordered[0]}"]
    parts += [f">{low} <{high}" for low, high in pairwise(ordered)]
    parts.append(f">{ordered[-1]}")
    return " || ".join(parts)


def _semver_cmp(a: str, b: str) -> int:
    try:
        return int(nodesemver.compare(a, b, True))
    except ValueError:
        return (a > b) - (a < b)
