from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic import ValidationError

from policyengine.checks.approved_publishers import ApprovedPublishersCheck
from policyengine.model import (
    FactKind,
    FactResult,
    Missing,
    PackageMetadata,
    ProvenanceStatus,
    PublisherIdentity,
    Publishers,
    ReleaseIdentity,
    Status,
)
from tests.checks.factories import assert_actionable, component, ok, run

CHECK = ApprovedPublishersCheck()
COMP = component()
WORKFLOW = "https://github.com/BerriAI/litellm/.github/workflows/publish.yml"


def facts(
    publishers: tuple[str, ...] = (),
    attestations: tuple[str, ...] = (),
    maintainers: tuple[str, ...] = (),
    organization: str | None = None,
    roles: tuple[tuple[str, str], ...] = (),
) -> dict[FactKind, FactResult]:
    return {
        FactKind.PUBLISHERS: ok(
            Publishers("1.82.8", publishers, maintainers, attestations, previous_version=None)
        ),
        FactKind.PACKAGE: ok(
            PackageMetadata("pypi", "litellm", organization=organization, roles=roles)
        ),
    }


ALLOW = {"packages": {"pypi/litellm": ["https://github.com/BerriAI/litellm/*", "org:berriai"]}}


def test_attestation_on_allowlist_passes() -> None:
    [f] = run(CHECK, COMP, facts(("someone",), (WORKFLOW,)), ALLOW)
    assert f.status is Status.PASS and "attestation" in f.message


def test_organization_passes() -> None:
    [f] = run(CHECK, COMP, facts(organization="BerriAI"), ALLOW)
    assert f.status is Status.PASS and "organization" in f.message


def test_unlisted_uploader_fails_and_is_named() -> None:
    [f] = run(CHECK, COMP, facts(("mallory",)), ALLOW)
    assert f.status is Status.FAIL
    assert "mallory" in f.message
    assert isinstance(f.observed, dict) and f.observed["unapproved"] == ["mallory"]
    assert_actionable(f)


def test_unlisted_can_be_unknown() -> None:
    [f] = run(CHECK, COMP, facts(("mallory",)), {**ALLOW, "unlisted": "unknown"})
    assert f.status is Status.UNKNOWN


def test_roles_used_when_no_uploader_named() -> None:
    params = {"ecosystems": {"pypi": ["krrish", "ishaan"]}}
    ok_roles = facts(roles=(("krrish", "Owner"), ("ishaan", "Maintainer")))
    [f] = run(CHECK, COMP, ok_roles, params)
    assert f.status is Status.PASS
    bad_roles = facts(roles=(("krrish", "Owner"), ("eve", "Maintainer")))
    [g] = run(CHECK, COMP, bad_roles, params)
    assert g.status is Status.FAIL and "eve" in g.message


def test_npm_maintainers_and_npm_user() -> None:
    comp = component("left-pad", "1.3.0", "npm")
    params = {"ecosystems": {"npm": ["stevemao"]}}
    [f] = run(CHECK, comp, facts(("stevemao",), maintainers=("stevemao", "other")), params)
    assert f.status is Status.PASS  # the uploader (_npmUser) decides when named


@pytest.mark.parametrize(
    ("setting", "status"), [("unknown", Status.UNKNOWN), ("fail", Status.FAIL)]
)
def test_unidentified(setting: str, status: Status) -> None:
    [f] = run(CHECK, COMP, facts(), {**ALLOW, "unidentified": setting})
    assert f.status is status


def test_no_allowlist_not_applicable() -> None:
    [f] = run(CHECK, COMP, facts(("mallory",)), {"ecosystems": {"npm": ["x"]}})
    assert f.status is Status.NOT_APPLICABLE


def test_package_list_replaces_ecosystem_list() -> None:
    params = {"ecosystems": {"pypi": ["mallory"]}, "packages": {"pypi/litellm": ["krrish"]}}
    [f] = run(CHECK, COMP, facts(("mallory",)), params)
    assert f.status is Status.FAIL


def test_missing_publishers_unknown() -> None:
    [f] = run(CHECK, COMP, {FactKind.PUBLISHERS: Missing("registry has no uploader data")}, ALLOW)
    assert f.status is Status.UNKNOWN and "uploader data" in f.message


def test_package_keys_accept_purls_and_reject_bare_names() -> None:
    [f] = run(CHECK, COMP, facts(("krrish",)), {"packages": {"pkg:pypi/LiteLLM@1.0": ["krrish"]}})
    assert f.status is Status.PASS
    with pytest.raises(ValidationError):
        ApprovedPublishersCheck.params_model.model_validate({"packages": {"litellm": ["x"]}})


@pytest.mark.parametrize("wildcard", [["*"], ["org:acme", "**"], [" * "]])
def test_a_list_that_approves_anyone_is_not_configured(wildcard: list[str]) -> None:
    params = {"ecosystems": {"pypi": wildcard, "npm": ["stevemao"]}}
    [f] = run(CHECK, COMP, facts(("mallory",)), params)
    assert f.status is Status.NOT_APPLICABLE and "not configured" in f.message
    model = ApprovedPublishersCheck.params_model.model_validate(params)
    [note] = CHECK.check_rule(model)
    assert note.status is Status.INFO
    assert "ecosystems.pypi" in note.message and "npm" not in note.message
    assert note.remediation and "params.ecosystems" in note.remediation


def test_a_configured_list_gives_no_note() -> None:
    model = ApprovedPublishersCheck.params_model.model_validate(
        {"ecosystems": {"pypi": ["org:*"]}, "packages": {"npm/x": ["*@acme.test"]}}
    )
    assert list(CHECK.check_rule(model)) == []
    model = ApprovedPublishersCheck.params_model.model_validate({"packages": {"npm/x": ["*"]}})
    [note] = CHECK.check_rule(model)
    assert "packages.npm/x" in note.message


# Trusted Publisher identities from provenance (issue 17).

TP = PublisherIdentity(
    "github:BerriAI/litellm/publish.yml",
    "GitHub",
    "BerriAI/litellm",
    "publish.yml",
    verified=True,
    verification="verified offline: 1 attestation",
)


def provenance(
    status: ProvenanceStatus = "present",
    *identities: PublisherIdentity,
    organization: str | None = None,
    accounts: tuple[str, ...] | None = None,
) -> dict[FactKind, FactResult]:
    release = ReleaseIdentity("1.82.8", status, identities, accounts)
    return {
        FactKind.PUBLISHERS: ok(Publishers("1.82.8", history=(release,))),
        FactKind.PACKAGE: ok(PackageMetadata("pypi", "litellm", organization=organization)),
    }


TRUSTED = {"packages": {"pypi/litellm": ["github:BerriAI/litellm/publish.yml"]}}


def test_an_approved_trusted_publisher_passes_and_says_it_was_verified() -> None:
    [f] = run(CHECK, COMP, provenance("present", TP), TRUSTED)
    assert f.status is Status.PASS
    assert "github:BerriAI/litellm/publish.yml; verified" in f.message
    assert isinstance(f.observed, dict)
    [row] = f.observed["publisher_identities"]
    assert row["identities"][0]["verified"] is True


def test_a_trusted_publisher_from_another_repository_fails_even_with_the_org_allowed() -> None:
    other = replace(TP, identity="github:evil/litellm/publish.yml", repository="evil/litellm")
    allow = {"packages": {"pypi/litellm": ["github:BerriAI/*", "pypi-org:berriai"]}}
    [f] = run(CHECK, COMP, provenance("present", other, organization="BerriAI"), allow)
    assert f.status is Status.FAIL
    assert "not on the allowlist: github:evil/litellm/publish.yml" in f.message
    assert_actionable(f)


def test_require_verified_leaves_an_identity_only_read_unknown() -> None:
    read = replace(TP, verified=False, verification="read, not verified: no library")
    [f] = run(CHECK, COMP, provenance("present", read), {**TRUSTED, "require_verified": True})
    assert f.status is Status.UNKNOWN and "only read, not verified" in f.message
    [g] = run(CHECK, COMP, provenance("present", read), TRUSTED)
    assert g.status is Status.PASS and "read, not verified" in g.message


def test_a_release_without_provenance_fails_a_trusted_publisher_list() -> None:
    [f] = run(CHECK, COMP, provenance("absent"), TRUSTED)
    assert f.status is Status.FAIL and "uploaded without provenance" in f.message


def test_unknown_provenance_falls_back_to_organization_and_accounts() -> None:
    allow = {"packages": {"pypi/litellm": ["github:BerriAI/*", "pypi-org:berriai"]}}
    [f] = run(CHECK, COMP, provenance("unknown", organization="BerriAI"), allow)
    assert f.status is Status.PASS and "organization BerriAI" in f.message


def test_npm_user_entries_match_uploading_accounts() -> None:
    npm = component("left-pad", "1.3.0", "npm")
    allow = {"ecosystems": {"npm": ["npm-user:alice"]}}
    facts_npm: dict[FactKind, FactResult] = {
        FactKind.PUBLISHERS: ok(Publishers("1.3.0", ("alice",))),
        FactKind.PACKAGE: ok(PackageMetadata("npm", "left-pad")),
    }
    [f] = run(CHECK, npm, facts_npm, allow)
    assert f.status is Status.PASS
    facts_npm[FactKind.PUBLISHERS] = ok(Publishers("1.3.0", ("mallory",)))
    [g] = run(CHECK, npm, facts_npm, allow)
    assert g.status is Status.FAIL and "mallory" in g.message
