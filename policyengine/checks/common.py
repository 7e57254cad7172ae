"""Helpers shared by the checks: fetching a typed fact, durations, versions, sources.

Kept small on purpose: anything used by one check lives in that check's module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Annotated, TypeVar

import nodesemver
from packaging.version import InvalidVersion, Version
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from policyengine.checks.base import CheckContext
from policyengine.model import (
    Advisory,
    Component,
    ComponentEvidence,
    FactKind,
    FactResult,
    Failed,
    Finding,
    JsonValue,
    Missing,
    Ok,
    Release,
    ReleaseHistory,
    Source,
    Status,
)

T = TypeVar("T")


def unknown(kind: FactKind | str, result: FactResult | None, what: str = "") -> Finding:
    """An UNKNOWN finding that names the missing fact and why it is missing.

    ``what`` says what the fact was needed for, so the message reads as a
    sentence a release manager can act on ("... so the upload time is unknown").
    """
    name = kind.value if isinstance(kind, FactKind) else kind
    if isinstance(result, Failed):
        why = f"{name} facts could not be obtained: {result.error}"
    elif isinstance(result, Missing):
        # ComponentEvidence.get already says "<kind> facts were not collected".
        prefix = f"{name} facts"
        reason = result.reason
        why = reason if reason.startswith(prefix) else f"{prefix} are missing: {reason}"
    elif result is None:
        why = f"{name} facts were not collected"
    else:
        why = f"{name} facts have an unexpected type ({type(result.value).__name__})"
    message = f"{why}; {what}" if what else why
    return Finding(
        status=Status.UNKNOWN,
        message=message,
        observed={"fact": name, "status": result.status if result is not None else "absent"},
        remediation=_unknown_remedy(name, result),
    )


def _unknown_remedy(name: str, result: FactResult | None) -> str:
    """What to do about a missing fact: depends on why it is missing, not only that it is."""
    reason = result.reason if isinstance(result, Missing) else ""
    if "not listed by the registry" in reason:
        return (
            "The registry no longer serves this version (see the registry-status result), so "
            "nothing more can be learnt about it: replace it."
        )
    if "offline" in reason:
        return (
            f"Run once with network access to the {name} source, or supply an evidence bundle "
            "that has it (`--evidence`), so this check can decide."
        )
    if isinstance(result, Failed):
        return (
            f"Re-run when the {name} source answers again (see the error), or supply an "
            "evidence bundle that has it, so this check can decide."
        )
    if isinstance(result, Missing) and "not collected" not in reason:
        return (
            "The registry does not publish this fact for this version: check it by hand, or "
            "record a waiver with an owner and an expiry."
        )
    return (
        f"Collect {name} facts (run `policyengine check` online, or with an evidence bundle "
        "that has them) so this check can decide."
    )


def undecided(kind: FactKind, message: str, remediation: str) -> Finding:
    """An UNKNOWN finding for evidence that exists but cannot decide (said in ``message``)."""
    return Finding(
        status=Status.UNKNOWN,
        message=message,
        observed={"fact": kind.value, "status": "undecided"},
        remediation=remediation,
    )


def fact_value(result: FactResult | None, value_type: type[T]) -> tuple[T, Source] | None:
    """The value and source of an ``Ok`` fact of ``value_type``, else ``None``."""
    if isinstance(result, Ok) and isinstance(result.value, value_type):
        return result.value, result.source
    return None


def require(
    evidence: ComponentEvidence, kind: FactKind, value_type: type[T], what: str = ""
) -> tuple[T, Source] | Finding:
    """The Ok fact of ``kind`` typed ``value_type``, or an UNKNOWN finding saying why not."""
    result = evidence.get(kind)
    found = fact_value(result, value_type)
    if found is None:
        return unknown(kind, result, what)
    return found


def published_release(
    evidence: ComponentEvidence, missing: str, unknown: str
) -> tuple[ReleaseHistory, datetime, Source] | Finding:
    """The release history, the version's upload time and the source, or an UNKNOWN finding.

    ``missing`` completes the message when the history itself is absent ("so the
    upload time is unknown"); ``unknown`` names what cannot be judged when the
    registry does not list the version or gives no upload time ("the cadence").
    """
    found = require(evidence, FactKind.RELEASES, ReleaseHistory, missing)
    if isinstance(found, Finding):
        return found
    history, source = found
    current = current_release(history, key_ecosystem(evidence.key))
    if current is None or current.published_at is None:
        return undecided(
            FactKind.RELEASES,
            (
                f"the registry does not list version {history.version} (see registry-status), "
                f"so {unknown} is unknown"
                if current is None
                else f"the registry gives no upload time for version {history.version}, "
                f"so {unknown} is unknown"
            ),
            "Check the release on the registry; a version the registry no longer lists was "
            "removed and must not ship.",
        )
    return history, current.published_at, source


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: object) -> timedelta:
    """Parse ``72h``, ``7d``, ``1d12h``, ``90m``, ``2w`` (or a timedelta) into a timedelta.

    Raises ``ValueError`` with the accepted forms, which pydantic turns into a
    policy error pointing at the parameter.
    """
    if isinstance(text, timedelta):
        return text
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError("expected a duration such as '72h', '7d', '1d12h' or '30m'")
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    compact = text.strip().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts).lower() != compact.lower():
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit s, m, h, d or w "
            "(e.g. '72h', '7d', '1d12h')"
        )
    seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in parts)
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Render a timedelta compactly for messages: ``2d 3h``, ``5h 10m``, ``40s``."""
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes and not days:
        parts.append(f"{minutes}m")
    if not parts:
        parts.append(f"{seconds}s")
    return sign + " ".join(parts)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*(\d+(\.\d+)?\s*[smhdwSMHDW]\s*)+$",
            "examples": ["72h", "7d", "1d12h"],
        }
    ),
]
"""A parameter type accepting ``72h`` / ``7d`` / ``1d12h`` and serialising back to that form."""


def iso(value: datetime | None) -> str | None:
    """An RFC 3339 UTC string with ``Z`` for a datetime, for observed values."""
    if value is None:
        return None
    text = value.isoformat()
    return text.replace("+00:00", "Z")


def sources(*found: Source | None) -> tuple[Source, ...]:
    """The distinct non-None sources, in order, for a finding's ``sources``."""
    out: list[Source] = []
    for source in found:
        if source is not None and source not in out:
            out.append(source)
    return tuple(out)


def json_list(values: Iterable[str]) -> JsonValue:
    """A sorted JSON list of distinct strings, for stable observed/expected values."""
    return list(sorted(set(values)))


def version_key(ecosystem: str | None, version: str) -> tuple[int, object]:
    """A sort key ordering versions by the ecosystem's own rules where a library knows them.

    PyPI versions go through ``packaging``; npm through ``nodesemver``; anything
    else (or an unparseable version) sorts after the parseable ones by string.
    """
    if ecosystem == "pypi":
        try:
            return (0, Version(version))
        except InvalidVersion:
            return (1, version)
    if ecosystem == "npm":
        parsed = nodesemver.parse(version, False)
        if parsed is not None:
            return (0, _NpmKey(version))
        return (1, version)
    return (1, version)


class _NpmKey:
    """Orders npm versions with nodesemver's comparison (prereleases included)."""

    __slots__ = ("version",)

    def __init__(self, version: str) -> None:
        self.version = version

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _NpmKey):
            return NotImplemented
        return bool(nodesemver.lt(self.version, other.version, False))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _NpmKey):
            return NotImplemented
        return bool(nodesemver.eq(self.version, other.version, False))

    def __hash__(self) -> int:
        return hash(self.version)


def same_version(ecosystem: str | None, left: str, right: str) -> bool:
    """Whether two spellings name one version in the ecosystem's own rules.

    ``1.3``, ``1.3.0`` and ``01.3.0`` are one PEP 440 version; ``v1.3.0`` and
    ``1.3.0`` one semver version. Elsewhere (or unparseable) only equal text is equal.
    """
    if left == right:
        return True
    a, b = version_key(ecosystem, left), version_key(ecosystem, right)
    return a[0] == 0 and b[0] == 0 and a[1] == b[1]


def is_malicious(advisory: Advisory) -> bool:
    """Whether an advisory reports a malicious package: its flag, or its own identity.

    A MAL- id or alias (OpenSSF malicious-packages) or CWE-506 (embedded malicious code)
    says so whatever the flag: an evidence bundle edited to drop the flag cannot hide it.
    """
    return (
        advisory.malicious
        or advisory.id.startswith("MAL-")
        or any(alias.startswith("MAL-") for alias in advisory.aliases)
        or "CWE-506" in advisory.cwes
    )


def withdrawn_by(advisory: Advisory, now: datetime) -> bool:
    """Whether the advisory's withdrawal is in force at ``now``."""
    return advisory.withdrawn is not None and advisory.withdrawn <= now


def key_ecosystem(key: str) -> str | None:
    """The ecosystem of an evidence key (``pypi/name@1.0`` -> ``pypi``)."""
    ecosystem = key.partition("/")[0]
    return ecosystem if ecosystem and ecosystem != "unknown" else None


def current_release(history: ReleaseHistory, ecosystem: str | None) -> Release | None:
    """The component's own release in ``history``, matched by version equality, not text.

    A purl spelling the version differently from the registry (``1.3`` for ``1.3.0``)
    must still find the release, or its yank and upload time would go unseen.
    """
    exact = history.current
    if exact is not None:
        return exact
    for release in history.releases:
        if same_version(ecosystem, release.version, history.version):
            return release
    return None


def version_greater(ecosystem: str | None, left: str, right: str) -> bool | None:
    """Whether ``left`` > ``right`` in the ecosystem's order; ``None`` when not comparable."""
    a, b = version_key(ecosystem, left), version_key(ecosystem, right)
    if a[0] != 0 or b[0] != 0:
        return None
    return bool(b[1] < a[1])  # type: ignore[operator]


def describe(component: Component) -> str:
    """``name version`` (or ``name (no version)``) for messages."""
    return f"{component.name} {component.version}" if component.version else component.name


def input_source(context: CheckContext) -> Source:
    """The input document as a source, for findings judged on the SBOM/lockfile alone."""
    return Source(name="input", url=context.sbom.source, digest=context.sbom.digest)
