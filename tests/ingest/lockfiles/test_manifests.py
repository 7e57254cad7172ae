"""Manifests: pyproject.toml (PEP 621, PEP 735, Poetry), Pipfile and package.json declarations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policyengine.ingest import parse_bytes
from policyengine.ingest.lockfiles.npm import declared_package_json
from policyengine.ingest.lockfiles.python_manifests import declared_pipfile, declared_pyproject
from policyengine.ingest.project import project_facts
from policyengine.model import InputError
from tests.conftest import corpus_path

# From osv-scalibr pyprojecttoml_test.go (Metadata.Dependencies / OptionalDependencies),
# as (name, pin, optional, marker).
PYPROJECT = {
    "simple_deps.toml": {
        ("requests", "exact", False, None),
        ("flask", "range", False, None),
        ("numpy", "unpinned", False, None),
    },
    "optional_deps.toml": {
        ("requests", "exact", False, None),
        ("aiohttp", "range", True, None),
        ("pytest", "range", True, None),
        ("black", "exact", True, None),
    },
    "extras_syntax.toml": {("flask", "exact", False, None), ("requests", "range", False, None)},
    "env_markers.toml": {
        ("requests", "range", False, 'python_version >= "3.8"'),
        ("importlib-metadata", "exact", False, 'python_version < "3.10"'),
    },
    "no_project_table.toml": set(),
    "dynamic_deps.toml": set(),
    "empty_deps.toml": set(),
}


@pytest.mark.parametrize("name", sorted(PYPROJECT))
def test_pyproject_declarations(name: str) -> None:
    file = corpus_path("lockfiles", "osv-scalibr", "python", "pyprojecttoml", "testdata", name)
    declared = declared_pyproject(file.read_bytes(), str(file))
    assert {(d.name, d.pin, d.optional, d.marker) for d in declared} == PYPROJECT[name]
    assert all(d.line is not None and d.manifest == str(file) for d in declared)


def test_dynamic_dependencies_are_flagged(tmp_path: Path) -> None:
    file = corpus_path("lockfiles", "osv-scalibr", "python", "pyprojecttoml", "testdata")
    shutil.copy(file / "dynamic_deps.toml", tmp_path / "pyproject.toml")
    (manifest,) = project_facts(tmp_path).manifests
    assert manifest.dynamic and manifest.declared == ()


def test_malformed_pyproject_names_the_line() -> None:
    file = corpus_path(
        "lockfiles", "osv-scalibr", "python", "pyprojecttoml", "testdata", "malformed.toml"
    )
    with pytest.raises(InputError) as info:
        declared_pyproject(file.read_bytes(), str(file))
    assert info.value.position is not None and info.value.position.line is not None


POETRY = b"""[tool.poetry]
name = "x"

[tool.poetry.dependencies]
python = "^3.11"
requests = "2.32.3"
click = "^8.1"
attrs = { version = "==23.1.0", optional = true }
ike = { git = "https://github.com/x/ike.git", rev = "cd66602cd29f61a2d2e7fb995fef1e61708c034d" }
mine = { git = "https://github.com/x/mine.git", branch = "main" }
local = { path = "../local" }

[tool.poetry.group.test.dependencies]
pytest = "*"

[dependency-groups]
lint = ["ruff>=0.6", {include-group = "test"}]
"""


def test_poetry_tables_and_groups() -> None:
    declared = declared_pyproject(POETRY, "pyproject.toml")
    found = {d.name: (d.pin, d.version, d.dev, d.optional, d.line) for d in declared}
    assert found == {
        "requests": ("exact", "2.32.3", False, False, 6),
        "click": ("range", None, False, False, 7),
        "attrs": ("exact", "23.1.0", False, True, 8),
        "ike": ("vcs-commit", None, False, False, 9),
        "mine": ("vcs-ref", None, False, False, 10),
        "local": ("path", None, False, False, 11),
        "pytest": ("unpinned", None, True, False, 14),
        "ruff": ("range", None, True, False, 17),
    }


def test_pipfile() -> None:
    text = b"""[[source]]
url = "https://pypi.org/simple"

[packages]
requests = "==2.32.3"
Flask = "*"
django = {version = ">=4", extras = ["bcrypt"]}
records = {git = "https://github.com/x/records.git", ref = "v1"}

[dev-packages]
pytest = "~=8.0"

[requires]
python_version = "3.11"
"""
    assert parse_bytes(text, "Pipfile").format == "Pipfile"
    found = {d.name: (d.pin, d.dev, d.line) for d in declared_pipfile(text, "Pipfile")}
    assert found == {
        "requests": ("exact", False, 5),
        "flask": ("unpinned", False, 6),
        "django": ("range", False, 7),
        "records": ("vcs-ref", False, 8),
        "pytest": ("range", True, 11),
    }


def test_package_json_declarations_and_errors() -> None:
    text = b"""{
  "name": "x",
  "dependencies": {"a": "1.0.0", "b": "^2", "c": "npm:d@3.0.0"},
  "devDependencies": {"e": "*"},
  "optionalDependencies": {"f": "git+https://x/f.git#v1"}
}"""
    found = {
        d.name: (d.pin, d.dev, d.optional) for d in declared_package_json(text, "package.json")
    }
    assert found == {
        "a": ("exact", False, False),
        "b": ("range", False, False),
        "c": ("exact", False, False),
        "e": ("unpinned", True, False),
        "f": ("vcs-ref", False, True),
    }
    with pytest.raises(InputError) as info:
        declared_package_json(b'{"dependencies": {"a": 1}}', "package.json")
    assert info.value.exit_code == 3


def test_manifest_components_say_why_they_are_unidentified() -> None:
    sbom = parse_bytes(POETRY, "pyproject.toml")
    by_name = {c.name: c for c in sbom.components}
    assert by_name["requests"].identified and by_name["requests"].version == "2.32.3"
    assert not by_name["click"].identified
    assert "range '^8.1'" in (by_name["click"].unidentified_reason or "")
    assert by_name["pytest"].scope == "excluded" and by_name["attrs"].scope == "optional"
