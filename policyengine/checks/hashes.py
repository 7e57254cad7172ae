"""PE-HASH-001 hashes: components carry strong digests that match the registry's files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import Field, field_validator

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, input_source, json_list, require, sources
from policyengine.model import (
    Artifacts,
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    Source,
    Status,
)

STRONG = frozenset(
    {"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b_256", "blake2b_512"}
)
"""Algorithms accepted as the required strong digest (sha256 or better)."""


def normalise_alg(alg: str) -> str:
    """``SHA-256`` / ``sha_256`` / ``SHA3-256`` -> ``sha256`` / ``sha3_256`` (the model's form)."""
    text = alg.strip().lower().replace("-", "").replace("_", "")
    for family in ("sha3", "blake2b", "blake2s"):
        if text.startswith(family) and len(text) > len(family):
            return f"{family}_{text[len(family) :]}"
    return text


class HashesParams(CheckParams):
    """Parameters of ``hashes``."""

    algorithms: tuple[str, ...] = Field(
        default=("sha256",),
        description="Digest algorithms every component must carry; one must be sha256 or better.",
    )
    compare_registry: bool = Field(
        default=True, description="Compare the digests with the registry's files of the version."
    )
    registry_absent: Literal["fail", "unknown", "pass"] = Field(
        default="unknown",
        description="What happens when the registry has no digest to compare with.",
    )

    @field_validator("algorithms")
    @classmethod
    def _strong(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        algs = tuple(normalise_alg(a) for a in value)
        if not any(a in STRONG for a in algs):
            raise ValueError(
                "at least one required algorithm must be sha256 or stronger "
                f"({', '.join(sorted(STRONG))})"
            )
        return algs


class HashesCheck(Check):
    """Every component carries strong digests, and they match the registry's files.

    What it checks:
        Each component has a digest for every algorithm in ``algorithms``
        (at least one of them sha256 or stronger). With ``compare_registry``,
        the component's digests are compared with the registry's digests of
        that version's files (wheels, sdists, tarballs): **match** (equal to
        one of the files), **mismatch** (the registry has digests of that
        algorithm and none is equal: always fails), **absent** (the registry
        gives no digest of a common algorithm: ``registry_absent`` decides),
        **unknown** (the artifact facts are missing).

        When none of the components the rule selects carries any digest in the
        input (``pip freeze`` output, a requirements file without ``--hash``,
        an SBOM of an installed environment or an ``npm sbom`` without
        hashes), the cause is the input's format, not each package: the rule
        fails once, for the document (``component`` null), naming the format
        and how to get a hashed input, instead of failing every component. As
        soon as one selected component carries a digest, every component
        without one fails on its own again, and a digest that matches none of
        the registry's files fails exactly as before.

    Why:
        A digest pins the exact bytes that were reviewed. A digest that matches
        no file the registry serves means the SBOM describes something other
        than what the registry distributes: a rebuilt, tampered or swapped
        artifact, or a release that was replaced.

    Parameters:
        ``algorithms`` (default ``[sha256]``), ``compare_registry`` (default
        true), ``registry_absent``: ``fail``, ``unknown`` (default) or ``pass``.

    Example:
        ```yaml
        - id: hashes-match-registry
          check: hashes
          params:
            algorithms: [sha256]
            registry_absent: fail
          severity: fail
        ```

    How to fix:
        Generate the SBOM from a lockfile with hashes (``pip-compile
        --generate-hashes``, ``uv lock``, ``package-lock.json`` integrity) so every
        component carries sha256 or better. On a mismatch, do not install the
        artifact: download it again from the registry, compare, and find out
        where the other bytes came from.
    """

    id = "PE-HASH-001"
    slug = "hashes"
    title = "Components carry strong digests that match the registry's files"
    needs = ()
    params_model = HashesParams

    @classmethod
    def needs_for(cls, params: CheckParams) -> tuple[FactKind, ...]:
        """Registry digests only when they are compared (``compare_registry``)."""
        assert isinstance(params, HashesParams)
        return (FactKind.ARTIFACTS,) if params.compare_registry else ()

    def check_selection(
        self, components: Sequence[Component], params: CheckParams, context: CheckContext
    ) -> Finding | None:
        """One failure for the document when none of the selected components has a digest."""
        assert isinstance(params, HashesParams)
        if any(c.hashes for c in components):
            return None
        document = context.sbom
        total = len(document.components)
        scope = "" if len(components) == total else f" ({total} in the input)"
        return Finding(
            status=Status.FAIL,
            message=(
                f"the input ({_format_name(document.format)}) records no digest for any of "
                f"the {len(components)} components this rule selects{scope}, so none carries "
                f"{', '.join(params.algorithms)} and none can be compared with the registry"
            ),
            observed={
                "format": document.format,
                "components": total,
                "selected": len(components),
                "with_digests": sum(1 for c in document.components if c.hashes),
            },
            expected={"algorithms": json_list(params.algorithms)},
            sources=(input_source(context),),
            remediation=_without_digests_remedy(document.format),
        )

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Check presence of the required algorithms, then compare with the registry."""
        assert isinstance(params, HashesParams)
        own = {normalise_alg(h.alg): h.value.lower() for h in component.hashes}
        missing = [a for a in params.algorithms if a not in own]
        if missing:
            yield Finding(
                status=Status.FAIL,
                message=f"{describe(component)} has no {', '.join(missing)} digest in the input",
                observed={"algorithms": json_list(own)},
                expected={"algorithms": json_list(params.algorithms)},
                sources=(input_source(context),),
                remediation=(
                    "Generate the SBOM from a lockfile that records hashes (pip-compile "
                    "--generate-hashes, uv lock, package-lock.json integrity) so every component "
                    f"carries {', '.join(params.algorithms)}."
                ),
            )
            return
        if not params.compare_registry:
            yield Finding(
                status=Status.PASS,
                message=f"{describe(component)} carries {', '.join(params.algorithms)}",
                observed={"algorithms": json_list(own)},
                expected={"algorithms": json_list(params.algorithms)},
            )
            return
        found = require(
            evidence,
            FactKind.ARTIFACTS,
            Artifacts,
            "so the digests cannot be compared with the registry's files",
        )
        if isinstance(found, Finding):
            yield found
            return
        artifacts, source = found
        yield compare_with_registry(
            component, own, artifacts, params, (input_source(context), source)
        )


def _format_name(fmt: str) -> str:
    return {"cyclonedx": "CycloneDX SBOM", "spdx": "SPDX SBOM"}.get(fmt, fmt)


def _without_digests_remedy(fmt: str) -> str:
    """What to do when the whole input has no digests, by input format."""
    if fmt in {"cyclonedx", "spdx"}:
        return (
            "Generate the SBOM from a lockfile that records hashes instead of from an "
            "installed environment or a manifest (`cyclonedx-py requirements` over a "
            "`pip-compile --generate-hashes` or `uv export` file; `npm sbom` / cyclonedx-npm "
            "over a package-lock.json with integrity), or judge the lockfile itself."
        )
    if fmt.startswith("requirements") or fmt.endswith(".txt"):
        return (
            "`pip freeze` and plain requirements files record no hashes: lock with "
            "`pip-compile --generate-hashes`, `uv pip compile --generate-hashes` or "
            "`uv export --format requirements-txt` and judge that file."
        )
    return (
        "Judge a lockfile that records a digest per package (uv.lock, poetry.lock, "
        "package-lock.json, a requirements file with --hash), or generate the SBOM from one."
    )


def compare_with_registry(
    component: Component,
    own: dict[str, str],
    artifacts: Artifacts,
    params: HashesParams,
    used: tuple[Source, ...],
) -> Finding:
    """Compare the component's digests (``own``: alg -> hex) with the registry's files."""
    registry: dict[str, dict[str, str]] = {}
    for artifact in artifacts.files:
        for digest in artifact.hashes:
            registry.setdefault(normalise_alg(digest.alg), {})[digest.value.lower()] = (
                artifact.filename
            )
    common = sorted(a for a in own if a in registry)
    srcs = sources(*used)
    observed: dict[str, JsonValue] = {
        "component": {a: own[a] for a in sorted(own)},
        "registry_files": [a.filename for a in artifacts.files],
    }
    if not common:
        message = (
            f"the registry gives no {'/'.join(sorted(own))} digest for {describe(component)} "
            "to compare with"
        )
        status = {"fail": Status.FAIL, "unknown": Status.UNKNOWN, "pass": Status.PASS}[
            params.registry_absent
        ]
        observed["result"] = "absent"
        return Finding(
            status=status,
            message=message,
            observed=observed,
            expected="a digest equal to one of the registry's files",
            sources=srcs,
            remediation=(
                "Compare the artifact with the registry by hand or get the digests from the "
                "registry's file listing; set registry_absent to decide what an absent digest does."
                if status is not Status.PASS
                else None
            ),
        )
    mismatched = [a for a in common if own[a] not in registry[a]]
    if mismatched:
        observed["result"] = "mismatch"
        observed["registry"] = {a: json_list(registry[a]) for a in mismatched}
        return Finding(
            status=Status.FAIL,
            message=(
                f"the {', '.join(mismatched)} digest of {describe(component)} matches none of the "
                f"files the registry serves for that version ({len(artifacts.files)})"
            ),
            observed=observed,
            expected="a digest equal to one of the registry's files",
            sources=srcs,
            remediation=(
                f"Do not install this {component.name} artifact: download it again from the "
                "registry, compare the digests, and find out where the other bytes came from "
                "(a rebuilt, mirrored or tampered file) before regenerating the SBOM."
            ),
        )
    matched = {a: registry[a][own[a]] for a in common}
    observed["result"] = "match"
    observed["matched_files"] = dict(matched.items())
    return Finding(
        status=Status.PASS,
        message=f"the digests of {describe(component)} match the registry's "
        + ", ".join(sorted(set(matched.values()))),
        observed=observed,
        expected="a digest equal to one of the registry's files",
        sources=srcs,
    )
