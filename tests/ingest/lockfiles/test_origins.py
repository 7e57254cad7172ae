"""Git, path and link/file/workspace/portal entries are components of their own origin.

Issue 13 item 6: a local ``sprintf-js@file:./mocks/sprintf-js`` was read as
``pkg:npm/sprintf-js@0.0.0`` and judged on the public package's facts (dependency
confusion); Pipfile.lock's git entries vanished. The reproducers stay here.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from policyengine.checks import registry
from policyengine.engine import evaluate
from policyengine.enrich.core import targets_of
from policyengine.ingest.lockfiles import reader_for
from policyengine.ingest.lockfiles.origins import npm_origin, origin_purl, python_origin
from policyengine.model import Component, Evidence, Origin, Sbom
from policyengine.policy.loader import load_policy
from tests.conftest import corpus_path

V1 = "osv-scanner-v1-pkg-lockfile"
COMMIT = "5e8a5b7b1e9f1b7ff8e3b9b1d8a2f5c4e5b6a7c8"
ROOT = Path(__file__).resolve().parents[3]
NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)


def _read(kind: str, data: bytes, name: str) -> Sbom:
    return reader_for(kind)(data, name, validate=False)


def _corpus(path: str, kind: str) -> Sbom:
    file = corpus_path("lockfiles", *path.split("/"))
    return _read(kind, file.read_bytes(), str(file))


def _by_name(sbom: Sbom) -> dict[str, list[Component]]:
    found: dict[str, list[Component]] = {}
    for c in sbom.components:
        found.setdefault(c.name, []).append(c)
    return found


def _never_a_registry_purl(sbom: Sbom) -> None:
    for c in sbom.components:
        if c.origin is not None:
            assert not (c.purl or "").startswith(("pkg:npm/", "pkg:pypi/")), c
            assert not c.from_registry
    assert all(c.identified for c in sbom.components)


def test_a_yarn_file_dependency_is_a_local_path_not_the_registry_package() -> None:
    sbom = _corpus(f"{V1}/yarn/files.v1.lock", "yarn.lock")
    names = _by_name(sbom)
    (sprintf,) = names["sprintf-js"]
    assert sprintf.origin == Origin("path", "file:./mocks/sprintf-js")
    assert sprintf.purl is None
    assert {c.origin.kind for c in names["etag"] if c.origin} == {"path"}  # link:./deps/etag
    assert next(c for c in names["etag"] if c.origin is None).purl == "pkg:npm/etag@1.8.1"
    _never_a_registry_purl(sbom)
    assert "pkg:npm/sprintf-js@0.0.0" not in {c.purl for c in sbom.components}


@pytest.mark.parametrize(
    ("path", "kind", "name", "purl"),
    [
        (
            f"{V1}/yarn/commits.v1.lock",
            "yarn.lock",
            "bats",
            "pkg:github/bats-core/bats-core@172580d2ce19ee33780b5f1df817bbddced43789",
        ),
        (
            f"{V1}/yarn/commits.v2.lock",
            "yarn.lock",
            "vuejs",
            "pkg:github/vuejs/vue@0948d999f2fddf9f90991956493f976273c5da1f",
        ),
        (
            f"{V1}/npm/commits.v2.json",
            "package-lock.json",
            "slick-carousel",
            "pkg:github/brianfryer/slick@280b560161b751ba226d50c7db1e0a14a78c2de0",
        ),
        (
            f"{V1}/npm/commits.v2.json",
            "package-lock.json",
            "raven-js",
            "pkg:github/getsentry/raven-js@c2b377e7a254264fd4a1fe328e4e3cfc9e245570",
        ),
        (
            f"{V1}/pnpm/commits.yaml",
            "pnpm-lock.yaml",
            "mocks",
            "pkg:github/my-org/mocks@590f321b4eb3f692bb211bd74e22947639a6f79d",
        ),
        (
            "osv-scalibr/python/poetrylock/testdata/source-git.lock",
            "poetry.lock",
            "ike",
            "pkg:github/dzshn/ike@cd66602cd29f61a2d2e7fb995fef1e61708c034d",
        ),
        (
            f"{V1}/pipenv/no-version.json",
            "Pipfile.lock",
            "markupsafe",
            "pkg:github/pallets/markupsafe@b36054111bc1e8bbadb5d0d60158feb72926f467",
        ),
    ],
)
def test_git_entries_are_vcs_components_with_their_commit(
    path: str, kind: str, name: str, purl: str
) -> None:
    sbom = _corpus(path, kind)
    (component,) = _by_name(sbom)[name]
    assert component.purl == purl
    assert component.origin is not None and component.origin.kind == "vcs"
    assert component.origin.pinned
    _never_a_registry_purl(sbom)


def test_pnpm_local_paths_are_identified_path_components() -> None:
    sbom = _corpus(f"{V1}/pnpm/files.yaml", "pnpm-lock.yaml")
    assert sbom.components
    assert all(c.origin is not None and c.origin.kind == "path" for c in sbom.components)
    _never_a_registry_purl(sbom)


def test_a_git_host_other_than_github_gets_a_generic_purl_with_vcs_url() -> None:
    origin = npm_origin(f"git+https://bitbucket.org/o/kit.git#{COMMIT}")
    assert origin == Origin("vcs", "https://bitbucket.org/o/kit.git", COMMIT)
    assert origin_purl("kit", origin) == (
        f"pkg:generic/kit@{COMMIT}?vcs_url=git%2Bhttps://bitbucket.org/o/kit.git%40{COMMIT}"
    )


def test_credentials_in_a_repository_url_are_dropped() -> None:
    origin = npm_origin(f"git+https://token:secret@github.com/o/r.git#{COMMIT}")
    assert origin is not None and "secret" not in origin.location
    assert python_origin("https://user:pw@example.org/x.tar.gz").location == (
        "https://example.org/x.tar.gz"
    )


PIPFILE = b"""{
  "_meta": {"pipfile-spec": 6},
  "default": {
    "six": {"version": "==1.16.0", "hashes": []},
    "myproj": {"editable": true, "path": "."},
    "attrs": {"git": "https://github.com/python-attrs/attrs", "ref": "main"}
  },
  "develop": {}
}"""

UV = f"""version = 1
[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [{{ name = "attrs" }}, {{ name = "lib" }}]

[[package]]
name = "attrs"
version = "23.1.0"
source = {{ git = "https://github.com/python-attrs/attrs?rev=main#{COMMIT}" }}

[[package]]
name = "lib"
version = "1.0.0"
source = {{ directory = "../lib" }}
""".encode()

PDM = f"""[metadata]
lock_version = "4.4"
[[package]]
name = "attrs"
version = "23.1.0"
git = "https://github.com/python-attrs/attrs"
revision = "{COMMIT}"
groups = ["default"]

[[package]]
name = "lib"
version = "1.0.0"
path = "../lib"
groups = ["default"]
""".encode()

BERRY = b"""__metadata:
  version: 6

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    sprintf-js: "file:./mocks/sprintf-js"
    linked: "link:../linked"

"sprintf-js@file:./mocks/sprintf-js::locator=app%40workspace%3A.":
  version: 0.0.0
  resolution: "sprintf-js@file:./mocks/sprintf-js#./mocks/sprintf-js::hash=1&locator=app"

"linked@link:../linked::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "linked@link:../linked::locator=app%40workspace%3A."
"""

REQUIREMENTS = f"""attrs @ git+https://github.com/python-attrs/attrs@{COMMIT}
six @ git+https://github.com/benjaminp/six@main
localpkg @ file:///srv/localpkg
""".encode()


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("Pipfile.lock", PIPFILE, {"six": None, "myproj": "path", "attrs": "vcs"}),
        ("uv.lock", UV, {"attrs": "vcs", "lib": "path"}),
        ("pdm.lock", PDM, {"attrs": "vcs", "lib": "path"}),
        ("yarn.lock", BERRY, {"sprintf-js": "path", "linked": "path"}),
        ("requirements.txt", REQUIREMENTS, {"attrs": "vcs", "six": "vcs", "localpkg": "path"}),
    ],
)
def test_every_lockfile_kind_keeps_its_git_and_path_entries(
    kind: str, data: bytes, expected: dict[str, str | None]
) -> None:
    sbom = _read(kind, data, kind)
    found = {c.name: (c.origin.kind if c.origin else None) for c in sbom.components}
    assert found == expected
    _never_a_registry_purl(sbom)
    assert set(targets_of(sbom.components)) == {c.key for c in sbom.components if c.origin is None}


def _verdict_rows(sbom: Sbom, policy: str) -> dict[tuple[str, str], str]:
    loaded = load_policy(ROOT / "policies" / policy, checks=registry.CHECKS)
    verdict = evaluate(sbom, Evidence(components={}), loaded, NOW)
    return {
        (r.rule, r.component.name): r.outcome for r in verdict.results if r.component is not None
    }


def test_registry_rules_do_not_judge_a_local_package_by_the_public_one() -> None:
    sbom = _read("yarn.lock", BERRY, "yarn.lock")
    rows = _verdict_rows(sbom, "baseline.yaml")
    # No registry rule answers for sprintf-js (not_applicable): before, every one of them
    # looked up the public sprintf-js@0.0.0 and said "removed from the registry"/unknown.
    assert not [key for key in rows if key[1] == "sprintf-js"]


def test_a_full_commit_pins_and_a_branch_does_not() -> None:
    sbom = _read("requirements.txt", REQUIREMENTS, "requirements.txt")
    rows = _verdict_rows(sbom, "release-gate.yaml")
    pinning = {name: outcome for (rule, name), outcome in rows.items() if "pin" in rule}
    assert pinning == {"attrs": "pass", "six": "fail", "localpkg": "pass"}
