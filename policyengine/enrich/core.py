"""The async core: group components by package, ask each source once, assemble Evidence."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from policyengine.enrich.artifacts.contents import InspectSettings, inspect_contents
from policyengine.enrich.cache import Cache
from policyengine.enrich.http import Fetcher, make_client
from policyengine.enrich.npm import npm_facts
from policyengine.enrich.osv import Target, osv_advisories
from policyengine.enrich.osv_db import AdvisoryDb
from policyengine.enrich.progress import Bar
from policyengine.enrich.pypi import REGISTRY_KINDS, VersionFacts, pypi_facts
from policyengine.enrich.seal import Seal
from policyengine.enrich.settings import EnrichSettings
from policyengine.enrich.versions import OSV_ECOSYSTEMS
from policyengine.model import (
    Artifacts,
    Component,
    ComponentEvidence,
    Evidence,
    FactKind,
    FactResult,
    Failed,
    Missing,
    Ok,
    ReleaseHistory,
    Sbom,
)

SUPPORTED_KINDS = REGISTRY_KINDS | {FactKind.ADVISORIES}
"""The fact kinds collected by default (contents only when asked: it downloads artifacts)."""
COLLECTABLE_KINDS = SUPPORTED_KINDS | {FactKind.CONTENTS}
"""Every fact kind enrichment can collect; project facts come from the project folder."""
CONTENTS_NEEDS = frozenset({FactKind.ARTIFACTS, FactKind.RELEASES})
"""Registry facts that artifact inspection reads: the files and the release before."""
CACHE_NAME = "http-cache.sqlite3"
ARTIFACT_CACHE = "artifacts"
INSPECT_CONCURRENCY = 2
"""Versions inspected at once: each holds its artifact bodies in memory while read."""
_REGISTRIES = {"pypi": pypi_facts, "npm": npm_facts}


@dataclass(slots=True)
class EnrichRun:
    """The evidence plus how many requests reached the network, per source."""

    evidence: Evidence
    requests: dict[str, int] = field(default_factory=dict)


def targets_of(components: Iterable[Component]) -> dict[str, Component]:
    """Identified registry components by evidence key (one entry per distinct key).

    A component from git, a local path or a plain URL is left out: its registry holds
    a same-named package that is not it, whose facts would be judged in its place.
    """
    return {c.key: c for c in components if c.from_registry}


async def enrich_async(
    sbom: Sbom, settings: EnrichSettings, kinds: set[FactKind] | None = None
) -> EnrichRun:
    """Collect the requested fact kinds for every identified component of ``sbom``."""
    wanted = frozenset(kinds if kinds is not None else SUPPORTED_KINDS)
    components = targets_of(sbom.components)
    facts: dict[str, dict[FactKind, FactResult]] = {key: {} for key in components}
    for kind in wanted - COLLECTABLE_KINDS:
        for key in facts:
            facts[key][kind] = Missing(f"{kind.value} facts are not collected by enrichment")
    seal = Seal.beside(settings.cache_dir, os.environ)
    cache = Cache(settings.cache_dir / CACHE_NAME, seal)
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
                if FactKind.CONTENTS in wanted:
                    registry |= CONTENTS_NEEDS
                # One deadline for everything: retries, paging, slow hosts and trickled
                # downloads each have their own bound, but many of them add up.
                deadline = asyncio.timeout(settings.deadline)
                try:
                    async with deadline:
                        jobs = []
                        if registry:
                            jobs.append(_registry(fetcher, packages, registry, facts, bar))
                        if FactKind.ADVISORIES in wanted:
                            jobs.append(_advisories(fetcher, components, facts))
                        await asyncio.gather(*jobs)
                        if FactKind.CONTENTS in wanted:
                            await _contents(fetcher, components, facts, seal)
                except TimeoutError:
                    if not deadline.expired():
                        raise
                    _past_deadline(facts, wanted, settings.deadline)
                bar.advance()
            requests = dict(fetcher.requests)
    finally:
        cache.close()
    evidence = Evidence(
        components={key: ComponentEvidence(key, facts[key]) for key in sorted(facts)},
        created_at=datetime.now(UTC).replace(microsecond=0),
    )
    return EnrichRun(evidence, requests)


def _past_deadline(
    facts: dict[str, dict[FactKind, FactResult]], wanted: frozenset[FactKind], seconds: float
) -> None:
    """Every wanted fact not answered in time is Failed: unknown, never a pass."""
    late = Failed(f"enrichment deadline of {seconds:g} s reached")
    for by_kind in facts.values():
        for kind in wanted:
            by_kind.setdefault(kind, late)


async def _registry(
    fetcher: Fetcher,
    packages: dict[tuple[str, str], set[str]],
    kinds: frozenset[FactKind],
    facts: dict[str, dict[FactKind, FactResult]],
    bar: Bar,
) -> None:
    # The HTTP gate bounds requests, not jobs: without this every package's decoded
    # registry document stays alive while its job waits for per-version requests
    # (measured: 840 MiB instead of 210 MiB for 370 PyPI packages).
    jobs = asyncio.Semaphore(fetcher.settings.concurrency)

    async def one(ecosystem: str, name: str, versions: set[str]) -> None:
        ask = _REGISTRIES.get(ecosystem)
        ordered = sorted(versions)
        found: VersionFacts
        if ask is None:
            reason = Missing(f"no registry support for the {ecosystem} ecosystem yet")
            found = {v: dict.fromkeys(kinds, reason) for v in ordered}
        else:
            async with jobs:
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
            facts[key][FactKind.ADVISORIES] = Missing.off("advisories")
        return
    if mode == "db" or (mode == "auto" and settings.offline):
        if _answer_from_db(settings.cache_dir, targets, facts, list(targets)):
            return
        if mode == "db":
            empty = Missing("the offline advisory database is empty (run `policyengine db import`)")
            for key in targets:
                facts[key][FactKind.ADVISORIES] = empty
            return
    found = await osv_advisories(fetcher, list(targets.values()))
    for key, target in targets.items():
        facts[key][FactKind.ADVISORIES] = found[target]
    if mode == "auto":
        # Air-gapped sites import OSV exports and may forget ``--offline``: an unreachable
        # API must then not leave every advisory unknown. The facts name the database as
        # their source, so a verdict shows where they came from.
        failed = [key for key in targets if isinstance(facts[key][FactKind.ADVISORIES], Failed)]
        if failed:
            _answer_from_db(settings.cache_dir, targets, facts, failed)


def _answer_from_db(
    cache_dir: Path,
    targets: dict[str, Target],
    facts: dict[str, dict[FactKind, FactResult]],
    keys: list[str],
) -> bool:
    """Look ``keys`` up in the imported advisory database; False, writing nothing, if empty."""
    db = AdvisoryDb(cache_dir)
    try:
        if db.count() == 0:
            return False
        for key in keys:
            target = targets[key]
            found = db.lookup(target.ecosystem, target.name, target.version)
            earlier = facts[key].get(FactKind.ADVISORIES)
            if isinstance(found, Missing) and isinstance(earlier, Failed):
                # The API failed and the database does not cover this ecosystem: both
                # reasons, so the user sees what to fix (the network, or an import).
                found = Failed(f"{earlier.error}; and {found.reason}")
            facts[key][FactKind.ADVISORIES] = found
        return True
    finally:
        db.close()


async def _contents(
    fetcher: Fetcher,
    components: dict[str, Component],
    facts: dict[str, dict[FactKind, FactResult]],
    seal: Seal | None,
) -> None:
    """Inspect each version's artifacts against the release before it (``CONTENTS``).

    The previous release's file list comes from the same registry document,
    already in the cache, so it costs no request; downloads are verified
    against the registry's digests before anything is read.
    """
    settings = fetcher.settings
    inspect = InspectSettings(
        cache_dir=settings.cache_dir / ARTIFACT_CACHE,
        offline=settings.offline,
        seal=seal,
        total_timeout=settings.artifact_timeout,
    )
    previous = await _previous_artifacts(fetcher, components, facts)
    gate = asyncio.Semaphore(INSPECT_CONCURRENCY)

    async def one(key: str) -> None:
        files = facts[key].get(FactKind.ARTIFACTS)
        if not isinstance(files, Ok) or not isinstance(files.value, Artifacts):
            why = files.reason if isinstance(files, Missing) else getattr(files, "error", "")
            facts[key][FactKind.CONTENTS] = Missing(f"no artifacts to inspect: {why}")
            return
        async with gate:
            facts[key][FactKind.CONTENTS] = await inspect_contents(
                fetcher.client, files.value, previous.get(key), inspect
            )

    await asyncio.gather(*(one(key) for key in sorted(components)))


async def _previous_artifacts(
    fetcher: Fetcher,
    components: dict[str, Component],
    facts: dict[str, dict[FactKind, FactResult]],
) -> dict[str, Artifacts]:
    """The files of the release before each component's version, where the registry has one."""
    wanted: dict[tuple[str, str], dict[str, str]] = {}
    for key, comp in components.items():
        history = facts[key].get(FactKind.RELEASES)
        if not isinstance(history, Ok) or not isinstance(history.value, ReleaseHistory):
            continue
        before = previous_release(history.value)
        if before is not None:
            wanted.setdefault((comp.ecosystem or "", comp.name), {})[key] = before
    found: dict[str, Artifacts] = {}
    for (ecosystem, name), by_key in sorted(wanted.items()):
        ask = _REGISTRIES.get(ecosystem)
        if ask is None:
            continue
        answers = await ask(
            fetcher, name, sorted(set(by_key.values())), frozenset({FactKind.ARTIFACTS})
        )
        for key, version in by_key.items():
            fact = answers.get(version, {}).get(FactKind.ARTIFACTS)
            if isinstance(fact, Ok) and isinstance(fact.value, Artifacts):
                found[key] = fact.value
    return found


def previous_release(history: ReleaseHistory) -> str | None:
    """The version published just before the component's own, in the registry's order."""
    versions = [r.version for r in history.releases]
    if history.version not in versions:
        return None
    index = versions.index(history.version)
    return versions[index - 1] if index > 0 else None
