"""PE-PUB-002 publisher-change: the version's publishers match the release before it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, json_list, require, undecided
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    Publishers,
    Status,
)

Aspect = Literal["publishers", "maintainers", "attestations"]


class PublisherChangeParams(CheckParams):
    """Parameters of ``publisher-change``."""

    compare: tuple[Aspect, ...] = Field(
        default=("publishers", "maintainers", "attestations"),
        description="What to compare with the previous release.",
    )
    ignore: tuple[str, ...] = Field(
        default=(), description="Accounts or identities whose appearance or loss is ignored."
    )


def _sides(
    publishers: Publishers, aspect: Aspect
) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    if aspect == "publishers":
        return publishers.publishers, publishers.previous_publishers
    if aspect == "maintainers":
        return publishers.maintainers, publishers.previous_maintainers
    return publishers.attestations, publishers.previous_attestations


class PublisherChangeCheck(Check):
    """The publishers and maintainers of the version match the release before it.

    What it checks:
        For each aspect in ``compare`` (the uploading accounts, the maintainer
        set, the attestation identities) the set for the component's version
        is compared with the set for the release just before it in upload
        order. Any difference fails, and the finding shows both sides with
        what was added and removed. A first release passes; an aspect the
        registry did not report for the previous release is not compared;
        when no aspect could be compared the result is unknown. The release's
        own version is masked inside attestation names (npm names them by
        ``name@version``), so only a different kind of attestation, or none,
        counts as a change.

    Why:
        A release uploaded by a new account, or without the attestation every
        earlier release carried, is what a stolen token looks like: the
        compromised LiteLLM releases of 2026-03-24 were published with a
        stolen token, outside the project's usual release process.

    Parameters:
        ``compare``: any of ``publishers``, ``maintainers``, ``attestations``
        (default all three). ``ignore``: identities whose change is ignored
        (e.g. a bot account).

    Example:
        ```yaml
        - id: publisher-change
          check: publisher-change
          params:
            compare: [publishers, attestations]
          severity: warn
        ```

    How to fix:
        Confirm with the project that the new publisher or the missing
        attestation is expected (a maintainer handover, a CI change). Until
        then stay on the previous version; once confirmed, waive this finding
        for this version.
    """

    id = "PE-PUB-002"
    slug = "publisher-change"
    title = "The version's publishers match the release before it"
    needs = (FactKind.PUBLISHERS,)
    params_model = PublisherChangeParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Compare each aspect with the previous release and show both sides."""
        assert isinstance(params, PublisherChangeParams)
        found = require(
            evidence, FactKind.PUBLISHERS, Publishers, "so a publisher change cannot be seen"
        )
        if isinstance(found, Finding):
            yield found
            return
        publishers, source = found
        if publishers.previous_version is None:
            yield Finding(
                status=Status.PASS,
                message=f"{describe(component)} is the first release: nothing to compare with",
                observed={"previous_version": None},
                sources=(source,),
            )
            return
        ignore = {i.lower() for i in params.ignore}
        observed: dict[str, JsonValue] = {"previous_version": publishers.previous_version}
        changes: list[str] = []
        compared = 0
        for aspect in params.compare:
            now_side, before_side = _sides(publishers, aspect)
            if before_side is None:
                continue
            compared += 1
            now_set = _comparable(aspect, now_side, publishers.version, ignore)
            before_set = _comparable(aspect, before_side, publishers.previous_version or "", ignore)
            observed[aspect] = json_list(now_side)
            observed[f"previous_{aspect}"] = json_list(before_side)
            if now_set != before_set:
                added, removed = sorted(now_set - before_set), sorted(before_set - now_set)
                observed[f"{aspect}_added"] = list[JsonValue](added)
                observed[f"{aspect}_removed"] = list[JsonValue](removed)
                parts = [
                    f"+{', +'.join(added)}" if added else "",
                    f"-{', -'.join(removed)}" if removed else "",
                ]
                changes.append(f"{aspect} changed ({' '.join(p for p in parts if p)})")
        if compared == 0:
            yield undecided(
                FactKind.PUBLISHERS,
                f"the registry says nothing about who published the previous release "
                f"{publishers.previous_version}, so a publisher change cannot be seen",
                f"Compare the publishers of {publishers.previous_version} and "
                f"{publishers.version} on the registry by hand, or waive with an expiry.",
            )
            return
        expected: JsonValue = {"same_as": publishers.previous_version}
        if not changes:
            yield Finding(
                status=Status.PASS,
                message=f"{describe(component)} has the same publishers as "
                f"{publishers.previous_version}",
                observed=observed,
                expected=expected,
                sources=(source,),
            )
            return
        yield Finding(
            status=Status.FAIL,
            message=f"{describe(component)} vs {publishers.previous_version}: "
            + "; ".join(changes),
            observed=observed,
            expected=expected,
            sources=(source,),
            remediation=(
                f"Confirm with the {component.name} project that the change is expected "
                "(maintainer handover, CI change); until then stay on "
                f"{publishers.previous_version}, then waive this finding for this version."
            ),
        )


def _comparable(aspect: Aspect, side: tuple[str, ...], version: str, ignore: set[str]) -> set[str]:
    """The identities to compare, with the release's own version masked in attestations.

    npm names an attestation by a URL ending in ``name@version``; masking the
    version keeps "the same kind of attestation as last time" from reading as a change.
    """
    out = set()
    for identity in side:
        if identity.lower() in ignore:
            continue
        if aspect == "attestations" and version:
            identity = identity.replace(version, "<version>")
        out.add(identity)
    return out
