from __future__ import annotations

from policyengine.checks.lockfile import LockfileCheck
from policyengine.model import Failed, Ok, Source, Status
from policyengine.model.project import Disagreement, LockfileFacts, ManifestFacts, ProjectFacts
from tests.checks.factories import assert_actionable, context, run_document

CHECK = LockfileCheck()
PYPROJECT = ManifestFacts("pyproject.toml", "pyproject.toml", "pypi")
PACKAGE_JSON = ManifestFacts("package.json", "web/package.json", "npm")
UV_LOCK = LockfileFacts("uv.lock", "uv.lock", "pypi", covers_manifest=True)


def judge(facts: object, params: dict[str, object] | None = None) -> list[object]:
    ctx = context(project=Ok(facts, Source("project", ".")))
    return [f for _, f in run_document(CHECK, ctx, params)]


def test_every_manifest_locked_passes() -> None:
    npm_lock = LockfileFacts("package-lock.json", "web/package-lock.json", "npm", True)
    found = judge(ProjectFacts(".", (PYPROJECT, PACKAGE_JSON), (UV_LOCK, npm_lock)))
    assert [f.status for f in found] == [Status.PASS, Status.PASS]
    assert [f.subject for f in found] == ["pyproject.toml", "web/package.json"]


def test_workspace_root_lockfile_covers_sub_manifest() -> None:
    sub = ManifestFacts("pyproject.toml", "libs/core/pyproject.toml", "pypi")
    [f] = judge(ProjectFacts(".", (sub,), (UV_LOCK,)))
    assert f.status is Status.PASS


def test_manifest_without_lockfile_fails() -> None:
    found = judge(ProjectFacts(".", (PYPROJECT, PACKAGE_JSON), (UV_LOCK,)))
    assert [f.status for f in found] == [Status.PASS, Status.FAIL]
    assert "web/package.json has no npm lockfile" in found[1].message
    assert_actionable(found[1])


def test_disagreeing_lockfile_fails_with_details() -> None:
    stale = LockfileFacts(
        "uv.lock",
        "uv.lock",
        "pypi",
        covers_manifest=False,
        missing=("httpx",),
        disagreeing=(Disagreement("litellm", ">=1.83", "1.82.8", "pyproject.toml"),),
    )
    [f] = judge(ProjectFacts(".", (PYPROJECT,), (stale,)))
    assert f.status is Status.FAIL
    assert "no entry for httpx" in f.message and "litellm 1.82.8 vs >=1.83" in f.message


def test_require_hashes() -> None:
    lock = LockfileFacts("uv.lock", "uv.lock", "pypi", True, entries_without_hash=("x@1",))
    [f] = judge(ProjectFacts(".", (PYPROJECT,), (lock,)))
    assert f.status is Status.PASS
    [g] = judge(ProjectFacts(".", (PYPROJECT,), (lock,)), {"require_hashes": True})
    assert g.status is Status.FAIL


def test_unreadable_files_unknown() -> None:
    broken = ManifestFacts("pyproject.toml", "pyproject.toml", "pypi", error="bad TOML at 3:1")
    [f] = judge(ProjectFacts(".", (broken,), (UV_LOCK,)))
    assert f.status is Status.UNKNOWN and "bad TOML" in f.message
    bad_lock = LockfileFacts("uv.lock", "uv.lock", "pypi", False, error="truncated")
    [g] = judge(ProjectFacts(".", (PYPROJECT,), (bad_lock,)))
    assert g.status is Status.UNKNOWN and "truncated" in g.message


def test_no_project_facts_unknown() -> None:
    for project in (None, Failed("cannot read /src: permission denied")):
        [(_, f)] = run_document(CHECK, context(project=project))
        assert f.status is Status.UNKNOWN
        assert "project" in f.message


def test_no_manifests_unknown() -> None:
    [f] = judge(ProjectFacts("/src", (), ()))
    assert f.status is Status.UNKNOWN and "/src" in f.message


def test_wrong_type_unknown() -> None:
    [f] = judge({"directory": "."})
    assert f.status is Status.UNKNOWN


def test_project_facts_as_bundle_json_are_read() -> None:
    from policyengine.model.project import project_facts_to_json

    document = project_facts_to_json(ProjectFacts(".", (PYPROJECT,), (UV_LOCK,)))
    [f] = judge(document)
    assert f.status is Status.PASS
    [g] = judge({"manifests": []})
    assert g.status is Status.UNKNOWN and "malformed" in g.message


def test_a_lockfile_covers_only_the_manifests_it_locks() -> None:
    requirements_in = ManifestFacts("requirements.txt", "requirements.in", "pypi")
    compiled = LockfileFacts(
        "requirements.txt", "requirements.txt", "pypi", True, locks=("requirements.in",)
    )
    found = judge(ProjectFacts(".", (PYPROJECT, requirements_in), (compiled,)))
    # The lock was checked against requirements.in only: it says nothing of pyproject.toml.
    assert [f.status for f in found] == [Status.FAIL, Status.PASS]
    assert "pyproject.toml has no pypi lockfile" in found[0].message


def test_a_dedicated_lock_wins_over_a_requirements_lock() -> None:
    export = LockfileFacts(
        "requirements.txt",
        "requirements.txt",
        "pypi",
        False,
        missing=("httpx",),
        locks=("pyproject.toml",),
    )
    uv = LockfileFacts("uv.lock", "uv.lock", "pypi", True, locks=("pyproject.toml",))
    [f] = judge(ProjectFacts(".", (PYPROJECT,), (export, uv)))
    assert f.status is Status.PASS and f.observed["lockfile"] == "uv.lock"


def test_a_fully_pinned_requirements_file_is_its_own_lock() -> None:
    frozen = ManifestFacts("requirements.txt", "requirements.txt", "pypi")
    lock = LockfileFacts(
        "requirements.txt",
        "requirements.txt",
        "pypi",
        True,
        entries_without_hash=("six@1.16.0",),
        locks=("requirements.txt",),
    )
    [f] = judge(ProjectFacts(".", (frozen,), (lock,)))
    assert f.status is Status.PASS and "its own lockfile" in f.message
    [g] = judge(ProjectFacts(".", (frozen,), (lock,)), {"require_hashes": True})
    assert g.status is Status.FAIL and "1 entries have no digest" in g.message
