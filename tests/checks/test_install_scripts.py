from __future__ import annotations

from pathlib import Path

import pytest

from policyengine.checks.install_scripts import InstallScriptsCheck
from tests.checks.contents_cases import assert_case, case_folders


@pytest.mark.parametrize("folder", case_folders("install-scripts"), ids=lambda p: p.name)
def test_case(folder: Path) -> None:
    assert_case(folder, InstallScriptsCheck)
