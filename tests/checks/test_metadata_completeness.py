from __future__ import annotations

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
