from __future__ import annotations

import pytest
from pydantic import ValidationError

from policyengine.checks.registry_status import RegistryStatusCheck, inactive
from policyengine.model import (
    FactKind,
    Failed,
    Missing,
    PackageMetadata,
    Release,
    ReleaseHistory,
    Status,
)
from tests.checks.factories import assert_actionable, at, component, ok, run

CHECK = RegistryStatusCheck()
COMP = component()


def history(listed: bool = True, **release: object) -> ReleaseHistory:
    releases = (Release("1.82.6", at("2026-03-20T10:00:00")),)
    if listed:
        releases += (Release("1.82.8", at("2026-03-24T10:52:00"), **release),)
    return ReleaseHistory(version="1.82.8", listed=listed, releases=releases)


def package(status: str | None = None, reason: str | None = None) -> PackageMetadata:
    return PackageMetadata("pypi", "litellm", status=status, status_reason=reason)


def test_listed_active_passes() -> None:
    [f] = run(CHECK, COMP, {FactKind.RELEASES: ok(history()), FactKind.PACKAGE: ok(package())})
    assert f.status is Status.PASS
    assert f.observed == {
        "listed": True,
        "yanked": False,
        "yanked_reason": None,
        "deprecated": None,
        "project_status": None,
    }


def test_removed_and_quarantined_fail_with_both_named() -> None:
    facts = {
        FactKind.RELEASES: ok(history(listed=False)),
        FactKind.PACKAGE: ok(package("quarantined", "malware report")),
    }
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL
    assert "removed" in f.message and "quarantined: malware report" in f.message
    assert_actionable(f)


def test_yanked_reason_is_shown() -> None:
    facts = {
        FactKind.RELEASES: ok(history(yanked=True, yanked_reason="compromised token")),
        FactKind.PACKAGE: ok(package()),
    }
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL
    assert "yanked: compromised token" in f.message


def test_condition_not_in_fail_on_passes_but_is_observed() -> None:
    facts = {
        FactKind.RELEASES: ok(history(deprecated="use litellm2")),
        FactKind.PACKAGE: ok(package()),
    }
    [f] = run(CHECK, COMP, facts, {"fail_on": ["removed", "yanked"]})
    assert f.status is Status.PASS
    assert isinstance(f.observed, dict) and f.observed["deprecated"] == "use litellm2"
    assert "none of removed, yanked applies" in f.message and "deprecated" in f.message


@pytest.mark.parametrize("status", ["archived", "deprecated"])
def test_project_status_fails(status: str) -> None:
    facts = {FactKind.RELEASES: ok(history()), FactKind.PACKAGE: ok(package(status))}
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL and status in f.message


def test_missing_releases_is_unknown_with_reason() -> None:
    [f] = run(CHECK, COMP, {FactKind.RELEASES: Failed("HTTP 500 from https://pypi.org")})
    assert f.status is Status.UNKNOWN
    assert "releases" in f.message and "HTTP 500" in f.message


def test_removal_is_decided_even_without_package_facts() -> None:
    facts = {FactKind.RELEASES: ok(history(listed=False)), FactKind.PACKAGE: Missing("offline")}
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL


def test_clean_history_without_package_facts_is_unknown() -> None:
    facts = {FactKind.RELEASES: ok(history()), FactKind.PACKAGE: Missing("offline")}
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.UNKNOWN and "offline" in f.message
    [g] = run(CHECK, COMP, facts, {"fail_on": ["removed", "yanked"]})
    assert g.status is Status.PASS


def test_params_are_strict() -> None:
    with pytest.raises(ValidationError):
        RegistryStatusCheck.params_model.model_validate({"fail_on": ["gone"]})
    with pytest.raises(ValidationError):
        RegistryStatusCheck.params_model.model_validate({"extra": 1})


def test_the_remediation_names_final_releases_to_move_to() -> None:
    releases = (
        Release("1.82.6", at("2026-03-20T10:00:00")),
        Release("1.83.0", at("2026-04-01T10:00:00")),
        Release("1.84.0rc1", at("2026-05-01T10:00:00")),
        Release("1.83.1", at("2026-04-03T10:00:00"), yanked=True),
    )
    removed = ReleaseHistory(version="1.82.8", listed=False, releases=releases)
    [f] = run(CHECK, COMP, {FactKind.RELEASES: ok(removed), FactKind.PACKAGE: ok(package())})
    assert f.remediation is not None
    # one nearest version (issue 13); without advisories it says they were not at hand
    assert "e.g. 1.82.6, the newest release before it the registry still serves" in f.remediation
    assert "advisories unknown" in f.remediation
    assert "rc1" not in f.remediation and "1.83.1" not in f.remediation
    assert isinstance(f.observed, dict) and f.observed["suggested_version"] == "1.82.6"


def test_inactive_classifier_is_archived() -> None:
    # click-plugins: "Development Status :: 7 - Inactive" on its latest release.
    comp = component("click-plugins", "1.1.1", "pypi")
    hist = ReleaseHistory("1.1.1", True, (Release("1.1.1", at("2019-04-04T04:27:04")),))
    meta = PackageMetadata("pypi", "click-plugins", development_status="7 - Inactive")
    facts = {FactKind.RELEASES: ok(hist), FactKind.PACKAGE: ok(meta)}
    [f] = run(CHECK, comp, facts, {"fail_on": ["archived", "deprecated"]})
    assert f.status is Status.FAIL
    assert "Development Status :: 7 - Inactive" in f.message
    assert isinstance(f.observed, dict) and f.observed["development_status"] == "7 - Inactive"
    assert_actionable(f)
    # Not a removal: the removed-or-yanked rule still passes it, naming the condition.
    [g] = run(CHECK, comp, facts, {"fail_on": ["removed", "yanked", "quarantined"]})
    assert g.status is Status.PASS and "not failed by this rule" in g.message


@pytest.mark.parametrize("development", ["5 - Production/Stable", "6 - Mature", "1 - Planning"])
def test_other_development_statuses_are_not_conditions(development: str) -> None:
    meta = PackageMetadata("pypi", "litellm", development_status=development)
    [f] = run(CHECK, COMP, {FactKind.RELEASES: ok(history()), FactKind.PACKAGE: ok(meta)})
    assert f.status is Status.PASS


def test_inactive_reads_number_or_word() -> None:
    assert inactive("7 - Inactive") and inactive("7") and inactive("x - inactive")
    assert not inactive(None) and not inactive("4 - Beta")
