from __future__ import annotations

from pathlib import Path

import pytest

from policyengine.checks.startup_code import StartupCodeCheck
from tests.checks.contents_cases import assert_case, assert_engine_case, case_folders


@pytest.mark.parametrize("folder", case_folders("startup-code"), ids=lambda p: p.name)
def test_case(folder: Path) -> None:
    assert_case(folder, StartupCodeCheck)


@pytest.mark.parametrize("folder", case_folders("startup-code"), ids=lambda p: p.name)
def test_case_through_the_engine(folder: Path) -> None:
    assert_engine_case(folder)
