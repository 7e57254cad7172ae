from __future__ import annotations

from policyengine.checks.sbom_quality import CISA_2025, NTIA, SbomQualityCheck
from policyengine.model import SbomMetadata, Status
from tests.checks.factories import assert_actionable, component, context, run_document, sbom, sha256

CHECK = SbomQualityCheck()
FULL_META = SbomMetadata(
    timestamp="2026-03-24T09:00:00Z",
    tools=("cyclonedx-py 5.0",),
    authors=("Release Engineering",),
    lifecycle="build",
)


def good(ref: str = "a") -> object:
    return component(
        f"pkg-{ref}",
        "1.0.0",
        ref=ref,
        supplier="Acme",
        hashes=(sha256(),),
        licenses="MIT",
    )


def test_complete_sbom_passes() -> None:
    doc = sbom((good("a"), good("b")), metadata=FULL_META, dependencies=(("a", ("b",)),))
    [(comp, f)] = run_document(CHECK, context(doc))
    assert comp is None and f.status is Status.PASS


def test_missing_elements_listed_with_counts() -> None:
    bare = component("pkg-c", None, ref="c", purl=None)
    doc = sbom((good("a"), bare), metadata=SbomMetadata(tools=("x",)))
    [(_, f)] = run_document(CHECK, context(doc))
    assert f.status is Status.FAIL
    assert isinstance(f.observed, dict)
    missing = {m["element"]: m for m in f.observed["missing"]}
    assert set(missing) == {
        "supplier",
        "version",
        "identifier",
        "dependencies",
        "author",
        "timestamp",
        "hash",
        "license",
        "context",
    }
    assert missing["version"]["components_missing"] == 1
    assert missing["version"]["examples"] == ["c"]
    assert_actionable(f)


def test_ntia_profile_ignore_and_coverage() -> None:
    half = component("pkg-c", "1.0", ref="c", supplier=None)
    meta = SbomMetadata(timestamp="t", authors=("me",))
    doc = sbom((good("a"), half), metadata=meta, dependencies=(("a", ("c",)),))
    [(_, f)] = run_document(CHECK, context(doc), {"profile": "ntia"})
    assert f.status is Status.FAIL and "supplier" in f.message
    [(_, g)] = run_document(CHECK, context(doc), {"profile": "ntia", "min_coverage": 0.5})
    assert g.status is Status.PASS
    [(_, h)] = run_document(CHECK, context(doc), {"profile": "ntia", "ignore": ["supplier"]})
    assert h.status is Status.PASS


def test_lockfile_input_is_unknown() -> None:
    [(_, f)] = run_document(CHECK, context(sbom((good(),), fmt="poetry.lock")))
    assert f.status is Status.UNKNOWN and "poetry.lock" in f.message


def test_profiles() -> None:
    assert set(NTIA) < set(CISA_2025)
    assert {"hash", "license", "tool", "context"} == set(CISA_2025) - set(NTIA)


def _cdx(component_json: str, fmt: str = "json") -> object:
    from policyengine.ingest import parse_bytes

    if fmt == "json":
        doc = (
            '{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": ['
            + component_json
            + "]}"
        )
    else:
        doc = (
            '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">'
            "<components>" + component_json + "</components></bom>"
        )
    [comp] = parse_bytes(doc.encode(), f"sbom.cdx.{fmt}").components
    return comp


def test_a_cyclonedx_publisher_names_the_supplier_and_cpe_swid_identify() -> None:
    # issue 13: the NTIA elements ignored `publisher` as supplier and CPE/SWID as identifiers
    comp = _cdx(
        '{"type": "library", "bom-ref": "x", "name": "openssl", "version": "3.0.13",'
        ' "publisher": "OpenSSL Foundation",'
        ' "cpe": "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*",'
        ' "swid": {"tagId": "openssl-3.0.13", "name": "openssl"}}'
    )
    assert comp.supplier == "OpenSSL Foundation"  # type: ignore[attr-defined]
    assert comp.purl is None  # type: ignore[attr-defined]
    assert comp.identifiers == (  # type: ignore[attr-defined]
        "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*",
        "swid:openssl-3.0.13",
    )
    doc = sbom((comp,), metadata=FULL_META)  # type: ignore[arg-type]
    [(_, f)] = run_document(CHECK, context(doc), {"profile": "ntia"})
    assert isinstance(f.observed, dict)
    missing = {m["element"] for m in f.observed.get("missing", [])}
    assert "supplier" not in missing and "identifier" not in missing


def test_the_xml_form_reads_publisher_cpe_and_swid_too() -> None:
    comp = _cdx(
        '<component type="library" bom-ref="x"><publisher>OpenSSL Foundation</publisher>'
        "<name>openssl</name><version>3.0.13</version>"
        "<cpe>cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*</cpe>"
        '<swid tagId="openssl-3.0.13" name="openssl"/></component>',
        "xml",
    )
    assert comp.supplier == "OpenSSL Foundation"  # type: ignore[attr-defined]
    assert len(comp.identifiers) == 2  # type: ignore[attr-defined]
