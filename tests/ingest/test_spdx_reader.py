"""SPDX 2.x reader: normalisation, graph, positions in errors, XML safety, validation."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine.ingest import parse_bytes, read_input
from policyengine.ingest.detect import sniff
from policyengine.ingest.spdx import read_spdx2
from policyengine.ingest.spdx_build import actor_name
from policyengine.ingest.spdx_tools_reader import condensed_error
from policyengine.model import InputError
from tests.conftest import corpus_path

GENERATED = Path(__file__).resolve().parent.parent / "fixtures" / "generated"


def _pkg(spdx_id: str, name: str, purl: str | None = None, **extra: Any) -> dict[str, Any]:
    pkg: dict[str, Any] = {"SPDXID": spdx_id, "name": name, "downloadLocation": "NOASSERTION"}
    if purl:
        pkg["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }
        ]
    pkg.update(extra)
    return pkg


def _doc(
    packages: list[dict[str, Any]], relationships: list[list[str]] | None = None
) -> dict[str, Any]:
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "unit",
        "documentNamespace": "https://example.com/unit",
        "creationInfo": {
            "created": "2026-01-01T00:00:00Z",
            "creators": ["Tool: gen-1.0", "Organization: ACME (ops@acme.example)", "Person: Ann"],
        },
        "packages": packages,
        "relationships": [
            {"spdxElementId": a, "relationshipType": t, "relatedSpdxElement": b}
            for a, t, b in (relationships or [])
        ],
    }


def _read(doc: object, name: str = "unit.spdx.json", validate: bool = False):  # type: ignore[no-untyped-def]
    return parse_bytes(json.dumps(doc).encode(), name, validate=validate)


def _error(doc: object | bytes, name: str = "unit.spdx.json") -> InputError:
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    with pytest.raises(InputError) as raised:
        parse_bytes(data, name)
    return raised.value


GRAPH_PACKAGES = [
    _pkg("SPDXRef-app", "app", "pkg:npm/app@1.0.0"),
    _pkg("SPDXRef-a", "a", "pkg:npm/a@1.0.0"),
    _pkg("SPDXRef-b", "b", "pkg:npm/b@2.0.0"),
    _pkg("SPDXRef-c", "c", "pkg:npm/c@3.0.0"),
    _pkg("SPDXRef-d", "d", "pkg:npm/d@4.0.0"),
]


def test_direct_and_transitive_from_relationships() -> None:
    sbom = _read(
        _doc(
            GRAPH_PACKAGES,
            [
                ["SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-app"],
                ["SPDXRef-app", "DEPENDS_ON", "SPDXRef-a"],
                ["SPDXRef-b", "DEPENDENCY_OF", "SPDXRef-a"],
                ["SPDXRef-c", "DEV_DEPENDENCY_OF", "SPDXRef-app"],
                ["SPDXRef-app", "GENERATED_FROM", "SPDXRef-d"],
            ],
        )
    )
    direct = {c.ref: c.direct for c in sbom.components}
    # d is only GENERATED_FROM: not a dependency, so the graph cannot place it.
    assert direct == {
        "SPDXRef-app": None,
        "SPDXRef-a": True,
        "SPDXRef-b": False,
        "SPDXRef-c": True,
        "SPDXRef-d": None,
    }
    assert sbom.roots == ("SPDXRef-app",)
    assert dict(sbom.dependencies) == {
        "SPDXRef-app": ("SPDXRef-a", "SPDXRef-c"),
        "SPDXRef-a": ("SPDXRef-b",),
    }


def test_scope_comes_from_the_relationship_types() -> None:
    sbom = _read(
        _doc(
            GRAPH_PACKAGES,
            [
                ["SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-app"],
                ["SPDXRef-app", "DEPENDS_ON", "SPDXRef-a"],  # says nothing about scope
                ["SPDXRef-b", "DEV_DEPENDENCY_OF", "SPDXRef-app"],
                ["SPDXRef-b", "TEST_DEPENDENCY_OF", "SPDXRef-a"],
                ["SPDXRef-c", "OPTIONAL_DEPENDENCY_OF", "SPDXRef-app"],
                ["SPDXRef-d", "BUILD_DEPENDENCY_OF", "SPDXRef-app"],
                ["SPDXRef-d", "RUNTIME_DEPENDENCY_OF", "SPDXRef-a"],  # runtime wins
            ],
        )
    )
    assert {c.ref: c.scope for c in sbom.components} == {
        "SPDXRef-app": None,
        "SPDXRef-a": None,
        "SPDXRef-b": "excluded",
        "SPDXRef-c": "optional",
        "SPDXRef-d": "required",
    }


def test_dependencies_routed_through_files_reach_the_packages() -> None:
    # tools-golang style: the package CONTAINS its binary, the binary links the libraries.
    sbom = read_input(corpus_path("spdx/spdx-examples/software/example4/spdx2.2/example4-bin.spdx"))
    assert sbom.roots == ("SPDXRef-Package-main-bin",)
    assert dict(sbom.dependencies) == {
        "SPDXRef-Package-main-bin": ("SPDXRef-libc", "SPDXRef-libdl")
    }
    assert {c.ref: c.direct for c in sbom.components} == {
        "SPDXRef-Package-main-bin": None,
        "SPDXRef-libc": True,
        "SPDXRef-libdl": True,
    }


def test_no_dependency_relationships_means_direct_is_unknown() -> None:
    sbom = _read(_doc(GRAPH_PACKAGES, [["SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-app"]]))
    assert {c.direct for c in sbom.components} == {None}
    assert sbom.dependencies == ()


def test_described_by_and_document_describes_name_the_roots() -> None:
    doc = _doc(GRAPH_PACKAGES[:2], [["SPDXRef-a", "DESCRIBED_BY", "SPDXRef-DOCUMENT"]])
    doc["documentDescribes"] = ["SPDXRef-app"]
    assert _read(doc).roots == ("SPDXRef-app", "SPDXRef-a")


def test_pypi_names_follow_pep_503_and_identity_comes_from_the_purl() -> None:
    sbom = _read(
        _doc([_pkg("SPDXRef-x", "Whatever Name", "pkg:pypi/Foo_Bar.baz@1.0", versionInfo="9")])
    )
    component, declared = sbom.components
    assert (component.ecosystem, component.name, component.version) == (
        "pypi",
        "foo-bar-baz",
        "1.0",
    )
    assert component.identified
    # The package's own name/versionInfo disagree: that identity is judged too (issue 13).
    assert (declared.name, declared.version) == ("whatever name", "9")
    assert component.identity_conflict == declared.identity_conflict is not None


def test_purl_without_version_takes_version_info() -> None:
    sbom = _read(_doc([_pkg("SPDXRef-x", "x", "pkg:npm/x", versionInfo="1.2.3")]))
    assert sbom.components[0].version == "1.2.3"


@pytest.mark.parametrize(
    ("ref_type", "locator", "expected"),
    [
        ("npm", "@scope/pkg@1.2.3", ("npm", "@scope/pkg", "1.2.3", "pkg:npm/%40scope/pkg@1.2.3")),
        ("npm", "left-pad@1.3.0", ("npm", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0")),
        ("pypi", "Django==4.2.1", ("pypi", "django", "4.2.1", "pkg:pypi/django@4.2.1")),
        (
            "maven-central",
            "org.apache.tomcat:tomcat:9.0.0.M4",
            (
                "maven",
                "org.apache.tomcat/tomcat",
                "9.0.0.M4",
                "pkg:maven/org.apache.tomcat/tomcat@9.0.0.M4",
            ),
        ),
        (
            "nuget",
            "Newtonsoft.Json/13.0.1",
            ("nuget", "Newtonsoft.Json", "13.0.1", "pkg:nuget/Newtonsoft.Json@13.0.1"),
        ),
    ],
)
def test_package_manager_refs_name_the_ecosystem(
    ref_type: str, locator: str, expected: tuple[str, str, str, str]
) -> None:
    pkg = _pkg("SPDXRef-x", "x")
    pkg["externalRefs"] = [
        {
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": ref_type,
            "referenceLocator": locator,
        }
    ]
    # The package's own name "x" disagrees: a second identity follows (issue 13 item 7).
    component = _read(_doc([pkg])).components[0]
    assert (component.ecosystem, component.name, component.version, component.purl) == expected
    assert component.unidentified_reason is None


def test_cpe_alone_is_not_an_ecosystem() -> None:
    pkg = _pkg("SPDXRef-x", "openssl", versionInfo="3.0.0")
    pkg["externalRefs"] = [
        {
            "referenceCategory": "SECURITY",
            "referenceType": "cpe23Type",
            "referenceLocator": "cpe:2.3:a:openssl:openssl:3.0.0:*:*:*:*:*:*:*",
        }
    ]
    (component,) = _read(_doc([pkg])).components
    assert component.ecosystem is None
    assert not component.identified
    assert "CPE" in (component.unidentified_reason or "")


def test_invalid_purl_makes_the_package_unidentified_with_the_reason() -> None:
    (component,) = _read(_doc([_pkg("SPDXRef-x", "x", "pkg:/broken")])).components
    assert component.ecosystem is None
    assert "invalid purl" in (component.unidentified_reason or "")


def test_licenses_hashes_supplier_author() -> None:
    pkg = _pkg(
        "SPDXRef-x",
        "x",
        "pkg:pypi/x@1",
        licenseDeclared="NOASSERTION",
        licenseConcluded="mit or apache-2.0",
        supplier="Organization: ACME Corp (ops@acme.example)",
        originator="Person: Jane Doe",
        primaryPackagePurpose="OPERATING_SYSTEM",
        checksums=[
            {"algorithm": "SHA256", "checksumValue": "AB" * 32},
            {"algorithm": "BLAKE2b-256", "checksumValue": "cd" * 32},
        ],
    )
    (component,) = _read(_doc([pkg])).components
    assert component.licenses == "MIT OR Apache-2.0"
    assert [(h.alg, h.value) for h in component.hashes] == [
        ("sha256", "ab" * 32),
        ("blake2b_256", "cd" * 32),
    ]
    assert component.supplier == "ACME Corp"
    assert component.author == "Jane Doe"
    assert component.type == "operating-system"


def test_declared_license_is_preferred_and_none_means_no_license() -> None:
    declared = _pkg("SPDXRef-a", "a", licenseDeclared="MIT", licenseConcluded="GPL-2.0-only")
    nothing = _pkg("SPDXRef-b", "b", licenseDeclared="NONE", licenseConcluded="NOASSERTION")
    a, b = _read(_doc([declared, nothing])).components
    assert a.licenses == "MIT"
    assert b.licenses is None


def test_metadata_from_creation_info() -> None:
    sbom = _read(_doc([]))
    assert sbom.metadata.timestamp == "2026-01-01T00:00:00Z"
    assert sbom.metadata.tools == ("gen-1.0",)
    assert sbom.metadata.authors == ("ACME", "Ann")
    assert sbom.metadata.subject == "unit"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Organization: ACME (a@b.c)", "ACME"),
        ("Person: Jane Doe", "Jane Doe"),
        ("Tool: x-1.0", "x-1.0"),
        ("NOASSERTION", None),
        ("  ", None),
        (None, None),
    ],
)
def test_actor_name(value: str | None, expected: str | None) -> None:
    assert actor_name(value) == expected


def test_files_are_not_components() -> None:
    doc = _doc([_pkg("SPDXRef-p", "p", "pkg:npm/p@1")], [["SPDXRef-p", "CONTAINS", "SPDXRef-f"]])
    doc["files"] = [{"SPDXID": "SPDXRef-f", "fileName": "./a.c", "checksums": []}]
    sbom = _read(doc)
    assert [c.ref for c in sbom.components] == ["SPDXRef-p"]
    assert sbom.dependencies == ()


# --- errors: one line, file + JSON pointer / line, what was expected -----------------------


@pytest.mark.parametrize(
    ("mutate", "pointer", "expected"),
    [
        (lambda d: d.update(packages={"a": 1}), "/packages", "expected a list"),
        (lambda d: d["packages"][0].pop("name"), "/packages/0/name", "expected a non-empty string"),
        (lambda d: d["packages"][0].update(versionInfo=1.5), "/packages/0/versionInfo", "a number"),
        (
            lambda d: d["packages"][0]["externalRefs"][0].pop("referenceLocator"),
            "/packages/0/externalRefs/0/referenceLocator",
            "expected a non-empty string",
        ),
        (
            lambda d: d["relationships"][0].update(relationshipType="DESCRIBE"),
            "/relationships/0/relationshipType",
            "unknown relationship type 'DESCRIBE'",
        ),
        (lambda d: d.update(spdxVersion="SPDX-3.0"), "/spdxVersion", "unsupported SPDX version"),
        (
            lambda d: d["packages"].append(copy.deepcopy(d["packages"][0])),
            "/packages/1/SPDXID",
            "duplicate SPDXID",
        ),
        (
            lambda d: d["packages"][0].update(
                checksums=[{"algorithm": "SHA1", "checksumValue": "xyz"}]
            ),
            "/packages/0",
            "not hexadecimal",
        ),
    ],
)
def test_bad_field_names_its_json_pointer(mutate: Any, pointer: str, expected: str) -> None:
    doc = _doc(
        [_pkg("SPDXRef-a", "a", "pkg:npm/a@1")], [["SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-a"]]
    )
    mutate(doc)
    error = _error(doc)
    assert error.exit_code == 3
    line = error.one_line()
    assert line.startswith(f"unit.spdx.json#{pointer}: ")
    assert expected in line
    assert "\n" not in line


def test_invalid_json_names_line_and_column() -> None:
    error = _error(b'{\n  "spdxVersion": "SPDX-2.3",\n  "SPDXID": oops\n}')
    assert error.position is not None
    assert (error.position.line, error.position.column) == (3, 13)
    assert error.one_line().startswith("unit.spdx.json:3:13: invalid JSON")


def test_invalid_yaml_names_the_line() -> None:
    error = _error(b"spdxVersion: SPDX-2.3\nSPDXID: [unclosed\n", "unit.spdx.yaml")
    assert error.position is not None and error.position.line is not None
    assert "invalid YAML" in error.message


def test_yaml_keeps_versions_as_written() -> None:
    text = (
        "spdxVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nname: y\n"
        "creationInfo:\n  created: 2026-01-01T00:00:00Z\n  creators: ['Tool: t']\n"
        "packages:\n  - SPDXID: SPDXRef-x\n    name: x\n    versionInfo: 1.10\n"
        "    externalRefs:\n      - referenceCategory: PACKAGE-MANAGER\n"
        "        referenceType: purl\n        referenceLocator: pkg:pypi/x\n"
    )
    sbom = parse_bytes(text.encode(), "unit.spdx.yaml")
    assert sbom.components[0].version == "1.10"
    assert sbom.metadata.timestamp == "2026-01-01T00:00:00Z"


def test_tag_value_components_carry_their_line() -> None:
    sbom = read_input(corpus_path("sboms/osv-scalibr-sbom-testdata/spdx/testdata/sbom.spdx"))
    lines = {c.ref: c.location.line for c in sbom.components if c.location}
    assert lines == {"SPDXRef-nginx": 16, "SPDXRef-openssl": 28}


def test_tag_value_error_is_one_line_with_a_line_number() -> None:
    text = b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nBogusTag: x\n"
    error = _error(text, "unit.spdx")
    assert error.exit_code == 3
    assert "invalid SPDX document" in error.message
    assert error.position is not None and error.position.line == 4
    assert "Unknown tag" in error.message


def test_spdx_tools_messages_are_condensed_to_the_first_plus_a_count() -> None:
    error = condensed_error(
        [
            "Error while parsing Package: ['bad value'] Line: 12",
            "Error while parsing File: ['other']",
            "Error while parsing File: ['third']",
        ],
        "x.spdx",
    )
    assert error.one_line() == (
        "x.spdx:12: invalid SPDX document: Error while parsing Package: ['bad value'] Line: 12 "
        "(and 2 more problems) (fix the document or re-generate it with a current SPDX tool)"
    )


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:spdx="http://spdx.org/rdf/terms#">
  <spdx:SpdxDocument rdf:about="https://x#SPDXRef-DOCUMENT"><spdx:name>&lol2;</spdx:name>
  </spdx:SpdxDocument>
</rdf:RDF>
"""


def test_rdf_entity_bomb_is_refused_before_rdflib() -> None:
    error = _error(BOMB, "bomb.spdx.rdf.xml")
    assert "DTD or entities" in error.message
    assert error.exit_code == 3


def test_spdx_xml_with_external_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b"<Document><spdxVersion>SPDX-2.3</spdxVersion><name>&x;</name></Document>\n"
    )
    error = _error(xxe, "xxe.spdx.xml")
    assert "DTD or entities" in error.message


def test_broken_xml_names_line_and_column() -> None:
    text = b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n xmlns:spdx="http://spdx.org/rdf/terms#">\n<spdx:x></spdx:y>\n'
    error = _error(text, "broken.rdf.xml")
    assert error.position is not None and error.position.line == 3
    assert "not well-formed XML" in error.message


def test_bad_input_through_the_cli_is_one_line_exit_3(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bomb.spdx.rdf.xml"
    path.write_bytes(BOMB)
    code, out, err = run_cli("inspect", str(path))
    assert code == 3
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


# --- validation ---------------------------------------------------------------------------


def test_validate_runs_the_spdx_tools_validator() -> None:
    doc = _doc(
        [_pkg("SPDXRef-a", "a", "pkg:npm/a@1")], [["SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-zzz"]]
    )
    assert len(_read(doc).components) == 1  # fast path: the dangling reference is not its concern
    with pytest.raises(InputError) as raised:
        _read(doc, validate=True)
    assert "SPDXRef-zzz" in raised.value.message
    assert raised.value.exit_code == 3


def test_validate_accepts_the_spec_examples() -> None:
    folder = corpus_path("spdx/spdx-spec-2.3.1")
    for name in (
        "SPDXJSONExample-v2.3.spdx.json",
        "SPDXYAMLExample-2.3.spdx.yaml",
        "SPDXTagExample-v2.3.spdx",
    ):
        assert len(read_input(folder / name, validate=True).components) == 4


def test_validate_reports_npm_millisecond_timestamps() -> None:
    # SPDX 2.3 §6.9 says YYYY-MM-DDThh:mm:ssZ; npm writes milliseconds. Read by default,
    # reported under --validate.
    path = GENERATED / "npm-spdx-is-number-sindresorhus-is.spdx.json"
    assert len(read_input(path).components) == 3
    with pytest.raises(InputError) as raised:
        read_input(path, validate=True)
    assert "does not match format" in raised.value.message


def test_read_spdx2_refuses_other_formats() -> None:
    with pytest.raises(InputError):
        read_spdx2(b'{"bomFormat": "CycloneDX", "specVersion": "1.6"}', "x.json")


# --- property: whatever the shape, an InputError or an Sbom, never anything else ---------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
_PATHS = [
    ("packages",),
    ("packages", 0),
    ("packages", 0, "SPDXID"),
    ("packages", 0, "name"),
    ("packages", 0, "versionInfo"),
    ("packages", 0, "externalRefs"),
    ("packages", 0, "externalRefs", 0),
    ("packages", 0, "externalRefs", 0, "referenceLocator"),
    ("packages", 0, "checksums"),
    ("packages", 0, "supplier"),
    ("packages", 0, "licenseDeclared"),
    ("relationships",),
    ("relationships", 0),
    ("relationships", 0, "relatedSpdxElement"),
    ("creationInfo",),
    ("creationInfo", "creators"),
    ("documentDescribes",),
    ("SPDXID",),
]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(_PATHS), value=_JSON)
def test_any_field_replaced_by_any_value_never_raises_anything_but_input_error(
    where: tuple[str | int, ...], value: object
) -> None:
    doc: Any = _doc(
        [
            _pkg(
                "SPDXRef-a",
                "a",
                "pkg:pypi/a@1",
                checksums=[{"algorithm": "SHA1", "checksumValue": "ab"}],
            )
        ],
        [["SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-a"]],
    )
    target = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    try:
        sbom = _read(doc)
    except InputError as error:
        assert error.exit_code == 3
        assert "\n" not in error.one_line()
    else:
        assert sbom.format == "spdx"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (
            b"<?xml version='1.0'?>\n<Document>\n  <SPDXID>x</SPDXID>\n"
            b"  <spdxVersion>SPDX-2.3</spdxVersion>",
            "spdx-xml",
        ),
        (b'<rdf:RDF xmlns:spdx="http://spdx.org/rdf/terms#">', "spdx-rdf"),
        (b"<Document><name>not spdx</name></Document>", None),
        (b"SPDXVersion: SPDX-2.2\n", "spdx-tagvalue"),
        (b"spdxVersion: SPDX-2.2\n", "spdx-yaml"),
        (b'{"spdxVersion": "SPDX-2.3"}', "spdx-json"),
    ],
)
def test_sniffing_spdx_serialisations(data: bytes, kind: str | None) -> None:
    assert sniff(data, "x") == kind


_TV_HEAD = (
    "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"
    "DocumentName: t\nDocumentNamespace: https://x/t\nCreator: Tool: t\n"
    "Created: 2026-01-01T00:00:00Z\n"
)
_TV_LINES = st.sampled_from(
    [
        "PackageName: p",
        "SPDXID: SPDXRef-p",
        "PackageVersion: 1.0",
        "PackageDownloadLocation: NOASSERTION",
        "FilesAnalyzed: false",
        "PackageLicenseDeclared: MIT AND (",
        "PackageLicenseConcluded: NOASSERTION",
        "PackageChecksum: SHA1: 85ed0817af83a24ad8da68c2b5094de69833983c",
        "PackageChecksum: SHA1 nothex",
        "ExternalRef: PACKAGE-MANAGER purl pkg:npm/p@1.0",
        "ExternalRef: PACKAGE-MANAGER purl",
        "Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-p",
        "Relationship: SPDXRef-p DEPENDS_ON",
        "PackageSupplier: Organization: ACME",
        "PackageSupplier: Nobody",
        "PackageComment: <text>open",
        "Created: yesterday",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_TV_LINES | st.text(max_size=20), max_size=8))
def test_tag_value_never_raises_anything_but_input_error(lines: list[str]) -> None:
    data = (_TV_HEAD + "\n".join(lines) + "\n").encode()
    try:
        sbom = parse_bytes(data, "fuzz.spdx")
    except InputError as error:
        assert error.exit_code == 3
        assert "\n" not in error.one_line()
    else:
        assert sbom.format == "spdx"


def test_license_refs_are_rendered_canonically_and_spdx3_hash_names_map() -> None:
    from policyengine.ingest.normalize import normalize_hash_alg, normalize_license

    assert normalize_license("(mit AND LicenseRef-x)") == "MIT AND LicenseRef-x"
    assert normalize_license("LicenseRef-a or LicenseRef-b") == "LicenseRef-a OR LicenseRef-b"
    assert normalize_license("MIT AND (") == "MIT AND ("  # broken syntax stays as written
    assert normalize_hash_alg("blake2b256") == "blake2b_256"
    assert normalize_hash_alg("sha3_256") == "sha3_256"
