from __future__ import annotations

from policyengine.checks.publisher_change import PublisherChangeCheck
from policyengine.model import FactKind, Failed, Publishers, Status
from tests.checks.factories import assert_actionable, component, ok, run

CHECK = PublisherChangeCheck()
COMP = component()


def pubs(**fields: object) -> dict[FactKind, object]:
    base: dict[str, object] = {
        "version": "1.82.8",
        "publishers": ("krrishdholakia",),
        "maintainers": ("ishaan", "krrish"),
        "attestations": (),
        "previous_version": "1.82.6",
        "previous_publishers": ("github-actions",),
        "previous_maintainers": ("ishaan", "krrish"),
        "previous_attestations": (
            "https://github.com/BerriAI/litellm/.github/workflows/publish.yml",
        ),
    }
    base.update(fields)
    return {FactKind.PUBLISHERS: ok(Publishers(**base))}


def test_change_fails_with_both_sides() -> None:
    [f] = run(CHECK, COMP, pubs())
    assert f.status is Status.FAIL
    assert (
        "1.82.6" in f.message and "+krrishdholakia" in f.message and "-github-actions" in f.message
    )
    assert isinstance(f.observed, dict)
    assert f.observed["publishers"] == ["krrishdholakia"]
    assert f.observed["previous_publishers"] == ["github-actions"]
    assert f.observed["attestations_removed"] == [
        "https://github.com/BerriAI/litellm/.github/workflows/publish.yml"
    ]
    assert_actionable(f)


def test_same_publishers_pass() -> None:
    same = pubs(
        publishers=("github-actions",),
        attestations=pubs()[FactKind.PUBLISHERS].value.previous_attestations,
    )
    [f] = run(CHECK, COMP, same)
    assert f.status is Status.PASS


def test_compare_subset_and_ignore() -> None:
    [f] = run(CHECK, COMP, pubs(), {"compare": ["maintainers"]})
    assert f.status is Status.PASS
    [g] = run(
        CHECK,
        COMP,
        pubs(attestations=pubs()[FactKind.PUBLISHERS].value.previous_attestations),
        {"ignore": ["krrishdholakia", "github-actions"]},
    )
    assert g.status is Status.PASS


def test_first_release_passes() -> None:
    [f] = run(CHECK, COMP, pubs(previous_version=None, previous_publishers=None))
    assert f.status is Status.PASS and "first release" in f.message


def test_previous_side_unknown_is_unknown() -> None:
    facts = pubs(previous_publishers=None, previous_maintainers=None, previous_attestations=None)
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.UNKNOWN and "1.82.6" in f.message


def test_failed_fact_unknown() -> None:
    [f] = run(CHECK, COMP, {FactKind.PUBLISHERS: Failed("HTTP 429")})
    assert f.status is Status.UNKNOWN and "HTTP 429" in f.message


def test_npm_attestation_urls_naming_the_version_are_not_a_change() -> None:
    comp = component("left-pad", "1.3.1", "npm")
    url = "https://registry.npmjs.org/-/npm/v1/attestations/left-pad@{}"
    facts = {
        FactKind.PUBLISHERS: ok(
            Publishers(
                "1.3.1",
                ("stevemao",),
                ("stevemao",),
                ("https://slsa.dev/provenance/v1", url.format("1.3.1")),
                previous_version="1.3.0",
                previous_publishers=("stevemao",),
                previous_maintainers=("stevemao",),
                previous_attestations=("https://slsa.dev/provenance/v1", url.format("1.3.0")),
            )
        )
    }
    [f] = run(CHECK, comp, facts)
    assert f.status is Status.PASS
    lost = dict(facts)
    lost[FactKind.PUBLISHERS] = ok(
        Publishers(
            "1.3.1",
            ("stevemao",),
            ("stevemao",),
            (),
            previous_version="1.3.0",
            previous_publishers=("stevemao",),
            previous_maintainers=("stevemao",),
            previous_attestations=("https://slsa.dev/provenance/v1", url.format("1.3.0")),
        )
    )
    [g] = run(CHECK, comp, lost)
    assert g.status is Status.FAIL and "attestations changed" in g.message
