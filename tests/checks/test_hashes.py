from __future__ import annotations

import pytest
from pydantic import ValidationError

from policyengine.checks.hashes import HashesCheck, normalise_alg
from policyengine.model import Artifact, Artifacts, FactKind, FactResult, Failed, Hash, Status
from tests.checks.factories import assert_actionable, component, ok, run, sha256

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
