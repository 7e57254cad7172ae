"""npm packument details the recordings do not show: per-version manifests, stripped fields."""

from __future__ import annotations

from typing import Any

from policyengine.enrich.npm import _package
from policyengine.model import Person

# gensync as the mirror serves it: no top-level author/repository/maintainers, no
# per-version maintainers, and a "latest" tag on an unrelated 2016 release.
GENSYNC: dict[str, Any] = {
    "name": "gensync",
    "dist-tags": {"latest": "0.1.0"},
    "versions": {
        "0.1.0": {"name": "gensync", "version": "0.1.0", "author": "oakfang"},
        "1.0.0-beta.2": {
            "name": "gensync",
            "version": "1.0.0-beta.2",
            "author": "Logan Smyth <loganfsmyth@gmail.com>",
            "repository": {"type": "git", "url": "https://github.com/loganfsmyth/gensync.git"},
            "homepage": "https://github.com/loganfsmyth/gensync",
        },
    },
}


def test_the_installed_versions_manifest_is_read_not_the_latest_tags() -> None:
    package = _package("gensync", GENSYNC, "1.0.0-beta.2")
    assert package.described_version == "1.0.0-beta.2"
    assert package.author == Person("Logan Smyth", "loganfsmyth@gmail.com")
    assert package.repository == "https://github.com/loganfsmyth/gensync.git"
    assert package.homepage == "https://github.com/loganfsmyth/gensync"
    latest = _package("gensync", GENSYNC, "0.1.0")
    assert latest.author == Person("oakfang") and latest.repository is None


def test_stripped_maintainers_are_unknown_and_empty_ones_are_not() -> None:
    assert _package("gensync", GENSYNC, "0.1.0").unknown_fields == ("maintainers",)
    with_top = {**GENSYNC, "maintainers": [{"name": "loganfsmyth"}]}
    package = _package("gensync", with_top, "0.1.0")
    assert package.unknown_fields == () and package.maintainers == (Person("loganfsmyth"),)
    manifest = {**GENSYNC["versions"]["0.1.0"], "maintainers": []}
    empty = {**GENSYNC, "versions": {"0.1.0": manifest}}
    assert _package("gensync", empty, "0.1.0").unknown_fields == ()


def test_a_removed_version_has_only_package_level_fields() -> None:
    package = _package("gensync", {**GENSYNC, "repository": "loganfsmyth/gensync"}, "9.9.9")
    assert package.described_version is None
    assert package.repository == "loganfsmyth/gensync"
    assert package.unknown_fields == ("homepage", "author", "maintainers")


def test_a_deprecated_latest_is_no_project_status() -> None:
    # npm deprecates versions: the installed version's own flag is in the release history.
    versions = {
        "1.0.0": {"version": "1.0.0"},
        "2.0.0": {"version": "2.0.0", "deprecated": "published by mistake, use 1.0.0"},
    }
    data = {"name": "x", "dist-tags": {"latest": "2.0.0"}, "versions": versions}
    assert _package("x", data, "1.0.0").status is None
    gone = {"name": "x", "versions": {}, "time": {"unpublished": {"time": "2026-01-01"}}}
    assert _package("x", gone, "1.0.0").status == "unpublished"
