from __future__ import annotations

from pathlib import Path

import pytest

from policyengine.checks.suspicious_code import SuspiciousCodeCheck
from tests.checks.contents_cases import assert_case, assert_engine_case, case_folders


@pytest.mark.parametrize("folder", case_folders("suspicious-code"), ids=lambda p: p.name)
def test_case(folder: Path) -> None:
    assert_case(folder, SuspiciousCodeCheck)


@pytest.mark.parametrize("folder", case_folders("suspicious-code"), ids=lambda p: p.name)
def test_case_through_the_engine(folder: Path) -> None:
    assert_engine_case(folder)
