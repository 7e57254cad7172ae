"""End-to-end enrichment against the replay server: facts, statuses, request counts."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from policyengine import __version__
from policyengine.enrich import enrich, enrich_run
from policyengine.enrich.settings import EnrichSettings, Ttl
from policyengine.model import (
    Advisories,
    Artifacts,
    Component,
    FactKind,
    Missing,
    Ok,
    PackageMetadata,
    Publishers,
    ReleaseHistory,
)
from tests.enrich.conftest import RECORDINGS, Replay, offline, sbom_of

LITELLM = (("pypi", "litellm", "1.82.8"), ("pypi", "litellm", "1.82.6"))


def _value(result: object, kind: type) -> object:
    assert isinstance(result, Ok), result
    assert isinstance(result.value, kind)
    return result.value


def test_removed_litellm_version_is_a_fact(replay: Replay, settings: EnrichSettings) -> None:
    evidence = enrich(sbom_of(*LITELLM), settings)
    bad = evidence.for_key("pypi/litellm@1.82.8")
    releases = _value(bad.get(FactKind.RELEASES), ReleaseHistory)
    assert isinstance(releases, ReleaseHistory)
    assert releases.listed is False and releases.current is None
    assert "1.82.6" in [r.version for r in releases.releases]
    for kind in (FactKind.ARTIFACTS, FactKind.PUBLISHERS):
        fact = bad.get(kind)
        assert isinstance(fact, Missing)
        assert fact.reason == "version 1.82.8 is not listed by the registry (removed)"
    advisories = _value(bad.get(FactKind.ADVISORIES), Advisories)
    assert isinstance(advisories, Advisories)
    by_id = {a.id: a for a in advisories.advisories}
    assert by_id["PYSEC-2026-2"].malicious and "MAL-2026-2144" in by_id["PYSEC-2026-2"].aliases
    assert "MAL-2026-2144" not in by_id  # merged into its alias group
    assert by_id["GHSA-5mg7-485q-xm76"].malicious
    assert by_id["GHSA-5mg7-485q-xm76"].severity == "critical"
    assert by_id["GHSA-5mg7-485q-xm76"].cwes == ("CWE-506",)


def test_listed_pypi_version_has_files_digests_and_owner(
    replay: Replay, settings: EnrichSettings
) -> None:
    evidence = enrich(sbom_of(*LITELLM), settings)
    good = evidence.for_key("pypi/litellm@1.82.6")
    artifacts = _value(good.get(FactKind.ARTIFACTS), Artifacts)
    assert isinstance(artifacts, Artifacts)
    wheel = next(f for f in artifacts.files if f.filename.endswith(".whl"))
    algs = {h.alg: h.value for h in wheel.hashes}
    assert algs["sha256"] == "164a3ef3e19f309e3cabc199bef3d2045212712fefdfa25fc7f75884a5b5b205"
    assert "blake2b_256" in algs
    # the recorded URL is relative ("../../packages/..."): resolved against the answer's URL
    assert wheel.url is not None and wheel.url.startswith(replay.root + "/pypi/packages/")
    assert wheel.size == 15591595 and wheel.kind == "bdist_wheel"
    package = _value(good.get(FactKind.PACKAGE), PackageMetadata)
    assert isinstance(package, PackageMetadata)
    assert package.organization == "LiteLLM"
    assert package.repository == "https://github.com/BerriAI/litellm"
    source = good.get(FactKind.PACKAGE)
    assert isinstance(source, Ok)
    assert source.source.url == replay.pypi_url + "/pypi/litellm/json"
    assert source.source.digest is not None and source.source.digest.startswith("sha256:")
    assert source.source.fetched_at is not None


def test_yanked_release_and_roles(replay: Replay, settings: EnrichSettings) -> None:
    evidence = enrich(sbom_of(("pypi", "requests", "2.32.0")), settings)
    facts = evidence.for_key("pypi/requests@2.32.0")
    releases = _value(facts.get(FactKind.RELEASES), ReleaseHistory)
    assert isinstance(releases, ReleaseHistory)
    current = releases.current
    assert current is not None and current.yanked and current.yanked_reason
    package = _value(facts.get(FactKind.PACKAGE), PackageMetadata)
    assert isinstance(package, PackageMetadata)
    assert ("nateprewitt", "Owner") in package.roles
    # PyPI describes only the latest release; its per-version endpoint answers 404 here
    publishers = facts.get(FactKind.PUBLISHERS)
    assert isinstance(publishers, Missing)
    assert "serves no metadata for requests 2.32.0" in publishers.reason
    assert replay.counts["GET /pypi/pypi/requests/2.32.0/json"] == 1


def test_pypi_publishers_of_the_latest_release(replay: Replay, settings: EnrichSettings) -> None:
    evidence = enrich(sbom_of(("pypi", "litellm", "1.110.2")), settings, {FactKind.PUBLISHERS})
    publishers = _value(
        evidence.for_key("pypi/litellm@1.110.2").get(FactKind.PUBLISHERS), Publishers
    )
    assert isinstance(publishers, Publishers)
    assert publishers.maintainers == ("BerriAI",)
    assert publishers.previous_version == "1.83.0"
    assert publishers.previous_maintainers is None  # per-version endpoint not served
    assert replay.counts["GET /pypi/pypi/litellm/1.83.0/json"] == 1


def test_npm_publishers_attestations_scripts(replay: Replay, settings: EnrichSettings) -> None:
    evidence = enrich(sbom_of(("npm", "provenance-demo", "5.1.0")), settings)
    facts = evidence.for_key("npm/provenance-demo@5.1.0")
    publishers = _value(facts.get(FactKind.PUBLISHERS), Publishers)
    assert isinstance(publishers, Publishers)
    assert publishers.publishers == ("mallory",)
    assert publishers.previous_publishers == ("alice",)
    assert publishers.attestations == ()
    assert publishers.previous_attestations is not None
    assert "https://slsa.dev/provenance/v1" in publishers.previous_attestations
    artifacts = _value(facts.get(FactKind.ARTIFACTS), Artifacts)
    assert isinstance(artifacts, Artifacts)
    assert artifacts.lifecycle_scripts == (("postinstall", "node ./setup.js"),)
    assert {h.alg for h in artifacts.files[0].hashes} == {"sha512", "sha1"}
    package = _value(facts.get(FactKind.PACKAGE), PackageMetadata)
    assert isinstance(package, PackageMetadata)
    assert [p.name for p in package.maintainers] == ["alice", "bob"]
    releases = _value(facts.get(FactKind.RELEASES), ReleaseHistory)
    assert isinstance(releases, ReleaseHistory)
    assert any(r.deprecated for r in releases.releases)


def test_scoped_npm_package(replay: Replay, settings: EnrichSettings) -> None:
    evidence = enrich(sbom_of(("npm", "@sigstore/sign", "4.1.0")), settings)
    facts = evidence.for_key("npm/@sigstore/sign@4.1.0")
    # this registry strips _npmUser: who published is not known, and the fact says so
    publishers = facts.get(FactKind.PUBLISHERS)
    assert isinstance(publishers, Missing) and "_npmUser" in publishers.reason
    assert replay.counts["GET /npm/@sigstore%2fsign"] == 1
    artifacts = _value(facts.get(FactKind.ARTIFACTS), Artifacts)
    assert isinstance(artifacts, Artifacts)
    assert artifacts.files[0].url == "https://registry.npmjs.org/@sigstore/sign/-/sign-4.1.0.tgz"
    missing = enrich(sbom_of(("npm", "@sigstore/sign", "0.0.1")), settings)
    fact = missing.for_key("npm/@sigstore/sign@0.0.1").get(FactKind.ARTIFACTS)
    assert isinstance(fact, Missing) and "not listed" in fact.reason


def test_unknown_packages_are_missing(replay: Replay, settings: EnrichSettings) -> None:
    sbom = sbom_of(
        ("pypi", "policyengine-no-such-project-4242", "1.0"),
        ("npm", "policyengine-no-such-package-4242", "1.0.0"),
    )
    evidence = enrich(sbom, settings, {FactKind.PACKAGE, FactKind.RELEASES})
    for key in (
        "pypi/policyengine-no-such-project-4242@1.0",
        "npm/policyengine-no-such-package-4242@1.0.0",
    ):
        for kind in (FactKind.PACKAGE, FactKind.RELEASES):
            fact = evidence.for_key(key).get(kind)
            assert isinstance(fact, Missing) and "not found on registry" in fact.reason


def test_request_counts_cold_then_warm(replay: Replay, settings: EnrichSettings) -> None:
    sbom = sbom_of(
        *LITELLM,
        ("pypi", "litellm", "1.83.0"),
        ("npm", "chalk", "5.3.0"),
        ("npm", "@sigstore/sign", "4.1.0"),
        ("npm", "lodash", "4.17.20"),
    )
    kinds = {FactKind.PACKAGE, FactKind.RELEASES, FactKind.ARTIFACTS, FactKind.ADVISORIES}
    cold = enrich_run(sbom, settings, kinds)
    # one registry request per distinct package (litellm, chalk, @sigstore/sign, lodash)
    assert replay.total("/pypi/") == 1
    assert replay.total("/npm/") == 3
    # one OSV batch (6 components < 1,000) and one detail per distinct advisory
    assert replay.counts["POST /osv/v1/querybatch"] == 1
    details = replay.total("/osv/v1/vulns/")
    assert details == len(_recorded_ids(sbom.components)) == 16
    assert cold.requests == {"pypi": 1, "npm": 3, "osv": 1 + details}
    assert replay.agents == {f"policyengine/{__version__}"}
    replay.reset_counts()
    warm = enrich_run(sbom, settings, kinds)
    assert sum(replay.counts.values()) == 0
    assert warm.requests == {}
    assert warm.evidence.components.keys() == cold.evidence.components.keys()


def _recorded_ids(components: tuple[Component, ...]) -> set[str]:
    # the distinct advisory ids the recorded OSV batch answers name for these components
    folder = RECORDINGS / "osv" / "query"
    ids: set[str] = set()
    for c in components:
        path = folder / (c.ecosystem or "") / c.name.replace("/", "%2f") / f"{c.version}.json"
        ids.update(v["id"] for v in json.loads(path.read_text()).get("vulns", []))
    return ids


def test_osv_batches_are_chunked(replay: Replay, settings: EnrichSettings) -> None:
    small = replace(settings, osv_batch_size=2)
    sbom = sbom_of(*LITELLM, ("pypi", "litellm", "1.83.0"), ("npm", "chalk", "5.3.0"))
    enrich_run(sbom, small, {FactKind.ADVISORIES})
    assert replay.counts["POST /osv/v1/querybatch"] == 2
    sizes = [len(json.loads(body)["queries"]) for body in replay.bodies]
    assert sorted(sizes) == [2, 2]


def test_stale_entries_are_revalidated(replay: Replay, settings: EnrichSettings) -> None:
    sbom = sbom_of(("pypi", "litellm", "1.82.6"))
    kinds = {FactKind.RELEASES}
    enrich_run(sbom, settings, kinds)
    expired = replace(settings, ttl=Ttl(pypi=0.0))
    replay.reset_counts()
    again = enrich_run(sbom, expired, kinds)
    # one conditional request, answered 304 by the server; the cached body is reused
    assert replay.counts["GET /pypi/pypi/litellm/json"] == 1
    fact = again.evidence.for_key("pypi/litellm@1.82.6").get(FactKind.RELEASES)
    assert isinstance(fact, Ok)


def test_offline_uses_only_the_cache(replay: Replay, settings: EnrichSettings) -> None:
    sbom = sbom_of(("pypi", "litellm", "1.82.6"))
    cold = enrich(sbom, replace(settings, advisories="off"))
    replay.reset_counts()
    warm = enrich(sbom, replace(offline(settings), advisories="off"))
    assert sum(replay.counts.values()) == 0
    key = "pypi/litellm@1.82.6"
    assert warm.for_key(key).get(FactKind.RELEASES) == cold.for_key(key).get(FactKind.RELEASES)
    # Turned off on purpose, which risk-score tells apart from a source that failed.
    switched = warm.for_key(key).get(FactKind.ADVISORIES)
    assert isinstance(switched, Missing) and switched.switched_off
    assert not Missing("offline: no cached answer").switched_off
    other = enrich(sbom_of(("pypi", "requests", "2.32.3")), offline(settings))
    fact = other.for_key("pypi/requests@2.32.3").get(FactKind.RELEASES)
    assert isinstance(fact, Missing) and fact.reason.startswith("offline: no cached answer")
    assert sum(replay.counts.values()) == 0


def test_no_progress_output_when_not_a_terminal(
    replay: Replay, settings: EnrichSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    enrich(sbom_of(("pypi", "litellm", "1.82.6")), replace(settings, progress=True))
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_unidentified_and_other_ecosystems(replay: Replay, settings: EnrichSettings) -> None:
    sbom = sbom_of(("maven", "org.example:lib", "1.0"))
    sbom = replace(
        sbom, components=(*sbom.components, replace(sbom.components[0], ref="x", version=None))
    )
    evidence = enrich(sbom, replace(settings, advisories="off"))
    assert list(evidence.components) == ["maven/org.example:lib@1.0"]
    fact = evidence.for_key("maven/org.example:lib@1.0").get(FactKind.PACKAGE)
    assert isinstance(fact, Missing) and "maven" in fact.reason
    assert sum(replay.counts.values()) == 0


@pytest.mark.parametrize("spelling", ["2.32", "2.32.0.0", "02.32.0", "v2.32.0"])
def test_another_spelling_of_a_yanked_pypi_version_is_still_yanked(
    replay: Replay, settings: EnrichSettings, spelling: str
) -> None:
    # PEP 440 equality: the purl's 2.32 is the registry's yanked 2.32.0 (issue 13, item 1).
    from policyengine.checks.common import current_release

    evidence = enrich(sbom_of(("pypi", "requests", spelling)), settings)
    releases = _value(
        evidence.for_key(f"pypi/requests@{spelling}").get(FactKind.RELEASES), ReleaseHistory
    )
    assert isinstance(releases, ReleaseHistory)
    assert releases.listed
    current = current_release(releases, "pypi")
    assert current is not None and current.version == "2.32.0" and current.yanked


def test_a_v_prefixed_npm_version_finds_its_manifest(
    replay: Replay, settings: EnrichSettings
) -> None:
    evidence = enrich(sbom_of(("npm", "provenance-demo", "v5.1.0")), settings)
    facts = evidence.for_key("npm/provenance-demo@v5.1.0")
    releases = _value(facts.get(FactKind.RELEASES), ReleaseHistory)
    assert isinstance(releases, ReleaseHistory) and releases.listed
    publishers = _value(facts.get(FactKind.PUBLISHERS), Publishers)
    assert isinstance(publishers, Publishers) and publishers.publishers == ("mallory",)
    assert isinstance(_value(facts.get(FactKind.ARTIFACTS), Artifacts), Artifacts)
