"""PE-SBOM-001 sbom-quality: the SBOM has the NTIA minimum elements and the CISA 2025 additions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import input_source
from policyengine.model import (
    OTHER_IDENTITY_MARK,
    Component,
    Finding,
    JsonValue,
    Sbom,
    Source,
    Status,
)

Element = Literal[
    "supplier",
    "name",
    "version",
    "identifier",
    "dependencies",
    "author",
    "timestamp",
    "hash",
    "license",
    "tool",
    "context",
]

NTIA: tuple[Element, ...] = (
    "supplier",
    "name",
    "version",
    "identifier",
    "dependencies",
    "author",
    "timestamp",
)
"""NTIA minimum elements (2021): supplier, component name, version, other unique
identifiers, dependency relationship, author of SBOM data, timestamp."""

CISA_2025: tuple[Element, ...] = (*NTIA, "hash", "license", "tool", "context")
"""The CISA 2025 draft minimum elements add component hash, license, tool name and
generation context (the CycloneDX lifecycle phase)."""

DESCRIPTIONS: dict[Element, str] = {
    "supplier": "component supplier name",
    "name": "component name",
    "version": "component version",
    "identifier": "other unique identifier (purl, CPE or SWID)",
    "dependencies": "dependency relationship",
    "author": "author of the SBOM data",
    "timestamp": "timestamp of the SBOM",
    "hash": "component hash",
    "license": "component license",
    "tool": "name of the generating tool",
    "context": "generation context (lifecycle phase)",
}


class SbomQualityParams(CheckParams):
    """Parameters of ``sbom-quality``."""

    profile: Literal["ntia", "cisa-2025"] = Field(
        default="cisa-2025", description="Which list of minimum elements applies."
    )
    ignore: tuple[Element, ...] = Field(default=(), description="Elements not to require.")
    min_coverage: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Share of components that must carry each per-component element.",
    )


def _in_graph(sbom: Sbom) -> set[str]:
    refs: set[str] = set()
    for ref, targets in sbom.dependencies:
        refs.add(ref)
        refs.update(targets)
    return refs


def _component_tests(sbom: Sbom) -> dict[Element, Callable[[Component], bool]]:
    graph = _in_graph(sbom)
    return {
        "supplier": lambda c: bool(c.supplier),
        "name": lambda c: bool(c.name),
        "version": lambda c: bool(c.version),
        "identifier": lambda c: bool(c.purl or c.identifiers),
        "dependencies": lambda c: c.ref in graph,
        "hash": lambda c: bool(c.hashes),
        "license": lambda c: bool(c.licenses),
    }


class SbomQualityCheck(Check):
    """The SBOM carries the NTIA minimum elements and the CISA 2025 additions.

    What it checks:
        The document as a whole, once per input. NTIA minimum elements:
        supplier, component name, version, other unique identifier (a purl, a CPE or
        a SWID tag id),
        dependency relationship (the document has a dependency graph and the
        component appears in it), author of the SBOM data, timestamp. The
        ``cisa-2025`` profile (default) adds the CISA 2025 draft elements:
        component hash, license, tool name and generation context (lifecycle
        phase). Per-component elements must be present on at least
        ``min_coverage`` of the components. The finding lists each missing
        element with how many components lack it and a few examples.
        A lockfile input is no SBOM and gives unknown. Whatever the profile, a
        component whose purl and own name/version disagree (or an SPDX package
        with two purls naming different packages) fails, once per component:
        every identity is judged by the other rules, and this says the document
        named one component as two packages.

    Why:
        An SBOM without versions, identifiers or hashes cannot be matched
        against registries and advisories, so every other check becomes
        unknown; without an author, timestamp and tool nobody can tell how
        current or trustworthy it is.

    Parameters:
        ``profile``: ``cisa-2025`` (default) or ``ntia``. ``ignore``: elements
        not to require (``supplier``, ``name``, ``version``, ``identifier``,
        ``dependencies``, ``author``, ``timestamp``, ``hash``, ``license``,
        ``tool``, ``context``). ``min_coverage``: 0..1 (default 1.0).

    Example:
        ```yaml
        - id: sbom-minimum-elements
          check: sbom-quality
          params:
            profile: ntia
            ignore: [supplier]
            min_coverage: 0.95
          severity: fail
        ```

    How to fix:
        Generate the SBOM with a tool that records the missing elements (e.g.
        cyclonedx-py or cdxgen from a lockfile with hashes), and set the
        document metadata: authors, timestamp, tools and lifecycle phase.
    """

    id = "PE-SBOM-001"
    slug = "sbom-quality"
    title = "The SBOM has the NTIA minimum elements and the CISA 2025 additions"
    needs = ()
    level = "document"
    params_model = SbomQualityParams

    def check_document(
        self, params: CheckParams, context: CheckContext
    ) -> Iterable[tuple[Component | None, Finding]]:
        """One document-level finding listing the missing elements."""
        assert isinstance(params, SbomQualityParams)
        sbom = context.sbom
        if not sbom.format.lower().startswith(("cyclonedx", "spdx")):
            yield (
                None,
                Finding(
                    status=Status.UNKNOWN,
                    message=f"the input is a {sbom.format} lockfile, not an SBOM, so SBOM "
                    "quality cannot be judged",
                    observed={"format": sbom.format},
                    expected={"format": "cyclonedx or spdx"},
                    sources=(input_source(context),),
                    remediation="Run this rule on the SBOM built from the lockfile instead.",
                ),
            )
            return
        required = [e for e in (NTIA if params.profile == "ntia" else CISA_2025)]
        required = [e for e in required if e not in params.ignore]
        missing: list[JsonValue] = []
        # The other identities of a component are copies the reader made (to judge each):
        # the document's elements are counted on what it listed.
        listed = [c for c in sbom.components if OTHER_IDENTITY_MARK not in c.ref]
        total = len(listed)
        tests = _component_tests(sbom)
        document = {
            "author": bool(sbom.metadata.authors),
            "timestamp": bool(sbom.metadata.timestamp),
            "tool": bool(sbom.metadata.tools),
            "context": bool(sbom.metadata.lifecycle),
        }
        for element in required:
            if element in document:
                if not document[element]:
                    missing.append({"element": element, "description": DESCRIPTIONS[element]})
                continue
            if element == "dependencies" and not sbom.dependencies:
                missing.append(
                    {
                        "element": element,
                        "description": DESCRIPTIONS[element],
                        "note": "the document has no dependency graph",
                    }
                )
                continue
            lacking = [c.ref for c in listed if not tests[element](c)]
            if total and (total - len(lacking)) / total < params.min_coverage:
                missing.append(
                    {
                        "element": element,
                        "description": DESCRIPTIONS[element],
                        "components_missing": len(lacking),
                        "components": total,
                        "examples": list[JsonValue](lacking[:5]),
                    }
                )
        expected: JsonValue = {
            "profile": params.profile,
            "elements": list[JsonValue](required),
            "min_coverage": params.min_coverage,
        }
        source = input_source(context)
        yield from _conflicts(sbom, source)
        if not missing:
            yield (
                None,
                Finding(
                    status=Status.PASS,
                    message=f"the SBOM has every {params.profile} minimum element "
                    f"({total} components)",
                    observed={"missing": [], "components": total},
                    expected=expected,
                    sources=(source,),
                ),
            )
            return
        names = ", ".join(str(m["element"]) for m in missing if isinstance(m, dict))
        yield (
            None,
            Finding(
                status=Status.FAIL,
                message=f"the SBOM lacks {params.profile} minimum elements: {names}",
                observed={"missing": missing, "components": total},
                expected=expected,
                sources=(source,),
                remediation=(
                    "Regenerate the SBOM with a tool that records these elements (e.g. "
                    "cyclonedx-py or cdxgen from a lockfile with hashes) and set the document "
                    "metadata: authors, timestamp, tools and lifecycle phase."
                ),
            ),
        )


def _conflicts(sbom: Sbom, source: Source) -> Iterable[tuple[Component | None, Finding]]:
    """One failure per component whose purl and name/version (or two purls) disagree.

    The reader judges every identity; this says, in the verdict, that the document
    named one component as two packages (a clean purl can hide a malicious name).
    """
    seen: set[str] = set()
    for component in sbom.components:
        note = component.identity_conflict
        if note is None or note in seen:
            continue
        seen.add(note)
        yield (
            component,
            Finding(
                status=Status.FAIL,
                message=f"{component.ref}: {note}",
                observed={
                    "identities": [
                        c.purl or f"{c.name}@{c.version or ''}"
                        for c in sbom.components
                        if c.identity_conflict == note
                    ]
                },
                expected="one identity: the purl, name and version name the same package",
                sources=(source,),
                remediation=(
                    "Regenerate the SBOM so that each component's purl matches its name and "
                    "version (and give one purl per package); until then every identity it "
                    "names is judged."
                ),
            ),
        )
