"""SPDX 3.0 JSON-LD reader: packages, purls, hashes, licenses, graph, unsupported shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policyengine.ingest import parse_bytes, read_input
from policyengine.ingest.spdx3 import read_spdx3
from policyengine.model import InputError
from tests.conftest import corpus_path

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
EX11 = "https://spdx.org/spdxdocs/k8s-releng-bom-7c6a33ab-bd76-4b06-b291-a850e0815b07-specv3/"


def test_example11_cargo_packages_with_purls_licenses_and_graph() -> None:
    sbom = read_input(corpus_path("spdx/spdx-examples/software/example11/spdx3.0/sbom.spdx3.json"))
    assert (sbom.format, sbom.spec_version) == ("spdx", "3.0.1")
    rows = [(c.ecosystem, c.name, c.version, c.purl, c.licenses, c.direct) for c in sbom.components]
    assert rows == [
        (
            "deb",
            "debian/libselinux1-dev",
            "3.1-3",
            "pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x",
            "Apache-2.0",
            None,
        ),
        ("cargo", "hyper", "0.14", "pkg:cargo/hyper@0.14", "MIT", True),
        ("cargo", "tokio", "1.19.2", "pkg:cargo/tokio@1.19.2", "MIT", True),
        (
            "cargo",
            "pretty_env_logger",
            "0.4.0",
            "pkg:cargo/pretty_env_logger@0.4.0",
            "MIT OR Apache-2.0",
            True,
        ),
    ]
    assert sbom.roots == (EX11 + "SPDXRef-gnrtd5",)
    assert dict(sbom.dependencies) == {
        EX11 + "SPDXRef-gnrtd5": (
            EX11 + "SPDXRef-gnrtd7",
            EX11 + "SPDXRef-gnrtd13",
            EX11 + "SPDXRef-gnrtd17",
        )
    }
    assert sbom.metadata.tools == ("sigs.k8s.io/bom/pkg/spdx",)


def test_spec_example_package_and_originator() -> None:
    sbom = read_input(corpus_path("spdx/spdx-spec-3.0/jsonld/package_sbom.json"))
    (component,) = sbom.components  # the software_File is not a component
    assert (component.ref, component.name, component.version) == (
        "http://spdx.example.com/Package1",
        "my-package",
        "1.0",
    )
    assert component.author == "Joshua Watt"
    assert component.location is not None and component.location.pointer == "/@graph/4"
    assert not component.identified
    # The document's root is the SBOM element, whose own root is the package.
    assert sbom.roots == ("http://spdx.example.com/Package1",)
    assert sbom.metadata.authors == ("Joshua Watt",)
    assert sbom.metadata.timestamp == "2024-03-06T00:00:00Z"


def test_dataset_package_hashes_and_supplier() -> None:
    sbom = read_input(
        corpus_path("spdx/spdx-examples/dataset/example01/spdx3.0/example01.spdx3.json")
    )
    (component,) = sbom.components
    assert [(h.alg, h.value) for h in component.hashes] == [
        ("sha1", "32657f0d033fc07a7420be36a6af9083c6a63489"),
        ("sha256", "434d75c84cf86456c16193dbc53beef31eb63f3387425882ddb2ef6acb9d472c"),
    ]
    assert component.supplier == "Our World in Data"
    assert component.licenses == "CC-BY-4.0"
    assert component.type == "data"


def test_package_verification_code_is_not_a_hash() -> None:
    sbom = read_input(corpus_path("spdx/spdx-examples/software/example1/spdx3.0/example1.json"))
    (component,) = sbom.components
    assert component.hashes == ()


def test_spdx2_and_spdx3_of_example9_agree_on_identity() -> None:
    two = read_input(
        corpus_path("spdx/spdx-examples/software/example9/spdx2.2/appbomination.spdx.json")
    )
    three = read_input(
        corpus_path("spdx/spdx-examples/software/example9/spdx3.0/appbomination.spdx3.json")
    )

    def view(sbom: Any) -> set[tuple[object, ...]]:
        return {(c.name, c.version, c.purl, c.licenses, c.direct) for c in sbom.components}

    assert view(two) == view(three)


def _graph(*elements: dict[str, Any]) -> bytes:
    base: list[dict[str, Any]] = [
        {
            "type": "CreationInfo",
            "@id": "_:ci",
            "specVersion": "3.0.1",
            "created": "2026-01-01T00:00:00Z",
            "createdBy": ["urn:agent"],
            "createdUsing": ["urn:tool"],
        },
        {"type": "Organization", "spdxId": "urn:agent", "name": "ACME", "creationInfo": "_:ci"},
        {"type": "Tool", "spdxId": "urn:tool", "name": "gen-3", "creationInfo": "_:ci"},
        {
            "type": "SpdxDocument",
            "spdxId": "urn:doc",
            "name": "unit3",
            "creationInfo": "_:ci",
            "rootElement": ["urn:app"],
        },
    ]
    return json.dumps({"@context": CONTEXT, "@graph": base + list(elements)}).encode()


def _package(spdx_id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "software_Package",
        "spdxId": spdx_id,
        "name": name,
        "creationInfo": "_:ci",
        **extra,
    }


def _rel(left: str, kind: str, *right: str) -> dict[str, Any]:
    return {
        "type": "Relationship",
        "spdxId": f"urn:rel:{left}:{kind}",
        "creationInfo": "_:ci",
        "from": left,
        "relationshipType": kind,
        "to": list(right),
    }


def test_graph_identity_and_licenses_from_relationships() -> None:
    data = _graph(
        _package("urn:app", "app", software_packageVersion="1.0"),
        _package(
            "urn:a",
            "A_Lib",
            software_packageVersion="2.0",
            externalIdentifier=[
                {
                    "type": "ExternalIdentifier",
                    "externalIdentifierType": "packageUrl",
                    "identifier": "pkg:pypi/A_Lib@2.0",
                }
            ],
        ),
        _package(
            "urn:b",
            "b",
            software_packageVersion="3.0",
            externalIdentifier=[
                {
                    "type": "ExternalIdentifier",
                    "externalIdentifierType": "cpe23",
                    "identifier": "cpe:2.3:a:b:b:3.0:*:*:*:*:*:*:*",
                }
            ],
        ),
        {
            "type": "simplelicensing_LicenseExpression",
            "spdxId": "urn:lic",
            "creationInfo": "_:ci",
            "simplelicensing_licenseExpression": "mit AND bsd-3-clause",
        },
        _rel("urn:app", "dependsOn", "urn:a"),
        _rel("urn:a", "dependsOn", "urn:b"),
        _rel("urn:a", "hasDeclaredLicense", "urn:lic"),
        _rel("urn:a", "hasConcludedLicense", "https://spdx.org/licenses/Apache-2.0"),
        _rel("urn:b", "hasConcludedLicense", "https://spdx.org/licenses/Apache-2.0"),
        _rel(
            "urn:app",
            "hasDeclaredLicense",
            "https://spdx.org/rdf/3.0.1/terms/Expanded/NoAssertionLicense",
        ),
    )
    sbom = parse_bytes(data, "unit.spdx3.json")
    app, a, b = sbom.components
    assert (a.ecosystem, a.name, a.version, a.purl) == (
        "pypi",
        "a-lib",
        "2.0",
        "pkg:pypi/A_Lib@2.0",
    )
    assert a.licenses == "MIT AND BSD-3-Clause"  # declared wins over concluded
    assert b.licenses == "Apache-2.0"
    assert app.licenses is None
    assert "CPE" in (b.unidentified_reason or "")
    assert (app.direct, a.direct, b.direct) == (None, True, False)
    assert sbom.metadata.tools == ("gen-3",)
    assert sbom.metadata.authors == ("ACME",)
    assert sbom.metadata.subject == "unit3"


def test_lifecycle_scoped_dependencies_set_the_scope() -> None:
    scoped = _rel("urn:app", "dependsOn", "urn:dev")
    scoped.update(type="LifecycleScopedRelationship", scope="development")
    runtime = _rel("urn:app", "dependsOn", "urn:rt")
    runtime.update(type="LifecycleScopedRelationship", scope="runtime", spdxId="urn:rel:rt")
    data = _graph(
        _package("urn:app", "app"),
        _package("urn:dev", "dev"),
        _package("urn:rt", "rt"),
        scoped,
        runtime,
    )
    sbom = parse_bytes(data, "unit.spdx3.json")
    assert {c.ref: (c.direct, c.scope) for c in sbom.components} == {
        "urn:app": (None, None),
        "urn:dev": (True, "excluded"),
        "urn:rt": (True, "required"),
    }


@pytest.mark.parametrize(
    ("doc", "pointer", "expected"),
    [
        ([], "", "not a JSON object"),
        ({"@context": "https://example.com/other", "@graph": []}, "/@context", "SPDX 3 context"),
        ({"@context": CONTEXT, "type": "software_Package"}, "/@graph", "single-element documents"),
        ({"@context": CONTEXT, "@graph": [1]}, "/@graph/0", "expected an object"),
    ],
)
def test_unsupported_shapes_are_one_line_errors(doc: object, pointer: str, expected: str) -> None:
    with pytest.raises(InputError) as raised:
        read_spdx3(json.dumps(doc).encode(), "x.spdx3.json")
    line = raised.value.one_line()
    assert line.startswith(f"x.spdx3.json#{pointer or '/'}: unsupported SPDX 3 JSON-LD")
    assert expected in line
    assert raised.value.exit_code == 3


def test_package_without_name_names_its_pointer() -> None:
    data = _graph({"type": "software_Package", "spdxId": "urn:x", "creationInfo": "_:ci"})
    with pytest.raises(InputError) as raised:
        parse_bytes(data, "x.spdx3.json")
    assert raised.value.one_line().startswith("x.spdx3.json#/@graph/4: ")


def test_invalid_json_is_reported_with_line() -> None:
    with pytest.raises(InputError) as raised:
        read_spdx3(b'{"@context": "x",\n oops}', "x.spdx3.json")
    assert raised.value.position is not None and raised.value.position.line == 2
