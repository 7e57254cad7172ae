"""Fingerprints of the facts a verdict was judged on, per component.

Re-judging compares them with today's facts: a release is re-judged only when the
fingerprint of one of its components changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from policyengine.model import Advisories, ComponentEvidence, FactKind, Ok


def advisory_ids(facts: ComponentEvidence | None) -> str | None:
    """Sorted, comma-joined ids and aliases of the advisories seen; ``None`` if not obtained."""
    fact = facts.facts.get(FactKind.ADVISORIES) if facts is not None else None
    if not isinstance(fact, Ok) or not isinstance(fact.value, Advisories):
        return None
    ids = {a.id for a in fact.value.advisories}
    ids.update(alias for a in fact.value.advisories for alias in a.aliases)
    return ",".join(sorted(ids))


def registry_digest(plain_facts: Mapping[str, Any] | None) -> str | None:
    """A digest of the registry facts' values (bundle JSON), sources and times left out.

    ``plain_facts`` is one component's entry of a bundle (kind -> fact JSON). Advisories
    are fingerprinted on their own (:func:`advisory_ids`); a re-fetch that finds the
    same facts gives the same digest.
    """
    if plain_facts is None:
        return None
    kept = {
        kind: _without_sources(fact)
        for kind, fact in plain_facts.items()
        if kind != FactKind.ADVISORIES.value
    }
    if not kept:
        return _NO_REGISTRY_FACTS
    return "sha256:" + hashlib.sha256(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)).hexdigest()


_NO_REGISTRY_FACTS = "sha256:" + hashlib.sha256(b"{}").hexdigest()


def _without_sources(fact: Any) -> Any:
    if isinstance(fact, dict):
        return {k: _without_sources(v) for k, v in fact.items() if k not in ("source",)}
    if isinstance(fact, list):
        return [_without_sources(v) for v in fact]
    return fact
