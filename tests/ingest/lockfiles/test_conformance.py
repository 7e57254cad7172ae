"""Conformance against the osv-scanner / osv-scalibr lockfile fixtures (../shared/corpus/lockfiles).

Expected package lists are transcribed from those projects' Go tests (osv-scanner v1
``pkg/lockfile/parse-*_test.go`` at 5058d477, osv-scalibr
``extractor/filesystem/language/{python,javascript}/*/*_test.go``), as the set of
distinct (name, version) pairs: our model merges two lock entries with the same
name and version (osv-scanner keeps one per commit). Deliberate differences are
listed in ``DIVERGENCES`` with the reason; fixtures we do not support in
``UNSUPPORTED``.
"""

from __future__ import annotations

import pytest

from policyengine.ingest import read_input
from policyengine.ingest.lockfiles import reader_for
from policyengine.model import InputError
from tests.conftest import corpus_path

V1 = "osv-scanner-v1-pkg-lockfile"
SC = "osv-scalibr"

# (fixture, reader kind, expected distinct (name, version) pairs), from the Go tests.
EXPECTED: list[tuple[str, str, set[tuple[str, str | None]]]] = [
    # parse-poetry-lock_test.go
    (f"{V1}/poetry/empty.lock", "poetry.lock", set()),
    (f"{V1}/poetry/one-package.lock", "poetry.lock", {("numpy", "1.23.3")}),
    (
        f"{V1}/poetry/two-packages.lock",
        "poetry.lock",
        {("proto-plus", "1.22.0"), ("protobuf", "4.21.5")},
    ),
    (f"{V1}/poetry/one-package-with-metadata.lock", "poetry.lock", {("emoji", "2.0.0")}),
    (f"{V1}/poetry/source-git.lock", "poetry.lock", {("ike", "0.2.0")}),
    (f"{V1}/poetry/source-legacy.lock", "poetry.lock", {("appdirs", "1.4.4")}),
    (f"{V1}/poetry/optional-package.lock", "poetry.lock", {("numpy", "1.23.3")}),
    # parse-pipenv-lock_test.go
    (f"{V1}/pipenv/empty.json", "Pipfile.lock", set()),
    (f"{V1}/pipenv/one-package.json", "Pipfile.lock", {("markupsafe", "2.1.1")}),
    (f"{V1}/pipenv/one-package-dev.json", "Pipfile.lock", {("markupsafe", "2.1.1")}),
    (
        f"{V1}/pipenv/two-packages.json",
        "Pipfile.lock",
        {("itsdangerous", "2.1.2"), ("markupsafe", "2.1.1")},
    ),
    (
        f"{V1}/pipenv/two-packages-alt.json",
        "Pipfile.lock",
        {("itsdangerous", "2.1.2"), ("markupsafe", "2.1.1")},
    ),
    (
        f"{V1}/pipenv/multiple-packages.json",
        "Pipfile.lock",
        {
            ("itsdangerous", "2.1.2"),
            ("pluggy", "1.0.1"),
            ("pluggy", "1.0.0"),
            ("markupsafe", "2.1.1"),
        },
    ),
    # Git entries are kept as VCS components (issue 13 item 6), never dropped.
    (
        f"{V1}/pipenv/no-version.json",
        "Pipfile.lock",
        {("markupsafe", None), ("itsdangerous", None)},
    ),
    # parse-pdm-lock_test.go
    (f"{V1}/pdm/empty.toml", "pdm.lock", set()),
    (f"{V1}/pdm/single-package.toml", "pdm.lock", {("toml", "0.10.2")}),
    (f"{V1}/pdm/two-packages.toml", "pdm.lock", {("toml", "0.10.2"), ("six", "1.16.0")}),
    (
        f"{V1}/pdm/dev-dependency.toml",
        "pdm.lock",
        {("toml", "0.10.2"), ("pyroute2", "0.7.11"), ("win-inet-pton", "1.1.0")},
    ),
    (
        f"{V1}/pdm/optional-dependency.toml",
        "pdm.lock",
        {("toml", "0.10.2"), ("pyroute2", "0.7.11"), ("win-inet-pton", "1.1.0")},
    ),
    (f"{V1}/pdm/git-dependency.toml", "pdm.lock", {("toml", "0.10.2")}),
    # uvlock_test.go (osv-scalibr)
    (f"{SC}/python/uvlock/testdata/no-packages.lock", "uv.lock", set()),
    (f"{SC}/python/uvlock/testdata/one-package.lock", "uv.lock", {("emoji", "2.14.0")}),
    (
        f"{SC}/python/uvlock/testdata/two-packages.lock",
        "uv.lock",
        {("emoji", "2.14.0"), ("protobuf", "4.25.5")},
    ),
    (f"{SC}/python/uvlock/testdata/source-git.lock", "uv.lock", {("ruff", "0.8.1")}),
    (
        f"{SC}/python/uvlock/testdata/grouped-packages.lock",
        "uv.lock",
        {
            ("emoji", "2.14.0"),
            ("click", "8.1.7"),
            ("colorama", "0.4.6"),
            ("black", "24.10.0"),
            ("flake8", "7.1.1"),
            ("mccabe", "0.7.0"),
            ("mypy-extensions", "1.0.0"),
            ("packaging", "24.2"),
            ("pathspec", "0.12.1"),
            ("platformdirs", "4.3.6"),
            ("pycodestyle", "2.12.1"),
            ("pyflakes", "3.2.0"),
            ("tomli", "2.2.1"),
            ("typing-extensions", "4.12.2"),
        },
    ),
    # parse-requirements-txt_test.go: exact pins only (see DIVERGENCES for the others)
    (f"{V1}/pip/empty.txt", "requirements.txt", set()),
    (f"{V1}/pip/only-comments.txt", "requirements.txt", set()),
    (f"{V1}/pip/one-package-constrained.txt", "requirements.txt", {("django", "2.2.24")}),
    (
        f"{V1}/pip/multiple-packages-constrained.txt",
        "requirements.txt",
        {
            ("astroid", "2.5.1"),
            ("beautifulsoup4", "4.9.3"),
            ("boto3", "1.17.19"),
            ("botocore", "1.20.19"),
            ("certifi", "2020.12.5"),
            ("chardet", "4.0.0"),
            ("circus", "0.17.1"),
            ("click", "7.1.2"),
            ("django-debug-toolbar", "3.2.1"),
            ("django-filter", "2.4.0"),
            ("django-nose", "1.4.7"),
            ("django-storages", "1.11.1"),
            ("django", "2.2.24"),
        },
    ),
    (f"{V1}/pip/with-added-support.txt", "requirements.txt", {("twisted", "20.3.0")}),
    (
        f"{V1}/pip/non-normalized-names.txt",
        "requirements.txt",
        {("zope-interface", "5.4.0"), ("pillow", "1.0.0"), ("twisted", "20.3.0")},
    ),
    # parse-npm-lock-v2_test.go
    (f"{V1}/npm/empty.v2.json", "package-lock.json", set()),
    (
        f"{V1}/npm/scoped-packages.v2.json",
        "package-lock.json",
        {("wrappy", "1.0.2"), ("@babel/code-frame", "7.0.0")},
    ),
    (
        f"{V1}/npm/nested-dependencies.v2.json",
        "package-lock.json",
        {
            ("postcss", "6.0.23"),
            ("postcss", "7.0.16"),
            ("postcss-calc", "7.0.1"),
            ("supports-color", "6.1.0"),
            ("supports-color", "5.5.0"),
        },
    ),
    (
        f"{V1}/npm/nested-dependencies-dup.v2.json",
        "package-lock.json",
        {("supports-color", "6.1.0"), ("supports-color", "2.0.0")},
    ),
    (
        f"{V1}/npm/alias.v2.json",
        "package-lock.json",
        {("@babel/code-frame", "7.0.0"), ("string-width", "4.2.0"), ("string-width", "5.1.2")},
    ),
    (
        f"{V1}/npm/optional-package.v2.json",
        "package-lock.json",
        {("wrappy", "1.0.2"), ("supports-color", "5.5.0")},
    ),
    # parse-yarn-lock-v1_test.go
    (f"{V1}/yarn/empty.v1.lock", "yarn.lock", set()),
    (
        f"{V1}/yarn/multiple-constraints.v1.lock",
        "yarn.lock",
        {("@babel/code-frame", "7.12.13"), ("domelementtype", "1.3.1")},
    ),
    (
        f"{V1}/yarn/scoped-packages.v1.lock",
        "yarn.lock",
        {("@babel/code-frame", "7.12.11"), ("@babel/compat-data", "7.14.0")},
    ),
    (
        f"{V1}/yarn/with-prerelease.v1.lock",
        "yarn.lock",
        {
            ("css-tree", "1.0.0-alpha.37"),
            ("gensync", "1.0.0-beta.2"),
            ("node-fetch", "3.0.0-beta.9"),
            ("resolve", "1.20.0"),
            ("resolve", "2.0.0-next.3"),
        },
    ),
    (
        f"{V1}/yarn/with-build-string.v1.lock",
        "yarn.lock",
        {("domino", "2.1.6+git"), ("tslib", "2.6.2")},
    ),
    (
        f"{V1}/yarn/commits.v1.lock",
        "yarn.lock",
        {
            ("mine1", "1.0.0-alpha.37"),
            ("mine2", "0.0.1"),
            ("mine3", "1.2.3"),
            ("mine4", "0.0.2"),
            ("mine4", "0.0.4"),
            ("my-package", "1.8.3"),
            ("@bower_components/angular-animate", "1.4.14"),
            ("@bower_components/alertify", "0.0.0"),
            ("minimist", "0.0.8"),
            ("bats-assert", "2.0.0"),
            ("bats-support", "0.3.0"),
            ("bats", "1.5.0"),
            ("vue", "2.6.12"),
            ("kit", "1.0.0"),
            ("casadistance", "1.0.0"),
            ("babel-preset-php", "1.1.1"),
            ("is-number", "2.0.0"),
            ("is-number", "5.0.0"),
        },
    ),
    (
        f"{V1}/yarn/files.v1.lock",
        "yarn.lock",
        {
            ("etag", "1.8.1"),
            ("filedep", "1.2.0"),
            ("lodash", "1.3.1"),
            ("other_package", "0.0.2"),
            ("sprintf-js", "0.0.0"),
            ("etag", "1.8.0"),
        },
    ),
    (
        f"{V1}/yarn/with-aliases.v1.lock",
        "yarn.lock",
        {
            ("@babel/helper-validator-identifier", "7.22.20"),
            ("ansi-regex", "6.0.1"),
            ("ansi-regex", "5.0.1"),
        },
    ),
    # parse-pnpm-lock-v9_test.go
    (
        f"{V1}/pnpm/peer-dependencies.v9.yaml",
        "pnpm-lock.yaml",
        {("acorn-jsx", "5.3.2"), ("acorn", "8.11.3")},
    ),
    (
        f"{V1}/pnpm/peer-dependencies-advanced.v9.yaml",
        "pnpm-lock.yaml",
        {
            ("@eslint-community/eslint-utils", "4.4.0"),
            ("@eslint/eslintrc", "2.1.4"),
            ("@typescript-eslint/eslint-plugin", "5.62.0"),
            ("@typescript-eslint/parser", "5.62.0"),
            ("@typescript-eslint/type-utils", "5.62.0"),
            ("@typescript-eslint/typescript-estree", "5.62.0"),
            ("@typescript-eslint/utils", "5.62.0"),
            ("debug", "4.3.4"),
            ("eslint", "8.57.0"),
            ("has-flag", "4.0.0"),
            ("supports-color", "7.2.0"),
            ("tsutils", "3.21.0"),
            ("typescript", "4.9.5"),
        },
    ),
    (
        f"{V1}/pnpm/multiple-versions.v9.yaml",
        "pnpm-lock.yaml",
        {("uuid", "8.0.0"), ("uuid", "8.3.2"), ("xmlbuilder", "11.0.1")},
    ),
    (
        f"{V1}/pnpm/commits.v9.yaml",
        "pnpm-lock.yaml",
        {("ansi-regex", "6.0.1"), ("is-number", "7.0.0")},
    ),
    (
        f"{V1}/pnpm/mixed-groups.v9.yaml",
        "pnpm-lock.yaml",
        {("ansi-regex", "5.0.1"), ("uuid", "8.3.2"), ("is-number", "7.0.0")},
    ),
    # parse-npm-lock-v1_test.go
    (f"{V1}/npm/empty.v1.json", "package-lock.json", set()),
    (
        f"{V1}/npm/alias.v1.json",
        "package-lock.json",
        {("@babel/code-frame", "7.0.0"), ("string-width", "4.2.0"), ("string-width", "5.1.2")},
    ),
    (
        f"{V1}/npm/optional-package.v1.json",
        "package-lock.json",
        {("wrappy", "1.0.2"), ("supports-color", "5.5.0")},
    ),
    (
        f"{V1}/npm/files.v1.json",
        "package-lock.json",
        {("lodash", "1.3.1"), ("other_package", None)},
    ),
    # parse-yarn-lock-v2_test.go (Berry)
    (
        f"{V1}/yarn/two-packages.v2.lock",
        "yarn.lock",
        {("compare-func", "2.0.0"), ("concat-map", "0.0.1")},
    ),
    (
        f"{V1}/yarn/with-quotes.v2.lock",
        "yarn.lock",
        {("compare-func", "2.0.0"), ("concat-map", "0.0.1")},
    ),
    (
        f"{V1}/yarn/multiple-versions.v2.lock",
        "yarn.lock",
        {("debug", "4.3.3"), ("debug", "2.6.9"), ("debug", "3.2.7")},
    ),
    (
        f"{V1}/yarn/scoped-packages.v2.lock",
        "yarn.lock",
        {
            ("@babel/cli", "7.16.8"),
            ("@babel/code-frame", "7.16.7"),
            ("@babel/compat-data", "7.16.8"),
        },
    ),
    (
        f"{V1}/yarn/commits.v2.lock",
        "yarn.lock",
        {
            ("@my-scope/my-first-package", "0.0.6"),
            ("my-second-package", "0.2.2"),
            ("@typegoose/typegoose", "7.2.0"),
            ("vuejs", "2.5.0"),
            ("my-third-package", "0.16.1-dev"),
            ("my-node-sdk", "1.1.0"),
            ("is-really-great", "1.0.0"),
        },
    ),
    (f"{V1}/yarn/files.v2.lock", "yarn.lock", {("my-package", "0.0.2")}),
    # pylock_test.go (osv-scalibr)
    (
        f"{SC}/python/pylock/testdata/example.toml",
        "pylock.toml",
        {("attrs", "25.1.0"), ("cattrs", "24.1.2"), ("numpy", "2.2.3")},
    ),
    (
        f"{SC}/python/pylock/testdata/commits.toml",
        "pylock.toml",
        {
            ("click", "8.2.1"),
            ("mleroc", "0.1.0"),
            ("packaging", "24.2"),
            ("pathspec", "0.12.1"),
            ("python-dateutil", "2.9.0.post0"),
            ("scikit-learn", "1.6.1"),
            ("tqdm", "4.67.1"),
        },
    ),
    (f"{SC}/python/pylock/testdata/pip-just-self.toml", "pylock.toml", set()),
    (
        f"{SC}/python/pylock/testdata/pip-full.toml",
        "pylock.toml",
        {
            ("annotated-types", "0.7.0"),
            ("packaging", "25.0"),
            ("pyproject-toml", "0.1.0"),
            ("setuptools", "80.9.0"),
            ("wheel", "0.45.1"),
        },
    ),
    (
        f"{SC}/python/pylock/testdata/pdm-full.toml",
        "pylock.toml",
        {
            ("certifi", "2025.1.31"),
            ("chardet", "3.0.4"),
            ("charset-normalizer", "2.0.12"),
            ("colorama", "0.3.9"),
            ("idna", "2.7"),
            ("py", "1.4.34"),
            ("pytest", "3.2.5"),
            ("requests", "2.27.1"),
            ("setuptools", "39.2.0"),
            ("urllib3", "1.26.20"),
        },
    ),
]

# Fixtures whose expectation we deliberately do not share, with the reason.
DIVERGENCES: dict[str, tuple[str, set[tuple[str, str | None]]]] = {
    # Yarn Berry workspace entries ("name@workspace:.", version 0.0.0-use.local) are the
    # project itself; osv-scanner lists them, we leave them out as for npm workspaces.
    f"{V1}/yarn/with-prerelease.v2.lock": (
        "yarn.lock",
        {("@nicolo-ribaudo/chokidar-2", "2.1.8-no-fsevents.3"), ("gensync", "1.0.0-beta.2")},
    ),
    f"{V1}/yarn/with-build-string.v2.lock": (
        "yarn.lock",
        {("domino", "2.1.6+git"), ("tslib", "2.6.2")},
    ),
    f"{V1}/yarn/with-aliases.v2.lock": (
        "yarn.lock",
        {
            ("@babel/helper-validator-identifier", "7.22.20"),
            ("ansi-regex", "6.0.1"),
            ("ansi-regex", "5.0.1"),
        },
    ),
    # osv-scanner reports unconstrained requirements as version "0.0.0" and a range's
    # lower bound as its version; a requirements file locks neither, so we report no
    # version (the component is unidentified and says why).
    f"{V1}/pip/one-package-unconstrained.txt": ("requirements.txt", {("flask", None)}),
    f"{V1}/pip/multiple-packages-mixed.txt": (
        "requirements.txt",
        {
            ("flask", None),
            ("flask-cors", None),
            ("pandas", "0.23.4"),
            ("numpy", "1.16.0"),
            ("scikit-learn", "0.20.1"),
            ("sklearn", None),
            ("requests", None),
            ("gevent", None),
        },
    ),
    # The "deps/etag" entry (etag 1.8.0) is a local folder (file:./deps/etag): the
    # project's own code, not a registry package, so it is left out.
    # pip's join_lines strips every trailing backslash before joining, so "bar == 4.5\\\\"
    # followed by ".6" is 4.5.6 to pip; osv-scanner keeps the backslashes.
    f"{V1}/pip/line-continuation.txt": (
        "requirements.txt",
        {("foo", "1.2.3"), ("bar", "4.5.6"), ("baz", "7.8.9"), ("qux", "10.11.12")},
    ),
    f"{V1}/npm/files.v2.json": ("package-lock.json", {("abbrev", "1.0.9"), ("abbrev", "2.3.4")}),
}

# Inputs that must be refused with exit 3 (InputError), with the line where known.
MALFORMED: list[tuple[str, str, int | None]] = [
    (f"{V1}/poetry/not-toml.txt", "poetry.lock", 1),
    (f"{V1}/pdm/not-toml.txt", "pdm.lock", 1),
    (f"{V1}/pipenv/not-json.txt", "Pipfile.lock", 1),
    (f"{V1}/npm/not-json.txt", "package-lock.json", 1),
    (f"{V1}/pnpm/not-yaml.txt", "pnpm-lock.yaml", None),
    (f"{SC}/python/uvlock/testdata/not-toml.txt", "uv.lock", 1),
    (f"{SC}/python/pylock/testdata/not-toml.txt", "pylock.toml", 1),
    (f"{SC}/python/pyprojecttoml/testdata/malformed.toml", "pyproject.toml", None),
    (f"{SC}/javascript/packagejson/testdata/invalid", "package.json", 8),
    # requirements lines pip itself refuses (osv tools skip them silently; a gate must not)
    (f"{SC}/python/requirements/testdata/invalid.txt", "requirements.txt", 1),
    (f"{SC}/python/requirements/testdata/per_req_options.txt", "requirements.txt", 13),
    (f"{SC}/python/requirements/testdata/env_var.txt", "requirements.txt", 2),
    (f"{V1}/pip/with-bad-r-option.txt", "requirements.txt", 3),
]

UNSUPPORTED = {
    f"{SC}/javascript/bunlock": "bun.lock is not in scope for this issue",
    f"{SC}/javascript/packagejson": "scalibr reads package.json as the package it describes "
    "(installed node_modules); we read it as a manifest of declared dependencies",
    f"{SC}/python/pyprojecttoml": "scalibr's expectations are per-extractor metadata; "
    "pyproject.toml is covered by tests/ingest/lockfiles/test_manifests.py",
}


def _pairs(path: str, kind: str) -> set[tuple[str, str | None]]:
    file = corpus_path("lockfiles", *path.split("/"))
    sbom = reader_for(kind)(file.read_bytes(), str(file), validate=False)
    assert sbom.format in (kind, "npm-shrinkwrap.json")
    assert all(
        c.ecosystem == ("npm" if "json" in kind or "yarn" in kind or "pnpm" in kind else "pypi")
        for c in sbom.components
    )
    return {(c.name, c.version) for c in sbom.components}


@pytest.mark.parametrize(("path", "kind", "expected"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_expected_packages(path: str, kind: str, expected: set[tuple[str, str | None]]) -> None:
    assert _pairs(path, kind) == expected


@pytest.mark.parametrize("path", sorted(DIVERGENCES))
def test_documented_divergences(path: str) -> None:
    kind, expected = DIVERGENCES[path]
    assert _pairs(path, kind) == expected


@pytest.mark.parametrize(("path", "kind", "line"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_inputs_are_input_errors(path: str, kind: str, line: int | None) -> None:
    file = corpus_path("lockfiles", *path.split("/"))
    with pytest.raises(InputError) as info:
        reader_for(kind)(file.read_bytes(), str(file), validate=False)
    assert info.value.exit_code == 3
    assert info.value.position is not None and info.value.position.file == str(file)
    if line is not None:
        assert info.value.position.line == line
    assert "\n" not in info.value.one_line()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (f"{V1}/poetry/two-packages.lock", "poetry.lock"),
        (f"{V1}/pipenv/two-packages.json", "Pipfile.lock"),
        (f"{V1}/pdm/two-packages.toml", "pdm.lock"),
        (f"{SC}/python/uvlock/testdata/two-packages.lock", "uv.lock"),
        (f"{SC}/python/pylock/testdata/example.toml", "pylock.toml"),
        (f"{V1}/npm/two-packages.v1.json", "package-lock.json"),
        (f"{V1}/npm/two-packages.v2.json", "package-lock.json"),
        (f"{V1}/yarn/two-packages.v1.lock", "yarn.lock"),
        (f"{V1}/yarn/two-packages.v2.lock", "yarn.lock"),
        (f"{V1}/pnpm/one-package.yaml", "pnpm-lock.yaml"),
        (f"{V1}/pnpm/one-package-v6-lockfile.yaml", "pnpm-lock.yaml"),
        (f"{V1}/pnpm/one-package.v9.yaml", "pnpm-lock.yaml"),
    ],
)
def test_detected_by_content(path: str, kind: str) -> None:
    """The fixtures have generic names, so these are recognised by their content alone."""
    file = corpus_path("lockfiles", *path.split("/"))
    assert read_input(file).format == kind


def test_not_json_through_read_input_is_exit_3(run_cli) -> None:  # type: ignore[no-untyped-def]
    file = corpus_path("lockfiles", V1, "npm", "not-json.txt")
    code, out, err = run_cli("inspect", str(file))
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err


# Line numbers from the Go tests (models.Position Start) for the formats that record them.
LINES: list[tuple[str, str, dict[tuple[str, str], int]]] = [
    (
        f"{V1}/npm/scoped-packages.v2.json",
        "package-lock.json",
        {("wrappy", "1.0.2"): 18, ("@babel/code-frame", "7.0.0"): 10},
    ),
    (
        f"{V1}/npm/nested-dependencies.v2.json",
        "package-lock.json",
        {
            ("postcss", "6.0.23"): 10,
            ("postcss", "7.0.16"): 34,
            ("postcss-calc", "7.0.1"): 23,
            ("supports-color", "6.1.0"): 47,
            ("supports-color", "5.5.0"): 58,
        },
    ),
    (
        f"{V1}/npm/alias.v1.json",
        "package-lock.json",
        {
            ("@babel/code-frame", "7.0.0"): 5,
            ("string-width", "4.2.0"): 23,
            ("string-width", "5.1.2"): 13,
        },
    ),
    (
        f"{V1}/pipenv/multiple-packages.json",
        "Pipfile.lock",
        {
            ("itsdangerous", "2.1.2"): 19,
            ("pluggy", "1.0.1"): 27,
            ("pluggy", "1.0.0"): 88,
            ("markupsafe", "2.1.1"): 32,
        },
    ),
]


@pytest.mark.parametrize(("path", "kind", "lines"), LINES, ids=[e[0] for e in LINES])
def test_line_numbers(path: str, kind: str, lines: dict[tuple[str, str], int]) -> None:
    file = corpus_path("lockfiles", *path.split("/"))
    sbom = reader_for(kind)(file.read_bytes(), str(file), validate=False)
    found = {
        (c.name, c.version or ""): c.location.line if c.location else None for c in sbom.components
    }
    assert found == lines


# Dependency groups from the Go tests (DepGroups), in our scope words.
SCOPES: list[tuple[str, str, dict[str, str | None]]] = [
    (f"{V1}/pipenv/one-package-dev.json", "Pipfile.lock", {"markupsafe": "excluded"}),
    (f"{V1}/poetry/optional-package.lock", "poetry.lock", {"numpy": "optional"}),
    (
        f"{V1}/pdm/dev-dependency.toml",
        "pdm.lock",
        {"toml": "required", "pyroute2": "excluded", "win-inet-pton": "excluded"},
    ),
    (
        f"{V1}/pdm/optional-dependency.toml",
        "pdm.lock",
        {"toml": "required", "pyroute2": "optional", "win-inet-pton": "optional"},
    ),
    # dev+optional is development-only: it is never installed in production
    (
        f"{V1}/npm/optional-package.v1.json",
        "package-lock.json",
        {"wrappy": "excluded", "supports-color": "optional"},
    ),
    (
        f"{V1}/npm/optional-package.v2.json",
        "package-lock.json",
        {"wrappy": "optional", "supports-color": "excluded"},
    ),
    (
        f"{V1}/pnpm/mixed-groups.v9.yaml",
        "pnpm-lock.yaml",
        {"ansi-regex": "required", "uuid": "optional", "is-number": "excluded"},
    ),
    (
        f"{V1}/pnpm/mixed-groups.v6.yaml",
        "pnpm-lock.yaml",
        {"ansi-regex": "required", "uuid": "optional", "is-number": "excluded"},
    ),
]


@pytest.mark.parametrize(("path", "kind", "scopes"), SCOPES, ids=[e[0] for e in SCOPES])
def test_scopes(path: str, kind: str, scopes: dict[str, str | None]) -> None:
    file = corpus_path("lockfiles", *path.split("/"))
    sbom = reader_for(kind)(file.read_bytes(), str(file), validate=False)
    assert {c.name: c.scope for c in sbom.components} == scopes


def test_pnpm_v5_fixtures() -> None:
    """parse-pnpm-lock_test.go: multiple-versions, tarball and exotic (lockfileVersion 5.x)."""
    assert _pairs(f"{V1}/pnpm/multiple-versions.yaml", "pnpm-lock.yaml") == {
        ("uuid", "3.3.2"),
        ("uuid", "8.3.2"),
        ("xmlbuilder", "9.0.7"),
    }
    file = corpus_path("lockfiles", V1, "pnpm", "tarball.yaml")
    (tarball,) = reader_for("pnpm-lock.yaml")(file.read_bytes(), str(file)).components
    assert (tarball.name, tarball.version, tarball.scope) == (
        "@my-org/my-package",
        "3.2.3",
        "excluded",
    )
    assert tarball.location is not None and tarball.location.line == 10
    # osv-scanner drops the two keys that name no version; we keep them as unidentified.
    file = corpus_path("lockfiles", V1, "pnpm", "exotic.yaml")
    sbom = reader_for("pnpm-lock.yaml")(file.read_bytes(), str(file))
    assert {(c.name, c.version) for c in sbom.components if c.identified} == {
        ("foo", "1.0.0"),
        ("@foo/bar", "1.0.0"),
        ("foo", "1.1.0"),
        ("@foo/bar", "1.1.0"),
        ("foo", "1.2.0"),
        ("foo", "1.3.0"),
        ("foo", "1.4.0"),
    }
    assert sorted(c.name for c in sbom.components if not c.identified) == [
        "/foo/bar",
        "github.com/kevva/is-positive",
    ]
    assert [c.location.line for c in sbom.components if c.location][:4] == [10, 11, 12, 13]


# osv-scalibr requirements_test.go lists only exactly pinned requirements; we keep the
# others as unidentified components (never dropped) and normalise names per PEP 503.
SCALIBR_REQUIREMENTS: dict[str, set[tuple[str, str | None]]] = {
    "no_version.txt": set(),
    "loop.txt": set(),
    "comments.txt": {
        ("pycrypto", "1.2-alpha"),
        ("gmpy2", "1"),
        ("sympy", "1.2"),
        ("requests", "1.0"),
        ("six", "1.2"),
    },
    # scalibr also skips "pkg.dot.name==5.0.0"; PEP 508 allows dots, so we keep it.
    "with_versions.txt": {
        ("nltk", "3.2.2"),
        ("tabulate", "0.7.7"),
        ("qwerty", "0.1"),
        ("hy-phen", "1.2"),
        ("under-score", "1.3"),
        ("yolo", "1.0"),
        ("pkg-dot-name", "5.0.0"),
    },
}


@pytest.mark.parametrize("name", sorted(SCALIBR_REQUIREMENTS))
def test_scalibr_requirements(name: str) -> None:
    file = corpus_path("lockfiles", SC, "python", "requirements", "testdata", name)
    sbom = reader_for("requirements.txt")(file.read_bytes(), str(file))
    assert {(c.name, c.version) for c in sbom.components if c.identified} == (
        SCALIBR_REQUIREMENTS[name]
    )
    assert all(c.unidentified_reason for c in sbom.components if not c.identified)


@pytest.mark.parametrize("name", ["nested-dependencies.v1.json", "nested-dependencies.v2.json"])
def test_npm_nested_graph(name: str) -> None:
    """Node resolves a dependency from the nearest node_modules up the tree (v1: requires)."""
    file = corpus_path("lockfiles", V1, "npm", name)
    sbom = reader_for("package-lock.json")(file.read_bytes(), str(file))
    assert dict(sbom.dependencies) == {
        "pkg:npm/postcss@6.0.23": ("pkg:npm/supports-color@5.5.0",),
        "pkg:npm/postcss-calc@7.0.1": ("pkg:npm/postcss@7.0.16",),
        "pkg:npm/postcss@7.0.16": ("pkg:npm/supports-color@6.1.0",),
    }
