"""policyengine: a policy-as-code release gate for software supply chains.

The pipeline is ingest -> enrich -> evaluate -> report; this module is the
public API over it::

    sbom = read_sbom("bom.cdx.json")
    policy = load_policy("baseline")
    evidence = enrich.enrich(sbom, kinds=required_facts(policy, [sbom]))
    verdict = evaluate([sbom], evidence, policy, now)
    print(render(verdict, "markdown"))

For large inputs, write the report as the policy is evaluated (one rule's results in
memory at a time; the bytes :func:`render` would give)::

    run = Evaluation([sbom], evidence, policy, now, results="attention")
    with block_writer("sarif", inputs=run.subject.inputs, tool_version=__version__) as out:
        for block in run.blocks():
            out.add(block)
        with open("verdict.sarif", "wb") as handle:
            out.write(run.verdict(), handle)

``results="attention"`` lists what needs attention and counts the passes per rule (the
verdict's schema version "2", what ``check`` writes by default); ``evaluate`` and
``Evaluation`` list every result unless asked (``results="all"``, schema version "1").

``enrich`` is the subpackage :mod:`policyengine.enrich` (``from policyengine import
enrich``); its function of the same name does the work. A function here of that name
would be shadowed by the subpackage as soon as any of its modules is imported.
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policyengine.engine import Evaluation, evaluate, required_facts
    from policyengine.ingest import read_input as read_sbom
    from policyengine.model.policy import Policy
    from policyengine.report import block_writer, render

# The public names are imported when first used (PEP 562): `policyengine --version` and
# commands that need no engine do not pay for the engine, the checks and pydantic models.
_LAZY = {
    "Evaluation": ("policyengine.engine", "Evaluation"),
    "evaluate": ("policyengine.engine", "evaluate"),
    "required_facts": ("policyengine.engine", "required_facts"),
    "read_sbom": ("policyengine.ingest", "read_input"),
    "block_writer": ("policyengine.report", "block_writer"),
    "render": ("policyengine.report", "render"),
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module 'policyengine' has no attribute {name!r}")
    value = getattr(importlib.import_module(found[0]), found[1])
    globals()[name] = value
    return value


def load_policy(paths: str | Path | Sequence[str | Path]) -> Policy:
    """Load and compose policy files (or shipped policy names) against the check registry."""
    from policyengine.checks import registry
    from policyengine.policy.loader import load_policy as load

    return load(paths, checks=registry.CHECKS)


__all__ = [
    "Evaluation",
    "__version__",
    "block_writer",
    "evaluate",
    "load_policy",
    "read_sbom",
    "render",
    "required_facts",
]
