"""policyengine: a policy-as-code release gate for software supply chains.

The pipeline is ingest -> enrich -> evaluate -> report; this module is the
public API over it::

    sbom = read_sbom("bom.cdx.json")
    policy = load_policy("baseline")
    evidence = enrich.enrich(sbom, kinds=required_facts(policy, [sbom]))
    verdict = evaluate([sbom], evidence, policy, now)
    print(render(verdict, "markdown"))

``enrich`` is the subpackage :mod:`policyengine.enrich` (``from policyengine import
enrich``); its function of the same name does the work. A function here of that name
would be shadowed by the subpackage as soon as any of its modules is imported.
"""

from __future__ import annotations

__version__ = "0.1.0"

from collections.abc import Sequence
from pathlib import Path

from policyengine.engine import evaluate, required_facts
from policyengine.ingest import read_input as read_sbom
from policyengine.model.policy import Policy
from policyengine.report import render


def load_policy(paths: str | Path | Sequence[str | Path]) -> Policy:
    """Load and compose policy files (or shipped policy names) against the check registry."""
    from policyengine.checks import registry
    from policyengine.policy.loader import load_policy as load

    return load(paths, checks=registry.CHECKS)


__all__ = [
    "__version__",
    "evaluate",
    "load_policy",
    "read_sbom",
    "render",
    "required_facts",
]
