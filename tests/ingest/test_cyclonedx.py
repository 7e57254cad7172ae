"""CycloneDX readers: real generator output (tests/fixtures/generated) and mapping rules."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.ingest import parse_bytes, read_input
from policyengine.ingest.cyclonedx import read_json
from policyengine.model import OTHER_IDENTITY_MARK, Component, Hash, InputError

GENERATED = Path(__file__).resolve().parent.parent / "fixtures" / "generated"

ENV_PURLS = [
    "pkg:pypi/attrs@23.2.0",
    "pkg:pypi/idna@3.7",
    "pkg:pypi/pip@23.2.1",
    "pkg:pypi/setuptools@65.5.0",
    "pkg:pypi/six@1.16.0",
]

SIX_HASHES = (
    Hash("sha256", "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926"),
    Hash("sha256", "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"),
)
IDNA_HASHES = (Hash("sha256", "82fee1fc78add43492d3a1898bfa6d8a904cc97d8427f683ed8e798d07761aa0"),)


def _by_name(components: tuple[Component, ...]) -> dict[str, Component]:
    return {c.name: c for c in components}


@pytest.mark.parametrize(
    "name", ["cyclonedx-py-environment.cdx.json", "cyclonedx-py-environment.cdx.xml"]
)
def test_cyclonedx_py_environment(name: str) -> None:
    sbom = read_input(GENERATED / name)
    assert [c.purl for c in sbom.components] == ENV_PURLS
    assert all(c.identified and c.ecosystem == "pypi" for c in sbom.components)
    comps = _by_name(sbom.components)
    # pyproject.toml of the root lists attrs and six; the rest came along.
    assert {n for n, c in comps.items() if c.direct} == {"attrs", "six"}
    assert {n for n, c in comps.items() if c.direct is False} == {"idna", "pip", "setuptools"}
    assert comps["attrs"].licenses == "MIT"
    # cyclonedx-py left idna's classifier unmapped; "BSD License" names no one BSD license.
    assert comps["idna"].licenses == "LicenseRef-PyPI-Trove-OSI-Approved-BSD-License"
    assert comps["idna"].unmapped_license_classifiers == ("License :: OSI Approved :: BSD License",)
    assert comps["attrs"].ref == "attrs==23.2.0"
    assert sbom.roots == ("root-component",)
    assert sbom.metadata.subject == "demo-app@0.1.0"
    assert "cyclonedx-py@7.5.0" in sbom.metadata.tools
    assert dict(sbom.dependencies)["root-component"] == ("attrs==23.2.0", "six==1.16.0")


def test_example_sbom_is_the_generated_one() -> None:
    example = GENERATED.parents[2] / "examples" / "inspect" / "cyclonedx-py-environment.cdx.json"
    assert example.read_bytes() == (GENERATED / "cyclonedx-py-environment.cdx.json").read_bytes()


@pytest.mark.parametrize(
    "name", ["cyclonedx-py-requirements.cdx.json", "cyclonedx-py-requirements.cdx.xml"]
)
def test_cyclonedx_py_requirements_hashes_come_from_distribution_references(name: str) -> None:
    sbom = read_input(GENERATED / name)
    assert [(c.ref, c.purl) for c in sbom.components] == [
        ("requirements-L5", "pkg:pypi/idna@3.7"),
        ("requirements-L2", "pkg:pypi/six@1.16.0"),
    ]
    comps = _by_name(sbom.components)
    assert comps["six"].hashes == SIX_HASHES
    assert comps["idna"].hashes == IDNA_HASHES
    # A dependency list without a root cannot tell direct from transitive.
    assert all(c.direct is None for c in sbom.components)


def test_npm_sbom_cyclonedx() -> None:
    sbom = read_input(GENERATED / "npm-sbom.cdx.json")
    assert sbom.spec_version == "1.5"
    assert len(sbom.components) == 18
    assert sbom.roots == ("cdxnpm@1.0.0",)
    assert sbom.metadata.tools == ("cli@11.19.1",)
    assert sbom.metadata.lifecycle == "build"
    comps = {c.purl: c for c in sbom.components}
    assert {p for p, c in comps.items() if c.direct} == {
        "pkg:npm/%40isaacs/cliui@8.0.2",
        "pkg:npm/is-number@7.0.0",
    }
    cliui = comps["pkg:npm/%40isaacs/cliui@8.0.2"]
    assert (cliui.ecosystem, cliui.name, cliui.version, cliui.scope) == (
        "npm",
        "@isaacs/cliui",
        "8.0.2",
        "required",
    )
    assert cliui.author == "Ben Coe <ben@npmjs.com>"
    # npm aliases: the SBOM's name is the alias, the purl (and so the model) the real package.
    assert comps["pkg:npm/string-width@4.2.3"].name == "string-width"
    assert comps["pkg:npm/wrap-ansi@7.0.0"].name == "wrap-ansi"
    # Every hash is the lockfile's integrity value (sha512, base64) in hex.
    lock = json.loads((GENERATED / "npm-sbom.package-lock.json").read_text())
    integrity = {
        (
            meta["name"] if "name" in meta else path.rsplit("node_modules/", 1)[1],
            meta["version"],
        ): meta["integrity"]
        for path, meta in lock["packages"].items()
        if path
    }
    for component in sbom.components:
        (digest,) = component.hashes
        assert digest.alg == "sha512"
        expected = integrity[(component.name, component.version)]
        assert expected == "sha512-" + base64.b64encode(bytes.fromhex(digest.value)).decode()


def _bom(components: list[dict[str, Any]], **extra: Any) -> bytes:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components}
    doc.update(extra)
    return orjson.dumps(doc)


def test_unparsable_purl_makes_the_component_unidentified() -> None:
    sbom = read_json(_bom([{"type": "library", "name": "x", "purl": "pkg:/broken"}]), "t.json")
    (component,) = sbom.components
    assert component.ecosystem is None
    assert component.unidentified_reason and "invalid purl" in component.unidentified_reason
    assert not component.identified


def test_ecosystem_from_property_taxonomy_and_purl_in_references() -> None:
    sbom = read_json(
        _bom(
            [
                {
                    "type": "library",
                    "name": "cliui",
                    "group": "@isaacs",
                    "version": "8.0.2",
                    "properties": [{"name": "cdx:npm:package:path", "value": "node_modules/x"}],
                },
                {
                    "type": "library",
                    "name": "Foo_Bar",
                    "version": "1.0",
                    "externalReferences": [{"type": "other", "url": "pkg:pypi/foo-bar@1.0"}],
                },
                {
                    "type": "library",
                    "name": "both",
                    "version": "1",
                    "properties": [
                        {"name": "cdx:npm:package:path", "value": "a"},
                        {"name": "cdx:python:package:source", "value": "b"},
                    ],
                },
            ]
        ),
        "t.json",
    )
    npm, pypi, ambiguous = sbom.components
    assert (npm.ecosystem, npm.name, npm.identified) == ("npm", "@isaacs/cliui", True)
    assert (pypi.ecosystem, pypi.name, pypi.purl) == ("pypi", "foo-bar", "pkg:pypi/foo-bar@1.0")
    assert ambiguous.ecosystem is None
    assert ambiguous.unidentified_reason == "no purl and no other field names the ecosystem"


def test_missing_bom_refs_get_stable_pointer_refs() -> None:
    data = _bom(
        [{"type": "library", "name": "a", "components": [{"type": "library", "name": "b"}]}]
    )
    first = read_json(data, "t.json")
    assert [c.ref for c in first.components] == [
        "t.json#/components/0",
        "t.json#/components/0/components/0",
    ]
    assert [c.ref for c in read_json(data, "t.json").components] == [
        c.ref for c in first.components
    ]


def test_hashes_licenses_supplier_author() -> None:
    sbom = read_json(
        _bom(
            [
                {
                    "type": "library",
                    "name": "a",
                    "purl": "pkg:pypi/a@1",
                    "hashes": [{"alg": "SHA-256", "content": "AB" * 32}],
                    "externalReferences": [
                        {
                            "type": "distribution",
                            "url": "https://example.invalid/a.whl",
                            "hashes": [
                                {"alg": "SHA-256", "content": "ab" * 32},
                                {"alg": "SHA-512", "content": "cd" * 64},
                            ],
                        },
                        {
                            "type": "vcs",
                            "url": "x",
                            "hashes": [{"alg": "SHA-1", "content": "ef" * 20}],
                        },
                    ],
                    "licenses": [{"license": {"id": "mit"}}, {"license": {"name": "Custom"}}],
                    "supplier": {"name": "ACME"},
                    "authors": [{"name": "Ann"}, {"email": "bob@example.invalid"}],
                },
                {
                    "type": "library",
                    "name": "b",
                    "purl": "pkg:pypi/b@1",
                    "licenses": [{"expression": "apache-2.0 or mit"}],
                    "manufacturer": {"name": "Maker"},
                },
            ],
            metadata={
                "tools": [{"vendor": "v", "name": "old-tool", "version": "1"}],
                "authors": [{"name": "Carol"}],
                "supplier": {"name": "Sup"},
                "lifecycles": [{"phase": "build"}, {"name": "custom"}],
                "timestamp": "2024-01-01T00:00:00Z",
            },
        ),
        "t.json",
    )
    a, b = sbom.components
    assert a.hashes == (Hash("sha256", "ab" * 32), Hash("sha512", "cd" * 64))
    assert a.licenses == "MIT AND Custom"
    assert (a.supplier, a.author) == ("ACME", "Ann, bob@example.invalid")
    assert (b.licenses, b.author) == ("Apache-2.0 OR MIT", "Maker")
    assert a.direct is None
    meta = sbom.metadata
    assert (meta.tools, meta.authors, meta.supplier, meta.lifecycle, meta.timestamp) == (
        ("old-tool@1",),
        ("Carol",),
        "Sup",
        "build, custom",
        "2024-01-01T00:00:00Z",
    )


XML_16 = b"""<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <metadata>
    <tools><components>
      <component type="application"><name>gen</name><version>2</version></component>
    </components></tools>
    <component type="application" bom-ref="root"><name>app</name><version>1.0</version></component>
  </metadata>
  <components>
    <component type="library" bom-ref="a">
      <name>A_Pkg</name><version>1</version><purl>pkg:pypi/A_Pkg@1</purl>
      <licenses><expression>MIT OR Apache-2.0</expression></licenses>
      <components>
        <component type="library"><name>inner</name><version>2</version></component>
      </components>
    </component>
  </components>
  <dependencies>
    <dependency ref="root"><dependency ref="a"/></dependency>
  </dependencies>
</bom>
"""


def test_xml_metadata_nesting_and_direct() -> None:
    sbom = parse_bytes(XML_16, "t.xml")
    assert sbom.spec_version == "1.6"
    assert sbom.metadata.tools == ("gen@2",)
    assert sbom.metadata.subject == "app@1.0"
    a, inner = sbom.components
    assert (a.name, a.licenses, a.direct) == ("a-pkg", "MIT OR Apache-2.0", True)
    assert inner.ref == "t.xml#/bom/components/component[1]/components/component[1]"
    assert inner.direct is None  # the graph never mentions it
    assert inner.location is not None and inner.location.pointer.endswith("component[1]")


def test_duplicate_bom_ref_is_rejected_with_pointer() -> None:
    data = _bom(
        [
            {"type": "library", "name": "a", "bom-ref": "x"},
            {"type": "library", "name": "b", "bom-ref": "x"},
        ]
    )
    with pytest.raises(InputError) as info:
        read_json(data, "t.json")
    assert info.value.position is not None
    assert info.value.position.pointer == "/components/1/bom-ref"


_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_component = st.fixed_dictionaries(
    {"type": st.just("library"), "name": st.text(min_size=1, max_size=8).filter(str.strip)},
    optional={
        "purl": st.text(max_size=20) | st.just("pkg:pypi/x@1"),
        "hashes": st.lists(
            st.fixed_dictionaries({"alg": st.text(max_size=8), "content": st.text(max_size=8)})
        ),
        "licenses": st.lists(_values, max_size=2),
        "externalReferences": st.lists(_values, max_size=2),
        "properties": st.lists(_values, max_size=2),
        "supplier": _values,
        "authors": st.lists(_values, max_size=2),
    },
)


@settings(max_examples=50, deadline=None)
@given(st.lists(_component, max_size=4))
def test_reader_never_crashes_on_odd_content(components: list[dict[str, Any]]) -> None:
    try:
        sbom = read_json(_bom(components), "t.json")
    except InputError:
        return
    # Every listed component once, plus one per further identity it gives (issue 13 item 7).
    listed = [c for c in sbom.components if OTHER_IDENTITY_MARK not in c.ref]
    assert len(listed) == len(components)
    for component in sbom.components:
        assert component.identified or component.ecosystem is None or component.version is None
        if OTHER_IDENTITY_MARK in component.ref:
            assert component.identity_conflict is not None


@pytest.mark.parametrize("name", ["npm-sbom.cdx.json", "cyclonedx-py-requirements.cdx.xml"])
def test_utf8_byte_order_mark_is_accepted(name: str, tmp_path: Path) -> None:
    plain = GENERATED / name
    marked = tmp_path / name
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())

    def strip(path: Path) -> list[Component]:
        return [replace(c, location=None) for c in read_input(path).components]

    assert strip(marked) == strip(plain)


MIXED = orjson.loads(
    (GENERATED.parent.parent / "golden" / "inspect" / "mixed.cdx.json").read_bytes()
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


_ODD = [
    None,
    True,
    1,
    "",
    "x",
    [],
    {},
    [1],
    ["x"],
    [{}],
    {"name": []},
    [{"alg": [], "content": {}}],
]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(_ODD)), min_size=1, max_size=3))
def test_odd_values_anywhere_give_a_model_or_an_input_error(
    edits: list[tuple[int, Any]],
) -> None:
    doc = json.loads(json.dumps(MIXED))
    for index, value in edits:
        paths = _paths(doc)
        *parents, last = paths[index % len(paths)]
        node = doc
        for key in parents:
            node = node[key]
        node[last] = json.loads(json.dumps(value))
    try:
        sbom = read_json(orjson.dumps(doc), "t.json")
    except InputError:
        return
    assert all(isinstance(c.name, str) for c in sbom.components)


def test_external_reference_type_of_the_wrong_type_is_ignored() -> None:
    data = _bom(
        [
            {
                "type": "library",
                "name": "a",
                "purl": "pkg:pypi/a@1",
                "externalReferences": [
                    {"type": ["distribution"], "hashes": [{"alg": "SHA-256", "content": "ab"}]}
                ],
            }
        ]
    )
    (component,) = read_json(data, "t.json").components
    assert component.hashes == ()
