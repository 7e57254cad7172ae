"""PyPI document details that the recordings do not show: PEP 792 status, odd versions."""

from __future__ import annotations

from typing import Any

import pytest

from policyengine.enrich.pypi import _find, _package, _releases
from policyengine.model import Person


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


INFO = {
    "version": "2.0",
    "author": "Jane Doe",
    "author_email": None,
    "maintainer": None,
    "maintainer_email": None,
    "home_page": None,
    "project_urls": {"Source": "https://github.com/jane/x"},
    "classifiers": ["Development Status :: 7 - Inactive", "License :: OSI Approved"],
}


def test_the_latest_release_is_described_and_empty_fields_are_answers() -> None:
    package = _package("x", {"info": INFO}, "2.0")
    assert package.described_version == "2.0"
    assert package.repository == "https://github.com/jane/x"
    assert package.unknown_fields == ()  # maintainer keys are present (null): none given
    assert package.development_status == "7 - Inactive"


def test_absent_keys_are_unknown() -> None:
    stripped = {k: v for k, v in INFO.items() if not k.startswith(("author", "maintainer"))}
    package = _package("x", {"info": stripped}, "2.0")
    assert package.unknown_fields == ("author", "maintainers")
    assert package.author is None


def test_an_older_release_keeps_what_the_latest_names_and_not_its_gaps() -> None:
    info = {**INFO, "author": "UNKNOWN"}
    package = _package("x", {"info": info}, "1.0")
    assert package.described_version == "2.0"
    assert package.repository == "https://github.com/jane/x"
    assert package.unknown_fields == ("homepage", "author", "maintainers")


def test_ownership_roles_are_kept() -> None:
    data = {
        "info": INFO,
        "ownership": {"organization": None, "roles": [{"role": "Owner", "user": "jane"}]},
    }
    assert _package("x", data, "2.0").roles == (("jane", "Owner"),)


def test_no_development_status() -> None:
    assert _package("x", {"info": {**INFO, "classifiers": []}}).development_status is None


def test_project_url_labels_are_compared_as_pep_753_normalises_them() -> None:
    urls = {"Changelog": "https://x.test/c", "Sources": "https://github.com/pytest-dev/pytest-cov"}
    package = _package("pytest-cov", {"info": {**INFO, "project_urls": urls}}, "2.0")
    assert package.repository == "https://github.com/pytest-dev/pytest-cov"
    urls = {"Source-Code": "https://github.com/a/b", "Home Page": "https://a.test"}
    package = _package("x", {"info": {**INFO, "project_urls": urls}}, "2.0")
    assert (package.repository, package.homepage) == ("https://github.com/a/b", "https://a.test")


def test_author_email_with_a_name_names_the_person() -> None:
    info = {**INFO, "author": None, "author_email": "Marc Schlaich <marc.schlaich@gmail.com>"}
    author = _package("pytest-cov", {"info": info}, "2.0").author
    assert author == Person("Marc Schlaich", "marc.schlaich@gmail.com")


def test_a_forge_url_names_the_repository_when_no_label_does() -> None:
    urls = {"Docs": "https://x.readthedocs.io", "Issues": "https://github.com/jane/x.git/issues"}
    package = _package("x", {"info": {**INFO, "project_urls": urls}}, "2.0")
    assert package.repository == "https://github.com/jane/x"
    urls = {"Docs": "https://x.readthedocs.io", "Funding": "https://github.com/sponsors/jane"}
    assert _package("x", {"info": {**INFO, "project_urls": urls}}, "2.0").repository is None
