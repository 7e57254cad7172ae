"""PE-PUB-001 approved-publishers: the version was published by an approved identity."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Literal

from packaging.utils import canonicalize_name
from pydantic import Field, field_validator

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, fact_value, json_list, require, sources
from policyengine.checks.identities import identity_rows
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    PackageMetadata,
    Publishers,
    ReleaseIdentity,
    Source,
    Status,
)


class ApprovedPublishersParams(CheckParams):
    """Parameters of ``approved-publishers``."""

    ecosystems: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description=(
            "Org-wide allowlist per ecosystem: Trusted Publishers ('github:OWNER/REPO/"
            "WORKFLOW', 'gitlab:...', 'google:...', 'activestate:...'), accounts (name or "
            "'npm-user:<name>'), 'pypi-org:<organization>' / 'org:<organization>', or "
            "attestation identities (glob patterns allowed)."
        ),
    )
    packages: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description=(
            "Allowlist per package, keyed 'ecosystem/name' or 'pkg:ecosystem/name' "
            "(replaces the ecosystem's)."
        ),
    )
    unlisted: Literal["fail", "unknown"] = Field(
        default="fail", description="What a publisher that is not on the allowlist does."
    )
    unidentified: Literal["fail", "unknown"] = Field(
        default="unknown",
        description="What happens when the registry names no publisher at all.",
    )
    require_verified: bool = Field(
        default=False,
        description="Approve a Trusted Publisher identity only when its attestations were "
        "verified (not only read); an approved but unverified identity is then unknown.",
    )

    @field_validator("packages")
    @classmethod
    def _package_keys(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for key, patterns in value.items():
            plain = key.removeprefix("pkg:").split("@", 1)[0] if key.startswith("pkg:") else key
            if "/" not in plain:
                raise ValueError(f"{key!r}: key packages by 'ecosystem/name', e.g. 'pypi/litellm'")
            ecosystem, _, name = plain.partition("/")
            if ecosystem == "pypi":
                name = canonicalize_name(name)  # components carry PEP 503 names
            out[f"{ecosystem}/{name}"] = patterns
        return out


def _allowed(identity: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(identity.lower(), p.lower()) for p in patterns)


TRUSTED_PUBLISHER_KINDS = ("github:", "gitlab:", "google:", "activestate:")
"""How Trusted Publisher identities are spelled in an allow-list (``github:OWNER/REPO/WF``)."""


def _names_trusted_publishers(patterns: tuple[str, ...]) -> bool:
    return any(p.lower().startswith(TRUSTED_PUBLISHER_KINDS) for p in patterns)


def _account_allowed(account: str, patterns: tuple[str, ...]) -> bool:
    """An uploading account, listed bare (``alice``) or as ``npm-user:alice``."""
    return _allowed(account, patterns) or _allowed(f"npm-user:{account}", patterns)


def _current(publishers: Publishers) -> ReleaseIdentity | None:
    history = publishers.history
    return history[0] if history and history[0].version == publishers.version else None


def approves_anyone(patterns: tuple[str, ...]) -> bool:
    """Whether an allow-list approves every identity (a pattern of only ``*``).

    Such a list is a placeholder (the shipped release-gate's ``"*"``), not a decision
    about who may publish: judging components against it would pass them all.
    """
    return any(p.strip() and not p.strip().strip("*") for p in patterns)


def _unconfigured(params: ApprovedPublishersParams) -> list[str]:
    """The allow-lists (as ``ecosystems.X`` / ``packages.X``) that approve anyone."""
    return [
        *(f"ecosystems.{k}" for k, v in sorted(params.ecosystems.items()) if approves_anyone(v)),
        *(f"packages.{k}" for k, v in sorted(params.packages.items()) if approves_anyone(v)),
    ]


class ApprovedPublishersCheck(Check):
    """The version was published by an identity on the allowlist.

    What it checks:
        Who published the component's version, against an allowlist per
        package (``packages``, keyed ``ecosystem/name``) or per ecosystem
        (``ecosystems``). Entries may be glob patterns, and name:

        - Trusted Publishers, as the version's provenance names them (PEP 740 on
          PyPI, npm provenance): ``github:OWNER/REPO/WORKFLOW`` (e.g.
          ``github:sigstore/sigstore-python/release.yml``),
          ``gitlab:NAMESPACE/PROJECT/WORKFLOW_FILEPATH``, ``google:EMAIL``, and
          for another kind (ActiveState) ``activestate:`` followed by the
          publisher's other fields in key order, joined by ``/``;
        - uploading accounts: ``npm-user:NAME`` (or the bare name);
        - the PyPI organization owning the project: ``pypi-org:NAME`` (or
          ``org:NAME``);
        - other attestation identities (npm attestation URLs).

        When the list names a Trusted Publisher and the version's provenance names
        any, every Trusted Publisher of the version must be on the list: one from
        another repository or workflow fails, whatever else the list approves.
        ``require_verified`` also asks that their attestations were verified (see
        publisher-change for what "verified" means); otherwise an identity that was
        only read is approved and the message says "read, not verified". A version
        the registry positively says was uploaded without provenance fails against
        such a list unless an approved organization or account published it.

        Otherwise it passes when any attestation identity of the version is
        allowed, or the organization is, or every uploading account (npm
        ``_npmUser``) is. When the registry names no uploader, every account with
        a role on the project (PyPI ownership roles, npm maintainers) must be
        allowed. Components without an allowlist are not judged.

        What it ignores, and why: an allow-list that approves anyone (``"*"``,
        as release-gate ships it) is not configured: it decides nothing, so
        the components it covers are not judged (neither passed nor unknown),
        and the rule reports once, with outcome ``info`` and no component,
        which lists are not configured and how to configure them. A pass per
        component would claim a check that was never made. A release whose
        provenance the registry did not say (a mirror, a 404 from PyPI's
        Integrity API) is judged on its accounts and organization only.

    Why:
        Stolen publishing tokens are the common path to a malicious release.
        Publishing from an approved CI identity (trusted publishing with
        attestations) or by known accounts only makes a release by anyone
        else stand out.

    Parameters:
        ``ecosystems``: allowlists per ecosystem. ``packages``: allowlists per
        package (replace the ecosystem's). ``unlisted``: ``fail`` (default) or
        ``unknown`` for a publisher not on the list. ``unidentified``:
        ``unknown`` (default) or ``fail`` when no publisher is named.
        ``require_verified``: approve Trusted Publishers only when verified
        (default ``false``).

    Example:
        ```yaml
        - id: approved-publishers
          check: approved-publishers
          params:
            ecosystems:
              pypi: ["pypi-org:acme", "github:acme/*"]
              npm: ["npm-user:acme-release-bot", "github:acme/*"]
            packages:
              pypi/sigstore: ["github:sigstore/sigstore-python/release.yml"]
          severity: fail
        ```

    How to fix:
        Confirm with the project who published the release. If the identity is
        legitimate, add it to the allowlist in the policy; if not, do not
        adopt the version and report it to the registry.
    """

    id = "PE-PUB-001"
    slug = "approved-publishers"
    title = "The version was published by an approved identity"
    needs = (FactKind.PUBLISHERS, FactKind.PACKAGE)
    params_model = ApprovedPublishersParams

    def check_rule(self, params: CheckParams) -> Iterable[Finding]:
        """One ``info`` finding naming the allow-lists that approve anyone, if any."""
        assert isinstance(params, ApprovedPublishersParams)
        lists = _unconfigured(params)
        if not lists:
            return
        which = (
            f"the allow-list {lists[0]} approves"
            if len(lists) == 1
            else f"the allow-lists {', '.join(lists)} approve"
        )
        yield Finding(
            status=Status.INFO,
            message=f'approved publishers are not configured: {which} anyone ("*"), so no '
            "component they cover was judged; to configure it, list in this rule's params the "
            "Trusted Publishers ('github:OWNER/REPO/WORKFLOW'), accounts or organizations "
            "that may publish",
            observed={"approves_anyone": list[JsonValue](lists)},
            expected={"allowlist": "the identities that may publish"},
            remediation=(
                "Name who may publish: override this rule id in a policy that extends yours "
                "and list, per ecosystem (params.ecosystems) or per package (params.packages, "
                "keyed 'ecosystem/name'), Trusted Publishers such as "
                "'github:<org>/<repo>/release.yml' or 'github:<org>/*', accounts such as "
                "'npm-user:<name>', or organizations such as 'pypi-org:<name>' (see "
                "`policyengine checks approved-publishers`)."
            ),
        )

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Match the version's publishers against the allowlist that applies."""
        assert isinstance(params, ApprovedPublishersParams)
        key = f"{component.ecosystem}/{component.name}"
        patterns = params.packages.get(key)
        if patterns is None:
            patterns = params.ecosystems.get(component.ecosystem or "")
        if patterns is None:
            yield Finding(
                status=Status.NOT_APPLICABLE,
                message=f"no publisher allowlist applies to {key}",
            )
            return
        if approves_anyone(patterns):
            # Said once for the rule (check_rule); a pass here would claim a check not made.
            yield Finding(
                status=Status.NOT_APPLICABLE,
                message=f"the publisher allowlist for {key} approves anyone (not configured)",
            )
            return
        found = require(
            evidence, FactKind.PUBLISHERS, Publishers, "so the publisher of the version is unknown"
        )
        if isinstance(found, Finding):
            yield found
            return
        publishers, source = found
        package = fact_value(evidence.get(FactKind.PACKAGE), PackageMetadata)
        organization = package[0].organization if package else None
        role_accounts = tuple(a for a, _ in package[0].roles) if package else ()
        current = _current(publishers)
        observed: dict[str, JsonValue] = {
            "publishers": json_list(publishers.publishers),
            "attestations": json_list(publishers.attestations),
            "organization": organization,
            "maintainers": json_list(publishers.maintainers + role_accounts),
        }
        if current is not None:
            observed["publisher_identities"] = identity_rows([current])
        expected: JsonValue = {"allowlist": list[JsonValue](patterns)}
        used = sources(
            source, package[1] if package else None, *(current.sources if current else ())
        )
        if current is not None and current.identities and _names_trusted_publishers(patterns):
            yield _judge_identities(component, current, patterns, params, observed, used)
            return
        approved_by = _approval(publishers, organization, role_accounts, patterns)
        if approved_by is not None:
            yield Finding(
                status=Status.PASS,
                message=f"{describe(component)} was published by an approved identity "
                f"({approved_by})",
                observed=observed,
                expected=expected,
                sources=used,
            )
            return
        if (
            current is not None
            and current.provenance == "absent"
            and _names_trusted_publishers(patterns)
        ):
            yield Finding(
                status=Status.FAIL if params.unlisted == "fail" else Status.UNKNOWN,
                message=f"{describe(component)} was uploaded without provenance, and no "
                "account or organization on the allowlist approves it: no Trusted Publisher "
                "on the allowlist published it",
                observed=observed,
                expected=expected,
                sources=used,
                remediation=(
                    f"Ask the {component.name} project why this release carries no "
                    "provenance from its release workflow; do not adopt it until they confirm."
                ),
            )
            return
        accounts = publishers.publishers or tuple(
            dict.fromkeys(publishers.maintainers + role_accounts)
        )
        if not accounts and not publishers.attestations:
            status = Status.FAIL if params.unidentified == "fail" else Status.UNKNOWN
            yield Finding(
                status=status,
                message=f"the registry names no publisher, maintainer or attestation for "
                f"{describe(component)}",
                observed=observed,
                expected=expected,
                sources=used,
                remediation="Ask the project who publishes releases, or require attestations.",
            )
            return
        unapproved = sorted(
            {a for a in accounts if not _account_allowed(a, patterns)}
            | {a for a in publishers.attestations if not _allowed(a, patterns)}
        )
        yield Finding(
            status=Status.FAIL if params.unlisted == "fail" else Status.UNKNOWN,
            message=f"{describe(component)} was published by identities not on the allowlist: "
            + ", ".join(unapproved),
            observed={**observed, "unapproved": list[JsonValue](unapproved)},
            expected=expected,
            sources=used,
            remediation=(
                f"Confirm with the {component.name} project that {', '.join(unapproved)} may "
                "publish it; if so add the identity to the policy's allowlist, if not do not "
                "adopt this version and report it to the registry."
            ),
        )


def _approval(
    publishers: Publishers,
    organization: str | None,
    role_accounts: tuple[str, ...],
    patterns: tuple[str, ...],
) -> str | None:
    """What approves the version, or ``None``: attestation, organization, or every account."""
    for attestation in publishers.attestations:
        if _allowed(attestation, patterns):
            return f"attestation {attestation}"
    if organization and (
        _allowed(f"org:{organization}", patterns) or _allowed(f"pypi-org:{organization}", patterns)
    ):
        return f"organization {organization}"
    if publishers.publishers:
        if all(_account_allowed(a, patterns) for a in publishers.publishers):
            return "uploader " + ", ".join(publishers.publishers)
        return None
    accounts = tuple(dict.fromkeys(publishers.maintainers + role_accounts))
    if accounts and all(_account_allowed(a, patterns) for a in accounts):
        return "maintainers " + ", ".join(accounts)
    return None


def _judge_identities(
    component: Component,
    current: ReleaseIdentity,
    patterns: tuple[str, ...],
    params: ApprovedPublishersParams,
    observed: dict[str, JsonValue],
    used: tuple[Source, ...],
) -> Finding:
    """Every Trusted Publisher of the release must be on the list (and verified, if asked)."""
    expected: JsonValue = {"allowlist": list[JsonValue](patterns)}
    names = [i.identity for i in current.identities]
    unapproved = sorted(n for n in names if not _allowed(n, patterns))
    if unapproved:
        return Finding(
            status=Status.FAIL if params.unlisted == "fail" else Status.UNKNOWN,
            message=f"{describe(component)} was published by a Trusted Publisher not on the "
            f"allowlist: {', '.join(unapproved)}",
            observed={**observed, "unapproved": list[JsonValue](unapproved)},
            expected=expected,
            sources=used,
            remediation=(
                f"Confirm with the {component.name} project that {', '.join(unapproved)} "
                "publishes it (a moved repository, a renamed workflow); if so add the "
                "identity to the policy's allowlist, if not do not adopt this version and "
                "report it to the registry."
            ),
        )
    unverified = sorted(i.identity for i in current.identities if not i.verified)
    how = "; ".join(sorted({i.verification for i in current.identities}))
    if unverified and params.require_verified:
        return Finding(
            status=Status.UNKNOWN,
            message=f"{describe(component)} names an approved Trusted Publisher "
            f"({', '.join(unverified)}), but it was only read, not verified ({how})",
            observed=observed,
            expected=expected,
            sources=used,
            remediation="Install pypi-attestations, or verify the attestations by hand "
            "(`pypi-attestations verify pypi`), or waive with an expiry.",
        )
    state = "read, not verified" if unverified else "verified"
    return Finding(
        status=Status.PASS,
        message=f"{describe(component)} was published by an approved Trusted Publisher "
        f"({', '.join(names)}; {state})",
        observed=observed,
        expected=expected,
        sources=used,
    )
