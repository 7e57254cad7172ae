"""Sbom -> Evidence: ask registries and advisory databases about every component.

``enrich`` is the one entry point for the rest of the system; it is a plain
synchronous call over the async core in :mod:`policyengine.enrich.core`.
Evidence bundles are written and read by :mod:`policyengine.enrich.bundle`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from policyengine.enrich.settings import EnrichSettings, settings_from
from policyengine.model import Evidence, FactKind, Sbom

if TYPE_CHECKING:
    from policyengine.enrich.core import SUPPORTED_KINDS, EnrichRun

# The core (httpx, the artifact readers) is imported when enrichment runs, not when a
# sibling module is: ``check --evidence`` reads a bundle through enrich.bundle and never
# talks to a registry (importing the core cost it ~0.3 s per process).
_LAZY = ("SUPPORTED_KINDS", "EnrichRun")


def __getattr__(name: str) -> object:
    """``SUPPORTED_KINDS`` and ``EnrichRun``, from the core, on first use."""
    if name in _LAZY:
        from policyengine.enrich import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SUPPORTED_KINDS",
    "EnrichRun",
    "EnrichSettings",
    "dump_bundle",
    "enrich",
    "enrich_run",
    "load_bundle",
    "settings_from",
]


def enrich(
    sbom: Sbom, settings: EnrichSettings | None = None, kinds: set[FactKind] | None = None
) -> Evidence:
    """Collect evidence for every identified component (all supported kinds by default).

    ``settings`` default to the public endpoints and the user cache folder, with
    the ``POLICYENGINE_*`` environment variables applied.
    """
    return enrich_run(sbom, settings, kinds).evidence


def enrich_run(
    sbom: Sbom, settings: EnrichSettings | None = None, kinds: set[FactKind] | None = None
) -> EnrichRun:
    """Like :func:`enrich`, also returning request counts per source (for benchmarks, tests)."""
    import asyncio

    from policyengine.enrich.core import enrich_async

    return asyncio.run(enrich_async(sbom, settings or settings_from(os.environ), kinds))


def dump_bundle(evidence: Evidence) -> bytes:
    """The evidence bundle bytes for ``evidence`` (see :mod:`policyengine.enrich.bundle`)."""
    from policyengine.enrich import bundle

    return bundle.dump_bundle(evidence)


def load_bundle(path: str | Path) -> Evidence:
    """Read an evidence bundle, with no network (see :mod:`policyengine.enrich.bundle`)."""
    from policyengine.enrich import bundle

    return bundle.load_bundle(path)
