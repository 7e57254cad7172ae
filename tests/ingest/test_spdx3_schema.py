"""SPDX 3 --validate: the shipped 3.0.1 JSON Schema, conformance, broken documents, scale."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.synth import make_spdx3, make_specs, spdx3_document
from policyengine.ingest import parse_bytes, read_input
from policyengine.ingest.spdx3_schema import class_names, schema, validate_document
from policyengine.model import InputError
from tests.conftest import CORPUS, corpus_path

SCHEMA_SHA256 = "59f59713c7d73ff0d833f4f468df974a689fc9dd36dc5510f1875ff85d276c54"
"""The published spdx-spec v3.0.1/rdf/schema.json (gh-pages 954412d7328b), see its NOTICE."""

EXAMPLES = [
    "spdx/spdx-examples/ai/example01/spdx3.0/simplehtr-example.json",
    "spdx/spdx-examples/ai/example02/spdx3.0/sbom.spdx3.json",
    "spdx/spdx-examples/dataset/example01/spdx3.0/example01.spdx3.json",
    "spdx/spdx-examples/software/example1/spdx3.0/example1.json",
    "spdx/spdx-examples/software/example10/spdx3.0/hello-source.spdx3.json",
    "spdx/spdx-examples/software/example11/spdx3.0/sbom.spdx3.json",
    "spdx/spdx-examples/software/example12/spdx3.0/hello-dist.spdx3.json",
    "spdx/spdx-examples/software/example12/spdx3.0/hello-src.spdx3.json",
    "spdx/spdx-examples/software/example13/spdx3.0/example13.spdx3.json",
    "spdx/spdx-examples/software/example14/spdx3.0/examplemaven-0.0.1-enriched.spdx3.json",
    "spdx/spdx-examples/software/example3/spdx3.0/example3-bin.json",
    "spdx/spdx-examples/software/example3/spdx3.0/example3-src.json",
    "spdx/spdx-examples/software/example4/spdx3.0/example4-bin.json",
    "spdx/spdx-examples/software/example4/spdx3.0/example4-src.json",
    "spdx/spdx-examples/software/example5/spdx3.0/example5-bin.json",
    "spdx/spdx-examples/software/example5/spdx3.0/example5-src.json",
    "spdx/spdx-examples/software/example6/spdx3.0/example6-bin.json",
    "spdx/spdx-examples/software/example6/spdx3.0/example6-lib.json",
    "spdx/spdx-examples/software/example6/spdx3.0/example6-src.json",
    "spdx/spdx-examples/software/example7/spdx3.0/example7-bin.spdx3.json",
    "spdx/spdx-examples/software/example7/spdx3.0/example7-go-module.spdx3.json",
    "spdx/spdx-examples/software/example7/spdx3.0/example7-golang.spdx3.json",
    "spdx/spdx-examples/software/example7/spdx3.0/example7-third-party-modules.spdx3.json",
    "spdx/spdx-examples/software/example8/spdx3.0/examplemaven-0.0.1.spdx3.json",
    "spdx/spdx-examples/software/example9/spdx3.0/appbomination.spdx3.json",
    "spdx/spdx-spec-3.0/jsonld/package_sbom.json",
]
"""Every SPDX 3 JSON-LD document of the corpus (its MANIFEST: all valid against 3.0.1)."""


@cache
def _whole_schema() -> Any:
    return jsonschema_rs.validator_for(schema(), offline=True)


def _whole_schema_accepts(document: Any) -> bool:
    # The official schema as published, in one call: the reference the fast path must equal.
    return bool(_whole_schema().is_valid(document))


def _shipped_bytes() -> bytes:
    return resources.files("policyengine").joinpath("data", "spdx3", "schema.json").read_bytes()


def test_shipped_schema_is_the_published_one() -> None:
    assert hashlib.sha256(_shipped_bytes()).hexdigest() == SCHEMA_SHA256
    notice = resources.files("policyengine").joinpath("data", "spdx3", "NOTICE.md").read_text()
    assert SCHEMA_SHA256 in notice and "Community-Spec-1.0" in notice


def test_shipped_schema_has_the_bytes_of_the_corpus_copy() -> None:
    corpus_copy = corpus_path("schemas/spdx/3.0.1/schema.json").read_bytes()
    assert _shipped_bytes() == corpus_copy


def test_every_class_accepts_only_its_own_type() -> None:
    # What makes checking an element against the class its type names equal to the anyOf
    # of all classes: no class accepts another class's type.
    defs = schema()["$defs"]
    assert len(class_names()) == 78
    for name in class_names():
        text = json.dumps(defs[name])
        assert json.dumps({"type": {"oneOf": [{"const": name}]}})[1:-1] in text, name


def test_the_corpus_list_is_complete() -> None:
    root = corpus_path("spdx")
    found = sorted(
        str(p.relative_to(CORPUS))
        for p in root.rglob("*.json")
        if "spdx3.0" in p.parts or "jsonld" in p.parts
    )
    assert found == sorted(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_corpus_examples_are_accepted_with_validate(name: str, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = corpus_path(name)
    document = orjson.loads(path.read_bytes())
    assert _whole_schema_accepts(document)
    validate_document(document, name)
    code, out, err = run_cli("inspect", "--validate", "--format", "json", str(path))
    assert (code, err) == (0, "")
    assert json.loads(out)["spec_version"].startswith("3.")


def _synthetic() -> dict[str, Any]:
    return spdx3_document(make_specs(4))


def _at(document: dict[str, Any], kind: str) -> int:
    return next(i for i, e in enumerate(document["@graph"]) if e.get("type") == kind)


def _package(document: dict[str, Any]) -> dict[str, Any]:
    element: dict[str, Any] = document["@graph"][_at(document, "software_Package")]
    return element


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], str]:
    def mutate(document: dict[str, Any]) -> str:
        index = _at(document, "software_Package")
        document["@graph"][index][key] = value
        return f"/@graph/{index}"

    return mutate


def _drop_creation_info(document: dict[str, Any]) -> str:
    del _package(document)["creationInfo"]
    return f"/@graph/{_at(document, 'software_Package')}"


def _bad_date(document: dict[str, Any]) -> str:
    document["@graph"][0]["created"] = "2026-13-45"
    return "/@graph/0/created"


def _hash_without_value(document: dict[str, Any]) -> str:
    index = next(i for i, e in enumerate(document["@graph"]) if "verifiedUsing" in e)
    del document["@graph"][index]["verifiedUsing"][0]["hashValue"]
    return f"/@graph/{index}/verifiedUsing/0"


def _bad_relationship(document: dict[str, Any]) -> str:
    index = _at(document, "Relationship")
    document["@graph"][index]["relationshipType"] = "dependson"
    return f"/@graph/{index}/relationshipType"


def _top_level_extra(document: dict[str, Any]) -> str:
    document["generator"] = "x"
    return ""


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], str], str, str]] = {
    "wrong-type": (_set("name", 5), "/name", '5 is not of type "string"'),
    "missing-required": (_drop_creation_info, "", '"creationInfo" is a required property'),
    "unknown-type": (
        _set("type", "software_Pakage"),
        "/type",
        "'software_Pakage' is not an SPDX 3.0.1 element type; did you mean 'software_Package'?",
    ),
    "bad-date": (_bad_date, "", "'2026-13-45' is not an SPDX date-time (YYYY-MM-DDThh:mm:ssZ"),
    "unknown-property": (_set("bogus", 1), "", "'bogus' was unexpected"),
    "nested-required": (_hash_without_value, "", '"hashValue" is a required property'),
    "bad-enum": (_bad_relationship, "", "did you mean 'dependsOn'?"),
    "top-level-property": (_top_level_extra, "", "'generator' was unexpected"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_documents_are_refused_with_a_pointer(case: str, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    mutate, suffix, text = BROKEN[case]
    document = _synthetic()
    pointer = mutate(document) + suffix
    assert not _whole_schema_accepts(document)
    path = tmp_path / "broken.spdx3.json"
    path.write_text(json.dumps(document))
    code, out, err = run_cli("inspect", "--validate", str(path))
    assert (code, out) == (3, "")
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith(
        f"policyengine: error: {path}#{pointer or '/'}: does not match the SPDX 3.0.1 JSON Schema: "
    ), lines[0]
    assert text in lines[0]
    assert lines[0].endswith("(fix the document or the tool that generated it)")


@pytest.mark.parametrize("case", ["bad-date", "unknown-type", "unknown-property", "bad-enum"])
def test_without_validate_the_broken_documents_still_read(case: str) -> None:
    # --validate is what refuses them: the reader itself only needs what it maps.
    mutate, _, _ = BROKEN[case]
    document = _synthetic()
    mutate(document)
    parse_bytes(json.dumps(document).encode(), "x.spdx3.json")


def test_broken_corpus_example_is_refused(tmp_path: Path) -> None:
    document = json.loads(corpus_path("spdx/spdx-spec-3.0/jsonld/package_sbom.json").read_text())
    document["@graph"][4]["software_primaryPurpose"] = "app"
    path = tmp_path / "package_sbom.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InputError) as raised:
        read_input(path, validate=True)
    assert raised.value.exit_code == 3
    assert raised.value.one_line().startswith(
        f"{path}#/@graph/4/software_primaryPurpose: does not match the SPDX 3.0.1 JSON Schema: "
        '"app" is not one of'
    )


def test_problems_are_counted_and_the_first_is_named() -> None:
    document = _synthetic()
    packages = [i for i, e in enumerate(document["@graph"]) if e["type"] == "software_Package"]
    for index in packages[1:]:
        document["@graph"][index]["name"] = 5
    with pytest.raises(InputError) as raised:
        validate_document(document, "x.json")
    line = raised.value.one_line()
    assert line.startswith(f"x.json#/@graph/{packages[1]}/name: ")
    assert f"(and {len(packages) - 2} more problems)" in line


def test_other_spdx3_versions_are_refused_by_validate_only() -> None:
    document = _synthetic()
    document["@context"] = "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"
    data = json.dumps(document).encode()
    assert parse_bytes(data, "x.json").spec_version == "3.0.1"
    with pytest.raises(InputError) as raised:
        parse_bytes(data, "x.json", validate=True)
    assert raised.value.one_line().startswith(
        "x.json#/@context: --validate checks SPDX 3.0.1 documents"
    )


def _mutations() -> st.SearchStrategy[tuple[int, str, Any]]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=12), st.just([])
    )
    keys = st.sampled_from(
        [
            *("type", "spdxId", "name", "creationInfo", "created", "to", "from"),
            *("relationshipType", "software_packageVersion", "verifiedUsing", "specVersion"),
            *("createdBy", "@id", "x"),
        ]
    )
    return st.tuples(st.integers(0, 40), keys, st.one_of(scalars, st.just(KeyError)))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(), min_size=1, max_size=3))
def test_the_per_type_check_agrees_with_the_whole_schema(
    mutations: list[tuple[int, str, Any]],
) -> None:
    document = _synthetic()
    graph = document["@graph"]
    for index, key, value in mutations:
        element = graph[index % len(graph)]
        if value is KeyError:
            element.pop(key, None)
        else:
            element[key] = value
    expected = _whole_schema_accepts(copy.deepcopy(document))
    try:
        validate_document(document, "x.json")
    except InputError as exc:
        assert not expected, exc.one_line()
        assert exc.one_line().startswith("x.json#/")
    else:
        assert expected


def test_a_large_document_validates_element_by_element(monkeypatch: pytest.MonkeyPatch) -> None:
    # Speed lives in benchmarks/spdx3_bench.py (0.3 s at 10,000 packages, ~5 s for the
    # whole schema in one call): here, that a large document is judged one element at a
    # time against its own class, never by the whole schema at once.
    import policyengine.ingest.spdx3_schema as spdx3_schema

    asked: list[str] = []
    original = spdx3_schema._validator

    def spy(ref: str):  # type: ignore[no-untyped-def]
        asked.append(ref)
        return original(ref)

    monkeypatch.setattr(spdx3_schema, "_validator", spy)
    data = make_spdx3(2_000)
    validate_document(orjson.loads(data), "synth.spdx3.json")
    assert "#" not in asked and len(asked) > 2_000
    assert all(ref.startswith("#/$defs/") for ref in asked)
    sbom = parse_bytes(data, "synth.spdx3.json", validate=True)
    assert len(sbom.components) == 2_001


def test_check_with_validate_refuses_a_broken_document(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    document = _synthetic()
    pointer = _bad_relationship(document)
    path = tmp_path / "broken.spdx3.json"
    path.write_text(json.dumps(document))
    policy = Path(__file__).resolve().parents[2] / "policyengine/data/policies/baseline.yaml"
    code, out, err = run_cli("check", "--validate", "--offline", str(path), "--policy", str(policy))
    assert (code, out) == (3, "")
    assert err.strip().splitlines() == [err.strip()]
    assert f"{path}#{pointer}: does not match the SPDX 3.0.1 JSON Schema" in err
    code, _, err = run_cli("check", "--offline", str(path), "--policy", str(policy))
    assert code != 3, err


@pytest.mark.parametrize("key", ["comment", "unknownProperty"])
def test_nesting_too_deep_for_the_validator_is_an_input_error(key: str) -> None:
    # orjson reads 1,024 levels; jsonschema-rs stops at 256 (it was exit 70).
    from policyengine.ingest.spdx3_schema import CONTEXT

    deep = orjson.loads(b"[" * 300 + b"]" * 300)
    package = {"type": "software_Package", "spdxId": "urn:x", "name": "n", "creationInfo": "_:c"}
    document = {"@context": CONTEXT, "@graph": [{**package, key: deep}]}
    with pytest.raises(InputError, match="nests too deeply") as caught:
        validate_document(document, "deep.json")
    assert caught.value.position is not None and caught.value.position.pointer == "/@graph/0"
