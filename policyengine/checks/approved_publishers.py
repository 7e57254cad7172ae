"""PE-PUB-001 approved-publishers: the version was published by an approved identity."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Literal

from packaging.utils import canonicalize_name
from pydantic import Field, field_validator

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, fact_value, json_list, require, sources
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    PackageMetadata,
    Publishers,
    Status,
)


class ApprovedPublishersParams(CheckParams):
    """Parameters of ``approved-publishers``."""

    ecosystems: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description=(
            "Org-wide allowlist per ecosystem: account names, 'org:<organization>', or "
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
        (``ecosystems``). It passes when any attestation identity of the
        version (e.g. a trusted publisher's repository and workflow) is
        allowed, or the PyPI organization owning the project is allowed
        (``org:<name>``), or every uploading account (npm ``_npmUser``, the
        uploader) is allowed. When the registry names no uploader, every
        account with a role on the project (PyPI ownership roles, npm
        maintainers) must be allowed. Entries may be glob patterns.
        Components without an allowlist are not judged.

        What it ignores, and why: an allow-list that approves anyone (``"*"``,
        as release-gate ships it) is not configured: it decides nothing, so
        the components it covers are not judged (neither passed nor unknown),
        and the rule reports once, with outcome ``info`` and no component,
        which lists are not configured and how to configure them. A pass per
        component would claim a check that was never made.

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

    Example:
        ```yaml
        - id: approved-publishers
          check: approved-publishers
          params:
            ecosystems:
              pypi: ["org:acme", "https://github.com/acme/*"]
            packages:
              pypi/litellm: ["https://github.com/BerriAI/litellm/.github/workflows/*"]
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
            "accounts, 'org:<organization>' or attestation identities that may publish",
            observed={"approves_anyone": list[JsonValue](lists)},
            expected={"allowlist": "the identities that may publish"},
            remediation=(
                "Name who may publish: override this rule id in a policy that extends yours "
                "and list, per ecosystem (params.ecosystems) or per package (params.packages, "
                "keyed 'ecosystem/name'), account names, 'org:<organization>' or attestation "
                "identities such as 'https://github.com/<org>/*' (see `policyengine checks "
                "approved-publishers`)."
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
        observed: dict[str, JsonValue] = {
            "publishers": json_list(publishers.publishers),
            "attestations": json_list(publishers.attestations),
            "organization": organization,
            "maintainers": json_list(publishers.maintainers + role_accounts),
        }
        expected: JsonValue = {"allowlist": list[JsonValue](patterns)}
        used = sources(source, package[1] if package else None)
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
            {a for a in accounts if not _allowed(a, patterns)}
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
    if organization and _allowed(f"org:{organization}", patterns):
        return f"organization {organization}"
    if publishers.publishers:
        if all(_allowed(a, patterns) for a in publishers.publishers):
            return "uploader " + ", ".join(publishers.publishers)
        return None
    accounts = tuple(dict.fromkeys(publishers.maintainers + role_accounts))
    if accounts and all(_allowed(a, patterns) for a in accounts):
        return "maintainers " + ", ".join(accounts)
    return None
