"""npm uploaders and provenance per release: what is a fact, what a stripping mirror leaves."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from policyengine.enrich import enrich
from policyengine.enrich.npm_provenance import _slsa_identity, account_of, attestations_path
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import FactKind, Missing, Ok, Publishers
from tests.enrich.conftest import Replay, sbom_of


def _publishers(settings: EnrichSettings, name: str, version: str) -> object:
    found = enrich(
        sbom_of(("npm", name, version)), replace(settings, advisories="off"), {FactKind.PUBLISHERS}
    )
    return found.for_key(f"npm/{name}@{version}").get(FactKind.PUBLISHERS)


def test_a_version_without_attestations_among_attested_ones_dropped_provenance(
    replay: Replay, settings: EnrichSettings
) -> None:
    fact = _publishers(settings, "provenance-demo", "5.1.0")
    assert isinstance(fact, Ok) and isinstance(fact.value, Publishers)
    history = fact.value.history
    assert [(r.version, r.provenance, r.accounts) for r in history] == [
        ("5.1.0", "absent", ("mallory",)),
        ("5.0.0", "present", ("alice",)),
        ("2.0.0", "present", ("alice",)),
        ("4.1.1", "present", ("alice",)),
    ]
    [identity] = history[1].identities
    assert identity.identity == "github:sigstore/sigstore-js/release.yml"
    assert not identity.verified and identity.verification.startswith("read, not verified")
    assert identity.source == replay.npm_url + "/-/npm/v1/attestations/provenance-demo@5.0.0"


def test_a_mirror_that_strips_the_fields_is_named_in_the_unknown(
    replay: Replay, settings: EnrichSettings
) -> None:
    fact = _publishers(settings, "@sigstore/sign", "5.1.0")
    assert isinstance(fact, Missing)
    assert f"the registry at {replay.npm_url} does not name who published 5.1.0" in fact.reason
    assert "strips the field" in fact.reason
    assert replay.total("/npm/-/npm/v1/attestations/") == 0


def test_scoped_names_in_the_attestations_path() -> None:
    assert attestations_path("@sigstore/sign", "2.3.2") == (
        "/-/npm/v1/attestations/@sigstore%2fsign@2.3.2"
    )
    assert attestations_path("chalk", "5.0.0") == "/-/npm/v1/attestations/chalk@5.0.0"


def test_accounts_from_npm_user() -> None:
    assert account_of({"_npmUser": {"name": "alice", "email": "a@x"}}) == "alice"
    assert account_of({"_npmUser": "bob <b@x>"}) == "bob"
    assert account_of({}) is None


def _item(predicate: dict[str, object]) -> dict[str, object]:
    statement = {"predicateType": "https://slsa.dev/provenance/v0.2", "predicate": predicate}
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    return {"bundle": {"dsseEnvelope": {"payload": payload}}}


def test_slsa_v02_config_source_names_repository_and_workflow() -> None:
    found = _slsa_identity(
        _item(
            {
                "invocation": {
                    "configSource": {
                        "uri": "git+https://github.com/o/r@refs/heads/main",
                        "entryPoint": ".github/workflows/publish.yml",
                    }
                }
            }
        ),
        "u",
    )
    assert found is not None and found.identity == "github:o/r/publish.yml"


def test_a_payload_that_is_not_base64_json_is_unusable() -> None:
    with pytest.raises(ValueError):
        _slsa_identity({"bundle": {"dsseEnvelope": {"payload": "%%%"}}}, "u")
