"""Contract and end-to-end tests shared by the five artifact-contents checks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import ValidationError

from policyengine.checks.base import Check, CheckContext
from policyengine.checks.install_scripts import InstallScriptsCheck
from policyengine.checks.new_files import NewFilesCheck
from policyengine.checks.registry import CHECKS
from policyengine.checks.startup_code import StartupCodeCheck
from policyengine.checks.suspicious_code import SuspiciousCodeCheck
from policyengine.checks.unexpected_binaries import UnexpectedBinariesCheck
from policyengine.enrich.artifacts import inspect_contents
from policyengine.model import (
    ArtifactContents,
    ArtifactReport,
    Artifacts,
    Component,
    ComponentEvidence,
    ContentMark,
    Evidence,
    FactKind,
    FactResult,
    Failed,
    Finding,
    Missing,
    Ok,
    Sbom,
    Source,
    Status,
)
from tests.enrich.artifacts.builders import Registry, sdist, serve, wheel

ARTIFACT_CHECKS: list[type[Check]] = [
    StartupCodeCheck,
    InstallScriptsCheck,
    UnexpectedBinariesCheck,
    SuspiciousCodeCheck,
    NewFilesCheck,
]
COMPONENT = Component(
    ref="pkg:pypi/demo@1.1", name="demo", version="1.1", ecosystem="pypi", purl="pkg:pypi/demo@1.1"
)
CONTEXT = CheckContext(
    sbom=Sbom("cyclonedx", "1.6", "x", "sha256:0", (COMPONENT,)),
    evidence=Evidence(),
    now=datetime(2026, 3, 24, 18, tzinfo=UTC),
)


def judge(check: type[Check], fact: FactResult, **params: object) -> list[Finding]:
    evidence = ComponentEvidence(COMPONENT.key, {FactKind.CONTENTS: fact})
    model = check.params_model.model_validate(params)
    return list(check().check_component(COMPONENT, evidence, model, CONTEXT))


@pytest.mark.parametrize("check", ARTIFACT_CHECKS, ids=lambda c: c.slug)
def test_contract(check: type[Check]) -> None:
    assert check in CHECKS
    assert check.id.startswith("PE-ART-00")
    assert check.needs == (FactKind.CONTENTS,)
    doc = check.__doc__ or ""
    for section in ("What it checks:", "Why:", "Parameters:", "Example:", "How to fix:"):
        assert section in doc, (check.slug, section)
    with pytest.raises(ValidationError):
        check.params_model.model_validate({"no_such_param": 1})


@pytest.mark.parametrize("check", ARTIFACT_CHECKS, ids=lambda c: c.slug)
@pytest.mark.parametrize(
    "fact",
    [Missing("offline"), Failed("artifact refused: demo.whl: sha256 digest mismatch")],
    ids=["missing", "failed"],
)
def test_missing_or_failed_contents_is_unknown_never_pass(
    check: type[Check], fact: FactResult
) -> None:
    [finding] = judge(check, fact)
    assert finding.status is Status.UNKNOWN
    reason = fact.reason if isinstance(fact, Missing) else fact.error  # type: ignore[union-attr]
    assert reason in finding.message


def test_uncollected_contents_is_unknown() -> None:
    evidence = ComponentEvidence(COMPONENT.key, {})
    params = StartupCodeCheck.params_model()
    [finding] = StartupCodeCheck().check_component(COMPONENT, evidence, params, CONTEXT)
    assert finding.status is Status.UNKNOWN


def _inspect(current: Artifacts, previous: Artifacts) -> FactResult:
    async def go() -> FactResult:
        async with httpx.AsyncClient() as client:
            return await inspect_contents(client, current, previous)

    return asyncio.run(go())


def _release(registry: Registry, version: str, extra: dict[str, bytes]) -> Artifacts:
    files = {"demo/__init__.py": b"VALUE = 1\n", **extra}
    setup_py = b"from setuptools import setup\nsetup(name='demo')\n"
    return Artifacts(
        version,
        (
            registry.add(*wheel("demo", version, files)),
            registry.add(*sdist("demo", version, {"setup.py": setup_py, **files})),
        ),
    )


def test_litellm_like_release_end_to_end() -> None:
    """Real archives over HTTP -> CONTENTS fact -> check outcomes, malicious and clean twin."""
    payload = {
        "demo_init.pth": b'import os; os.getenv("X")\n',
        "demo/_loader.py": b"import base64\nexec(base64.b64decode('b3MuZ2V0ZW52KCJYIik='))\n",
    }
    for registry in serve():
        previous = _release(registry, "1.0", {})
        bad = _inspect(_release(registry, "1.1", payload), previous)
        clean = _inspect(_release(registry, "1.1.post1", {}), previous)
    statuses = {c.slug: [f.status for f in judge(c, bad)] for c in ARTIFACT_CHECKS}
    assert statuses["startup-code"] == [Status.FAIL]
    assert statuses["new-files"] == [Status.FAIL, Status.FAIL]  # the new .pth in wheel and sdist
    assert statuses["suspicious-code"] == [Status.FAIL, Status.FAIL]  # wheel + sdist copy
    assert statuses["install-scripts"] == [Status.PASS]
    assert statuses["unexpected-binaries"] == [Status.PASS]
    [startup] = judge(StartupCodeCheck, bad)
    assert startup.subject == "demo_init.pth"
    assert "line 1" in startup.message
    [code, _] = judge(SuspiciousCodeCheck, bad)
    assert code.observed is not None and isinstance(code.observed, dict)
    assert (code.observed["file"], code.observed["line"]) == ("demo-1.1/demo/_loader.py", 2)
    for check in ARTIFACT_CHECKS:
        assert [f.status for f in judge(check, clean)] == [Status.PASS], check.slug


def test_new_files_patterns_and_count() -> None:
    for registry in serve():
        previous = _release(registry, "1.0", {})
        fact = _inspect(_release(registry, "1.1", {"demo/a.py": b"", "demo/b.py": b""}), previous)
    assert [f.status for f in judge(NewFilesCheck, fact)] == [Status.PASS]
    assert [f.status for f in judge(NewFilesCheck, fact, max_new=1)] == [Status.FAIL]
    failing = judge(NewFilesCheck, fact, fail_patterns=["demo/a.py"])
    assert sorted(f.subject or "" for f in failing) == ["demo/a.py", "demo/a.py"]
    with pytest.raises(ValidationError):
        NewFilesCheck.params_model.model_validate({"max_new": -1})


def test_npm_native_addon_install_hook_and_allowed_command() -> None:
    from tests.enrich.artifacts.builders import npm_tarball

    files = {
        "package.json": b'{"name": "addon", "version": "1.0.0"}',
        "binding.gyp": b"{'targets': []}",
        "index.js": b"module.exports = require('./build/Release/addon.node')\n",
    }
    for registry in serve():
        artifact = registry.add(*npm_tarball("addon", "1.0.0", files))
        fact = _inspect(Artifacts("1.0.0", (artifact,)), Artifacts("0.9.0", ()))
    [finding] = judge(InstallScriptsCheck, fact)
    assert finding.status is Status.FAIL and "node-gyp rebuild" in finding.message
    allowed = judge(InstallScriptsCheck, fact, allow_commands=["node-gyp rebuild"])
    assert [f.status for f in allowed] == [Status.PASS]
    # The previous release listed no files: the comparison is unknown, never a pass.
    assert [f.status for f in judge(NewFilesCheck, fact)] == [Status.UNKNOWN]


def test_sdist_hooks_count_unless_a_pure_wheel_is_preferred() -> None:
    hook = ContentMark("setup-dangerous-call", "demo-1.1/setup.py", 3, "calls os.system()")
    sdist_report = ArtifactReport(
        "demo-1.1.tar.gz", "sdist", "sha256:0", 1, 1, install_hooks=(hook,)
    )
    wheel_report = ArtifactReport("demo-1.1-py3-none-any.whl", "wheel", "sha256:1", 1, 1)
    platform_only = ArtifactContents(
        "1.1",
        (sdist_report,),
        not_inspected=(
            "demo-1.1-cp311-cp311-win_amd64.whl: beyond the limit of 1 files per version",
        ),
    )
    both = ArtifactContents("1.1", (sdist_report, wheel_report))
    source = Source("artifacts")
    assert [f.status for f in judge(InstallScriptsCheck, Ok(both, source))] == [Status.FAIL]
    skip = {"skip_sdist_with_pure_wheel": True}
    assert [f.status for f in judge(InstallScriptsCheck, Ok(both, source), **skip)] == [Status.PASS]
    # A platform wheel does not cover every installer: the sdist still counts.
    assert [f.status for f in judge(InstallScriptsCheck, Ok(platform_only, source), **skip)] == [
        Status.FAIL
    ]
