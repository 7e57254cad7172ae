from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import pytest

from policyengine.cases import find_cases, run_case
from policyengine.model import Evidence, FactKind, Sbom
from tests.engine.fakes import CHECKS, component, evidence, package, sbom

POLICY = """\
apiVersion: policyengine/v1
kind: Policy
metadata: {name: case}
rules:
  - id: status
    check: fake-status
  - id: custom
    check: expr
    params: {expr: 'component.name == "litellm"'}
    severity: warn
"""


def read_test_input(path: Path) -> Sbom:
    """A test-only input format: a JSON list of [name, version] pairs."""
    pairs = json.loads(path.read_text())
    return sbom(*(component(name, version) for name, version in pairs))


def status_evidence(path: Path) -> Evidence:
    """A test-only evidence format: {"name@version": status}."""
    data = json.loads(path.read_text())
    return evidence(
        {
            f"pypi/{key}": {FactKind.PACKAGE: package(None if status == "active" else status)}
            for key, status in data.items()
        }
    )


def make_case(folder: Path, expected: str, with_evidence: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "input.json").write_text('[["litellm", "1.82.8"], ["requests", "2.32.0"]]')
    if with_evidence:
        (folder / "evidence.json").write_text(
            '{"litellm@1.82.8": "quarantined", "requests@2.32.0": "active"}'
        )
    (folder / "policy.yaml").write_text(POLICY)
    (folder / "expected.yaml").write_text(textwrap.dedent(expected))
    return folder


def _run(folder: Path):  # type: ignore[no-untyped-def]
    return run_case(folder, checks=CHECKS, read=read_test_input, load_evidence=status_evidence)


GOOD = """\
now: 2026-03-24T18:00:00Z
outcome: fail
results:
  - rule: status
    component: pkg:pypi/litellm@1.82.8
    outcome: fail
  - rule: status
    component: pkg:pypi/requests@2.32.0
    outcome: pass
  - rule: custom
    component: pkg:pypi/litellm@1.82.8
    outcome: warn
"""


def test_passing_case(tmp_path: Path) -> None:
    result = _run(make_case(tmp_path / "fail-quarantined", GOOD))
    assert result.passed, result.problems
    assert result.checks == ("expr", "fake-status")
    assert result.outcomes == {"fake-status": ("fail", "pass"), "expr": ("warn",)}
    policy_file = str(tmp_path / "fail-quarantined" / "policy.yaml")
    assert result.rules == {
        f"{policy_file} status": ("fail", "pass"),
        f"{policy_file} custom": ("warn",),
    }
    assert result.verdict is not None and result.verdict.outcome == "fail"


def test_failing_case_says_why(tmp_path: Path) -> None:
    wrong = GOOD.replace("outcome: fail\nresults", "outcome: pass\nresults").replace(
        "    outcome: pass\n", "    outcome: unknown\n"
    )
    result = _run(make_case(tmp_path / "c", wrong))
    assert not result.passed
    assert "outcome is fail, expected pass" in result.problems
    assert any("rule status on pkg:pypi/requests@2.32.0" in p for p in result.problems)


def test_case_without_evidence_is_unknown(tmp_path: Path) -> None:
    expected = (
        "now: 2026-03-24T18:00:00Z\noutcome: incomplete\nresults:\n"
        "  - {rule: status, component: 'pkg:pypi/litellm@1.82.8', outcome: unknown}\n"
    )
    result = _run(make_case(tmp_path / "unknown-offline", expected, with_evidence=False))
    assert result.passed, result.problems


def test_document_level_expectation(tmp_path: Path) -> None:
    folder = make_case(tmp_path / "doc", "now: 2026-03-24T18:00:00Z\n")
    (folder / "policy.yaml").write_text(
        POLICY + "  - id: doc\n    check: fake-doc\n    severity: info\n"
    )
    (folder / "expected.yaml").write_text(
        "now: 2026-03-24T18:00:00Z\nresults:\n  - {rule: doc, component: null, outcome: pass}\n"
    )
    assert _run(folder).passed


@pytest.mark.parametrize(
    ("expected", "problem"),
    [
        ("now: 2026-03-24T18:00:00Z\nresult: []\n", "unknown key 'result'"),
        ("outcome: fail\n", "`now` must be"),
        ("now: 2026-03-24T18:00:00Z\noutcome: broken\n", "`outcome` must be one of"),
        ("now: 2026-03-24T18:00:00Z\nresults:\n  - {rule: a, outcome: nope}\n", "a result needs"),
    ],
)
def test_bad_expected_file(tmp_path: Path, expected: str, problem: str) -> None:
    result = _run(make_case(tmp_path / "c", expected))
    assert not result.passed
    assert problem in result.problems[0]
    assert "expected.yaml:" in result.problems[0]


def test_bad_policy_is_reported_not_raised(tmp_path: Path) -> None:
    folder = make_case(tmp_path / "c", GOOD)
    (folder / "policy.yaml").write_text(POLICY.replace("fake-status", "nope"))
    result = _run(folder)
    assert not result.passed and "unknown check 'nope'" in result.problems[0]


def test_needs_exactly_one_input(tmp_path: Path) -> None:
    folder = make_case(tmp_path / "c", GOOD)
    (folder / "sbom.cdx.json").write_text("{}")
    result = _run(folder)
    assert not result.passed and "exactly one input" in result.problems[0]


def test_find_cases(tmp_path: Path) -> None:
    one = make_case(tmp_path / "x" / "pass-a", GOOD)
    two = make_case(tmp_path / "y" / "fail-b", GOOD)
    assert find_cases([tmp_path]) == [one, two]
    assert find_cases([one]) == [one]


@pytest.mark.skipif(
    importlib.util.find_spec("policyengine.ingest.cyclonedx") is None
    or importlib.util.find_spec("policyengine.enrich.bundle") is None,
    reason="needs the CycloneDX reader and the evidence bundle loader (other branches)",
)
def test_default_readers(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {
                "type": "library",
                "bom-ref": "a",
                "name": "litellm",
                "version": "1.82.8",
                "purl": "pkg:pypi/litellm@1.82.8",
            }
        ],
    }
    (folder / "sbom.cdx.json").write_text(json.dumps(bom))
    (folder / "policy.yaml").write_text(POLICY)
    (folder / "evidence.json").write_text(
        json.dumps(
            {
                "schema_version": "1",
                "created_at": "2026-03-24T18:00:00Z",
                "tool": "test",
                "components": {
                    "pypi/litellm@1.82.8": {"package": {"status": "missing", "reason": "offline"}}
                },
                "project": None,
            }
        )
    )
    (folder / "expected.yaml").write_text(
        "now: 2026-03-24T18:00:00Z\nresults:\n"
        "  - {rule: status, component: 'pkg:pypi/litellm@1.82.8', outcome: unknown}\n"
    )
    result = run_case(folder, checks=CHECKS)
    assert result.passed, result.problems


EXPR_CASES = sorted((Path(__file__).parents[1] / "checks" / "cases" / "expr").iterdir())


@pytest.mark.skipif(
    importlib.util.find_spec("policyengine.ingest.cyclonedx") is None
    or importlib.util.find_spec("policyengine.enrich.bundle") is None,
    reason="needs the CycloneDX reader and the evidence bundle loader (other branches)",
)
@pytest.mark.parametrize("folder", EXPR_CASES, ids=[p.name for p in EXPR_CASES])
def test_expr_case_folders(folder: Path) -> None:
    result = run_case(folder)
    assert result.passed, result.problems
