"""Builders for check unit tests: components, evidence, contexts, and running a check."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.model import (
    Component,
    ComponentEvidence,
    Evidence,
    FactKind,
    FactResult,
    Finding,
    Hash,
    Ok,
    Sbom,
    SbomMetadata,
    Source,
)

NOW = datetime(2026, 3, 24, 18, 0, tzinfo=UTC)
SOURCE = Source("pypi", "https://pypi.org/pypi/litellm/json", NOW, "sha256:" + "0" * 64)


def at(text: str) -> datetime:
    """A UTC datetime from ``2026-03-24T10:39:00``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def component(
    name: str = "litellm",
    version: str | None = "1.82.8",
    ecosystem: str | None = "pypi",
    **fields: Any,
) -> Component:
    purl = fields.pop("purl", f"pkg:{ecosystem}/{name}@{version}" if ecosystem else None)
    return Component(
        ref=fields.pop("ref", f"{name}@{version}"),
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=purl,
        **fields,
    )


def ok(value: object, source: Source = SOURCE) -> Ok[object]:
    return Ok(value, source)


def evidence_for(comp: Component, facts: Mapping[FactKind, FactResult]) -> ComponentEvidence:
    return ComponentEvidence(comp.key, dict(facts))


def sbom(
    components: tuple[Component, ...] = (),
    *,
    fmt: str = "cyclonedx",
    metadata: SbomMetadata | None = None,
    dependencies: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> Sbom:
    return Sbom(
        format=fmt,
        spec_version="1.6",
        source="sbom.cdx.json",
        digest="sha256:" + "1" * 64,
        components=components,
        metadata=metadata or SbomMetadata(),
        dependencies=dependencies,
    )


def context(
    doc: Sbom | None = None, *, project: FactResult | None = None, now: datetime = NOW
) -> CheckContext:
    return CheckContext(sbom=doc or sbom(), evidence=Evidence(project=project), now=now)


def run(
    check: Check,
    comp: Component,
    facts: Mapping[FactKind, FactResult] | None = None,
    params: Mapping[str, Any] | None = None,
    ctx: CheckContext | None = None,
) -> list[Finding]:
    """Validate ``params`` through the check's model (as a policy would) and run it."""
    model: CheckParams = check.params_model.model_validate(dict(params or {}))
    return list(
        check.check_component(comp, evidence_for(comp, facts or {}), model, ctx or context())
    )


def run_document(
    check: Check, ctx: CheckContext, params: Mapping[str, Any] | None = None
) -> list[tuple[Component | None, Finding]]:
    model: CheckParams = check.params_model.model_validate(dict(params or {}))
    return list(check.check_document(model, ctx))


def sha256(char: str = "a") -> Hash:
    return Hash("sha256", char * 64)


def assert_actionable(finding: Finding) -> None:
    """A FAIL finding says what was seen and expected, from where, and what to do."""
    assert finding.observed is not None, finding
    assert finding.expected is not None, finding
    assert finding.sources, finding
    assert finding.remediation and len(finding.remediation) > 20, finding
