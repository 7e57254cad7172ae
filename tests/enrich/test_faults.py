"""Fault injection: no fault may yield an Ok fact; each says what went wrong."""

from __future__ import annotations

import time

import pytest

from policyengine.enrich import enrich
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import Evidence, FactKind, Failed, Missing, Ok
from tests.enrich.conftest import Replay, import_litellm_advisories, sbom_of

PROJECT = "/pypi/pypi/litellm/json"
REGISTRY = {FactKind.PACKAGE, FactKind.RELEASES, FactKind.ARTIFACTS, FactKind.PUBLISHERS}


def _registry_facts(evidence: Evidence, key: str) -> list[object]:
    facts = evidence.for_key(key)
    return [facts.get(kind) for kind in REGISTRY]


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        (["timeout", "timeout"], "timed out asking"),
        (["429", "429"], "HTTP 429 from"),
        (["500", "500"], "HTTP 500 from"),
        (["truncate", "truncate"], "RemoteProtocolError"),
        (["badjson"], "invalid JSON from"),
    ],
)
def test_registry_faults_fail(
    replay: Replay, settings: EnrichSettings, faults: list[str], expected: str
) -> None:
    replay.fault_sleep = 1.0  # over the 0.5 s read timeout of the test settings
    replay.faults[PROJECT] = list(faults)
    evidence = enrich(sbom_of(("pypi", "litellm", "1.82.6")), settings, REGISTRY)
    facts = _registry_facts(evidence, "pypi/litellm@1.82.6")
    for fact in facts:
        assert isinstance(fact, Failed), fact
        assert expected in fact.error and PROJECT in fact.error
    # a failure is never cached: the next run asks again and gets the real answer
    kinds = REGISTRY - {FactKind.PUBLISHERS}
    again = enrich(sbom_of(("pypi", "litellm", "1.82.6")), settings, kinds)
    facts = again.for_key("pypi/litellm@1.82.6")
    assert all(isinstance(facts.get(kind), Ok) for kind in kinds)


def test_429_is_retried_after_the_servers_delay(replay: Replay, settings: EnrichSettings) -> None:
    replay.faults[PROJECT] = ["429"]
    started = time.monotonic()
    evidence = enrich(sbom_of(("pypi", "litellm", "1.82.6")), settings, {FactKind.RELEASES})
    assert time.monotonic() - started >= 0.9  # Retry-After: 1 (cap 1 s in the test settings)
    assert replay.counts[f"GET {PROJECT}"] == 2
    assert isinstance(evidence.for_key("pypi/litellm@1.82.6").get(FactKind.RELEASES), Ok)


def test_404_for_a_removed_version(replay: Replay, settings: EnrichSettings) -> None:
    replay.faults["/pypi/pypi/litellm/1.82.8/json"] = ["404"]
    evidence = enrich(sbom_of(("pypi", "litellm", "1.82.8")), settings, REGISTRY)
    facts = evidence.for_key("pypi/litellm@1.82.8")
    for kind in (FactKind.ARTIFACTS, FactKind.PUBLISHERS):
        fact = facts.get(kind)
        assert isinstance(fact, Missing)
        assert fact.reason == "version 1.82.8 is not listed by the registry (removed)"
    releases = facts.get(FactKind.RELEASES)
    assert isinstance(releases, Ok) and getattr(releases.value, "listed") is False  # noqa: B009


def test_project_404_is_missing(replay: Replay, settings: EnrichSettings) -> None:
    replay.faults["/npm/chalk"] = ["404"]
    evidence = enrich(sbom_of(("npm", "chalk", "5.3.0")), settings, REGISTRY)
    for fact in _registry_facts(evidence, "npm/chalk@5.3.0"):
        assert isinstance(fact, Missing) and "not found on registry" in fact.reason


@pytest.mark.parametrize(
    ("path", "component", "expected"),
    [
        (PROJECT, ("pypi", "litellm", "1.82.6"), "no 'releases' object"),
        ("/npm/chalk", ("npm", "chalk", "5.3.0"), "not an object"),
    ],
)
def test_registry_answer_that_is_not_a_document_fails(
    replay: Replay,
    settings: EnrichSettings,
    path: str,
    component: tuple[str, str, str],
    expected: str,
) -> None:
    replay.faults[path] = ["array"]
    evidence = enrich(sbom_of(component), settings, {FactKind.RELEASES})
    key = f"{component[0]}/{component[1]}@{component[2]}"
    fact = evidence.for_key(key).get(FactKind.RELEASES)
    assert isinstance(fact, Failed), fact
    assert fact.error.endswith(f"{path}: {expected}")
    # the unusable body is not kept: the next run asks again and gets the real answer
    again = enrich(sbom_of(component), settings, {FactKind.RELEASES})
    assert isinstance(again.for_key(key).get(FactKind.RELEASES), Ok)


@pytest.mark.parametrize("fault", ["500", "badjson", "truncate", "timeout"])
def test_osv_batch_faults_fail(replay: Replay, settings: EnrichSettings, fault: str) -> None:
    replay.fault_sleep = 1.0
    replay.faults["/osv/v1/querybatch"] = [fault, fault]
    evidence = enrich(sbom_of(("pypi", "litellm", "1.82.8")), settings, {FactKind.ADVISORIES})
    fact = evidence.for_key("pypi/litellm@1.82.8").get(FactKind.ADVISORIES)
    assert isinstance(fact, Failed), fact
    assert "/osv/v1/querybatch" in fact.error


def test_osv_detail_failure_fails_the_components_naming_it(
    replay: Replay, settings: EnrichSettings
) -> None:
    replay.faults["/osv/v1/vulns/MAL-2026-2144"] = ["500", "500"]
    sbom = sbom_of(("pypi", "litellm", "1.82.8"), ("pypi", "litellm", "1.82.6"))
    evidence = enrich(sbom, settings, {FactKind.ADVISORIES})
    bad = evidence.for_key("pypi/litellm@1.82.8").get(FactKind.ADVISORIES)
    assert isinstance(bad, Failed) and "MAL-2026-2144" in bad.error
    # 1.82.6 is not affected by MAL-2026-2144, so its advisories are complete
    assert isinstance(evidence.for_key("pypi/litellm@1.82.6").get(FactKind.ADVISORIES), Ok)


@pytest.mark.parametrize("mode", ["auto", "api"])
def test_an_unreachable_osv_api_falls_back_to_the_imported_db_in_auto_mode(
    replay: Replay, settings: EnrichSettings, mode: str
) -> None:
    from dataclasses import replace

    from policyengine.model import Advisories

    import_litellm_advisories(settings.cache_dir)
    replay.faults["/osv/v1/querybatch"] = ["500", "500"]
    evidence = enrich(
        sbom_of(("pypi", "litellm", "1.82.8")), replace(settings, advisories=mode), None
    )
    fact = evidence.for_key("pypi/litellm@1.82.8").get(FactKind.ADVISORIES)
    if mode == "api":
        assert isinstance(fact, Failed)
        return
    assert isinstance(fact, Ok) and fact.source.name == "osv-db"
    assert isinstance(fact.value, Advisories)
    assert any(a.malicious for a in fact.value.advisories)


def test_an_unserved_per_version_endpoint_is_not_asked_again(
    replay: Replay, settings: EnrichSettings
) -> None:
    # requests 2.32.0's own document is not recorded (404, as the mirrors here answer), so
    # the release before it (2.31.0) is not asked, and neither, in the next run from the
    # same cache, is 2.32.3's: the cache remembers that the endpoint is not served.
    evidence = enrich(sbom_of(("pypi", "requests", "2.32.0")), settings, {FactKind.PUBLISHERS})
    fact = evidence.for_key("pypi/requests@2.32.0").get(FactKind.PUBLISHERS)
    assert isinstance(fact, Missing) and "serves no metadata" in fact.reason
    assert replay.counts["GET /pypi/pypi/requests/2.32.0/json"] == 1
    assert replay.counts["GET /pypi/pypi/requests/2.31.0/json"] == 0
    replay.reset_counts()
    again = enrich(sbom_of(("pypi", "requests", "2.32.3")), settings, {FactKind.PUBLISHERS})
    fact = again.for_key("pypi/requests@2.32.3").get(FactKind.PUBLISHERS)
    assert isinstance(fact, Missing)
    # The project document is cached too; what is left is the one PEP 740 probe of the new
    # release's file (a 404 there is a normal answer for a file without attestations, so
    # it cannot be remembered for the registry as the per-version endpoint is).
    assert replay.total("/pypi/pypi/") == 0, replay.counts
    assert set(replay.counts) <= {
        "GET /pypi/integrity/requests/2.32.3/requests-2.32.3.tar.gz/provenance"
    }, replay.counts
