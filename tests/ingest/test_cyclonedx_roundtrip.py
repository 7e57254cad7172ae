"""JSON and XML readers agree: random BOMs serialised by cyclonedx-python-lib in both forms.

cyclonedx-python-lib is an independent writer, so this checks the XML conversion
and the JSON mapping against each other and against what was put in.
"""

from __future__ import annotations

from typing import Any

from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    XsUri,
)
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.output.json import JsonV1Dot5, JsonV1Dot6
from cyclonedx.output.xml import XmlV1Dot5, XmlV1Dot6
from hypothesis import given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from policyengine.ingest import parse_bytes
from policyengine.model import Hash

_names = st.text(alphabet="abcXYZ_-.0", min_size=1, max_size=8).filter(
    lambda s: s[0].isalnum() and s[-1].isalnum()
)
_versions = st.text(alphabet="0123456789.", min_size=1, max_size=6).filter(
    lambda s: s[0].isdigit() and s[-1].isdigit()
)
_hex64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@st.composite
def _component(draw: Any, index: int) -> tuple[CdxComponent, dict[str, Any]]:
    ecosystem = draw(st.sampled_from(["pypi", "npm", None]))
    name, version = draw(_names), draw(_versions)
    own = draw(st.lists(_hex64, max_size=2, unique=True))
    dist = draw(st.lists(_hex64, max_size=2, unique=True))
    licence = draw(st.sampled_from([None, "MIT", "Apache-2.0 OR MIT"]))
    component = CdxComponent(
        name=name,
        version=version,
        type=ComponentType.LIBRARY,
        bom_ref=f"ref-{index}",
        purl=PackageURL(ecosystem, name=name, version=version) if ecosystem else None,
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=h) for h in own],
        licenses=[]
        if licence is None
        else [LicenseExpression(licence) if " " in licence else DisjunctiveLicense(id=licence)],
        external_references=[
            ExternalReference(
                type=ExternalReferenceType.DISTRIBUTION,
                url=XsUri(f"https://files.example.invalid/{index}.tar.gz"),
                hashes=[HashType(alg=HashAlgorithm.SHA_256, content=h) for h in dist],
            )
        ]
        if dist
        else [],
    )
    expected = {
        "ref": f"ref-{index}",
        "ecosystem": ecosystem,
        "hashes": {Hash("sha256", h) for h in own + dist},
        "licenses": licence,
    }
    return component, expected


@st.composite
def _boms(draw: Any) -> tuple[Bom, list[dict[str, Any]]]:
    count = draw(st.integers(0, 5))
    pairs = [draw(_component(i)) for i in range(count)]
    return Bom(components=[c for c, _ in pairs]), [e for _, e in pairs]


@settings(max_examples=30, deadline=None)
@given(_boms(), st.sampled_from([(JsonV1Dot6, XmlV1Dot6, "1.6"), (JsonV1Dot5, XmlV1Dot5, "1.5")]))
def test_json_and_xml_read_the_same(bom_and_expected: Any, writers: Any) -> None:
    bom, expected = bom_and_expected
    json_writer, xml_writer, version = writers
    from_json = parse_bytes(json_writer(bom).output_as_string().encode(), "t.json")
    from_xml = parse_bytes(xml_writer(bom).output_as_string().encode(), "t.xml")
    assert from_json.spec_version == from_xml.spec_version == version

    def essentials(sbom: Any) -> list[tuple[Any, ...]]:
        return sorted(
            (c.ref, c.ecosystem, c.name, c.version, c.purl, set(c.hashes), c.licenses)
            for c in sbom.components
        )

    assert essentials(from_json) == essentials(from_xml)
    by_ref = {c.ref: c for c in from_json.components}
    assert set(by_ref) == {e["ref"] for e in expected}
    for item in expected:
        component = by_ref[item["ref"]]
        assert component.ecosystem == item["ecosystem"]
        assert set(component.hashes) == item["hashes"]
        assert len(component.hashes) == len(item["hashes"])  # deduplicated
        assert component.licenses == item["licenses"]
        assert component.identified == (item["ecosystem"] is not None)
