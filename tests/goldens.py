"""Golden files: compare, or rewrite them when POLICYENGINE_UPDATE_GOLDENS=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

UPDATE = os.environ.get("POLICYENGINE_UPDATE_GOLDENS") == "1"


def check_golden(path: Path, actual: str) -> None:
    """Fail when ``path`` differs from ``actual`` (stale golden); rewrite it in update mode."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path} is missing: run with POLICYENGINE_UPDATE_GOLDENS=1")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{path} is stale: re-run with POLICYENGINE_UPDATE_GOLDENS=1 and review the diff"
    )
