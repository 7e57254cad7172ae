from __future__ import annotations

import pytest

from policyengine.checks.pinning import PinningCheck, unpinned_reason
from policyengine.model import Finding, Missing, Ok, Source, Status
from policyengine.model.project import DeclaredDependency, LockEntry, LockfileFacts, ProjectFacts
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


def _npm_project(lock: LockfileFacts | None, spec: str = "^5.6.2") -> Ok[object]:
    chalk = DeclaredDependency("npm", "chalk", spec, "range", "package.json", line=6)
    return Ok(
        ProjectFacts(".", declared=(chalk,), lockfiles=(lock,) if lock else ()),
        Source("project", "."),
    )


NESTED_LOCK = LockfileFacts(
    "package-lock.json",
    "package-lock.json",
    "npm",
    True,
    entries=(
        LockEntry("npm", "chalk", "5.6.2", direct=True),
        LockEntry("npm", "chalk", "4.1.2", direct=False),
    ),
    locks=("package.json",),
)


def _declared(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.subject]


def test_a_declaration_governs_only_the_top_level_npm_entry() -> None:
    ctx = context(project=_npm_project(NESTED_LOCK))
    top = run(CHECK, component("chalk", "5.6.2", "npm"), ctx=ctx)
    nested = run(CHECK, component("chalk", "4.1.2", "npm", direct=False), ctx=ctx)
    assert [f.status for f in top] == [Status.PASS, Status.PASS]
    assert "package-lock.json pins it to 5.6.2" in top[1].message
    assert top[1].subject == "package.json:chalk"
    # The nested copy answers to log-symbols' range, not to package.json's.
    assert [f.status for f in nested] == [Status.PASS]


def test_a_range_without_a_lock_fails() -> None:
    ctx = context(project=_npm_project(None))
    found = _declared(run(CHECK, component("chalk", "5.6.2", "npm", direct=True), ctx=ctx))
    assert [f.status for f in found] == [Status.FAIL]
    assert "no lockfile pins it" in found[0].message
    assert_actionable(found[0])
    # Without a lock the SBOM's direct components that fit the range stand in.
    nested = run(CHECK, component("chalk", "4.1.2", "npm", direct=False), ctx=ctx)
    assert _declared(nested) == []
    unfitting = run(CHECK, component("chalk", "4.1.2", "npm"), ctx=ctx)
    assert _declared(unfitting) == []


def test_a_lock_that_pins_another_version_fails() -> None:
    stale = LockfileFacts(
        "package-lock.json",
        "package-lock.json",
        "npm",
        False,
        entries=(LockEntry("npm", "chalk", "4.1.2", direct=True),),
        locks=("package.json",),
    )
    found = _declared(
        run(
            CHECK,
            component("chalk", "5.6.2", "npm", direct=True),
            ctx=context(project=_npm_project(stale)),
        )
    )
    assert [f.status for f in found] == [Status.FAIL]
    assert "package-lock.json pins 4.1.2, not 5.6.2" in found[0].message


def test_a_lock_entry_outside_the_range_does_not_pin_it() -> None:
    yarn = LockfileFacts(
        "yarn.lock",
        "yarn.lock",
        "npm",
        True,
        entries=(LockEntry("npm", "chalk", "4.1.2"), LockEntry("npm", "chalk", "5.6.2")),
        locks=("package.json",),
    )
    ctx = context(project=_npm_project(yarn))
    assert [f.status for f in run(CHECK, component("chalk", "5.6.2", "npm"), ctx=ctx)] == [
        Status.PASS,
        Status.PASS,
    ]
    assert _declared(run(CHECK, component("chalk", "4.1.2", "npm"), ctx=ctx)) == []


def test_an_unreadable_lock_is_unknown() -> None:
    broken = LockfileFacts(
        "package-lock.json", "package-lock.json", "npm", False, error="bad JSON at 3:1"
    )
    found = _declared(
        run(
            CHECK,
            component("chalk", "5.6.2", "npm", direct=True),
            ctx=context(project=_npm_project(broken)),
        )
    )
    assert [f.status for f in found] == [Status.UNKNOWN]
    assert "bad JSON" in found[0].message


def test_lock_pins_false_demands_exact_declarations() -> None:
    ctx = context(project=_npm_project(NESTED_LOCK))
    found = _declared(
        run(CHECK, component("chalk", "5.6.2", "npm"), params={"lock_pins": False}, ctx=ctx)
    )
    assert [f.status for f in found] == [Status.FAIL]
    assert "a version range" in found[0].message


def test_python_declarations_govern_every_component_of_the_name() -> None:
    uv = LockfileFacts(
        "uv.lock",
        "uv.lock",
        "pypi",
        True,
        entries=(LockEntry("pypi", "click", "8.5.1", direct=True),),
        locks=("pyproject.toml",),
    )
    declared = (
        DeclaredDependency("pypi", "click", "^8.1", "range", "pyproject.toml", line=11),
        DeclaredDependency("pypi", "click", "*", "unpinned", "pyproject.toml", line=12),
    )
    ctx = context(
        project=Ok(ProjectFacts(".", declared=declared, lockfiles=(uv,)), Source("project", "."))
    )
    found = _declared(run(CHECK, component("click", "8.5.1", direct=False), ctx=ctx))
    # Poetry's ^8.1 is read by poetry-core; 8.5.1 satisfies it.
    assert [f.status for f in found] == [Status.PASS, Status.PASS]
    other = _declared(run(CHECK, component("click", "8.4.0"), ctx=ctx))
    assert [f.status for f in other] == [Status.FAIL, Status.FAIL]
    assert "uv.lock pins 8.5.1, not 8.4.0" in other[0].message


def test_an_exact_declaration_governs_only_its_own_version_without_a_tree() -> None:
    yarn = LockfileFacts(
        "yarn.lock",
        "yarn.lock",
        "npm",
        True,
        entries=(LockEntry("npm", "chalk", "4.1.2"), LockEntry("npm", "chalk", "5.6.2")),
        locks=("package.json",),
    )
    exact = DeclaredDependency("npm", "chalk", "5.6.2", "exact", "package.json", version="5.6.2")
    ctx = context(
        project=Ok(ProjectFacts(".", declared=(exact,), lockfiles=(yarn,)), Source("project", "."))
    )
    assert len(_declared(run(CHECK, component("chalk", "5.6.2", "npm"), ctx=ctx))) == 1
    assert _declared(run(CHECK, component("chalk", "4.1.2", "npm"), ctx=ctx)) == []
