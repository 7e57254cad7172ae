"""Test-only checks and builders: the real check library is written elsewhere.

``FakeStatus`` behaves like a registry-status check (needs package facts),
``FakeAdvisories`` yields one finding per advisory (subject = advisory id) and
is not applicable to ``generic`` components, ``FakeDoc`` is document-level,
``Exploding`` raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import ClassVar

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.expr import ExprCheck
from policyengine.model import (
    Advisories,
    Advisory,
    Component,
    ComponentEvidence,
    Evidence,
    FactKind,
    FactResult,
    Finding,
    Missing,
    Ok,
    PackageMetadata,
    Sbom,
    Source,
    Status,
)

SOURCE = Source("pypi", "https://pypi.test/pypi/x/json", datetime(2026, 3, 24, 12, tzinfo=UTC))


class StatusParams(CheckParams):
    statuses: tuple[str, ...] = ("quarantined", "archived")


class FakeStatus(Check):
    """Fails components whose registry status is listed.

    What it checks:
        x
    Why:
        x
    Parameters:
        x
    Example:
        x
    How to fix:
        x
    """

    id: ClassVar[str] = "PE-TEST-001"
    slug: ClassVar[str] = "fake-status"
    title: ClassVar[str] = "fake registry status"
    needs: ClassVar[tuple[FactKind, ...]] = (FactKind.PACKAGE,)
    params_model: ClassVar[type[CheckParams]] = StatusParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        assert isinstance(params, StatusParams)
        fact = evidence.get(FactKind.PACKAGE)
        if not isinstance(fact, Ok):
            yield Finding(Status.UNKNOWN, f"no package facts: {getattr(fact, 'reason', 'failed')}")
            return
        assert isinstance(fact.value, PackageMetadata)
        status = fact.value.status
        if status in params.statuses:
            yield Finding(
                Status.FAIL,
                f"{component.name} is {status}",
                observed=status,
                expected=list(params.statuses),
                sources=(fact.source,),
                remediation="pin another version",
            )
        else:
            yield Finding(Status.PASS, f"{component.name} is {status or 'active'}")


class FakeAdvisories(Check):
    """One finding per advisory.

    What it checks:
        x
    Why:
        x
    Parameters:
        x
    Example:
        x
    How to fix:
        x
    """

    id: ClassVar[str] = "PE-TEST-002"
    slug: ClassVar[str] = "fake-advisories"
    title: ClassVar[str] = "fake advisories"
    needs: ClassVar[tuple[FactKind, ...]] = (FactKind.ADVISORIES,)

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        if component.ecosystem == "generic":
            yield Finding(Status.NOT_APPLICABLE, "not a registry package")
            return
        fact = evidence.get(FactKind.ADVISORIES)
        if not isinstance(fact, Ok):
            yield Finding(Status.UNKNOWN, "no advisory facts")
            return
        assert isinstance(fact.value, Advisories)
        if not fact.value.advisories:
            yield Finding(Status.PASS, "no advisories")
        for advisory in fact.value.advisories:
            yield Finding(
                Status.FAIL,
                f"{advisory.id}: {advisory.summary}",
                subject=advisory.id,
                observed=advisory.severity,
            )


class FakeDoc(Check):
    """Document-level: fails when the SBOM has no timestamp, names the first component.

    What it checks:
        x
    Why:
        x
    Parameters:
        x
    Example:
        x
    How to fix:
        x
    """

    id: ClassVar[str] = "PE-TEST-003"
    slug: ClassVar[str] = "fake-doc"
    title: ClassVar[str] = "fake document check"
    level: ClassVar = "document"

    def check_document(
        self, params: CheckParams, context: CheckContext
    ) -> Iterable[tuple[Component | None, Finding]]:
        if context.sbom.metadata.timestamp is None:
            yield None, Finding(Status.FAIL, "the SBOM has no timestamp")
        else:
            yield None, Finding(Status.PASS, "the SBOM has a timestamp")


class Exploding(Check):
    """Raises.

    What it checks:
        x
    Why:
        x
    Parameters:
        x
    Example:
        x
    How to fix:
        x
    """

    id: ClassVar[str] = "PE-TEST-004"
    slug: ClassVar[str] = "exploding"
    title: ClassVar[str] = "raises"

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        raise RuntimeError("boom")


CHECKS: tuple[type[Check], ...] = (ExprCheck, FakeStatus, FakeAdvisories, FakeDoc, Exploding)


def component(
    name: str, version: str = "1.0.0", ecosystem: str = "pypi", **kw: object
) -> Component:
    purl = f"pkg:{ecosystem}/{name}@{version}"
    return Component(
        ref=kw.pop("ref", purl),  # type: ignore[arg-type]
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=purl,
        **kw,  # type: ignore[arg-type]
    )


def sbom(*components: Component, timestamp: str | None = "2026-03-24T00:00:00Z") -> Sbom:
    from policyengine.model import SbomMetadata

    return Sbom(
        format="cyclonedx",
        spec_version="1.6",
        source="sbom.cdx.json",
        digest="sha256:" + "0" * 64,
        components=tuple(components),
        metadata=SbomMetadata(timestamp=timestamp),
    )


def evidence(
    facts: Mapping[str, Mapping[FactKind, FactResult]], digest: str | None = None
) -> Evidence:
    return Evidence(
        components={key: ComponentEvidence(key, dict(kinds)) for key, kinds in facts.items()},
        digest=digest,
    )


def package(status: str | None) -> Ok[object]:
    return Ok(PackageMetadata("pypi", "x", status=status), SOURCE)


def advisories(*ids: str) -> Ok[object]:
    return Ok(Advisories("1", tuple(Advisory(i, summary=f"summary {i}") for i in ids)), SOURCE)


MISSING = Missing("offline")
NOW = datetime(2026, 3, 24, 18, tzinfo=UTC)


class Lying(Check):
    """Passes whatever the evidence says (a bug the engine must catch).

    What it checks:
        x
    Why:
        x
    Parameters:
        x
    Example:
        x
    How to fix:
        x
    """

    id: ClassVar[str] = "PE-TEST-005"
    slug: ClassVar[str] = "lying"
    title: ClassVar[str] = "passes without evidence"
    needs: ClassVar[tuple[FactKind, ...]] = (FactKind.PACKAGE, FactKind.RELEASES)

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        yield Finding(Status.PASS, "looks fine")


CHECKS = (*CHECKS, Lying)


def build(
    items: Iterable[tuple[str, str, str | None, Iterable[str], bool]],
) -> tuple[list[Component], Evidence]:
    """Components and their evidence from ``(name, version, status, advisory ids, present)``.

    ``present`` False gives a Missing package fact (the registry could not be asked).
    """
    listed = list(items)
    built = [component(name, version) for name, version, _, _, _ in listed]
    facts = evidence(
        {
            c.key: {
                FactKind.PACKAGE: package(status) if present else Missing("offline"),
                FactKind.ADVISORIES: advisories(*ids),
            }
            for c, (_, _, status, ids, present) in zip(built, listed, strict=True)
        }
    )
    return built, facts
