"""Fuzzing through the CLI: every input ends in a clean exit code, never a traceback.

Each property writes a generated input and runs ``policyengine.cli.main`` in-process. The
exit code must be one of 0-4 (never 70, the internal-error code) and a rejection is one
line on stderr without a traceback. Example counts come from
``POLICYENGINE_FUZZ_EXAMPLES`` (small here; scripts/fuzz_long.py raises them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

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
    policy_yaml,
    spdx_json,
)

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
    _inspect(run_cli, tmp_path / name, data)


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


@pytest.mark.parametrize("argv", [["inspect"], ["check", "x"], ["policy"], ["--nope"], []])
def test_bad_usage_is_exit_2(run_cli: RunCli, argv: list[str]) -> None:
    code, _, err = run_cli(*argv)
    assert code == 2
    assert_clean(code, err)
