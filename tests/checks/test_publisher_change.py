from __future__ import annotations

from policyengine.checks.publisher_change import PublisherChangeCheck
from policyengine.model import (
    FactKind,
    Failed,
    ProvenanceStatus,
    PublisherIdentity,
    Publishers,
    ReleaseIdentity,
    Status,
)
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


# Publisher identities across releases (issue 17): ``Publishers.history``.


def _tp(repo: str = "BerriAI/litellm", workflow: str = "publish.yml") -> PublisherIdentity:
    return PublisherIdentity(f"github:{repo}/{workflow}", "GitHub", repo, workflow)


def _release(
    version: str,
    provenance: ProvenanceStatus,
    *identities: PublisherIdentity,
    accounts: tuple[str, ...] | None = None,
) -> ReleaseIdentity:
    return ReleaseIdentity(version, provenance, identities, accounts)


def history(*releases: ReleaseIdentity) -> dict[FactKind, object]:
    return pubs(
        publishers=(),
        maintainers=(),
        previous_publishers=None,
        previous_maintainers=None,
        previous_attestations=None,
        history=releases,
    )


def test_a_release_without_the_provenance_every_earlier_one_had_fails() -> None:
    facts = history(
        _release("1.82.8", "absent"),
        _release("1.82.6", "present", _tp()),
        _release("1.82.5", "unknown"),  # not said: left out, not "without"
        _release("1.82.4", "present", _tp()),
    )
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL
    assert "provenance dropped: 1.82.8 was uploaded without provenance" in f.message
    assert "(1.82.6, 1.82.4)" in f.message and "github:BerriAI/litellm/publish.yml" in f.message
    assert isinstance(f.observed, dict) and f.observed["provenance_dropped"] is True
    assert f.observed["provenance"] == {
        "1.82.8": "absent",
        "1.82.6": "present",
        "1.82.5": "unknown",
        "1.82.4": "present",
    }
    assert isinstance(f.expected, dict) and f.expected["provenance"] == "present"
    assert f.remediation is not None and f.remediation.startswith("Do not adopt litellm 1.82.8")


def test_some_files_without_provenance_is_a_drop_too() -> None:
    [f] = run(
        CHECK,
        COMP,
        history(_release("1.82.8", "partial", _tp()), _release("1.82.6", "present", _tp())),
    )
    assert f.status is Status.FAIL and "partly without provenance" in f.message


def test_no_drop_where_an_earlier_release_had_none() -> None:
    facts = history(
        _release("1.82.8", "absent"),
        _release("1.82.6", "present", _tp()),
        _release("1.82.5", "absent"),
    )
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.PASS


def test_a_never_attested_project_passes_and_first_provenance_is_no_change() -> None:
    [never] = run(CHECK, COMP, history(_release("1.82.8", "absent"), _release("1.82.6", "absent")))
    assert never.status is Status.PASS
    [first] = run(
        CHECK, COMP, history(_release("1.82.8", "present", _tp()), _release("1.82.6", "absent"))
    )
    assert first.status is Status.PASS


def test_another_repository_or_workflow_fails() -> None:
    facts = history(
        _release("1.82.8", "present", _tp("evil/litellm")),
        _release("1.82.6", "present", _tp()),
    )
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL
    assert "+github:evil/litellm/publish.yml" in f.message
    assert isinstance(f.observed, dict)
    assert f.observed["identities_added"] == ["github:evil/litellm/publish.yml"]
    renamed = history(
        _release("1.82.8", "present", _tp(workflow="release.yml")),
        _release("1.82.6", "present", _tp()),
    )
    [g] = run(CHECK, COMP, renamed)
    assert g.status is Status.FAIL
    [ignored] = run(
        CHECK,
        COMP,
        renamed,
        {"compare": ["provenance"], "ignore": ["github:BerriAI/litellm/release.yml"]},
    )
    assert ignored.status is Status.PASS


def test_unknown_provenance_is_never_compared() -> None:
    [f] = run(
        CHECK,
        COMP,
        history(
            ReleaseIdentity("1.82.8", "unknown", reason="the index at X predates PEP 740"),
            _release("1.82.6", "present", _tp()),
        ),
    )
    assert f.status is Status.UNKNOWN
    assert "the index at X predates PEP 740" in f.message


def test_a_new_uploading_account_fails_and_turns_taken_do_not() -> None:
    facts = history(
        _release("5.1.0", "unknown", accounts=("mallory",)),
        _release("5.0.0", "unknown", accounts=("alice",)),
        _release("4.9.0", "unknown", accounts=("bob",)),
    )
    [f] = run(CHECK, COMP, facts)
    assert f.status is Status.FAIL
    assert "new publishing account (+mallory" in f.message
    turns = history(
        _release("5.1.0", "unknown", accounts=("bob",)),
        _release("5.0.0", "unknown", accounts=("alice",)),
        _release("4.9.0", "unknown", accounts=("bob",)),
    )
    [g] = run(CHECK, COMP, turns)
    assert g.status is Status.PASS
