"""When the purl and a component's own name/version disagree, every identity is judged.

Issue 13 item 7: the purl won silently, so an SBOM could hide ``litellm 1.82.8``
behind ``pkg:pypi/litellm@1.82.6``; an SPDX package with two purls was judged on the
first only. The reproducers stay here.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from policyengine.checks import registry
from policyengine.engine import evaluate
from policyengine.enrich.core import targets_of
from policyengine.ingest import read_input
from policyengine.ingest.identity import same_name, same_version
from policyengine.model import Evidence, Sbom
from policyengine.policy.loader import load_policy
from policyengine.report.inspect import inspect_document

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 3, 25, tzinfo=datetime.UTC)


def _cdx(tmp_path: Path, *components: dict[str, Any]) -> Sbom:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {"type": "library", "bom-ref": f"c{i}", **c} for i, c in enumerate(components)
        ],
    }
    path = tmp_path / "sbom.cdx.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return read_input(path)


def _spdx(tmp_path: Path, name: str, version: str, *purls: str) -> Sbom:
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "doc",
        "documentNamespace": "https://example.invalid/doc",
        "creationInfo": {"created": "2026-03-24T00:00:00Z", "creators": ["Tool: test"]},
        "packages": [
            {
                "SPDXID": "SPDXRef-pkg",
                "name": name,
                "versionInfo": version,
                "downloadLocation": "NOASSERTION",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": purl,
                    }
                    for purl in purls
                ],
            }
        ],
    }
    path = tmp_path / "sbom.spdx.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return read_input(path)


def _keys(sbom: Sbom) -> set[str]:
    return set(targets_of(sbom.components))


def test_a_clean_purl_does_not_hide_the_components_own_version(tmp_path: Path) -> None:
    sbom = _cdx(
        tmp_path, {"name": "litellm", "version": "1.82.8", "purl": "pkg:pypi/litellm@1.82.6"}
    )
    # Both identities are looked up: before, only pypi/litellm@1.82.6 was.
    assert _keys(sbom) == {"pypi/litellm@1.82.6", "pypi/litellm@1.82.8"}
    coverage = inspect_document(sbom)["coverage"]
    (conflict,) = coverage["identity_conflicts"]
    assert conflict["ref"] == "c0"
    assert "1.82.6" in conflict["reason"] and "1.82.8" in conflict["reason"]


def test_a_clean_purl_does_not_hide_the_components_own_name(tmp_path: Path) -> None:
    sbom = _cdx(
        tmp_path, {"name": "evil-pkg", "version": "1.0.0", "purl": "pkg:npm/left-pad@1.3.0"}
    )
    assert _keys(sbom) == {"npm/left-pad@1.3.0", "npm/evil-pkg@1.0.0"}


def test_an_spdx_package_with_two_purls_is_judged_on_both(tmp_path: Path) -> None:
    sbom = _spdx(
        tmp_path, "litellm", "1.82.6", "pkg:pypi/litellm@1.82.6", "pkg:pypi/litellm@1.82.8"
    )
    assert _keys(sbom) == {"pypi/litellm@1.82.6", "pypi/litellm@1.82.8"}
    assert inspect_document(sbom)["coverage"]["identity_conflicts"]


def test_spdx_name_and_version_info_against_the_purl(tmp_path: Path) -> None:
    sbom = _spdx(tmp_path, "ms", "2.1.3", "pkg:npm/ms@2.0.0")
    assert _keys(sbom) == {"npm/ms@2.0.0", "npm/ms@2.1.3"}


@pytest.mark.parametrize(
    "component",
    [
        {"name": "Requests", "version": "2.31", "purl": "pkg:pypi/requests@2.31.0"},
        {"name": "zope.interface", "version": "6.0", "purl": "pkg:pypi/zope-interface@6.0"},
        {
            "name": "core",
            "group": "@babel",
            "version": "v7.0.0",
            "purl": "pkg:npm/%40babel/core@7.0.0",
        },
        {"name": "@babel/core", "version": "7.0.0", "purl": "pkg:npm/%40babel/core@7.0.0"},
        {"name": "litellm", "purl": "pkg:pypi/litellm@1.82.8"},
        # `npm sbom` writes an alias ("@jest/react-is-18": "npm:react-is@18.3.1") under the
        # folder name, with the real package's purl and tarball: the name is no package.
        {
            "name": "@jest/react-is-18",
            "version": "18.3.1",
            "purl": "pkg:npm/react-is@18.3.1",
            "externalReferences": [
                {
                    "type": "distribution",
                    "url": "https://registry.npmjs.org/react-is/-/react-is-18.3.1.tgz",
                }
            ],
        },
    ],
)
def test_spellings_that_normalise_equal_are_one_identity(
    tmp_path: Path, component: dict[str, Any]
) -> None:
    sbom = _cdx(tmp_path, component)
    assert len(sbom.components) == 1
    assert "identity_conflicts" not in inspect_document(sbom)["coverage"]


def test_two_spellings_of_one_purl_are_one_identity(tmp_path: Path) -> None:
    sbom = _spdx(
        tmp_path, "@babel/core", "7.0.0", "pkg:npm/%40babel/core@7.0.0", "pkg:npm/@babel/core@7.0.0"
    )
    assert len(sbom.components) == 1


def test_normalisation_helpers() -> None:
    assert same_name("pypi", "Zope.Interface", "zope-interface")
    assert same_version("pypi", "1.3", "1.3.0.0")
    assert not same_version("pypi", "1.3", "1.3.1")
    assert same_version("npm", "v1.2.3", "1.2.3")
    assert not same_version("npm", "1.2.3", "1.2.4")


def test_both_identities_are_judged_and_the_disagreement_fails(tmp_path: Path) -> None:
    sbom = _cdx(
        tmp_path, {"name": "litellm", "version": "1.82.8", "purl": "pkg:pypi/litellm@1.82.6"}
    )
    baseline = load_policy(ROOT / "policies" / "baseline.yaml", checks=registry.CHECKS)
    verdict = evaluate(sbom, Evidence(components={}), baseline, NOW)
    judged = {
        r.component.version
        for r in verdict.results
        if r.rule == "removed-or-yanked" and r.component
    }
    assert judged == {"1.82.6", "1.82.8"}
    quality = load_policy(ROOT / "policies" / "sbom-quality.yaml", checks=registry.CHECKS)
    verdict = evaluate(sbom, Evidence(components={}), quality, NOW)
    assert any(
        r.outcome == "fail" and r.component is not None and "1.82.8" in r.message
        for r in verdict.results
    )
