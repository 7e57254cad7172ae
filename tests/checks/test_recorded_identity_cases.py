"""Publisher-identity case folders whose evidence is recorded, not written by hand (issue 17).

Each folder's evidence.json is what enrichment collects from the replay server on
127.0.0.1 serving the recordings in tests/fixtures/recordings (PyPI as the registry
reachable here serves it, a PyPI that serves PEP 740 derived from the corpus provenance
samples, and npm): this test enriches again and compares, so the cases stay what the
code collects. ``POLICYENGINE_UPDATE_GOLDENS=1`` rewrites them. The replay server's
address and the collection times are replaced by fixed ones, so the files are stable.
The folders then run through the engine like every other case (test_cases.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from policyengine import load_policy, read_sbom
from policyengine.engine import evaluate
from policyengine.enrich import enrich
from policyengine.enrich.bundle import dump_bundle, load_bundle
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import Evidence, FactKind, Ok, Publishers
from policyengine.model.verdict import Verdict
from tests.checks.test_cases import CASES
from tests.enrich.conftest import Replay, sbom_of, serving
from tests.goldens import check_golden

REPLAY_ROOT = "http://replay.test"
"""Stands for the replay server's address in the recorded evidence."""
FIXED = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)

# folder -> (registry base under the replay root, component, fact kinds)
RECORDED: dict[str, tuple[str, tuple[str, str, str], frozenset[FactKind]]] = {
    "publisher-change/pass-provenance-same-workflow": (
        "pypi740",
        ("pypi", "sigstore", "3.6.1"),
        frozenset({FactKind.PUBLISHERS}),
    ),
    "publisher-change/fail-provenance-dropped": (
        "pypi740",
        ("pypi", "sigstore", "3.6.2"),
        frozenset({FactKind.PUBLISHERS}),
    ),
    "publisher-change/unknown-pypi-index-without-pep740": (
        "pypi",
        ("pypi", "sigstore", "3.6.1"),
        frozenset({FactKind.PUBLISHERS}),
    ),
    "publisher-change/fail-npm-new-account": (
        "npm",
        ("npm", "provenance-demo", "5.1.0"),
        frozenset({FactKind.PUBLISHERS}),
    ),
    "publisher-change/unknown-npm-mirror-strips-publisher": (
        "npm",
        ("npm", "@sigstore/sign", "5.1.0"),
        frozenset({FactKind.PUBLISHERS}),
    ),
    "approved-publishers/pass-trusted-publisher-verified": (
        "pypi740",
        ("pypi", "sigstore", "3.6.1"),
        frozenset({FactKind.PUBLISHERS, FactKind.PACKAGE}),
    ),
    "approved-publishers/fail-trusted-publisher-other-repository": (
        "pypi740",
        ("pypi", "pypi-attestations", "0.0.19"),
        frozenset({FactKind.PUBLISHERS, FactKind.PACKAGE}),
    ),
    "approved-publishers/fail-uploaded-without-provenance": (
        "pypi740",
        ("pypi", "sigstore", "3.6.2"),
        frozenset({FactKind.PUBLISHERS, FactKind.PACKAGE}),
    ),
}


@pytest.fixture
def replay() -> Iterator[Replay]:
    with serving(Replay()) as state:
        yield state


def _settings(replay: Replay, registry: str, cache: Path) -> EnrichSettings:
    base = f"{replay.root}/{registry}"
    return EnrichSettings(
        pypi_url=base if registry.startswith("pypi") else replay.pypi_url,
        npm_url=replay.npm_url,
        osv_url=replay.osv_url,
        cache_dir=cache,
        retries=0,
        progress=False,
        advisories="off",
    )


def recorded_bundle(replay: Replay, folder: str, cache: Path) -> str:
    """The evidence bundle the folder's component gets from the replay server, normalised."""
    registry, component, kinds = RECORDED[folder]
    evidence = enrich(sbom_of(component), _settings(replay, registry, cache), set(kinds))
    text = dump_bundle(replace(evidence, created_at=FIXED)).decode()
    text = text.replace(replay.root, REPLAY_ROOT)
    # Collection times move with every run: the facts do not.
    return re.sub(r'"fetched_at": "[^"]+"', f'"fetched_at": "{FIXED:%Y-%m-%dT%H:%M:%SZ}"', text)


@pytest.mark.parametrize("folder", sorted(RECORDED))
def test_recorded_evidence_is_what_enrichment_collects(
    folder: str, replay: Replay, tmp_path: Path
) -> None:
    check_golden(CASES / folder / "evidence.json", recorded_bundle(replay, folder, tmp_path))


def _publishers(folder: str) -> Publishers:
    evidence = load_bundle(CASES / folder / "evidence.json")
    [component] = evidence.components.values()
    fact = component.get(FactKind.PUBLISHERS)
    assert isinstance(fact, Ok) and isinstance(fact.value, Publishers)
    return fact.value


def test_the_real_provenance_sample_is_verified_and_the_reused_ones_only_read() -> None:
    history = _publishers("publisher-change/pass-provenance-same-workflow").history
    assert [(r.version, r.provenance) for r in history] == [
        ("3.6.1", "present"),
        ("3.6.0", "present"),
        ("3.5.3", "present"),
    ]
    [own] = history[0].identities
    assert own.identity == "github:sigstore/sigstore-python/release.yml"
    assert own.verified and own.verification.startswith("verified offline")
    # 3.6.0 is served the 3.6.1 sample: its subject names another file.
    [reused] = history[1].identities
    assert not reused.verified and "subject does not match" in reused.verification


def test_an_index_without_pep740_is_unknown_never_absent() -> None:
    evidence = load_bundle(
        CASES / "publisher-change/unknown-pypi-index-without-pep740" / "evidence.json"
    )
    [component] = evidence.components.values()
    fact = component.get(FactKind.PUBLISHERS)
    assert not isinstance(fact, Ok)
    reason = getattr(fact, "reason", "")
    assert f"{REPLAY_ROOT}/pypi/simple/sigstore/ (api-version 1.1)" in reason
    assert "HTTP 404" in reason


def _verdict(evidence: Evidence, folder: str, policy: str) -> Verdict:
    sbom = read_sbom(CASES / folder / "sbom.cdx.json")
    return evaluate(sbom, evidence, load_policy(policy), now=datetime(2026, 11, 28, tzinfo=UTC))


def test_release_gate_fails_the_release_uploaded_without_provenance() -> None:
    folder = "publisher-change/fail-provenance-dropped"
    verdict = _verdict(load_bundle(CASES / folder / "evidence.json"), folder, "release-gate")
    [result] = [r for r in verdict.results if r.rule == "publisher-change"]
    assert result.outcome == "fail"
    assert "provenance dropped: 3.6.2 was uploaded without provenance" in result.message
    assert result.observed["provenance_dropped"] is True
    [risk] = [r for r in verdict.results if r.rule == "risk-fail"]
    assert risk.outcome == "fail"  # publisher_change 25 + provenance_dropped 35


def test_the_npm_mirror_is_named_in_the_unknown() -> None:
    folder = "publisher-change/unknown-npm-mirror-strips-publisher"
    verdict = _verdict(load_bundle(CASES / folder / "evidence.json"), folder, "release-gate")
    [result] = [r for r in verdict.results if r.rule == "publisher-change"]
    assert result.outcome == "unknown"
    assert f"the registry at {REPLAY_ROOT}/npm does not name who published 5.1.0" in (
        result.message
    )
