"""Evidence bundles: round trip, determinism, errors with JSON pointers, schema drift."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.enrich import dump_bundle, enrich, load_bundle
from policyengine.enrich.bundle import SCHEMA_PATH, parse_bundle, schema_text
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import (
    Advisories,
    FactKind,
    InputError,
    Missing,
    Ok,
    PackageMetadata,
    Publishers,
    ReleaseHistory,
    ReleaseIdentity,
    Source,
)
from tests.enrich.conftest import Replay, sbom_of

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures/evidence/litellm-1.82.8.evidence.json"


def test_round_trip_replays_without_network(
    replay: Replay, settings: EnrichSettings, tmp_path: Path
) -> None:
    evidence = enrich(
        sbom_of(("pypi", "litellm", "1.82.8"), ("npm", "provenance-demo", "5.1.0")), settings
    )
    data = dump_bundle(evidence)
    assert dump_bundle(evidence) == data  # deterministic
    path = tmp_path / "evidence.json"
    path.write_bytes(data)
    replay.reset_counts()
    loaded = load_bundle(path)
    assert sum(replay.counts.values()) == 0
    assert loaded.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert loaded.created_at == evidence.created_at
    assert loaded.components.keys() == evidence.components.keys()
    for key, facts in evidence.components.items():
        assert dict(loaded.components[key].facts) == dict(facts.facts)
    assert dump_bundle(loaded) == data


def test_litellm_fixture_bundle() -> None:
    evidence = load_bundle(FIXTURE)
    facts = evidence.for_key("pypi/litellm@1.82.8")
    releases = facts.get(FactKind.RELEASES)
    assert isinstance(releases, Ok) and isinstance(releases.value, ReleaseHistory)
    assert releases.value.listed is False
    assert isinstance(facts.get(FactKind.ARTIFACTS), Missing)
    advisories = facts.get(FactKind.ADVISORIES)
    assert isinstance(advisories, Ok) and isinstance(advisories.value, Advisories)
    malicious = {a.id: a.aliases for a in advisories.value.advisories if a.malicious}
    assert malicious["PYSEC-2026-2"] == ("MAL-2026-2144",)
    assert "GHSA-5mg7-485q-xm76" in malicious
    jsonschema.validate(json.loads(FIXTURE.read_text()), json.loads(SCHEMA_PATH.read_text()))


def _bundle() -> dict:  # type: ignore[type-arg]
    return json.loads(FIXTURE.read_text())


@pytest.mark.parametrize(
    ("edit", "pointer"),
    [
        (lambda b: b.update(extra=1), "/extra"),
        (
            lambda b: b["components"]["pypi/litellm@1.82.8"].update(bogus={}),
            "/components/pypi~1litellm@1.82.8/bogus",
        ),
        (
            lambda b: b["components"]["pypi/litellm@1.82.8"]["releases"]["value"].update(
                listed="no"
            ),
            "/components/pypi~1litellm@1.82.8/releases/value/listed",
        ),
        (
            lambda b: b["components"]["pypi/litellm@1.82.8"]["artifacts"].update(status="gone"),
            "/components/pypi~1litellm@1.82.8/artifacts",
        ),
        (lambda b: b.pop("components"), "/components"),
    ],
)
def test_invalid_bundles_name_the_pointer(edit: object, pointer: str) -> None:
    bundle = _bundle()
    edit(bundle)  # type: ignore[operator]
    with pytest.raises(InputError) as caught:
        parse_bundle(json.dumps(bundle).encode(), "e.json")
    assert caught.value.position is not None
    assert caught.value.position.pointer == pointer, caught.value.one_line()


def test_not_json_and_wrong_version() -> None:
    with pytest.raises(InputError) as caught:
        parse_bundle(b"{\n  nope", "e.json")
    assert caught.value.position is not None and caught.value.position.line == 2
    bundle = _bundle()
    bundle["schema_version"] = "9"
    with pytest.raises(InputError, match="schema_version"):
        parse_bundle(json.dumps(bundle).encode(), "e.json")
    with pytest.raises(InputError, match="no such evidence file"):
        load_bundle("/nonexistent/evidence.json")


def test_schema_has_not_drifted() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), (
        "schemas/evidence.schema.json is stale: run `python -m policyengine.enrich.bundle --schema`"
    )


def test_a_misspelt_field_is_refused_with_its_pointer() -> None:
    document = {
        "schema_version": "1",
        "created_at": None,
        "tool": "policyengine test",
        "components": {
            "pypi/demo@1.0": {
                "package": {
                    "status": "ok",
                    "value": {"ecosystem": "pypi", "name": "demo", "repositry": "https://x"},
                    "source": {"name": "pypi"},
                }
            }
        },
        "project": None,
    }
    with pytest.raises(InputError) as caught:
        parse_bundle(json.dumps(document).encode(), "bundle.json")
    line = caught.value.one_line()
    assert "/components/pypi~1demo@1.0/package/value/repositry" in line


def test_package_facts_of_older_bundles_load_with_the_newer_fields_empty() -> None:
    # The fixture predates described_version, unknown_fields and development_status.
    raw = FIXTURE.read_bytes()
    value = json.loads(raw)["components"]["pypi/litellm@1.82.8"]["package"]["value"]
    assert not {"described_version", "unknown_fields", "development_status"} & set(value)
    compact = orjson.dumps(json.loads(raw))  # any other layout: the whole-document decoder
    for data in (raw, compact):
        package = parse_bundle(data, "e.json").for_key("pypi/litellm@1.82.8").get(FactKind.PACKAGE)
        assert isinstance(package, Ok) and isinstance(package.value, PackageMetadata)
        assert package.value.described_version is None
        assert package.value.unknown_fields == () and package.value.development_status is None


def test_an_empty_publisher_history_is_left_out_and_a_full_one_kept() -> None:
    from datetime import UTC, datetime

    from policyengine.model import ComponentEvidence, Evidence

    source = Source(
        "pypi", url="https://pypi.org/pypi/x/json", fetched_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    key = "pypi/x@1.0"
    for history in ((), (ReleaseIdentity("1.0", provenance="present"),)):
        fact = Ok(Publishers("1.0", history=history), source)
        evidence = Evidence(components={key: ComponentEvidence(key, {FactKind.PUBLISHERS: fact})})
        data = dump_bundle(evidence)
        written = json.loads(data)["components"][key]["publishers"]["value"]
        # Without history the bytes are what bundles before it held: older readers read them.
        assert ("history" in written) is bool(history)
        back = parse_bundle(data, "e.json").for_key(key).get(FactKind.PUBLISHERS)
        assert isinstance(back, Ok) and isinstance(back.value, Publishers)
        assert back.value.history == history


def _stdlib_bytes(data: object) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def test_every_committed_bundle_is_written_as_the_standard_library_wrote_it() -> None:
    import gzip

    root = Path(__file__).resolve().parents[2]
    seen = 0
    for path in sorted(root.glob("**/*evidence*.json*")):
        if "schemas" in path.parts or not path.name.endswith((".json", ".json.gz")):
            continue
        raw = path.read_bytes()
        raw = gzip.decompress(raw) if path.name.endswith(".gz") else raw
        try:
            evidence = parse_bundle(raw, str(path))
        except InputError:
            continue  # a deliberately broken bundle of the hardening tests
        written = dump_bundle(evidence)
        assert written == _stdlib_bytes(json.loads(written)), path
        seen += 1
    assert seen >= 20


@given(st.text(), st.text(), st.lists(st.text(), max_size=4))
@settings(max_examples=300, deadline=None)
def test_orjson_writes_what_the_standard_library_writes(
    name: str, homepage: str, aliases: list[str]
) -> None:
    from policyengine.model import Advisory, ComponentEvidence, Evidence

    key = "pypi/x@1.0"
    source = Source("pypi", url="https://pypi.org/pypi/x/json")
    package = Ok(PackageMetadata("pypi", name, homepage=homepage), source)
    advisory = Advisory("GHSA-x", aliases=tuple(aliases), summary=name, score=9.8)
    facts = {
        FactKind.PACKAGE: package,
        FactKind.ADVISORIES: Ok(Advisories("1.0", (advisory,)), source),
    }
    evidence = Evidence(components={key: ComponentEvidence(key, facts)})
    try:
        written = dump_bundle(evidence)
    except UnicodeEncodeError:
        return  # a lone surrogate: refused, as the standard library's bytes were
    assert written == _stdlib_bytes(json.loads(written))


def test_a_gzipped_bundle_is_read_as_is(tmp_path: Path) -> None:
    import gzip

    packed = tmp_path / "evidence.json.gz"
    packed.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    assert load_bundle(packed).components == load_bundle(FIXTURE).components
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(gzip.compress(FIXTURE.read_bytes())[:100])
    with pytest.raises(InputError, match="truncated"):
        load_bundle(broken)
