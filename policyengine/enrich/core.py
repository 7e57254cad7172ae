"""The async core: group components by package, ask each source once, assemble Evidence."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from policyengine.enrich.cache import Cache
from policyengine.enrich.http import Fetcher, make_client
from policyengine.enrich.npm import npm_facts
from policyengine.enrich.osv import Target, osv_advisories
from policyengine.enrich.osv_db import AdvisoryDb
from policyengine.enrich.progress import Bar
from policyengine.enrich.pypi import REGISTRY_KINDS, VersionFacts, pypi_facts
from policyengine.enrich.settings import EnrichSettings
from policyengine.enrich.versions import OSV_ECOSYSTEMS
from policyengine.model import (
    Component,
    ComponentEvidence,
    Evidence,
    FactKind,
    FactResult,
    Missing,
    Sbom,
)

SUPPORTED_KINDS = REGISTRY_KINDS | {FactKind.ADVISORIES}
"""The fact kinds this module collects (contents and project facts come from elsewhere)."""
CACHE_NAME = "http-cache.sqlite3"
_REGISTRIES = {"pypi": pypi_facts, "npm": npm_facts}


@dataclass(slots=True)
class EnrichRun:
    """The evidence plus how many requests reached the network, per source."""

    evidence: Evidence
    requests: dict[str, int] = field(default_factory=dict)


def targets_of(components: Iterable[Component]) -> dict[str, Component]:
    """Identified components by evidence key (one entry per distinct key)."""
    return {c.key: c for c in components if c.identified}


async def enrich_async(
    sbom: Sbom, settings: EnrichSettings, kinds: set[FactKind] | None = None
) -> EnrichRun:
    """Collect the requested fact kinds for every identified component of ``sbom``."""
    wanted = frozenset(kinds if kinds is not None else SUPPORTED_KINDS)
    components = targets_of(sbom.components)
    facts: dict[str, dict[FactKind, FactResult]] = {key: {} for key in components}
    for kind in wanted - SUPPORTED_KINDS:
        for key in facts:
            facts[key][kind] = Missing(f"{kind.value} facts are not collected by enrichment")
    cache = Cache(settings.cache_dir / CACHE_NAME)
    try:
        async with make_client(settings) as client:
            fetcher = Fetcher(settings, client, cache)
            packages: dict[tuple[str, str], set[str]] = {}
            for comp in components.values():
                packages.setdefault((comp.ecosystem or "", comp.name), set()).add(
                    comp.version or ""
                )
            with Bar(len(packages) + 1, "enrich", enabled=settings.progress) as bar:
                registry = wanted & REGISTRY_KINDS
                jobs = []
                if registry:
                    jobs.append(_registry(fetcher, packages, registry, facts, bar))
                if FactKind.ADVISORIES in wanted:
                    jobs.append(_advisories(fetcher, components, facts))
                await asyncio.gather(*jobs)
                bar.advance()
            requests = dict(fetcher.requests)
    finally:
        cache.close()
    evidence = Evidence(
        components={key: ComponentEvidence(key, facts[key]) for key in sorted(facts)},
        created_at=datetime.now(UTC).replace(microsecond=0),
    )
    return EnrichRun(evidence, requests)


async def _registry(
    fetcher: Fetcher,
    packages: dict[tuple[str, str], set[str]],
    kinds: frozenset[FactKind],
    facts: dict[str, dict[FactKind, FactResult]],
    bar: Bar,
) -> None:
    async def one(ecosystem: str, name: str, versions: set[str]) -> None:
        ask = _REGISTRIES.get(ecosystem)
        ordered = sorted(versions)
        found: VersionFacts
        if ask is None:
            reason = Missing(f"no registry support for the {ecosystem} ecosystem yet")
            found = {v: dict.fromkeys(kinds, reason) for v in ordered}
        else:
            found = await ask(fetcher, name, ordered, kinds)
        for version, by_kind in found.items():
            facts[f"{ecosystem}/{name}@{version}"].update(by_kind)
        bar.advance()

    await asyncio.gather(*(one(eco, name, vs) for (eco, name), vs in sorted(packages.items())))


async def _advisories(
    fetcher: Fetcher,
    components: dict[str, Component],
    facts: dict[str, dict[FactKind, FactResult]],
) -> None:
    settings = fetcher.settings
    mode = settings.advisories
    targets: dict[str, Target] = {}
    for key, comp in components.items():
        ecosystem = comp.ecosystem or ""
        if ecosystem in OSV_ECOSYSTEMS:
            targets[key] = Target(ecosystem, comp.name, comp.version or "")
        else:
            facts[key][FactKind.ADVISORIES] = Missing(
                f"OSV has no ecosystem for {comp.ecosystem!r}"
            )
    if mode == "off":
        for key in targets:
            facts[key][FactKind.ADVISORIES] = Missing("advisories were not collected (off)")
        return
    use_db = mode == "db"
    if mode == "auto" and settings.offline:
        db = AdvisoryDb(settings.cache_dir)
        try:
            use_db = db.count() > 0
        finally:
            db.close()
    if use_db:
        db = AdvisoryDb(settings.cache_dir)
        try:
            empty = db.count() == 0
            for key, target in targets.items():
                facts[key][FactKind.ADVISORIES] = (
                    Missing("the offline advisory database is empty (run `policyengine db import`)")
                    if empty
                    else db.lookup(target.ecosystem, target.name, target.version)
                )
        finally:
            db.close()
        return
    found = await osv_advisories(fetcher, list(targets.values()))
    for key, target in targets.items():
        facts[key][FactKind.ADVISORIES] = found[target]
