"""Conformance over the third-party corpus (../shared/corpus; skipped when absent).

- CycloneDX spec-tests: validity is in the file name (``valid-`` / ``invalid-``).
  Every valid file must be accepted both by default and with ``validate=True``;
  every invalid file must be rejected (exit 3) with ``validate=True``. The
  default structural check catches only a subset (listed in the README); that
  subset is asserted separately so it cannot silently shrink.
- CycloneDX bom-examples: every BOM reads without error.
- osv-scalibr's CycloneDX test data: expected packages from osv-scalibr's
  extractor/filesystem/sbom/cdx/cdx_test.go (google/osv-scalibr).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policyengine.ingest import read_input
from policyengine.model import InputError
from tests.conftest import CORPUS, corpus_path

SPEC_TESTS = CORPUS / "cyclonedx" / "spec-tests"

# Deliberate exceptions, with reasons. Empty today: the cheap ``date-time`` and
# ``uri`` format checks make invalid-metadata-timestamp-* fail and the JSF
# signature / attestation / standard files pass, and the structural check
# rejects the ref-less dependency of ext/invalid-depgraph-1.0.xml (whose
# extension XSD is not shipped by cyclonedx-python-lib).
EXCEPTIONS: dict[str, str] = {}


def _spec_files(prefix: str) -> list[Path]:
    if not SPEC_TESTS.exists():
        return []
    return sorted(p for p in SPEC_TESTS.rglob(f"{prefix}*") if p.is_file())


def _id(path: Path) -> str:
    return str(path.relative_to(SPEC_TESTS))


VALID = _spec_files("valid-")
INVALID = _spec_files("invalid-")


def test_spec_tests_present_or_skipped() -> None:
    corpus_path("cyclonedx", "spec-tests")
    assert len(VALID) > 400
    assert len(INVALID) > 300


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_valid_spec_test_is_accepted(path: Path) -> None:
    if _id(path) in EXCEPTIONS:
        pytest.skip(EXCEPTIONS[_id(path)])
    read_input(path)
    sbom = read_input(path, validate=True)
    assert sbom.format == "cyclonedx"
    assert sbom.spec_version == path.parent.name or path.parent.name == "ext"


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_invalid_spec_test_is_rejected_with_validate(path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    if _id(path) in EXCEPTIONS:
        pytest.skip(EXCEPTIONS[_id(path)])
    code, out, err = run_cli("inspect", "--validate", "--format", "json", str(path))
    assert code == 3, out
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"policyengine: error: {path}")
    assert "Traceback" not in err


def test_default_structural_check_rejects_its_share() -> None:
    corpus_path("cyclonedx", "spec-tests")
    rejected = set()
    for path in INVALID:
        try:
            read_input(path)
        except InputError:
            rejected.add(path.name.rsplit("-", 1)[0])
    # Kinds of invalid documents the default (no --validate) check catches, per version.
    assert {
        "invalid-bomformat",
        "invalid-component-ref",
        "invalid-dependency",
        "invalid-empty-component",
        "invalid-namespace",
        "invalid-depgraph",
    } <= rejected


BOM_EXAMPLES = CORPUS / "cyclonedx" / "bom-examples"


def _example_boms() -> list[Path]:
    if not BOM_EXAMPLES.exists():
        return []
    return sorted(p for p in BOM_EXAMPLES.rglob("*") if p.suffix in (".json", ".xml"))


@pytest.mark.parametrize("path", _example_boms(), ids=lambda p: str(p.relative_to(BOM_EXAMPLES)))
def test_bom_example_reads(path: Path) -> None:
    sbom = read_input(path)
    assert sbom.format == "cyclonedx"
    refs = [c.ref for c in sbom.components]
    assert len(refs) == len(set(refs))
    for component in sbom.components:
        assert component.identified or component.unidentified_reason


def test_bom_examples_identify_every_package_with_a_purl() -> None:
    path = corpus_path("cyclonedx", "bom-examples", "SBOM", "laravel-7.12.0", "bom.1.4.json")
    json_sbom = read_input(path)
    xml_sbom = read_input(path.with_suffix(".xml"))
    assert len(json_sbom.components) == 62
    assert all(c.identified and c.ecosystem == "composer" for c in json_sbom.components)
    # The same BOM in XML normalises to the same packages and hashes.
    assert [(c.name, c.version, c.purl, c.hashes) for c in json_sbom.components] == [
        (c.name, c.version, c.purl, c.hashes) for c in xml_sbom.components
    ]


SCALIBR = ("sboms", "osv-scalibr-sbom-testdata", "cdx", "testdata")


@pytest.mark.parametrize("name", ["sbom.cdx.json", "sbom.cdx.xml", "sbom.bom.json", "sbom.bom.xml"])
def test_osv_scalibr_sboms(name: str) -> None:
    # cdx_test.go wants: Nginx 1.21.1 (CPE only) and openssl 1.1.1 (pkg:generic).
    sbom = read_input(corpus_path(*SCALIBR, name))
    got = sorted((c.name, c.version, c.ecosystem) for c in sbom.components)
    assert got == [("Nginx", "1.21.1", None), ("openssl", "1.1.1", "generic")]
    nginx = next(c for c in sbom.components if c.name == "Nginx")
    assert nginx.unidentified_reason == "no purl and no other field names the ecosystem"


def test_osv_scalibr_nested_components_are_flattened() -> None:
    sbom = read_input(corpus_path(*SCALIBR, "sbom-with-nested-comps.cdx.json"))
    assert [(c.ref, c.ecosystem, c.name, c.version) for c in sbom.components] == [
        ("openssl-1.1.1", "generic", "openssl", "1.1.1"),
        ("nginx-1.21.1", None, "Nginx", "1.21.1"),
        ("rustls@0.23.13", "cargo", "rustls", "0.23.13"),
    ]
    rustls = sbom.components[2]
    assert rustls.location is not None
    assert rustls.location.pointer == "/components/1/components/0"


def test_osv_scalibr_scoped_npm_purl_and_minimal() -> None:
    sbom = read_input(corpus_path(*SCALIBR, "sbom-with-locations.cdx.json"))
    assert [(c.ecosystem, c.name, c.version) for c in sbom.components] == [
        ("npm", "@gar/promisify", "1.1.3")
    ]
    minimal = read_input(corpus_path(*SCALIBR, "minimal.cdx.json"))
    assert minimal.components == ()
    assert minimal.roots == ("pkg:maven/com.example.group/fooBar@1.2.3?project_path=%3A",)
    assert minimal.metadata.subject == "fooBar@1.2.3"
    assert minimal.metadata.tools == ("cyclonedx-gradle-plugin@2.2.0",)
    assert minimal.metadata.timestamp == "2025-03-24T18:02:51Z"


@pytest.mark.parametrize("name", ["invalid_sbom.cdxjson", "sbom.cdx.json.foo.ext"])
def test_osv_scalibr_non_sboms_are_rejected(name: str) -> None:
    with pytest.raises(InputError):
        read_input(corpus_path(*SCALIBR, name))


@pytest.mark.parametrize(
    ("name", "field", "expected"),
    [
        ("1.2/valid-metadata-tool-1.2.xml", "tools", ("Awesome Tool@9.1.2",)),
        ("1.4/valid-metadata-tool-1.4.json", "tools", ("Awesome Tool@9.1.2",)),
        (
            "1.6/valid-metadata-tool-1.6.json",
            "tools",
            ("Awesome Tool@9.1.2", "Acme Signing Server"),
        ),
        ("1.6/valid-metadata-tool-1.6.xml", "tools", ("Awesome Tool@9.1.2", "Acme Signing Server")),
        (
            "1.7/valid-metadata-lifecycle-1.7.xml",
            "lifecycle",
            "build, post-build, platform-integration-testing",
        ),
        (
            "1.7/valid-metadata-lifecycle-1.7.json",
            "lifecycle",
            "build, post-build, platform-integration-testing",
        ),
        ("1.6/valid-metadata-author-1.6.xml", "authors", ("Samantha Wright",)),
        ("1.6/valid-metadata-supplier-1.6.json", "supplier", "Acme, Inc."),
        ("1.6/valid-metadata-timestamp-1.6.xml", "timestamp", "2020-04-13T20:20:39Z"),
    ],
)
def test_spec_test_metadata(name: str, field: str, expected: object) -> None:
    sbom = read_input(corpus_path("cyclonedx", "spec-tests", *name.split("/")))
    assert getattr(sbom.metadata, field) == expected
