"""lockfile and pinning on real projects, one per layout the package managers write.

The folders under tests/fixtures/lockfiles-generated were made by the tools
themselves (see its README). A clean, locked project of every layout passes
``lockfile`` and ``pinning`` together, judged through the command line as a user
runs them; removing its lock, or declaring a range that nothing locks, fails.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

GENERATED = ROOT / "tests" / "fixtures" / "lockfiles-generated"
POLICY = """\
apiVersion: policyengine/v1
kind: Policy
metadata:
  name: locks
rules:
  - id: lockfile-present
    check: lockfile
    params: {require_hashes: %s}
    severity: fail
  - id: exact-pins
    check: pinning
    severity: fail
"""
LAYOUTS = [
    ("uv", "uv.lock", True),
    ("poetry", "poetry.lock", True),
    ("pdm", "pdm.lock", True),
    ("pipenv", "Pipfile.lock", True),
    ("pip-compile", "requirements.txt", True),
    ("pip-compile-pyproject", "requirements.txt", True),
    ("uv-pip-compile", "requirements.txt", True),
    ("pip-freeze", "requirements.txt", False),
    ("npm", "package-lock.json", True),
    ("npm-nested", "package-lock.json", True),
    ("npm-nested", "package.cdx.json", True),
    ("npm-shrinkwrap", "npm-shrinkwrap.json", True),
    ("pnpm", "pnpm-lock.yaml", True),
    ("pnpm-nested", "pnpm-lock.yaml", True),
    ("yarn-v1", "yarn.lock", True),
    ("yarn-v1-nested", "yarn.lock", True),
]

Run = Callable[..., tuple[int, str, str]]


def _check(run_cli: Run, tmp_path: Path, folder: Path, name: str, hashes: bool) -> dict[str, Any]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY % ("true" if hashes else "false"))
    code, out, _err = run_cli(
        "check",
        str(folder / name),
        "--policy",
        str(policy),
        "--project-dir",
        str(folder),
        "--offline",
        "--format",
        "json",
        "--results",
        "all",  # the passes' observed values say which manifest each lockfile was held to
    )
    verdict: dict[str, Any] = json.loads(out)
    verdict["exit"] = code
    return verdict


def _failing(verdict: dict[str, Any]) -> list[str]:
    return [r["message"] for r in verdict["results"] if r["outcome"] != "pass"]


@pytest.mark.parametrize(
    ("folder", "name", "hashes"), LAYOUTS, ids=[f"{f}/{n}" for f, n, _ in LAYOUTS]
)
def test_a_clean_locked_layout_passes(
    run_cli: Run, tmp_path: Path, folder: str, name: str, hashes: bool
) -> None:
    verdict = _check(run_cli, tmp_path, GENERATED / folder, name, hashes)
    assert verdict["exit"] == 0, _failing(verdict)
    lock_results = [r for r in verdict["results"] if r["rule"] == "lockfile-present"]
    assert [r["outcome"] for r in lock_results] == ["pass"]


def test_pip_compile_pyproject_is_judged_once_against_pyproject(
    run_cli: Run, tmp_path: Path
) -> None:
    verdict = _check(
        run_cli, tmp_path, GENERATED / "pip-compile-pyproject", "requirements.txt", True
    )
    [lock] = [r for r in verdict["results"] if r["rule"] == "lockfile-present"]
    assert lock["observed"]["manifest"].endswith("pyproject.toml")
    assert lock["observed"]["lockfile"].endswith("requirements.txt")


def test_the_nested_copy_is_not_charged_to_package_json(run_cli: Run, tmp_path: Path) -> None:
    verdict = _check(run_cli, tmp_path, GENERATED / "npm-nested", "package-lock.json", True)
    chalk = [
        (r["component"]["version"], r["message"])
        for r in verdict["results"]
        if r["rule"] == "exact-pins" and r["component"]["name"] == "chalk"
    ]
    declared = [version for version, message in chalk if "package.json" in message]
    assert sorted(v for v, _ in chalk) == ["4.1.2", "5.6.2", "5.6.2"]
    assert declared == ["5.6.2"]


def test_without_its_lock_a_range_fails_twice(run_cli: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(GENERATED / "npm-nested", project)
    (project / "package-lock.json").unlink()
    verdict = _check(run_cli, tmp_path, project, "package.cdx.json", False)
    assert verdict["exit"] == 1
    failing = _failing(verdict)
    assert any("has no npm lockfile" in m for m in failing)
    assert any("chalk" in m and "no lockfile pins it" in m for m in failing)


def test_an_unpinned_requirements_file_without_a_lock_still_fails(
    run_cli: Run, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("click==8.5.1\nrequests>=2\n")
    verdict = _check(run_cli, tmp_path, project, "requirements.txt", False)
    assert verdict["exit"] == 1
    failing = _failing(verdict)
    assert any("requirements.txt has no pypi lockfile" in m for m in failing)
    assert any("requests is not pinned" in m for m in failing)


def test_a_requirements_lock_that_misses_a_declared_dependency_fails(
    run_cli: Run, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(GENERATED / "pip-compile-pyproject", project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"click>=8.1",', '"click>=9",'))
    verdict = _check(run_cli, tmp_path, project, "requirements.txt", True)
    assert verdict["exit"] == 1
    assert any("click 8.5.1 vs >=9" in m for m in _failing(verdict))
