from __future__ import annotations

from pathlib import Path

import pytest

from policyengine.checks.startup_code import StartupCodeCheck
from policyengine.model import ArtifactContents, ArtifactReport, FactKind, PthFile, Status
from tests.checks.contents_cases import assert_case, assert_engine_case, case_folders
from tests.checks.factories import component, ok, run


@pytest.mark.parametrize("folder", case_folders("startup-code"), ids=lambda p: p.name)
def test_case(folder: Path) -> None:
    assert_case(folder, StartupCodeCheck)


@pytest.mark.parametrize("folder", case_folders("startup-code"), ids=lambda p: p.name)
def test_case_through_the_engine(folder: Path) -> None:
    assert_engine_case(folder)


def _report(filename: str, pth: PthFile) -> ArtifactReport:
    return ArtifactReport(filename, "wheel", "sha256:" + "0" * 64, 1, 1, pth_files=(pth,))


def test_one_file_in_several_wheels_is_one_failure_naming_them_all() -> None:
    pth = PthFile("evil.pth", True, (1,), "import os", sha256="ab" * 32)
    wheels = ("demo-1-cp311-cp311-manylinux_x86_64.whl", "demo-1-py3-none-any.whl")
    contents = ArtifactContents("1", tuple(_report(w, pth) for w in wheels))
    facts = {FactKind.CONTENTS: ok(contents)}
    [finding] = run(StartupCodeCheck(), component("demo", "1"), facts)
    assert finding.status is Status.FAIL and "and 1 more" in finding.message
    assert isinstance(finding.observed, dict) and finding.observed["artifacts"] == list(wheels)
    # Another content under the same name is another finding.
    other = PthFile("evil.pth", True, (1,), "import sys", sha256="cd" * 32)
    contents = ArtifactContents("1", (_report(wheels[0], pth), _report(wheels[1], other)))
    facts = {FactKind.CONTENTS: ok(contents)}
    assert len(run(StartupCodeCheck(), component("demo", "1"), facts)) == 2
