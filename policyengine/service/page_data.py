"""What the page shows, read from the inventory into plain values for the templates.

Every question goes through the inventory's own read code (``Store.recent_releases``,
``Store.release``, ``Store.history``, :mod:`policyengine.watch.affected`), so the page and
``policyengine releases list|show|history|affected`` give the same answers. Only the
releases the token may see are ever returned. Everything taken from a stored verdict is
untrusted text (it came from an SBOM and from registries): it is passed on as strings for
the autoescaping templates and never interpreted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from policyengine.enrich.versions import ORDERED_ECOSYSTEMS, normalise_name
from policyengine.model import UsageError
from policyengine.service.principal import Principal
from policyengine.store import Holder, ReleaseRow, Store, VerdictRow
from policyengine.watch.advisory_store import StoreAdvisoryDb
from policyengine.watch.affected import advisory_versions, first_seen_in, hits, purl_versions

#: Releases per page of the list.
PAGE_SIZE = 50

#: Findings shown per outcome; a verdict of a large release can hold thousands of
#: unknowns, and the full verdict is one command away.
SECTION_CAP = 500

#: The outcomes that need a person's attention, in the order the page shows them.
ATTENTION = (
    ("fail", "Failures"),
    ("error", "Errors"),
    ("warn", "Warnings"),
    ("unknown", "Unknown: the evidence was missing"),
)

#: The outcomes only counted, per rule.
QUIET = ("pass", "waived", "info", "not_applicable")

#: Outcomes the stylesheet knows; anything else in a stored document is shown as "other".
OUTCOMES = frozenset({"pass", "warn", "fail", "incomplete", "unknown", "error", *QUIET})

#: The longest search the affected box takes (a purl, name@version or advisory id).
MAX_QUERY = 300


def stamp(moment: datetime) -> str:
    """A time as the CLI prints it (RFC 3339, ``Z``), to the second."""
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def outcome_class(outcome: object) -> str:
    """The CSS class of an outcome: a known one, or ``other`` for anything a document says."""
    return str(outcome) if outcome in OUTCOMES else "other"


def visible_prefix(principal: Principal, asked: str) -> str | None:
    """The name prefix both the token and the filter allow, or ``None`` when none can match."""
    own = principal.release_prefix or ""
    if asked.startswith(own):
        return asked
    if own.startswith(asked):
        return own
    return None


# --- the list ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReleaseList:
    """One page of releases, newest first."""

    rows: list[ReleaseRow]
    total: int
    page: int
    pages: int
    prefix: str


def release_list(store: Store, principal: Principal, prefix: str, page: int) -> ReleaseList:
    """The ``page``-th page (from 1) of the visible releases whose names start with ``prefix``."""
    wanted = visible_prefix(principal, prefix)
    page = max(page, 1)
    if wanted is None:
        return ReleaseList([], 0, 1, 1, prefix)
    rows, total = store.recent_releases(wanted, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    # The store already filtered by the prefix; may_see is asked again so that the page
    # never depends on one query's correctness for what a token is allowed to read.
    return ReleaseList([r for r in rows if principal.may_see(r.name)], total, page, pages, prefix)


# --- one release ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One result that needs attention, as text."""

    outcome: str
    rule: str
    check: str
    severity: str
    component: str
    purl: str
    subject: str
    message: str
    observed: list[tuple[str, str]]
    expected: list[tuple[str, str]]
    remediation: str
    sources: list[str]
    waiver: str


@dataclass(frozen=True, slots=True)
class Section:
    """The findings of one outcome (at most :data:`SECTION_CAP` of them)."""

    outcome: str
    title: str
    findings: list[Finding]
    total: int


@dataclass(frozen=True, slots=True)
class RuleTally:
    """How many results of one rule passed (or were waived, informational, not applicable)."""

    rule: str
    check: str
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class VerdictView:
    """A stored verdict, failures first."""

    outcome: str
    evaluated_at: str
    policy: str
    policy_digest: str
    evidence_digest: str
    summary: list[tuple[str, str]]
    sections: list[Section]
    tallies: list[RuleTally]
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseView:
    """A release, the verdict shown (the latest unless asked) and its history."""

    row: ReleaseRow
    shown: VerdictRow
    verdict: VerdictView
    history: list[VerdictRow] = field(default_factory=list)


def split_release(text: str) -> tuple[str, str] | None:
    """``NAME@VERSION`` -> (name, version) as ``releases show`` reads it, or ``None``."""
    name, sep, version = text.rpartition("@")
    return (name, version) if sep and name and version else None


def release_view(
    store: Store, principal: Principal, name: str, version: str, seq: int | None
) -> ReleaseView | None:
    """The release and one of its verdicts; ``None`` when unknown or outside the token's reach."""
    if not principal.may_see(name):
        return None
    row = store.release(name, version)
    if row is None:
        return None
    history = store.history(row.id)
    shown = row.latest
    if seq is not None:
        chosen = [v for v in history if v.seq == seq]
        if not chosen:
            return None
        shown = chosen[0]
    return ReleaseView(row, shown, verdict_view(store.blob(shown.verdict_blob)), history)


def verdict_view(data: bytes) -> VerdictView:
    """The verdict JSON as the page shows it; a document it cannot read says so."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        return _unreadable(f"the stored verdict is not JSON: {exc}")
    if not isinstance(doc, dict) or not isinstance(doc.get("results", []), list):
        return _unreadable("the stored verdict is not a verdict object")
    grouped: dict[str, list[Finding]] = {outcome: [] for outcome, _ in ATTENTION}
    totals: Counter[str] = Counter()
    tallies: dict[tuple[str, str], Counter[str]] = {}
    for result in doc.get("results") or []:
        if not isinstance(result, dict):
            continue
        outcome = _text(result.get("outcome"))
        if outcome in grouped:
            totals[outcome] += 1
            if len(grouped[outcome]) < SECTION_CAP:
                grouped[outcome].append(_finding(result))
            continue
        key = (_text(result.get("rule")), _text(result.get("check")))
        tallies.setdefault(key, Counter())[outcome] += 1
    # Schema version "2" counts the passes per rule instead of listing them.
    for counted in doc.get("passes") or []:
        if isinstance(counted, dict) and isinstance(counted.get("passed"), int):
            key = (_text(counted.get("rule")), _text(counted.get("check")))
            tallies.setdefault(key, Counter())["pass"] += counted["passed"]
    policy = _object(doc.get("policy"))
    summary = _object(doc.get("summary"))
    return VerdictView(
        outcome=_text(doc.get("outcome")),
        evaluated_at=_text(doc.get("evaluated_at")),
        policy=_text(policy.get("name")),
        policy_digest=_text(policy.get("digest")),
        evidence_digest=_text(doc.get("evidence_digest")),
        summary=[(_text(k), _text(v)) for k, v in summary.items()],
        sections=[
            Section(outcome, title, grouped[outcome], totals[outcome])
            for outcome, title in ATTENTION
            if totals[outcome]
        ],
        tallies=[
            RuleTally(rule, check, {o: counts[o] for o in QUIET if counts[o]})
            for (rule, check), counts in sorted(tallies.items())
        ],
    )


def _unreadable(problem: str) -> VerdictView:
    return VerdictView("", "", "", "", "", [], [], [], problem=problem)


def _finding(result: dict[str, Any]) -> Finding:
    component = _object(result.get("component"))
    name = _text(component.get("name"))
    version = _text(component.get("version"))
    waiver = result.get("waiver")
    return Finding(
        outcome=_text(result.get("outcome")),
        rule=_text(result.get("rule")),
        check=_text(result.get("check")),
        severity=_text(result.get("severity")),
        component=f"{name} {version}".strip() if name else "(the release as a whole)",
        purl=_text(component.get("purl")),
        subject=_text(result.get("subject")),
        message=_text(result.get("message")),
        observed=_pairs(result.get("observed")),
        expected=_pairs(result.get("expected")),
        remediation=_text(result.get("remediation")),
        sources=[_source(s) for s in result.get("sources") or [] if isinstance(s, dict)],
        waiver=_compact(waiver) if waiver else "",
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _source(source: dict[str, Any]) -> str:
    parts = [_text(source.get("name")), _text(source.get("url")), _text(source.get("fetched_at"))]
    return " · ".join(p for p in parts if p)


def _pairs(value: Any) -> list[tuple[str, str]]:
    """Observed/expected values as (key, text) lines; empty values are left out."""
    if value is None or value == {} or value == []:
        return []
    if isinstance(value, dict):
        return [(_text(k), _compact(v)) for k, v in value.items() if v not in (None, [], {})]
    return [("", _compact(value))]


def _compact(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 2000 else text[:2000] + " …"


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else _compact(value)


# --- affected by ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Affected:
    """The answer to one "affected by" search."""

    query: str
    understood: str = ""
    holders: list[Holder] = field(default_factory=list)
    first_seen: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


_ADVISORY_ID = re.compile(r"^[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9._:-]*$")


def affected(store: Store, principal: Principal, query: str) -> Affected:
    """The visible releases holding what ``query`` names.

    A purl, NAME@VERSION, a package name (every version) or an advisory id from the
    store's advisory database.
    """
    query = query.strip()
    if not query:
        return Affected(query)
    if len(query) > MAX_QUERY:
        return Affected(query[:MAX_QUERY], problem=f"a search is at most {MAX_QUERY} characters")
    try:
        understood, ids = _component_ids(store, query)
    except UsageError as exc:
        return Affected(query, problem=exc.one_line())
    found = [h for h in hits(store, ids) if principal.may_see(h.release)]
    return Affected(query, understood, found, first_seen_in(found))


def _component_ids(store: Store, query: str) -> tuple[str, dict[int, str]]:
    if query.startswith("pkg:"):
        return f"package {query}", purl_versions(store, query, None)
    if "@" in query[1:]:  # NAME@VERSION; an npm scope's own "@" comes first
        name, _, version = query.rpartition("@")
        return f"{name} version {version}", _by_name(store, name, version)
    db = StoreAdvisoryDb(store)
    if db.generation() > 0 and db.record(query) is not None:
        ident, ids = advisory_versions(store, db, query, None)
        shown = ident if ident == query else f"{ident} ({query})"
        return f"advisory {shown}", ids
    ids = _by_name(store, query, None)
    if not ids and _ADVISORY_ID.match(query):
        where = "holds no advisories" if db.generation() == 0 else "has no such record"
        raise UsageError(
            f"{query} looks like an advisory id, but the store's advisory database {where}",
            hint="import advisories with policyengine db import PATH --store URL",
        )
    return f"every version of {query}", ids


def _by_name(store: Store, name: str, version: str | None) -> dict[int, str]:
    # Without a purl the ecosystem is not said: every ecosystem the index orders is asked.
    found: dict[int, str] = {}
    for ecosystem in sorted(ORDERED_ECOSYSTEMS):
        for cid, have, _purl in store.versions_of(ecosystem, normalise_name(ecosystem, name)):
            if version is None or have == version:
                found[cid] = have
    return found
