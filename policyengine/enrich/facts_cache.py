"""The facts extracted from a registry's answers, kept in the cache next to those answers.

A warm run used to decode every cached registry document again (64 MB of JSON for 51
real PyPI projects: a project document lists every file of every release) only to
extract the same few facts. The facts of one version are now kept as a one-component
evidence bundle (a few kilobytes, read back by the bundle reader with all its checks) in
the same sealed cache, valid as long as the document they came from: their entry carries
the document's fetch time and the same TTL, so they are never fresher than it. Only facts
read from a usable document are kept, never a failure (a failure is asked again next run,
as raw answers are).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from policyengine.enrich.bundle import dump_bundle, parse_bundle
from policyengine.enrich.cache import Entry
from policyengine.enrich.http import Fetcher
from policyengine.enrich.settings import VERSION
from policyengine.model import (
    ComponentEvidence,
    Evidence,
    FactKind,
    FactResult,
    Failed,
    InputError,
    Ok,
)

VersionFacts = dict[str, dict[FactKind, FactResult]]

_FORMAT = "1"
"""Part of every key: extraction code that changes what it extracts bumps it."""


def _key(ecosystem: str, url: str, version: str, kinds: frozenset[FactKind], how: str) -> str:
    names = ",".join(sorted(k.value for k in kinds))
    return f"FACTS {_FORMAT} {VERSION} {ecosystem} {url} {version} {names} {how}"


def read(
    fetcher: Fetcher,
    ecosystem: str,
    name: str,
    url: str,
    versions: Sequence[str],
    kinds: frozenset[FactKind],
    ttl: float,
    how: str = "",
) -> VersionFacts | None:
    """The kept facts of every version, or None when any is missing or stale.

    ``how`` names the settings that change what is extracted (e.g. whether per-version
    documents are asked for).
    """
    found: VersionFacts = {}
    for version in versions:
        entry = fetcher.cache.get(_key(ecosystem, url, version, kinds, how))
        if entry is None or not (fetcher.settings.offline or entry.fresh(ttl)):
            return None
        key = f"{ecosystem}/{name}@{version}"
        try:
            evidence = parse_bundle(entry.body, key)
        except InputError:
            return None  # unreadable: extracted again from the document
        facts = evidence.components.get(key)
        if facts is None or set(facts.facts) != set(kinds):
            return None
        found[version] = dict(facts.facts)
    return found


def keep(
    fetcher: Fetcher,
    ecosystem: str,
    name: str,
    url: str,
    facts: VersionFacts,
    kinds: frozenset[FactKind],
    how: str = "",
) -> None:
    """Keep each version's facts, unless one failed or none came from a document."""
    fetched: datetime | None = None
    for by_kind in facts.values():
        for fact in by_kind.values():
            if isinstance(fact, Failed):
                return
            if isinstance(fact, Ok):
                fetched = fact.source.fetched_at if fetched is None else fetched
    if fetched is None:
        return  # nothing was read from a document (a 404 or an offline miss)
    stamp = fetched.replace(tzinfo=fetched.tzinfo or UTC).timestamp()
    for version, by_kind in facts.items():
        key = f"{ecosystem}/{name}@{version}"
        component = ComponentEvidence(key, dict(by_kind))
        body = dump_bundle(Evidence(components={key: component}))
        fetcher.cache.put(_key(ecosystem, url, version, kinds, how), Entry(url, 200, body, stamp))
