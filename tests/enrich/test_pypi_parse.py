"""PyPI document details that the recordings do not show: PEP 792 status, odd versions."""

from __future__ import annotations

from typing import Any

import pytest

from policyengine.enrich.pypi import _find, _package, _releases


@pytest.mark.parametrize(
    "data",
    [
        {"info": {"project_status": {"status": "quarantined", "reason": "malware"}}},
        {"info": {}, "project-status": {"status": "quarantined", "reason": "malware"}},
    ],
)
def test_pep792_status(data: dict[str, Any]) -> None:
    package = _package("litellm", data)
    assert (package.status, package.status_reason) == ("quarantined", "malware")


def test_no_status_is_none() -> None:
    assert _package("x", {"info": {}}).status is None


def test_release_lookup_by_pep440_equality_and_empty_releases() -> None:
    history = _releases(
        {
            "1.0.0": [{"upload_time_iso_8601": "2026-01-01T00:00:00Z", "yanked": False}],
            "2.0": [],
        }
    )
    found = _find(history, "1.0")
    assert found is not None and found[0].version == "1.0.0"
    assert _find(history, "3.0") is None
    empty = _find(history, "2.0")
    assert empty is not None and empty[0].published_at is None and not empty[0].yanked
    assert [r.version for r, _ in history] == ["1.0.0", "2.0"]  # files-less release last
