"""osv-scalibr's SPDX test documents, against the packages its own tests expect.

Expectations transcribed from google/osv-scalibr
``extractor/filesystem/sbom/spdx/spdx_test.go`` (TestExtract, wantPackages: Name,
Version, PURLType). Two deliberate differences, asserted below:

- osv-scalibr folds a package that is ``DESCENDANT_OF`` / ``ANCESTOR_OF`` another into
  it; we list every SPDX package (nothing silently dropped), so the extra downstream
  packages appear as unidentified components.
- ``sbom.spdx.rdf`` has no ``dataLicense``, which SPDX 2.3 §6.2 requires (1..1, and
  CC0-1.0 is its only allowed value). Like osv-scalibr we read it by default (the value
  is implied); ``validate=True`` reports it.
"""

from __future__ import annotations

import pytest
from packageurl import PackageURL

from policyengine.ingest import read_input
from policyengine.model import InputError
from tests.conftest import corpus_path

TESTDATA = "sboms/osv-scalibr-sbom-testdata/spdx/testdata"

# (name, version, purl type) per document: osv-scalibr's wantPackages. Where osv-scalibr
# has no purl it names the package after its CPE or SPDX name and leaves the type empty.
EXPECTED: dict[str, set[tuple[str, str, str]]] = {
    "minimal.spdx.json": set(),
    "sbom.spdx.json": {("openssl", "1.1.1l", "generic")},
    "purl_and_cpe.spdx.json": {("nginx", "1.21.1", "generic"), ("openssl", "1.1.1l", "generic")},
    "sbom.spdx": {("openssl", "1.1.1l", "generic")},
    "sbom.spdx.yml": {("openssl", "1.1.1l", "generic")},
    "sbom.spdx.rdf": {("openssl", "1.1.1l", "generic")},
    "dhi/.spdx.dhi-pkg-python.json": {("pkg-python", "3.14.3-debian13", "docker")},
    "dhi/.spdx.dhi-python.json": {("python", "3.14.3-debian13-dev", "docker")},
    "dhi/.spdx.python.json": {("python", "3.14.3", "dhi")},
    "external_refs.spdx.json": {("flatbuffers", "25.9.23", "generic")},
    "descendant_of.spdx.json": {("log4j", "1.2.15", "maven")},
    "ancestor_of.spdx.json": {("log4j", "1.2.15", "maven")},
    "multi_descendant.spdx.json": {("pkg", "5.0", "generic")},
    "independent_packages_descendant.spdx.json": {
        ("child", "1.0.0", "generic"),
        ("parent", "2.0.0", "generic"),
    },
    "overlapping_refs.spdx.json": {("log4j", "1.2.15", "maven")},
}

# Packages osv-scalibr reports without a purl (no type), and the downstream packages it
# folds away: here unidentified components, each with a reason. (ref, name, version)
UNIDENTIFIED: dict[str, set[tuple[str, str, str | None]]] = {
    "minimal.spdx.json": set(),
    "sbom.spdx.json": {("SPDXRef-nginx", "Nginx", None)},
    "purl_and_cpe.spdx.json": set(),
    "sbom.spdx": {("SPDXRef-nginx", "Nginx", None)},
    "sbom.spdx.yml": {("SPDXRef-nginx", "Nginx", None)},
    "sbom.spdx.rdf": {("SPDXRef-nginx", "Nginx", None)},
    "dhi/.spdx.dhi-pkg-python.json": set(),
    "dhi/.spdx.dhi-python.json": set(),
    "dhi/.spdx.python.json": set(),
    "external_refs.spdx.json": {
        ("SPDXRef-Package-flatbuffers", "flatbuffers", None),
        ("SPDXRef-custom-pkg", "custom-pkg", "1.0.0"),
    },
    "descendant_of.spdx.json": {("SPDXRef-DownstreamPackage-log4j", "v1_2_15", None)},
    "ancestor_of.spdx.json": {("SPDXRef-DownstreamPackage-log4j", "v1_2_15", None)},
    "multi_descendant.spdx.json": {
        ("SPDXRef-DownstreamPackage-pkg-arm", "v5_arm", None),
        ("SPDXRef-DownstreamPackage-pkg-x86", "x86", None),
    },
    "independent_packages_descendant.spdx.json": set(),
    "overlapping_refs.spdx.json": {("SPDXRef-DownstreamPackage-log4j", "v1_2_15", None)},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scalibr_document_packages(name: str) -> None:
    sbom = read_input(corpus_path(TESTDATA, name))
    identified = set()
    unidentified = set()
    for component in sbom.components:
        if component.purl is None:
            assert component.unidentified_reason
            unidentified.add((component.ref, component.name, component.version))
            continue
        purl = PackageURL.from_string(component.purl)
        assert component.ecosystem == purl.type
        assert component.version == purl.version
        identified.add((purl.name, purl.version, purl.type))
    assert identified == EXPECTED[name]
    assert unidentified == UNIDENTIFIED[name]


def test_cpe_only_package_is_unidentified_because_a_cpe_names_no_ecosystem() -> None:
    sbom = read_input(corpus_path(TESTDATA, "sbom.spdx.json"))
    nginx = next(c for c in sbom.components if c.ref == "SPDXRef-nginx")
    assert nginx.ecosystem is None
    assert nginx.unidentified_reason is not None
    assert "CPE" in nginx.unidentified_reason


def test_purl_filed_under_security_category_still_counts() -> None:
    # osv-scalibr's sbom.spdx.json files the openssl purl under referenceCategory SECURITY.
    sbom = read_input(corpus_path(TESTDATA, "sbom.spdx.json"))
    openssl = next(c for c in sbom.components if c.ref == "SPDXRef-openssl")
    assert openssl.purl == "pkg:generic/openssl@1.1.1l"
    assert openssl.identified


def test_rdf_without_data_license_is_reported_under_validate() -> None:
    path = corpus_path(TESTDATA, "sbom.spdx.rdf")
    with pytest.raises(InputError) as raised:
        read_input(path, validate=True)
    assert "has no data_license, which SPDX requires" in raised.value.one_line()
    assert raised.value.exit_code == 3


@pytest.mark.parametrize("name", ["invalid_sbom.spdx", "sbom.spdx.foo.ext", "random_file.ext"])
def test_not_an_sbom_is_refused(name: str) -> None:
    with pytest.raises(InputError) as raised:
        read_input(corpus_path(TESTDATA, name))
    assert raised.value.exit_code == 3
    assert "not a recognised SBOM" in raised.value.message
