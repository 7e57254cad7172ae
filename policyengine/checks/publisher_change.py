"""PE-PUB-002 publisher-change: the version's publishers match the releases before it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, json_list, require, sources, undecided
from policyengine.checks.identities import compare_accounts, compare_provenance
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    Publishers,
    Status,
)

Aspect = Literal["publishers", "maintainers", "attestations", "provenance"]


class PublisherChangeParams(CheckParams):
    """Parameters of ``publisher-change``."""

    compare: tuple[Aspect, ...] = Field(
        default=("publishers", "maintainers", "attestations", "provenance"),
        description="What to compare with the previous release.",
    )
    ignore: tuple[str, ...] = Field(
        default=(), description="Accounts or identities whose appearance or loss is ignored."
    )


def _sides(
    publishers: Publishers, aspect: Literal["publishers", "maintainers", "attestations"]
) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    if aspect == "publishers":
        return publishers.publishers, publishers.previous_publishers
    if aspect == "maintainers":
        return publishers.maintainers, publishers.previous_maintainers
    return publishers.attestations, publishers.previous_attestations


class PublisherChangeCheck(Check):
    """The publishers of the version match the releases before it: same workflow, same accounts.

    What it checks:
        For each aspect in ``compare`` the component's version is compared with the
        releases before it in upload order:

        - ``provenance``: PEP 740 provenance on PyPI, npm provenance
          (``dist.attestations``). It fails when the version was uploaded without
          provenance (or some of its files were) while every earlier release read had
          it ("provenance dropped"), or when its Trusted Publisher (repository and
          workflow, e.g. ``github:sigstore/sigstore-python/release.yml``) is one that
          none of the earlier releases named. Enrichment reads the version and the
          ``provenance_releases`` releases before it (default 3).
        - ``publishers``: the uploading accounts (npm ``_npmUser``). Where the
          registry names them for the releases before it, an account that uploaded
          none of them fails ("new publishing account"), so maintainers taking turns
          do not; otherwise the set is compared with the previous release's.
        - ``maintainers`` and ``attestations``: the maintainer set and the attestation
          names, compared with the previous release's. The release's own version is
          masked inside attestation names (npm names them by ``name@version``), so
          only a different kind of attestation, or none, counts as a change.

        A first release passes. The finding's ``observed`` lists, per release, its
        provenance status and the identities with how each is known: ``verified``
        (PEP 740 attestations whose signature, transparency-log entry, certificate
        identity and file digest pypi-attestations checked offline) or ``read, not
        verified`` (npm's bundles, a trust root that cannot verify, or the library
        not installed), with the URL each was read from.

        What it ignores, and why: a release whose provenance or uploader the registry
        did not say is left out of the comparison, never read as "without". PyPI says
        "this file has no provenance" only through a simple JSON index of api-version
        1.3 or later that gives the file ``"provenance": null``; an index that lacks
        the key (a mirror, or the api-version 1.1 index reachable from our build
        machines), a 404 from the Integrity API, or offline, leaves it unknown. On npm
        a version without ``dist.attestations`` counts as without provenance only when
        other versions in the same answer carry the field (a mirror that strips it
        from all is unknown, and the message names the registry base URL). When no
        aspect can be compared the result is unknown.

    Why:
        A release uploaded by a new account, from another repository or workflow, or
        without the provenance every earlier release carried, is what a stolen token
        looks like: the compromised LiteLLM releases of 2026-03-24 were uploaded with
        a stolen token, outside the project's release process. No advisory is needed
        to see it.

    Parameters:
        ``compare``: any of ``provenance``, ``publishers``, ``maintainers``,
        ``attestations`` (default all four). ``ignore``: identities or accounts whose
        change is ignored (e.g. a bot account, ``github:org/repo/old-release.yml``).

    Example:
        ```yaml
        - id: publisher-change
          check: publisher-change
          params:
            compare: [provenance, publishers]
          severity: fail
        ```

    How to fix:
        Confirm with the project that the new publisher or the missing provenance is
        expected (a maintainer handover, a CI change). Until then stay on the previous
        version; once confirmed, waive this finding for this version.
    """

    id = "PE-PUB-002"
    slug = "publisher-change"
    title = "The version's publishers match the releases before it"
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
        dropped = False
        expected_more: dict[str, JsonValue] = {}
        for aspect in params.compare:
            found_change = (
                compare_provenance(publishers, ignore)
                if aspect == "provenance"
                else compare_accounts(publishers, ignore)
                if aspect == "publishers"
                else None
            )
            if found_change is not None:
                compared += 1
                observed.update(found_change.observed)
                expected_more.update(found_change.expected or {})
                if found_change.change:
                    changes.append(found_change.change)
                    dropped = dropped or found_change.dropped
                continue
            if aspect == "provenance":
                continue  # not comparable: unknown here or before (said if nothing is)
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
            why = publishers.history[0].reason if publishers.history else None
            yield undecided(
                FactKind.PUBLISHERS,
                f"the registry says nothing about who published the previous release "
                f"{publishers.previous_version}, so a publisher change cannot be seen"
                + (f" ({why})" if why else ""),
                f"Compare the publishers of {publishers.previous_version} and "
                f"{publishers.version} on the registry by hand, or waive with an expiry.",
            )
            return
        expected: JsonValue = {"same_as": publishers.previous_version, **expected_more}
        used = sources(source, *(s for r in publishers.history for s in r.sources))
        if not changes:
            yield Finding(
                status=Status.PASS,
                message=f"{describe(component)} has the same publishers as "
                f"{publishers.previous_version}",
                observed=observed,
                expected=expected,
                sources=used,
            )
            return
        yield Finding(
            status=Status.FAIL,
            message=f"{describe(component)} vs {publishers.previous_version}: "
            + "; ".join(changes),
            observed=observed,
            expected=expected,
            sources=used,
            remediation=(
                f"Do not adopt {describe(component)}: a release uploaded without the "
                "provenance of the project's release workflow is what a stolen token looks "
                f"like. Stay on {publishers.previous_version} and ask the {component.name} "
                "project how it was published; waive this finding only once they confirm it."
                if dropped
                else f"Confirm with the {component.name} project that the change is expected "
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
