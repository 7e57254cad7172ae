"""Case folders (docs/policy.md, "Testing policies"): layout, strict evidence, running them.

Every registered check needs pass-*, fail-* and unknown-* folders under
tests/checks/cases/<slug>/ and a docs page; each folder is checked for the exact
file set, a one-rule policy whose params the check accepts, an expected.yaml of
the agreed shape, evidence whose every key is a model field, and a CycloneDX 1.6
document that validates. Then each runs through the engine's case runner.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from policyengine.checks.registry import CHECKS, get_check
from tests.checks.strict_bundle import check_bundle
from tests.conftest import ROOT

CASES = ROOT / "tests" / "checks" / "cases"
DOCS = ROOT / "docs" / "checks"
FOLDERS = sorted(p for p in CASES.glob("*/*") if p.is_dir())
RESULT_OUTCOMES = {"pass", "fail", "warn", "info", "waived", "unknown", "error"}


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


@pytest.mark.parametrize("check", CHECKS, ids=[c.slug for c in CHECKS])
def test_every_check_has_pass_fail_unknown_cases_and_a_docs_page(check: type) -> None:
    slug = check.slug
    names = [p.name for p in (CASES / slug).iterdir()] if (CASES / slug).is_dir() else []
    for prefix in ("pass-", "fail-", "unknown-"):
        assert any(n.startswith(prefix) for n in names), f"{slug}: no {prefix}* case folder"
    assert (DOCS / f"{slug}.md").is_file(), f"{slug}: no docs/checks/{slug}.md"


def test_no_case_folder_for_an_unknown_check() -> None:
    for folder in CASES.iterdir():
        if folder.is_dir():
            assert get_check(folder.name) is not None, f"{folder.name} is not a registered check"


def _input_files(folder: Path) -> list[Path]:
    return [
        p
        for p in folder.iterdir()
        if p.name == "sbom.cdx.json" or p.name.startswith(("input", "sbom"))
    ]


@pytest.mark.parametrize("folder", FOLDERS, ids=_ids(FOLDERS))
def test_case_folder_layout(folder: Path) -> None:
    inputs = _input_files(folder)
    assert len(inputs) == 1, f"exactly one input file, found {inputs}"
    allowed = {inputs[0].name, "evidence.json", "policy.yaml", "expected.yaml"}
    assert {p.name for p in folder.iterdir()} <= allowed
    policy = yaml.safe_load((folder / "policy.yaml").read_text())
    assert policy["apiVersion"] == "policyengine/v1" and policy["kind"] == "Policy"
    [rule] = policy["rules"]
    check = get_check(rule["check"])
    assert check is not None and check.slug == folder.parent.name
    check.params_model.model_validate(rule.get("params") or {})
    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    assert set(expected) <= {"now", "outcome", "results"}
    outcome_word = folder.name.split("-")[0]
    assert expected["outcome"] in {"pass", "warn", "fail", "incomplete"}
    assert expected["results"], "a case names at least one expected result"
    outcomes = set()
    for item in expected["results"]:
        assert set(item) == {"rule", "component", "outcome"}
        assert item["rule"] == rule["id"] and item["outcome"] in RESULT_OUTCOMES
        outcomes.add(item["outcome"])
    # The folder name says what it demonstrates: pass-* / fail-* / unknown-*.
    assert outcome_word in outcomes


EVIDENCE = [f for f in FOLDERS if (f / "evidence.json").is_file()]


@pytest.mark.parametrize("folder", EVIDENCE, ids=_ids(EVIDENCE))
def test_evidence_uses_the_model_field_names(folder: Path) -> None:
    check_bundle(folder / "evidence.json")


SBOMS = [f for f in FOLDERS if (f / "sbom.cdx.json").is_file()]


@pytest.mark.parametrize("folder", SBOMS, ids=_ids(SBOMS))
def test_sbom_is_valid_cyclonedx_1_6(folder: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = (folder / "sbom.cdx.json").read_text()
    assert json.loads(text)["specVersion"] == "1.6"
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)


def _run_case() -> Any:
    for module in ("policyengine.cases", "policyengine.policy"):
        try:
            found = getattr(importlib.import_module(module), "run_case", None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


RUN_CASE = _run_case()


@pytest.mark.skipif(RUN_CASE is None, reason="case runner not merged yet")
@pytest.mark.parametrize("folder", FOLDERS, ids=_ids(FOLDERS))
def test_case_runs_as_expected(folder: Path) -> None:
    result = RUN_CASE(folder)
    assert result.passed, "\n".join(result.problems)


# ``expr`` rules are the policy author's own words: no sources or remediation to demand.
FAIL_FOLDERS = [f for f in FOLDERS if f.name.startswith("fail-") and f.parent.name != "expr"]


@pytest.mark.skipif(RUN_CASE is None, reason="case runner not merged yet")
@pytest.mark.parametrize("folder", FAIL_FOLDERS, ids=_ids(FAIL_FOLDERS))
def test_every_failure_is_actionable(folder: Path) -> None:
    """A failing result names what was seen and expected, its sources, and what to do."""
    result = RUN_CASE(folder)
    failed = [r for r in result.verdict.results if r.outcome == "fail"]
    assert failed
    for item in failed:
        assert item.observed is not None, item
        assert item.expected is not None, item
        assert item.sources, item
        assert item.remediation, item
