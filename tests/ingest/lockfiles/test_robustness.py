"""Bad input is normal input: every reader answers InputError or an Sbom, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.ingest.lockfiles import KINDS, reader_for
from policyengine.model import InputError, Sbom

GENERATED = Path(__file__).resolve().parents[2] / "fixtures" / "lockfiles-generated"
SAMPLES = {
    "requirements.txt": GENERATED / "pip-compile" / "requirements.txt",
    "pyproject.toml": GENERATED / "poetry" / "pyproject.toml",
    "poetry.lock": GENERATED / "poetry" / "poetry.lock",
    "uv.lock": GENERATED / "uv" / "uv.lock",
    "package.json": GENERATED / "npm" / "package.json",
    "package-lock.json": GENERATED / "npm" / "package-lock.json",
}

# Structurally valid documents whose values have the wrong types.
WRONG_TYPES = {
    "poetry.lock": [
        b"package = 3\n",
        b"[[package]]\nname = 1\n",
        b'[[package]]\nname="a"\nfiles=3\n',
    ],
    "uv.lock": [b"version = 1\npackage = [1]\n", b'[[package]]\nname="a"\nwheels=1\n'],
    "pdm.lock": [b"[metadata]\nfiles = 1\n", b'[[package]]\nname="a"\ngroups="x"\n'],
    "pylock.toml": [
        b'lock-version="1.0"\npackages="x"\n',
        b'[[packages]]\nname="a"\nwheels=[{hashes=1}]\n',
    ],
    "Pipfile.lock": [
        b"[]",
        b'{"default": []}',
        b'{"default": {"a": 1}}',
        b'{"default": {"a": {"version": "==1", "hashes": 3}}}',
    ],
    "package-lock.json": [
        b"[]",
        b'{"lockfileVersion": 3, "packages": []}',
        b'{"packages": {"": {}, "node_modules/a": 1}}',
        b'{"lockfileVersion": 1, "dependencies": {"a": {}}}',
    ],
    "package.json": [b"[]", b'{"dependencies": []}', b'{"dependencies": {"a": 1}}'],
    "pnpm-lock.yaml": [
        b"- a\n",
        b"lockfileVersion: '9.0'\npackages: [1]\n",
        b"lockfileVersion: 5.4\npackages:\n  /a/1.0.0: 3\n",
    ],
    "yarn.lock": [
        b"__metadata:\n  version: 8\na@npm:1: 3\n",
        b"a@^1:\n  version\n",
        b"  indented first\n",
    ],
    "pyproject.toml": [
        b"[project]\ndependencies = 3\n",
        b'[project]\ndependencies = ["not a valid req !!"]\n',
        b"[tool.poetry]\ndependencies = 1\n",
    ],
    "Pipfile": [b"[packages]\na = 3\n", b"packages = 1\n"],
    "requirements.txt": [
        b"-r\n",
        b"--bogus-option\n",
        b"a==1 --bogus\n",
        b'a==1 --hash "unterminated\n',
    ],
}


def _run(kind: str, data: bytes, source: str) -> None:
    try:
        result = reader_for(kind)(data, source, validate=False)
    except InputError as exc:
        assert exc.exit_code == 3
        assert exc.position is not None and exc.position.file == source
        assert "\n" not in exc.one_line()
        return
    assert isinstance(result, Sbom)


@pytest.mark.parametrize(
    ("kind", "data"), [(k, d) for k, docs in WRONG_TYPES.items() for d in docs]
)
def test_wrong_types_are_input_errors(kind: str, data: bytes, tmp_path: Path) -> None:
    source = str(tmp_path / kind)
    with pytest.raises(InputError):
        reader_for(kind)(data, source, validate=False)
    _run(kind, data, source)


@settings(max_examples=int(__import__("os").environ.get("ROBUST_N", "40")), deadline=None)
@given(kind=st.sampled_from(sorted(SAMPLES)), cut=st.floats(0, 1), noise=st.binary(max_size=8))
def test_truncated_and_corrupted_samples(
    kind: str, cut: float, noise: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = SAMPLES[kind].read_bytes()
    damaged = data[: int(len(data) * cut)] + noise
    source = str(tmp_path_factory.mktemp("robust") / SAMPLES[kind].name)
    _run(kind, damaged, source)


@settings(max_examples=int(__import__("os").environ.get("ROBUST_N", "40")), deadline=None)
@given(kind=st.sampled_from(sorted(set(KINDS))), data=st.binary(max_size=200))
def test_random_bytes(kind: str, data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    source = str(tmp_path_factory.mktemp("random") / "input")
    _run(kind, data, source)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("poetry.lock", b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n"),
        ("pnpm-lock.yaml", b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n"),
        ("package-lock.json", b"[" * 100000 + b"]" * 100000),
        ("yarn.lock", b"__metadata:\n  version: 8\na: " + b"[" * 5000 + b"]" * 5000 + b"\n"),
    ],
)
def test_deep_nesting_is_an_input_error(kind: str, data: bytes) -> None:
    with pytest.raises(InputError, match="nests too deeply"):
        reader_for(kind)(data, "deep", validate=False)


@pytest.mark.parametrize("line", ["/", "./", "~/"])
def test_a_bare_path_requirement_is_kept_as_unidentified(line: str, tmp_path: Path) -> None:
    # Found by test_random_bytes: "/" once crashed inside packageurl-python (exit 70).
    from policyengine.ingest import read_input

    path = tmp_path / "requirements.txt"
    path.write_text(line + "\n")
    (component,) = read_input(path).components
    assert component.purl is None
    assert component.unidentified_reason and "names no package" in component.unidentified_reason


@pytest.mark.parametrize("name", ["bun.lock", "bun.lockb"])
def test_bun_lockfiles_are_refused_not_misread(name: str, tmp_path: Path) -> None:
    # bun.lock carries "lockfileVersion" too; read as a package-lock it gave 0 components.
    from policyengine.ingest import read_input
    from policyengine.model import InputError

    path = tmp_path / name
    path.write_text('{"lockfileVersion": 1, "workspaces": {"": {"name": "x"}}, "packages": {}}')
    with pytest.raises(InputError, match="not supported"):
        read_input(path)
