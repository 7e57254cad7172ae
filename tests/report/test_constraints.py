"""``check --constraints``: the failing versions kept out, for pip/uv and npm (issue 13)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from policyengine.model.verdict import ComponentRef, RuleResult
from policyengine.report.constraints import Constraints

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "litellm-2026"


def _fail(check: str, rule: str, purl: str, name: str, version: str, **observed: str) -> RuleResult:
    ref = ComponentRef(f"{name}@{version}", purl, name, version)
    return RuleResult(rule, check, "fail", "fail", ref, "bad", observed=observed or None)


def test_version_rules_only_and_every_failing_version() -> None:
    found = Constraints()
    found.add(_fail("registry-status", "removed", "pkg:pypi/litellm@1.82.8", "litellm", "1.82.8",
                    suggested_version="1.84.1"))  # fmt: skip
    found.add(_fail("advisories", "malicious", "pkg:pypi/litellm@1.82.7", "litellm", "1.82.7"))
    found.add(_fail("pinning", "exact-pins", "pkg:pypi/flask@3.1.3", "flask", "3.1.3"))
    found.add(_fail("hashes", "hashes-npm", "pkg:npm/chalk@5.6.2", "chalk", "5.6.2"))
    found.add(_fail("advisories", "malicious", "pkg:npm/ms@2.1.3", "ms", "2.1.3"))
    found.add(_fail("advisories", "malicious", "pkg:npm/ms@2.0.0", "ms", "2.0.0"))
    pip = found.pip("header")
    assert (
        "litellm!=1.82.7,!=1.82.8  # malicious, removed; nearest safe version at hand: 1.84.1"
        in pip
    )
    assert (
        "flask" not in pip and "ms" not in pip
    )  # a pin is fixed in the manifest, not by a version
    npm = json.loads(found.npm())
    assert npm == {"overrides": {"ms": "<2.0.0 || >2.0.0 <2.1.3 || >2.1.3"}}


def test_check_writes_both_files(
    run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    pip, npm = tmp_path / "constraints.txt", tmp_path / "overrides.json"
    code, _, err = run_cli(
        "check", str(EXAMPLE / "sbom-litellm-1.82.8.cdx.json"), "--policy", "baseline",
        "--evidence", str(EXAMPLE / "evidence-1.82.8.json"), "--now", "2026-11-28T12:00:00Z",
        "--constraints", str(pip), "--constraints", str(npm), "--format", "json", "-o",
        str(tmp_path / "v.json"),
    )  # fmt: skip
    assert code == 1, err
    lines = [line for line in pip.read_text().splitlines() if not line.startswith("#")]
    assert lines == [
        "litellm!=1.82.8  # critical-vulnerabilities, malicious-packages, removed-or-yanked; "
        "nearest safe version at hand: 1.84.1"
    ]
    assert json.loads(npm.read_text()) == {"overrides": {}}


def test_a_constraints_file_in_a_missing_folder_is_a_usage_error(
    run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    code, _, err = run_cli(
        "check", str(EXAMPLE / "sbom-litellm-1.82.8.cdx.json"), "--policy", "baseline",
        "--evidence", str(EXAMPLE / "evidence-1.82.8.json"),
        "--constraints", str(tmp_path / "nope" / "c.txt"),
    )  # fmt: skip
    assert code == 2 and "--constraints" in err
