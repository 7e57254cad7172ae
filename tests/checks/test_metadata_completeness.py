from __future__ import annotations

import pytest

from policyengine.checks.metadata_completeness import MetadataCompletenessCheck
from policyengine.model import FactKind, FactResult, Failed, PackageMetadata, Person, Status
from tests.checks.factories import assert_actionable, component, ok, run

CHECK = MetadataCompletenessCheck()
COMP = component()


def meta(**fields: object) -> dict[FactKind, FactResult]:
    return {FactKind.PACKAGE: ok(PackageMetadata("pypi", "litellm", **fields))}


def test_complete_passes() -> None:
    facts = meta(repository="https://github.com/BerriAI/litellm", author=Person("BerriAI"))
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.PASS


def test_homepage_and_maintainer_count() -> None:
    facts = meta(homepage="https://litellm.ai", maintainers=(Person(email="a@b.c"),))
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.PASS
    [g] = run(CHECK, COMP, facts, {"homepage_counts": False})
    assert g.status is Status.FAIL and "no repository" in g.message


def test_nothing_fails_listing_both() -> None:
    [f] = run(CHECK, COMP, meta(author=Person(name="  ")))
    assert f.status is Status.FAIL
    assert isinstance(f.observed, dict)
    assert f.observed["missing"] == ["repository or homepage", "author or maintainer"]
    assert_actionable(f)


def test_requirements_can_be_switched_off() -> None:
    [f] = run(CHECK, COMP, meta(), {"require_source": False, "require_people": False})
    assert f.status is Status.PASS


def test_failed_unknown() -> None:
    [f] = run(CHECK, COMP, {FactKind.PACKAGE: Failed("HTTP 404 from https://pypi.org")})
    assert f.status is Status.UNKNOWN and "404" in f.message


def test_unanswered_maintainers_are_unknown_not_missing() -> None:
    # An npm mirror that strips ``maintainers``: react names no author in package.json.
    comp = component("react", "19.2.0", "npm")
    facts = {
        FactKind.PACKAGE: ok(
            PackageMetadata(
                "npm",
                "react",
                repository="git+https://github.com/facebook/react.git",
                described_version="19.2.0",
                unknown_fields=("maintainers",),
            )
        )
    }
    [f] = run(CHECK, comp, facts)
    assert f.status is Status.UNKNOWN
    assert "does not carry maintainers and it names no author" in f.message
    assert "has no" not in f.message
    assert isinstance(f.observed, dict) and f.observed["unknown"] == ["author or maintainer"]
    assert f.remediation


def test_a_part_not_given_fails_even_when_another_is_unknown() -> None:
    facts = meta(repository="", unknown_fields=("maintainers",), described_version="1.82.8")
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL and "no repository or homepage" in f.message
    assert "author" not in f.message
    assert isinstance(f.observed, dict)
    assert f.observed["missing"] == ["repository or homepage"]
    assert f.observed["unknown"] == ["author or maintainer"]


def test_unknown_part_not_required_is_ignored() -> None:
    facts = meta(repository="https://x.test/r", unknown_fields=("author", "maintainers"))
    [f] = run(CHECK, COMP, facts, {"require_people": False})
    assert f.status is Status.PASS


def test_ownership_roles_and_organization_count_as_responsible() -> None:
    repo = "https://github.com/BerriAI/litellm"
    [f] = run(CHECK, COMP, meta(repository=repo, roles=(("krrish", "Owner"),)))
    assert f.status is Status.PASS
    assert isinstance(f.observed, dict) and f.observed["owners"] == ["krrish (Owner)"]
    [g] = run(CHECK, COMP, meta(repository=repo, organization="LiteLLM"))
    assert g.status is Status.PASS


@pytest.mark.parametrize("placeholder", ["UNKNOWN", "none", " "])
def test_placeholders_are_not_given(placeholder: str) -> None:
    facts = meta(homepage=placeholder, author=Person(placeholder, placeholder))
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL
    assert isinstance(f.observed, dict)
    assert f.observed["missing"] == ["repository or homepage", "author or maintainer"]


def test_older_release_judged_on_the_latest_says_which_release_was_read() -> None:
    # PyPI describes 1.83.0 only; it names no author, which says nothing about 1.82.8.
    facts = meta(
        repository="https://github.com/BerriAI/litellm",
        described_version="1.83.0",
        unknown_fields=("author", "maintainers"),
    )
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.UNKNOWN
    assert "describes only release 1.83.0" in f.message
    assert isinstance(f.observed, dict) and f.observed["described_version"] == "1.83.0"


def test_another_spelling_of_the_same_release_is_the_same_release() -> None:
    comp = component("x", "1.0", "pypi")
    facts = meta(described_version="1.0.0", unknown_fields=("repository", "homepage"))
    [f] = run(CHECK, comp, {**facts})
    assert f.status is Status.FAIL  # no author, and the source is unknown
    assert "of release" not in f.message
    facts = meta(described_version="1.0.0", author=Person("a"), unknown_fields=("homepage",))
    [g] = run(CHECK, comp, facts)
    assert g.status is Status.UNKNOWN and "does not carry homepage" in g.message
