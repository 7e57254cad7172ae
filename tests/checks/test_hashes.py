from __future__ import annotations

import pytest
from pydantic import ValidationError

from policyengine.checks.hashes import HashesCheck, normalise_alg
from policyengine.engine import evaluate
from policyengine.model import (
    Artifact,
    Artifacts,
    Component,
    Evidence,
    FactKind,
    FactResult,
    Failed,
    Hash,
    Sbom,
    Status,
)
from policyengine.model.policy import Policy, Rule, Selector
from tests.checks.factories import NOW, assert_actionable, component, ok, run, sha256

CHECK = HashesCheck()


def registry(*digests: Hash) -> dict[FactKind, FactResult]:
    files = tuple(Artifact(f"litellm-1.82.8-{i}.whl", hashes=(d,)) for i, d in enumerate(digests))
    return {FactKind.ARTIFACTS: ok(Artifacts("1.82.8", files))}


def test_match() -> None:
    comp = component(hashes=(sha256("a"),))
    [f] = run(CHECK, comp, registry(sha256("b"), sha256("a")))
    assert f.status is Status.PASS
    assert isinstance(f.observed, dict) and f.observed["result"] == "match"
    assert f.observed["matched_files"] == {"sha256": "litellm-1.82.8-1.whl"}


def test_mismatch_always_fails_even_when_absent_passes() -> None:
    comp = component(hashes=(sha256("a"),))
    [f] = run(CHECK, comp, registry(sha256("b")), {"registry_absent": "pass"})
    assert f.status is Status.FAIL
    assert isinstance(f.observed, dict) and f.observed["result"] == "mismatch"
    assert_actionable(f)


def test_missing_required_algorithm_fails() -> None:
    comp = component(hashes=(Hash("md5", "0" * 32),))
    [f] = run(CHECK, comp, registry(sha256("a")))
    assert f.status is Status.FAIL and "no sha256" in f.message
    assert_actionable(f)


@pytest.mark.parametrize(
    ("setting", "status"),
    [("unknown", Status.UNKNOWN), ("fail", Status.FAIL), ("pass", Status.PASS)],
)
def test_registry_absent(setting: str, status: Status) -> None:
    comp = component(hashes=(sha256("a"),))
    [f] = run(CHECK, comp, registry(Hash("md5", "0" * 32)), {"registry_absent": setting})
    assert f.status is status
    assert isinstance(f.observed, dict) and f.observed["result"] == "absent"


def test_artifacts_failed_unknown() -> None:
    comp = component(hashes=(sha256("a"),))
    [f] = run(CHECK, comp, {FactKind.ARTIFACTS: Failed("connection refused")})
    assert f.status is Status.UNKNOWN and "connection refused" in f.message


def test_no_compare_needs_no_evidence() -> None:
    comp = component(hashes=(sha256("a"),))
    [f] = run(CHECK, comp, {}, {"compare_registry": False})
    assert f.status is Status.PASS


def test_algorithm_names_normalised_and_weak_only_rejected() -> None:
    assert normalise_alg("SHA-256") == "sha256"
    assert normalise_alg("SHA3-512") == "sha3_512"
    assert normalise_alg("BLAKE2b-256") == "blake2b_256"
    with pytest.raises(ValidationError):
        HashesCheck.params_model.model_validate({"algorithms": ["md5", "sha1"]})
    model = HashesCheck.params_model.model_validate({"algorithms": ["SHA-512"]})
    assert model.algorithms == ("sha512",)


def test_uppercase_hex_matches() -> None:
    comp = component(hashes=(Hash("sha256", "A" * 64),))
    [f] = run(CHECK, comp, registry(sha256("a")))
    assert f.status is Status.PASS


def test_needs_artifacts_only_when_comparing() -> None:
    compare = HashesCheck.params_model()
    no_compare = HashesCheck.params_model.model_validate({"compare_registry": False})
    assert HashesCheck.needs_for(compare) == (FactKind.ARTIFACTS,)
    assert HashesCheck.needs_for(no_compare) == ()


def _evaluate(document: Sbom, rule: Rule) -> list[tuple[str | None, str, str]]:
    verdict = evaluate(document, Evidence(), Policy(name="p", rules=(rule,)), NOW)
    return [
        (r.component.name if r.component else None, r.outcome, r.message) for r in verdict.results
    ]


def _sbom(fmt: str, *components: Component) -> Sbom:
    return Sbom(fmt, None, "in", "sha256:" + "0" * 64, tuple(components))


NO_COMPARE = {"compare_registry": False}


@pytest.mark.parametrize(
    ("fmt", "advice"),
    [("requirements.txt", "--generate-hashes"), ("cyclonedx", "lockfile that records hashes")],
)
def test_an_input_without_any_digest_fails_once_for_the_document(fmt: str, advice: str) -> None:
    document = _sbom(fmt, *(component(name=f"p{i}") for i in range(123)))
    [(subject, outcome, message)] = _evaluate(document, Rule(id="h", check="hashes"))
    assert (subject, outcome) == (None, "fail")
    assert "123 components" in message
    rule = Rule(id="h", check="hashes")
    verdict = evaluate(document, Evidence(), Policy(name="p", rules=(rule,)), NOW)
    assert advice in (verdict.results[0].remediation or "")


def test_a_rule_that_selects_nothing_says_nothing_about_the_document() -> None:
    document = _sbom("requirements.txt", component(name="requests"))
    rule = Rule(id="h", check="hashes", selector=Selector(ecosystems=("npm",)))
    assert _evaluate(document, rule) == []


def test_with_some_digests_each_component_without_one_fails_alone() -> None:
    document = _sbom(
        "cyclonedx",
        component(name="a", hashes=(sha256("a"),)),
        component(name="b"),
        component(name="c", hashes=(Hash("md5", "0" * 32),)),
    )
    results = _evaluate(document, Rule(id="h", check="hashes", params=NO_COMPARE))
    assert [(name, outcome) for name, outcome, _ in results] == [
        ("a", "pass"),
        ("b", "fail"),
        ("c", "fail"),
    ]


def test_the_selection_decides_not_the_rest_of_the_document() -> None:
    # A mixed SBOM: npm components carry integrity, the Python side records nothing.
    document = _sbom(
        "cyclonedx",
        component(name="left-pad", ecosystem="npm", hashes=(Hash("sha512", "0" * 128),)),
        component(name="requests"),
        component(name="idna"),
    )
    rule = Rule(id="h", check="hashes", selector=Selector(ecosystems=("pypi",)))
    [(subject, outcome, message)] = _evaluate(document, rule)
    assert (subject, outcome) == (None, "fail")
    assert "the 2 components this rule selects (3 in the input)" in message
