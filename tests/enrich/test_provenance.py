"""PEP 740 provenance on PyPI: what counts as "none", what stays unknown, verification."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from policyengine.enrich import enrich
from policyengine.enrich.attest_verify import NOT_INSTALLED, verify_file
from policyengine.enrich.provenance import identity_of
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import FactKind, Missing, Ok, Publishers
from tests.conftest import corpus_path
from tests.enrich.conftest import RECORDINGS, Replay, sbom_of

SIGSTORE_361 = "ee60fdc9236fd6709271ad53b44027461360c3fde155d2af15482e4c451ff865"


def _history(replay: Replay, settings: EnrichSettings, base: str, version: str) -> Publishers:
    found = enrich(
        sbom_of(("pypi", "sigstore", version)),
        replace(settings, pypi_url=base, advisories="off"),
        {FactKind.PUBLISHERS},
    )
    fact = found.for_key(f"pypi/sigstore@{version}").get(FactKind.PUBLISHERS)
    assert isinstance(fact, Ok) and isinstance(fact.value, Publishers), fact
    return fact.value


def test_null_in_an_index_of_api_version_1_3_is_a_release_without_provenance(
    replay: Replay, settings: EnrichSettings
) -> None:
    history = _history(replay, settings, replay.pypi740_url, "3.6.2").history
    assert [(r.version, r.provenance) for r in history] == [
        ("3.6.2", "absent"),
        ("3.6.1", "present"),
        ("3.6.0", "present"),
        ("3.5.3", "present"),
    ]
    # A file the index says has none is not asked for.
    assert (
        replay.counts["GET /pypi740/integrity/sigstore/3.6.2/sigstore-3.6.2.tar.gz/provenance"] == 0
    )
    assert history[1].sources[0].url == replay.pypi740_url + "/simple/sigstore/"


def test_the_window_is_a_setting(replay: Replay, settings: EnrichSettings) -> None:
    short = replace(settings, provenance_releases=1)
    history = _history(replay, short, replay.pypi740_url, "3.6.2").history
    assert [r.version for r in history] == ["3.6.2", "3.6.1"]


def test_an_index_without_the_key_leaves_provenance_unknown_and_asks_the_api_once(
    replay: Replay, settings: EnrichSettings
) -> None:
    found = enrich(
        sbom_of(("pypi", "sigstore", "3.6.2")),
        replace(settings, advisories="off"),
        {FactKind.PUBLISHERS},
    )
    fact = found.for_key("pypi/sigstore@3.6.2").get(FactKind.PUBLISHERS)
    # Neither the release's metadata (per-version 404) nor its provenance is known.
    assert isinstance(fact, Missing)
    assert "(api-version 1.1) predates PEP 740's provenance key" in fact.reason
    assert "the Integrity API answered HTTP 404 for sigstore-3.6.2.tar.gz" in fact.reason
    # The 404 for the component's own file settles it: the earlier releases are not asked.
    assert replay.total("/pypi/integrity/") == 1


def test_a_registry_found_without_the_integrity_api_is_not_probed_again(
    replay: Replay, settings: EnrichSettings
) -> None:
    # The index predates PEP 740 and the Integrity API answered 404: a mirror without it.
    # The next component (another run, same cache) is not probed; it stays unknown.
    first = replace(settings, advisories="off")
    enrich(sbom_of(("pypi", "sigstore", "3.6.2")), first, {FactKind.PUBLISHERS})
    assert replay.total("/pypi/integrity/") == 1
    replay.reset_counts()
    found = enrich(sbom_of(("pypi", "pypi-attestations", "0.0.19")), first, {FactKind.PUBLISHERS})
    fact = found.for_key("pypi/pypi-attestations@0.0.19").get(FactKind.PUBLISHERS)
    assert replay.total("/pypi/integrity/") == 0, replay.counts
    reason = fact.reason if isinstance(fact, Missing) else str(fact)
    history = fact.value.history if isinstance(fact, Ok) else ()
    assert "not served there" in reason or all(
        r.provenance == "unknown" and "not served there" in (r.reason or "") for r in history
    ), fact


def test_a_null_from_an_index_that_predates_the_key_says_nothing(
    replay: Replay, settings: EnrichSettings, tmp_path: Path
) -> None:
    entry = replay.manifests["pypi740"]["GET /simple/sigstore/"]
    index = json.loads((RECORDINGS / "pypi740" / entry["body"]).read_bytes())
    index["meta"]["api-version"] = "1.1"
    older = tmp_path / "index.json"
    older.write_text(json.dumps(index))
    # An absolute body path: the replay server joins it onto its folder and gets it back.
    replay.manifests["pypi740"] = {
        **replay.manifests["pypi740"],
        "GET /simple/sigstore/": {**entry, "body": str(older)},
    }
    history = _history(replay, settings, replay.pypi740_url, "3.6.2").history
    assert history[0].provenance == "unknown"
    assert history[1].provenance == "present"  # served by the Integrity API all the same


def test_identities_are_spelled_as_policies_write_them() -> None:
    github = {"kind": "GitHub", "repository": "o/r", "workflow": "release.yml", "environment": None}
    assert identity_of(github)[0] == "github:o/r/release.yml"
    gitlab = {"kind": "GitLab", "repository": "g/p", "workflow_filepath": ".gitlab-ci.yml"}
    assert identity_of(gitlab)[0] == "gitlab:g/p/.gitlab-ci.yml"
    assert identity_of({"kind": "Google", "email": "ci@x.iam"})[0] == "google:ci@x.iam"
    other = {"kind": "ActiveState", "organization": "acme", "project": "tool"}
    assert identity_of(other)[0] == "activestate:acme/tool"


def _sample() -> tuple[dict[str, object], list[object]]:
    path = corpus_path("provenance", "pypi", "sigstore-3.6.1.tar.gz.provenance")
    [bundle] = json.loads(path.read_bytes())["attestation_bundles"]
    return bundle["publisher"], bundle["attestations"]


def test_the_corpus_attestation_verifies_offline() -> None:
    pytest.importorskip("pypi_attestations")
    publisher, attestations = _sample()
    verified, how = verify_file(publisher, attestations, "sigstore-3.6.1.tar.gz", SIGSTORE_361)
    assert verified, how
    assert how.startswith("verified offline: 1 attestation against sigstore-3.6.1.tar.gz")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"digest": "0" * 64}, "subject does not match distribution digest"),
        ({"repository": "evil/sigstore-python"}, "OIDCSourceRepositoryURI does not match"),
        ({"workflow": "other.yml"}, "Build Config URI"),
    ],
)
def test_a_wrong_file_or_identity_is_read_not_verified(change: dict[str, str], why: str) -> None:
    pytest.importorskip("pypi_attestations")
    publisher, attestations = _sample()
    digest = change.pop("digest", SIGSTORE_361)
    verified, how = verify_file(
        {**publisher, **change}, attestations, "sigstore-3.6.1.tar.gz", digest
    )
    assert not verified
    assert how.startswith("read, not verified: ") and why in how


def test_without_the_library_identities_are_read_not_verified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins

    real = builtins.__import__

    def refuse(name: str, *args: object, **kwargs: object) -> object:
        if name == "pypi_attestations":
            raise ImportError(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", refuse)
    publisher, attestations = _sample()
    assert verify_file(publisher, attestations, "sigstore-3.6.1.tar.gz", SIGSTORE_361) == (
        False,
        NOT_INSTALLED,
    )


def test_verification_can_be_switched_off(replay: Replay, settings: EnrichSettings) -> None:
    off = replace(settings, verify_provenance=False)
    history = _history(replay, off, replay.pypi740_url, "3.6.1").history
    [identity] = history[0].identities
    assert not identity.verified
    assert identity.verification == "read, not verified: verification is switched off"


@pytest.mark.parametrize("fault", ["badjson", "array", "500"])
def test_an_unusable_integrity_answer_is_unknown_never_absent(
    replay: Replay, settings: EnrichSettings, fault: str
) -> None:
    path = "/pypi740/integrity/sigstore/3.6.1/sigstore-3.6.1.tar.gz/provenance"
    replay.faults[path] = [fault] * 4
    history = _history(replay, settings, replay.pypi740_url, "3.6.1").history
    assert history[0].provenance == "unknown"
    assert history[0].reason is not None and "sigstore-3.6.1.tar.gz" in history[0].reason
    assert history[1].provenance == "present"
