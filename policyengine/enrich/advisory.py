"""OSV records -> :class:`Advisory`: severity, malicious flag, fixed versions, alias merging."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4

from policyengine.enrich.versions import (
    OSV_ECOSYSTEMS,
    affects,
    fixed_versions,
    normalise_name,
    purl_type,
    sort_versions,
)
from policyengine.model import Advisory, Missing

_SEVERITY_ORDER = ("unknown", "low", "medium", "high", "critical")
_GHSA_WORDS = {
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
    "high": "high",
    "critical": "critical",
}
# Which id names a group of aliases: the ecosystem databases first, then the rest.
_ID_PREFERENCE = ("PYSEC-", "GHSA-", "MAL-", "CVE-")


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp (or a datetime PyYAML already made) as an aware UTC datetime."""
    if isinstance(value, datetime):
        stamp = value
    elif isinstance(value, str) and value:
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def entries_for(record: Mapping[str, Any], ecosystem: str, name: str) -> list[Mapping[str, Any]]:
    """The record's ``affected`` entries naming this package (ecosystem is a purl type)."""
    found = []
    for entry in record.get("affected") or ():
        package = entry.get("package") or {}
        eco = purl_type(str(package.get("ecosystem", "")))
        if eco == ecosystem and normalise_name(eco, str(package.get("name", ""))) == name:
            found.append(entry)
    return found


def not_covered(ecosystem: str, covered: Iterable[str], where: str) -> Missing:
    """The fact for a version whose ecosystem the offline database holds no records of.

    "No advisory affects it" would be a claim about records the database never saw: an
    import of npm advisories says nothing about PyPI (issue 13).
    """
    held = ", ".join(sorted(covered)) or "no ecosystem"
    export = OSV_ECOSYSTEMS.get(ecosystem, ecosystem)
    return Missing(
        f"{where} holds no {ecosystem} advisories (it covers {held}): "
        f"import an OSV export of {export} with `policyengine db import`"
    )


def record_affects(record: Mapping[str, Any], ecosystem: str, name: str, version: str) -> bool:
    """Whether an OSV record affects that package version.

    Withdrawn records are matched too: whether a withdrawal is in force is decided by
    the evaluation against its ``now`` (a withdrawal dated after it is not), so the
    evidence keeps them with their date.
    """
    return any(affects(ecosystem, version, e) for e in entries_for(record, ecosystem, name))


def to_advisory(record: Mapping[str, Any], ecosystem: str, name: str) -> Advisory:
    """Convert one OSV record into an Advisory for the given package."""
    ident = str(record.get("id", ""))
    aliases = tuple(sorted({str(a) for a in record.get("aliases") or () if a and a != ident}))
    entries = entries_for(record, ecosystem, name)
    severity, score, vector = _severity(record, entries)
    specific = record.get("database_specific") or {}
    cwes = tuple(sorted({str(c) for c in specific.get("cwe_ids") or () if c}))
    malicious = (
        ident.startswith("MAL-") or any(a.startswith("MAL-") for a in aliases) or "CWE-506" in cwes
    )
    return Advisory(
        id=ident,
        aliases=aliases,
        summary=(str(record["summary"]) if record.get("summary") else None),
        severity=severity,
        score=score,
        vector=vector,
        malicious=malicious,
        # A value that is no date is no withdrawal: the advisory stays in force.
        withdrawn=parse_time(record.get("withdrawn")),
        published=parse_time(record.get("published")),
        modified=parse_time(record.get("modified")),
        fixed=fixed_versions(ecosystem, entries),
        url=_url(record),
        cwes=cwes,
    )


def _url(record: Mapping[str, Any]) -> str:
    for ref in record.get("references") or ():
        if ref.get("type") == "ADVISORY" and ref.get("url"):
            return str(ref["url"])
    return f"https://osv.dev/vulnerability/{record.get('id', '')}"


def _severity(
    record: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]
) -> tuple[str, float | None, str | None]:
    scored: list[tuple[float, str, str]] = []
    candidates = list(record.get("severity") or ())
    for entry in entries:
        candidates.extend(entry.get("severity") or ())
    for item in candidates:
        parsed = _score_vector(str(item.get("type", "")), str(item.get("score", "")))
        if parsed is not None:
            scored.append(parsed)
    if scored:
        # Prefer the newest CVSS version given, as the OSV API's own consumers do.
        score, label, vector = max(scored, key=lambda s: (s[2].startswith("CVSS:4"), s[0]))
        return label, score, vector
    words = [record.get("database_specific") or {}]
    words += [e.get("database_specific") or {} for e in entries]
    words += [e.get("ecosystem_specific") or {} for e in entries]
    labels = [_GHSA_WORDS.get(str(w.get("severity", "")).lower()) for w in words]
    known = [label for label in labels if label]
    if known:
        return max(known, key=_SEVERITY_ORDER.index), None, None
    return "unknown", None, None


def _score_vector(kind: str, vector: str) -> tuple[float, str, str] | None:
    try:
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            return float(v4.base_score), _label(str(v4.severity)), vector
        if kind == "CVSS_V3":
            v3 = CVSS3(vector)
            return float(v3.scores()[0]), _label(str(v3.severities()[0])), vector
        if kind == "CVSS_V2":
            v2 = CVSS2(vector)
            return float(v2.scores()[0]), _label(str(v2.severities()[0])), vector
    except Exception:  # the cvss package raises several unrelated types for bad vectors
        return None
    return None


def _label(text: str) -> str:
    text = text.lower()
    return text if text in _SEVERITY_ORDER else "unknown"


def merge(advisories: Iterable[Advisory], ecosystem: str) -> tuple[Advisory, ...]:
    """One Advisory per group of aliases, sorted by id.

    A group is withdrawn only when every member is, as of the latest withdrawal: one
    live alias keeps the advisory in force.
    """
    items = list(advisories)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for adv in items:
        for alias in adv.aliases:
            parent[find(alias)] = find(adv.id)
    groups: dict[str, list[Advisory]] = {}
    for adv in items:
        groups.setdefault(find(adv.id), []).append(adv)
    merged = [_merge_group(group, ecosystem) for group in groups.values()]
    return tuple(sorted(merged, key=lambda a: a.id))


def _preference(ident: str) -> tuple[int, str]:
    for rank, prefix in enumerate(_ID_PREFERENCE):
        if ident.startswith(prefix):
            return rank, ident
    return len(_ID_PREFERENCE), ident


def _merge_group(group: list[Advisory], ecosystem: str) -> Advisory:
    group = sorted(group, key=lambda a: _preference(a.id))
    main = group[0]
    ids = {a.id for a in group} | {x for a in group for x in a.aliases}
    scores = [a for a in group if a.score is not None]
    best = max(scores, key=lambda a: a.score or 0.0) if scores else None
    published = [a.published for a in group if a.published]
    modified = [a.modified for a in group if a.modified]
    return Advisory(
        id=main.id,
        aliases=tuple(sorted(ids - {main.id})),
        summary=next((a.summary for a in group if a.summary), None),
        severity=max((a.severity for a in group), key=_SEVERITY_ORDER.index),
        score=best.score if best else None,
        vector=best.vector if best else None,
        malicious=any(a.malicious for a in group),
        withdrawn=(
            max(withdrawn)
            if len(withdrawn := [a.withdrawn for a in group if a.withdrawn]) == len(group)
            else None
        ),
        published=min(published) if published else None,
        modified=max(modified) if modified else None,
        fixed=sort_versions(ecosystem, (f for a in group for f in a.fixed)),
        url=main.url,
        cwes=tuple(sorted({c for a in group for c in a.cwes})),
        imported_from="; ".join(sorted({a.imported_from for a in group if a.imported_from}))
        or None,
    )


def severity_rank(label: str) -> int:
    """Position of a severity label in unknown < low < medium < high < critical."""
    with contextlib.suppress(ValueError):
        return _SEVERITY_ORDER.index(label)
    return 0
