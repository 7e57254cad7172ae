"""Render ``policyengine inspect``: normalised components and coverage, as JSON or a table."""

from __future__ import annotations

import gc
import io
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from policyengine.model import Component, Sbom, coverage_of, identity_conflicts


def inspect_document(sbom: Sbom) -> dict[str, Any]:
    """The JSON document of DESIGN.md's ``inspect --format json`` contract."""
    coverage = coverage_of(sbom.components)
    summary: dict[str, Any] = {
        "total": coverage.total,
        "identified": coverage.identified,
        "unidentified": [{"ref": u.ref, "reason": u.reason} for u in coverage.unidentified],
    }
    conflicts = identity_conflicts(sbom.components)
    if conflicts:
        # Only when there are some: the contract's keys stay as they are for every other input.
        summary["identity_conflicts"] = [{"ref": u.ref, "reason": u.reason} for u in conflicts]
    return {
        "format": sbom.format,
        "spec_version": sbom.spec_version,
        "components": [_component(c) for c in sbom.components],
        "coverage": summary,
    }


def _component(c: Component) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ref": c.ref,
        "ecosystem": c.ecosystem,
        "name": c.name,
        "version": c.version,
        "purl": c.purl,
        "hashes": [{"alg": h.alg, "value": h.value} for h in c.hashes],
        "licenses": c.licenses,
        "direct": c.direct,
        "scope": c.scope,
    }
    if c.origin is not None:
        # Only for git/path/URL components, so the contract's keys stay for the rest.
        found["origin"] = {
            "kind": c.origin.kind,
            "location": c.origin.location,
            "revision": c.origin.revision,
        }
    return found


def render_inspect(sbom: Sbom, fmt: str) -> str:
    """Render as ``json`` (stable, indented, trailing newline) or ``table`` (for people)."""
    # Tens of thousands of fresh dicts trigger the cyclic collector for nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        document = inspect_document(sbom)
    finally:
        if was_enabled:
            gc.enable()
    if fmt == "json":
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    return _table(sbom, document)


def _table(sbom: Sbom, document: dict[str, Any]) -> str:
    table = Table(title=f"{sbom.source} ({sbom.format} {sbom.spec_version or ''})".rstrip())
    for column in ("ecosystem", "name", "version", "direct", "scope", "hashes", "licenses"):
        table.add_column(column)
    for c in sbom.components:
        table.add_row(
            c.ecosystem or "?",
            c.name,
            c.version or "?",
            {True: "direct", False: "transitive", None: "?"}[c.direct],
            c.scope or "",
            ",".join(sorted({h.alg for h in c.hashes})),
            c.licenses or "",
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, no_color=True, soft_wrap=False)
    console.print(table)
    cov = document["coverage"]
    console.print(f"{cov['identified']} of {cov['total']} components identified")
    for item in cov["unidentified"]:
        console.print(f"  unidentified: {item['ref']}: {item['reason']}")
    for item in cov.get("identity_conflicts", ()):
        console.print(f"  identity conflict: {item['ref']}: {item['reason']}")
    return buffer.getvalue()
