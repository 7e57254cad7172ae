"""Re-judge the stored releases whose components' facts changed since their last verdict.

What a re-judgement uses (docs/inventory.md):

- the release's own inputs (the stored SBOM/lockfile bytes) and the composed policy of
  its latest verdict: the same questions asked again;
- the evidence bundle of its latest verdict, with two substitutions:
  the advisories of every component come from the offline advisory database as it is
  now (``db import``), when that database holds anything; and, when ``--evidence
  BUNDLE`` is given, that newer bundle's facts replace the stored ones for the
  components it covers (a version removed or yanked, a project quarantined);
- the time of the re-judgement (or ``--now``).

No network: a re-judgement is a pure function of stored bytes, the advisory database
and the newer bundle, like ``check --evidence``.

Which releases: those holding a component whose advisory ids (from the records that
imports since the oldest latest verdict added or changed) or registry facts (from
``--evidence``) differ from the fingerprints kept with the latest verdict. ``--all``
takes every release.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from policyengine.engine import evaluate
from policyengine.enrich import dump_bundle
from policyengine.enrich.bundle import parse_bundle
from policyengine.enrich.versions import OSV_ECOSYSTEMS, normalise_name, purl_type
from policyengine.ingest import parse_bytes
from policyengine.model import ComponentEvidence, Evidence, FactKind, FactResult, Sbom
from policyengine.model.policy import Policy
from policyengine.store import Store
from policyengine.watch.advisory_store import AdvisorySource
from policyengine.watch.fingerprint import advisory_ids, registry_digest
from policyengine.watch.keep import members, new_verdict

# How bad an outcome is: a re-judgement that moves right got worse.
_RANK = {"pass": 0, "warn": 1, "incomplete": 2, "fail": 3}


@dataclass(frozen=True, slots=True)
class Change:
    """A release re-judged: its outcome before and after, and why it was re-judged."""

    release: str
    version: str
    before: str
    after: str
    reasons: tuple[str, ...]
    verdict_id: int
    judged_at: datetime
    summary: dict[str, Any]

    @property
    def worse(self) -> bool:
        """Whether the outcome got worse (pass -> warn -> incomplete -> fail)."""
        return _RANK.get(self.after, 3) > _RANK.get(self.before, 3)

    def document(self) -> dict[str, Any]:
        """The JSON a webhook receives and ``--format json`` prints."""
        return {
            "event": "release.rejudged",
            "release": self.release,
            "version": self.version,
            "outcome": self.after,
            "previous_outcome": self.before,
            "worse": self.worse,
            "reasons": list(self.reasons),
            "verdict_id": self.verdict_id,
            "judged_at": self.judged_at.isoformat().replace("+00:00", "Z"),
            "summary": self.summary,
        }


class AdvisoryFacts:
    """Today's advisory facts from the offline database, memoised per package version."""

    def __init__(self, db: AdvisorySource) -> None:
        self.db = db
        self.generation = db.generation()
        self.usable = db.count() > 0
        self._memo: dict[tuple[str, str, str], FactResult] = {}

    def lookup(self, ecosystem: str, name: str, version: str) -> FactResult:
        """The advisories fact for one package version."""
        key = (ecosystem, name, version)
        if key not in self._memo:
            self._memo[key] = self.db.lookup(ecosystem, name, version)
        return self._memo[key]

    def ids(self, ecosystem: str, name: str, version: str) -> str | None:
        """The fingerprint :func:`advisory_ids` gives for today's facts."""
        fact = self.lookup(ecosystem, name, version)
        return advisory_ids(ComponentEvidence(key="", facts={FactKind.ADVISORIES: fact}))


def select(
    store: Store,
    advisories: AdvisoryFacts,
    fresh: Mapping[str, Any] | None = None,
    *,
    everything: bool = False,
) -> dict[int, set[str]]:
    """Release id -> why it must be re-judged (``advisories``, ``registry``, ``all``)."""
    chosen: dict[int, set[str]] = {}
    if everything:
        return {rid: {"all"} for rid in store.release_ids()}
    generations = store.generations()
    if not generations:
        return chosen
    if advisories.usable:
        since = min(generations.values())
        # A counter behind the verdicts' means another database (local vs in the store)
        # was used since: look at every record it holds.
        since = since if since <= advisories.generation else 0
        for rid in _advisory_changes(store, advisories, since):
            chosen.setdefault(rid, set()).add("advisories")
    if fresh:
        for rid in _registry_changes(store, fresh):
            chosen.setdefault(rid, set()).add("registry")
    return chosen


def _advisory_changes(store: Store, advisories: AdvisoryFacts, since: int) -> set[int]:
    packages: set[tuple[str, str]] = set()
    for _generation, record in advisories.db.changed_since(since):
        for entry in record.get("affected") or ():
            package = entry.get("package") or {} if isinstance(entry, dict) else {}
            eco = purl_type(str(package.get("ecosystem", "")))
            if eco and package.get("name"):
                packages.add((eco, normalise_name(eco, str(package["name"]))))
    today: dict[int, str | None] = {}
    for eco, name in sorted(packages):
        for cid, version, _purl in store.versions_of(eco, name):
            today[cid] = advisories.ids(eco, name, version)
    return {m.release_id for m in store.members(today) if m.advisories != today[m.component_id]}


def _registry_changes(store: Store, fresh: Mapping[str, Any]) -> set[int]:
    digests: dict[int, str | None] = {}
    for key, facts in fresh.items():
        parsed = _parse_key(key)
        if parsed is None:
            continue
        eco, name, version = parsed
        for cid, stored_version, _purl in store.versions_of(eco, name):
            if stored_version == version:
                digests[cid] = registry_digest(facts)
    return {m.release_id for m in store.members(digests) if m.registry != digests[m.component_id]}


def _parse_key(key: str) -> tuple[str, str, str] | None:
    """``ecosystem/name@version`` (a Component.key) -> its parts; npm scopes keep their @."""
    eco, sep, rest = key.partition("/")
    name, at, version = rest.rpartition("@")
    if not sep or not at or not name or not version or eco == "unknown":
        return None
    return eco, name, version


def rejudge_release(
    store: Store,
    release_id: int,
    advisories: AdvisoryFacts,
    *,
    reasons: Iterable[str],
    now: datetime | None = None,
    fresh: Evidence | None = None,
) -> Change | None:
    """Re-judge one release and append the verdict; ``None`` if it is not stored."""
    found = store.releases([release_id])
    if not found:
        return None
    release = found[0]
    before = release.latest
    sboms = [parse_bytes(data, source) for source, data in store.inputs(release_id)]
    policy = Policy.model_validate_json(store.blob(before.policy_blob))
    stored = parse_bundle(store.blob(before.evidence_blob), f"stored evidence of {release.name}")
    evidence = _today(stored, sboms, advisories, fresh)
    bundle = dump_bundle(evidence)
    evidence = dataclasses.replace(evidence, digest="sha256:" + hashlib.sha256(bundle).hexdigest())
    # Stored like the default of `check`: what needs attention listed, passes counted.
    verdict = evaluate(sboms, evidence, policy, now or datetime.now(UTC), results="attention")
    row = new_verdict(verdict, policy, bundle, reason="rejudge", generation=advisories.generation)
    appended = store.append(release_id, members(sboms, evidence, bundle), row)
    return Change(
        release=release.name,
        version=release.version,
        before=before.outcome,
        after=appended.outcome,
        reasons=tuple(sorted(set(reasons))),
        verdict_id=appended.id,
        judged_at=appended.judged_at,
        summary=appended.summary,
    )


def _today(
    stored: Evidence, sboms: Iterable[Sbom], advisories: AdvisoryFacts, fresh: Evidence | None
) -> Evidence:
    """The stored evidence with today's advisories and the newer bundle's facts laid over."""
    components: dict[str, ComponentEvidence] = dict(stored.components)
    if fresh is not None:
        for key, facts in fresh.components.items():
            if key in components:
                merged = {**components[key].facts, **facts.facts}
                components[key] = ComponentEvidence(key=key, facts=merged)
    if advisories.usable:
        for sbom in sboms:
            for comp in sbom.components:
                eco = comp.ecosystem or ""
                if not comp.from_registry or eco not in OSV_ECOSYSTEMS:
                    continue
                old = components.get(comp.key) or ComponentEvidence(key=comp.key)
                fact = advisories.lookup(eco, comp.name, comp.version or "")
                components[comp.key] = ComponentEvidence(
                    key=comp.key, facts={**old.facts, FactKind.ADVISORIES: fact}
                )
    return dataclasses.replace(stored, components=components, digest=None)


def rejudge(
    store: Store,
    advisories: AdvisoryFacts,
    *,
    everything: bool = False,
    now: datetime | None = None,
    fresh_bundle: bytes | None = None,
    on_change: Callable[[Change], None] | None = None,
) -> list[Change]:
    """Select and re-judge; each change goes to ``on_change`` as soon as it is stored."""
    fresh = parse_bundle(fresh_bundle, "--evidence") if fresh_bundle is not None else None
    # Fingerprinted as `check --release` stored them: the canonical dump of the parsed
    # facts, so that fields a newer version adds with their defaults are not read as a
    # change of every fact (an older bundle's raw JSON lacks them).
    plain = json.loads(dump_bundle(fresh)).get("components") if fresh is not None else None
    chosen = select(store, advisories, plain, everything=everything)
    changes: list[Change] = []
    for release_id in sorted(chosen):
        change = rejudge_release(
            store, release_id, advisories, reasons=chosen[release_id], now=now, fresh=fresh
        )
        if change is None:
            continue
        changes.append(change)
        if on_change is not None:
            on_change(change)
    return changes
