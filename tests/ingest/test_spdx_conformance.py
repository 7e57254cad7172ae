"""Every SPDX document of the third-party corpus is read, or refused for a stated reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from license_expression import get_spdx_licensing

from policyengine.ingest import read_input
from policyengine.model import coverage_of
from tests.conftest import CORPUS, corpus_path

SPDX_DIRS = (
    "spdx/spdx-examples",
    "spdx/spdx-spec-2.3.1",
    "spdx/spdx-spec-3.0",
    "spdx/tools-python",
)
NOT_SPDX = (".lock", ".sum", ".mod")  # lockfiles kept beside the examples they describe

_UTF16 = "UTF-16"
_INVALID_TRIVY = (
    "spdx/tools-python/data/invalid/spdx-trivy-vmware_log-intelligence-fluentd-sha256_"
    "086af034f561f343f633be9d9f9e95f65ae6c61b8ddb2c6755ef5bb25b40f53a.json"
)
REJECTED = {
    # tools-python keeps UTF-16 copies to test its `encoding=` option; we read UTF-8 only.
    "spdx/tools-python/data/SPDXJSONExample-UTF-16.spdx.json": _UTF16,
    "spdx/tools-python/data/SPDXRdfExample-UTF-16.spdx.rdf.xml": _UTF16,
    "spdx/tools-python/data/SPDXTagExample-UTF-16.spdx": _UTF16,
    "spdx/tools-python/data/SPDXXMLExample-UTF-16.spdx.xml": _UTF16,
    "spdx/tools-python/data/SPDXYAMLExample-UTF-16.spdx.yaml": _UTF16,
    # Deliberately invalid (tools-python tests/spdx/data/invalid): an old trivy document
    # with relationship type "DESCRIBE", 514 packages without downloadLocation, and
    # comma-separated license lists.
    _INVALID_TRIVY: "unknown relationship type 'DESCRIBE'",
    # Deliberately invalid RDF documents of tools-python's RDF parser tests.
    "spdx/tools-python/parser/rdf/data/invalid_documents/file_without_spdx_ids.xml": (
        "No creators provided"
    ),
    "spdx/tools-python/parser/rdf/data/invalid_documents/invalid_creation_info.rdf.xml": (
        "No creators provided"
    ),
    "spdx/tools-python/parser/rdf/data/invalid_documents/"
    "invalid_creation_info_with_snippet.rdf.xml": "No creators provided",
    # The tag-value *writer's* expected output writes `FilesAnalyzed: True`; SPDX allows only
    # true/false and spdx-tools' own tag-value parser refuses it (upstream inconsistency).
    "spdx/tools-python/writer/tagvalue/expected_results/expected_tag_value.spdx": (
        'FilesAnalyzed must be either "true" or "false"'
    ),
}


def _corpus_files() -> list[str]:
    if not CORPUS.exists():
        return ["spdx/spdx-examples"]  # corpus_path() skips the test with a clear reason
    found = []
    for folder in SPDX_DIRS:
        for path in sorted((CORPUS / folder).rglob("*")):
            if path.is_file() and not path.name.endswith(NOT_SPDX):
                found.append(path.relative_to(CORPUS).as_posix())
    return found


FILES = _corpus_files()
ACCEPTED = [f for f in FILES if f not in REJECTED]


def test_the_exception_list_names_only_existing_files() -> None:
    corpus_path("spdx")
    missing = [name for name in REJECTED if not (CORPUS / name).is_file()]
    assert missing == []
    assert (len(FILES), len(ACCEPTED)) == (87, 77)  # MANIFEST: 60 + 5 + 1 + 25, minus 4 lockfiles


@pytest.mark.parametrize("name", ACCEPTED)
def test_corpus_document_is_read(name: str) -> None:
    path = corpus_path(name)
    sbom = read_input(path)
    assert sbom.format == "spdx"
    assert sbom.spec_version is not None
    assert sbom.spec_version.split(".")[0] in ("2", "3")
    assert sbom.digest.startswith("sha256:")
    coverage = coverage_of(sbom.components)
    # Nothing is dropped: every unidentified package is listed with a reason.
    assert coverage.total == len(sbom.components)
    assert all(u.reason for u in coverage.unidentified)
    refs = [c.ref for c in sbom.components]
    assert len(refs) == len(set(refs))
    assert set(sbom.roots) <= set(refs)
    for parent, children in sbom.dependencies:
        assert parent in refs
        assert set(children) <= set(refs)


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_invalid_corpus_document_exits_3_with_one_line(name: str, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = corpus_path(name)
    code, out, err = run_cli("inspect", str(path))
    assert code == 3
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert str(path) in lines[0]
    assert REJECTED[name] in lines[0]


def test_utf16_message_says_how_to_convert(run_cli) -> None:  # type: ignore[no-untyped-def]
    path = corpus_path("spdx/tools-python/data/SPDXTagExample-UTF-16.spdx")
    code, _, err = run_cli("inspect", str(path))
    assert code == 3
    assert "UTF-16" in err and "iconv -f UTF-16 -t UTF-8" in err


# Hand-verified package counts (counted in the documents' package sections / @graph).
PACKAGE_COUNTS = {
    "spdx/spdx-spec-2.3.1/SPDXJSONExample-v2.3.spdx.json": (4, 1),
    "spdx/spdx-spec-2.3.1/SPDXRdfExample-v2.3.spdx.rdf.xml": (4, 1),
    "spdx/spdx-spec-2.3.1/SPDXTagExample-v2.3.spdx": (4, 1),
    "spdx/spdx-spec-2.3.1/SPDXXMLExample-v2.3.spdx.xml": (4, 1),
    "spdx/spdx-spec-2.3.1/SPDXYAMLExample-2.3.spdx.yaml": (4, 1),
    "spdx/tools-python/data/SPDXJSONExample-v2.2.spdx.json": (4, 1),
    "spdx/spdx-examples/presentations/SBOMS-SPDX-Now-and-Future/ACME-v2.3.spdx.json": (4, 2),
    "spdx/spdx-examples/software/example9/spdx2.2/appbomination.spdx.json": (7, 4),
    "spdx/spdx-examples/software/example9/spdx3.0/appbomination.spdx3.json": (7, 4),
    "spdx/spdx-examples/software/example11/spdx3.0/sbom.spdx3.json": (4, 4),
    "spdx/spdx-examples/software/example7/spdx2.2/example7-third-party-modules.spdx.json": (3, 0),
    "spdx/spdx-spec-3.0/jsonld/package_sbom.json": (1, 0),
}


@pytest.mark.parametrize("name", sorted(PACKAGE_COUNTS))
def test_package_counts(name: str) -> None:
    sbom = read_input(corpus_path(name))
    total, identified = PACKAGE_COUNTS[name]
    coverage = coverage_of(sbom.components)
    assert (coverage.total, coverage.identified) == (total, identified)


def _same_order(expression: str | None) -> str | None:
    # RDF stores the operands of AND/OR as an unordered set: compare them sorted.
    return str(get_spdx_licensing().parse(expression).simplify()) if expression else None


def _summary(path: Path) -> set[tuple[object, ...]]:
    sbom = read_input(path)
    return {
        (
            c.ref,
            c.name,
            c.version,
            c.purl,
            _same_order(c.licenses),
            c.supplier,
            c.author,
            c.direct,
            *sorted((h.alg, h.value) for h in c.hashes),
        )
        for c in sbom.components
    }


def test_the_five_serialisations_of_the_spec_example_agree() -> None:
    folder = corpus_path("spdx/spdx-spec-2.3.1")
    json_view = _summary(folder / "SPDXJSONExample-v2.3.spdx.json")
    for other in (
        "SPDXRdfExample-v2.3.spdx.rdf.xml",
        "SPDXTagExample-v2.3.spdx",
        "SPDXXMLExample-v2.3.spdx.xml",
        "SPDXYAMLExample-2.3.spdx.yaml",
    ):
        assert _summary(folder / other) == json_view, other


def test_spec_example_package_details() -> None:
    sbom = read_input(corpus_path("spdx/spdx-spec-2.3.1/SPDXJSONExample-v2.3.spdx.json"))
    by_ref = {c.ref: c for c in sbom.components}
    jena = by_ref["SPDXRef-fromDoap-0"]
    assert (jena.ecosystem, jena.name, jena.version) == (
        "maven",
        "org.apache.jena/apache-jena",
        "3.12.0",
    )
    assert jena.purl == "pkg:maven/org.apache.jena/apache-jena@3.12.0"
    glibc = by_ref["SPDXRef-Package"]
    assert glibc.name == "glibc"
    assert glibc.version == "2.11.1"
    assert glibc.licenses == "LGPL-2.0-only AND LicenseRef-3"
    assert glibc.supplier == "Jane Doe"
    assert glibc.author == "ExampleCodeInspect"
    assert {h.alg for h in glibc.hashes} == {"md5", "sha1", "sha256", "blake2b_384"}
    assert glibc.ecosystem is None
    assert glibc.unidentified_reason is not None and "CPE" in glibc.unidentified_reason
    assert sbom.roots == ("SPDXRef-Package",)
    assert sbom.metadata.timestamp == "2010-01-29T18:30:22Z"
    assert sbom.metadata.tools == ("LicenseFind-1.0",)
    assert sbom.metadata.authors == ("ExampleCodeInspect", "Jane Doe")
    assert sbom.metadata.subject == "SPDX-Tools-v2.0"
