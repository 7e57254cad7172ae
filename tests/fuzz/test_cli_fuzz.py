"""Fuzzing through the CLI: every input ends in a clean exit code, never a traceback.

Each property writes a generated input and runs ``policyengine.cli.main`` in-process. The
exit code must be one of 0-4 (never 70, the internal-error code) and a rejection is one
line on stderr without a traceback. Example counts come from
``POLICYENGINE_FUZZ_EXAMPLES`` (small here; scripts/fuzz_long.py raises them).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine.report import FORMATS
from tests.fuzz.strategies import (
    EXAMPLES,
    cdx_json,
    cdx_xml,
    cel_expression,
    json_bytes,
    lockfile,
    mutated_json,
    policy_yaml,
    sbom_document,
    spdx_json,
)
from tests.hardening.shapes_server import Answers, serving

RunCli = Callable[..., tuple[int, str, str]]
CASE = Path(__file__).resolve().parents[1] / "checks" / "cases" / "expr" / "pass-listed"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_clean(code: int, err: str) -> None:
    """Exit 0-4; a rejection is exactly one line; never a traceback or an internal error."""
    assert code in {0, 1, 2, 3, 4}, (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if code in {2, 3}:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("policyengine: error: "), err


def _inspect(run_cli: RunCli, path: Path, data: bytes, *extra: str) -> int:
    path.write_bytes(data)
    code, _, err = run_cli("inspect", "--format", "json", *extra, str(path))
    assert_clean(code, err)
    assert code in {0, 3}, (code, err)
    return code


@FUZZ
@given(doc=cdx_json, validate=st.booleans())
def test_cyclonedx_json(tmp_path: Path, run_cli: RunCli, doc: object, validate: bool) -> None:
    extra = ("--validate",) if validate else ()
    _inspect(run_cli, tmp_path / "bom.cdx.json", json_bytes(doc), *extra)


@FUZZ
@given(data=cdx_xml())
def test_cyclonedx_xml(tmp_path: Path, run_cli: RunCli, data: bytes) -> None:
    _inspect(run_cli, tmp_path / "bom.cdx.xml", data)


@FUZZ
@given(doc=spdx_json, validate=st.booleans())
def test_spdx_json(tmp_path: Path, run_cli: RunCli, doc: object, validate: bool) -> None:
    extra = ("--validate",) if validate else ()
    _inspect(run_cli, tmp_path / "sbom.spdx.json", json_bytes(doc), *extra)


@FUZZ
@given(sample=lockfile())
def test_lockfiles(tmp_path: Path, run_cli: RunCli, sample: tuple[str, bytes]) -> None:
    name, data = sample
    (tmp_path / "berry").mkdir(exist_ok=True)  # yarn Berry's lockfile is also yarn.lock
    _inspect(run_cli, tmp_path / name, data)


@FUZZ
@given(sample=sbom_document(), validate=st.booleans())
def test_sbom_documents(
    tmp_path: Path, run_cli: RunCli, sample: tuple[str, bytes], validate: bool
) -> None:
    name, data = sample
    (tmp_path / "berry").mkdir(exist_ok=True)
    _inspect(run_cli, tmp_path / name, data, *(("--validate",) if validate else ()))


@FUZZ
@given(text=policy_yaml(), fmt=st.sampled_from(FORMATS))
def test_policy_yaml(tmp_path: Path, run_cli: RunCli, text: str, fmt: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    code, _, err = run_cli("policy", "validate", str(path))
    assert_clean(code, err)
    assert code in {0, 2}
    code, _, err = run_cli(
        "check",
        str(CASE / "sbom.cdx.json"),
        "--evidence",
        str(CASE / "evidence.json"),
        "--policy",
        str(path),
        "--now",
        "2026-03-24T18:00:00Z",
        "--offline",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--format",
        fmt,  # every report writer sees odd policies' verdicts
    )
    assert_clean(code, err)


@FUZZ
@given(expr=cel_expression(), message=st.sampled_from(["m", "{{ component.name }}", "{{", ""]))
def test_cel_expressions(tmp_path: Path, run_cli: RunCli, expr: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    rule = {"id": "fuzz", "check": "expr", "params": {"expr": expr, "message": message}}
    doc = {"apiVersion": "policyengine/v1", "kind": "Policy", "metadata": {"name": "f"}}
    path.write_text(json.dumps({**doc, "rules": [rule]}), encoding="utf-8")
    code, out, err = run_cli(
        "check",
        str(CASE / "sbom.cdx.json"),
        "--evidence",
        str(CASE / "evidence.json"),
        "--policy",
        str(path),
        "--now",
        "2026-03-24T18:00:00Z",
        "--format",
        "json",
    )
    assert_clean(code, err)
    if code in {0, 1, 4}:
        json.loads(out)  # a verdict was written


RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"
PYPI_ANSWER = json.loads((RECORDINGS / "pypi" / "pypi%2Flitellm%2Fjson.body").read_bytes())
NPM_ANSWER = json.loads((RECORDINGS / "npm" / "chalk.body").read_bytes())
OSV_RECORD = json.loads((RECORDINGS / "osv" / "vulns" / "MAL-2026-2144.json").read_bytes())
ONLINE_POLICY = """apiVersion: policyengine/v1
kind: Policy
metadata: {name: fuzz-online}
rules:
  - {id: status, check: registry-status}
  - {id: advisories, check: advisories}
  - {id: age, check: release-age}
  - {id: publisher, check: publisher-change}
"""
ONLINE_SBOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "components": [
        {"type": "library", "name": n, "version": v, "purl": f"pkg:{e}/{n}@{v}"}
        for e, n, v in (("pypi", "litellm", "1.82.8"), ("npm", "chalk", "5.3.0"))
    ],
}


@pytest.fixture(scope="module")
def registry() -> Iterator[Answers]:
    """One local registry for the answer properties; each example sets its answers."""
    with serving() as answers:
        yield answers


def _check_online(run_cli: RunCli, registry: Answers, folder: Path, *extra: str) -> None:
    sbom, policy = folder / "sbom.cdx.json", folder / "policy.yaml"
    sbom.write_text(json.dumps(ONLINE_SBOM))
    policy.write_text(ONLINE_POLICY)
    code, out, err = run_cli(
        "check", str(sbom), "--policy", str(policy), "--pypi-url", registry.root + "/pypi",
        "--npm-url", registry.root + "/npm", "--osv-url", registry.root + "/osv",
        "--cache-dir", str(folder / "cache"), "--now", "2026-03-24T18:00:00Z",
        "--format", "json", *extra,
    )  # fmt: skip
    assert_clean(code, err)
    if code in {0, 1, 4}:
        json.loads(out)


@FUZZ
@given(
    pypi=mutated_json(PYPI_ANSWER),
    npm=mutated_json(NPM_ANSWER),
    record=mutated_json(OSV_RECORD),
)
def test_registry_and_osv_answers(
    run_cli: RunCli, registry: Answers, pypi: Any, npm: Any, record: Any
) -> None:
    """Answers of any shape (a node replaced by any JSON value) make facts Failed, never 70."""
    registry.clear()
    registry["/pypi/pypi/litellm/json"] = json_bytes(pypi)
    registry["/npm/chalk"] = json_bytes(npm)
    registry["/osv/v1/vulns/MAL-2026-2144"] = json_bytes(record)
    batch = {"vulns": [{"id": "MAL-2026-2144", "modified": "2026-03-25T00:00:00Z"}]}
    registry["querybatch"] = json.dumps({"results": [batch, {}]}).encode()
    with tempfile.TemporaryDirectory() as folder:
        _check_online(run_cli, registry, Path(folder))


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), max_size=40))
def test_damaged_cache_files(
    run_cli: RunCli, registry: Answers, flips: list[tuple[int, int]]
) -> None:
    """A cache file with bytes overwritten anywhere: a one-line error or a clean run."""
    registry.clear()
    registry["/pypi/pypi/litellm/json"] = json.dumps(PYPI_ANSWER).encode()
    registry["/npm/chalk"] = json.dumps(NPM_ANSWER).encode()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        _check_online(run_cli, registry, folder, "--advisories", "off")
        database = folder / "cache" / "http-cache.sqlite3"
        connection = sqlite3.connect(database)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        data = bytearray(database.read_bytes())
        for offset, value in flips:
            data[offset % len(data)] = value
        database.write_bytes(bytes(data))
        _check_online(run_cli, registry, folder, "--advisories", "off")


@pytest.mark.parametrize("argv", [["inspect"], ["check", "x"], ["policy"], ["--nope"], []])
def test_bad_usage_is_exit_2(run_cli: RunCli, argv: list[str]) -> None:
    code, _, err = run_cli(*argv)
    assert code == 2
    assert_clean(code, err)
