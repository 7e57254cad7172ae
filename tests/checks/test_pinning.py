from __future__ import annotations

import pytest

from policyengine.checks.pinning import PinningCheck, unpinned_reason
from policyengine.model import Missing, Ok, Source, Status
from policyengine.model.project import DeclaredDependency, ProjectFacts
from tests.checks.factories import assert_actionable, component, context, run

CHECK = PinningCheck()
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("ecosystem", "version"),
    [
        ("pypi", "1.82.6"),
        ("pypi", "2.0.0rc1"),
        ("pypi", "==1.2.3"),
        ("npm", "4.17.21"),
        ("npm", "1.0.0-beta.2"),
        ("npm", "npm:lodash@4.17.21"),
        ("pypi", f"git+https://github.com/BerriAI/litellm@{COMMIT}"),
        ("npm", f"github:lodash/lodash#{COMMIT}"),
        ("maven", "3.12.0"),
    ],
)
def test_exact(ecosystem: str, version: str) -> None:
    assert unpinned_reason(ecosystem, version) is None


@pytest.mark.parametrize(
    ("ecosystem", "version", "word"),
    [
        ("pypi", None, "no version"),
        ("pypi", "", "no version"),
        ("pypi", ">=1.82", "range"),
        ("pypi", "~=1.4", "range"),
        ("pypi", "1.2.*", "range"),
        ("pypi", "latest", "not a PEP 440 version"),
        ("npm", "^1.2.3", "range"),
        ("npm", "1.x", "range"),
        ("npm", "latest", "dist-tag"),
        ("npm", "npm:lodash@^4", "range"),
        ("pypi", "git+https://github.com/BerriAI/litellm@main", "without a full commit"),
        ("npm", "lodash/lodash#v4", "without a full commit"),
        ("pypi", "https://files.example/litellm-1.0.tar.gz", "URL"),
        ("npm", "file:../local", "URL or path"),
        ("maven", "[1.0,2.0)", "range"),
    ],
)
def test_not_exact(ecosystem: str, version: str | None, word: str) -> None:
    reason = unpinned_reason(ecosystem, version)
    assert reason is not None and word in reason


def test_component_pass_and_fail() -> None:
    [f] = run(CHECK, component(version="1.82.6"))
    assert f.status is Status.PASS
    [g] = run(CHECK, component("lodash", "^4.17.0", "npm"))
    assert g.status is Status.FAIL and "range '^4.17.0'" in g.message
    assert_actionable(g)


def _project(*declared: DeclaredDependency) -> Ok[object]:
    return Ok(ProjectFacts(directory=".", declared=declared), Source("project", "."))


def test_declared_dependencies_judged_with_project_facts() -> None:
    comp = component("requests", "2.31.0")
    facts = _project(
        DeclaredDependency("pypi", "requests", ">=2", "range", "pyproject.toml", line=8),
        DeclaredDependency("pypi", "requests", "==2.31.0", "exact", "requirements.txt", line=3),
        DeclaredDependency("pypi", "other", ">=1", "range", "pyproject.toml"),
    )
    found = run(CHECK, comp, ctx=context(project=facts))
    assert [f.status for f in found] == [Status.PASS, Status.FAIL, Status.PASS]
    assert found[1].subject == "pyproject.toml:requests"
    assert "pyproject.toml:8" in found[1].message and "a version range" in found[1].message
    assert_actionable(found[1])
    assert found[2].subject == "requirements.txt:requests"


def test_dev_declarations_can_be_skipped() -> None:
    comp = component("pytest", "8.0.0")
    facts = _project(
        DeclaredDependency("pypi", "pytest", "*", "unpinned", "pyproject.toml", dev=True)
    )
    found = run(CHECK, comp, params={"include_dev": False}, ctx=context(project=facts))
    assert [f.status for f in found] == [Status.PASS]


def test_without_project_facts_only_component_is_judged() -> None:
    found = run(CHECK, component(), ctx=context(project=Missing("no --project-dir")))
    assert [f.status for f in found] == [Status.PASS]


def test_missing_version_fails_never_unknown() -> None:
    [f] = run(CHECK, component(version=None))
    assert f.status is Status.FAIL and "no version" in f.message


def test_declared_required_without_project_facts_is_unknown() -> None:
    found = run(
        CHECK, component(), params={"declared": True}, ctx=context(project=Missing("no dir"))
    )
    assert [f.status for f in found] == [Status.PASS, Status.UNKNOWN]
    assert "no dir" in found[1].message and "--project-dir" in found[1].message
