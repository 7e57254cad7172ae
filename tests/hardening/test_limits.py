"""Hostile sizes and shapes are refused (or read) within bounded time and memory.

Each case runs ``python -m policyengine`` in a subprocess under ``RLIMIT_AS`` (address
space) and a wall-clock timeout, so the bound itself is what the test asserts: a reader
that expanded an entity or alias bomb, buffered a gzip bomb or recursed without limit
would die of MemoryError (exit 70 with "internal error") or time out. The refusals
themselves are tested for their wording in tests/ingest/test_bad_input.py and
tests/policy/test_yamlsafe.py; this file fills the gaps (bounds, evidence bundles,
very long strings, registry and OSV bodies).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from policyengine.enrich.artifacts.install_hooks import read_package_json
from policyengine.enrich.http import FetchError
from policyengine.enrich.osv import _record
from policyengine.enrich.osv_db import parse_record

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "tests" / "checks" / "cases" / "expr" / "pass-listed"
MEMORY = 1536 * 2**20
"""Address-space cap: the interpreter with every library loaded maps ~0.5 GiB."""
SECONDS = 60


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_bounded(*argv: str) -> tuple[int, str, float]:
    """Exit code, stderr and wall time of the CLI under the memory cap and timeout."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "policyengine", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=_limited,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return done.returncode, done.stderr, time.monotonic() - started


def _assert_refused(code: int, err: str, expected_code: int, text: str) -> None:
    assert code == expected_code, err
    assert "internal error" not in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and text in err, err


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "'
    + b"a" * 64
    + b'">'
    + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 16}">'.encode() for i in range(8)
    )
    + b']><bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components><component type="library">'
    b"<name>&i;</name></component></components></bom>"
)
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)
)


def _gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (~1000:1) without holding them in memory."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * 2**20
    parts = [comp.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(comp.flush())
    return b"".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "make", "code", "text"),
    [
        ("laughs.cdx.xml", lambda: BILLION_LAUGHS, 3, "declares a DTD, entities"),
        ("bomb.cdx.json.gz", lambda: _gzip_bomb(640 * 2**20), 3, "expands past the"),
        (
            "deep.cdx.json",
            lambda: (
                b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": '
                + b"[" * 10**6
                + b"]" * 10**6
                + b"}"
            ),
            3,
            "nested deeper than",
        ),
    ],
    ids=["billion-laughs", "gzip-bomb", "deep-json"],
)
def test_sbom_bombs_are_refused_within_bounds(
    tmp_path: Path, name: str, make: object, code: int, text: str
) -> None:
    path = tmp_path / name
    path.write_bytes(make())  # type: ignore[operator]
    got, err, seconds = run_bounded("inspect", str(path))
    _assert_refused(got, err, code, text)
    assert seconds < SECONDS


@pytest.mark.slow
def test_very_long_strings_are_read_within_bounds(tmp_path: Path) -> None:
    # A 64 MiB name, purl and licence: nothing quadratic, no regex backtracking.
    long = "a" * (64 * 2**20)
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [
            {
                "type": "library",
                "name": long,
                "version": "1.0",
                "purl": f"pkg:pypi/{long}@1.0",
                "licenses": [{"expression": f"MIT OR {long}"}],
            },
        ],
    }
    path = tmp_path / "long.cdx.json"
    path.write_text(json.dumps(doc))
    code, err, seconds = run_bounded("inspect", "--format", "json", "-o", os.devnull, str(path))
    assert code in {0, 3}, err
    assert "internal error" not in err
    assert seconds < SECONDS


@pytest.mark.slow
def test_long_requirements_line_within_bounds(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("a" * (8 * 2**20) + "==1.0\n" + "b==1 \\\n" * 10000 + "c==1\n")
    code, err, seconds = run_bounded("inspect", "-o", os.devnull, str(path))
    assert code in {0, 3}, err
    assert "internal error" not in err
    assert seconds < SECONDS


@pytest.mark.slow
def test_policy_alias_bomb_and_size_within_bounds(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB)
    code, err, _ = run_bounded("policy", "validate", str(bomb))
    _assert_refused(code, err, 2, "alias bomb")
    huge = tmp_path / "huge.yaml"
    huge.write_text("apiVersion: policyengine/v1\nrules:\n  - id: " + "a" * (64 * 2**20) + "\n")
    code, err, _ = run_bounded("policy", "validate", str(huge))
    _assert_refused(code, err, 2, "over 4194304 bytes")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "text"),
    [
        (
            b'{"schema_version": "1", "components": ' + b"[" * 10**6 + b"]" * 10**6 + b"}",
            "nests too deeply",
        ),
        (
            b'{"schema_version": "1", "components": {"a": '
            + b'{"a": ' * 5000
            + b"1"
            + b"}" * 5001
            + b"}",
            "nests too deeply",
        ),
        (b'{"schema_version": "1", "tool": "' + b"x" * (64 * 2**20) + b'"}', "invalid evidence"),
    ],
    ids=["deep-array", "deep-object", "long-string"],
)
def test_hostile_evidence_bundles_within_bounds(tmp_path: Path, content: bytes, text: str) -> None:
    path = tmp_path / "evidence.json"
    path.write_bytes(content)
    code, err, _ = run_bounded(
        "check",
        str(CASE / "sbom.cdx.json"),
        "--policy",
        str(CASE / "policy.yaml"),
        "--evidence",
        str(path),
    )
    _assert_refused(code, err, 3, text)


def test_long_cel_expression_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    expr = " || ".join(["true"] * 100_000)
    policy.write_text(
        "apiVersion: policyengine/v1\nkind: Policy\nmetadata: {name: x}\nrules:\n"
        f"  - id: r\n    check: expr\n    params: {{expr: '{expr}'}}\n"
    )
    code, err, _ = run_bounded("policy", "validate", str(policy))
    _assert_refused(code, err, 2, "longer than")


def test_deep_network_and_archive_json_is_a_clean_failure() -> None:
    deep = b"[" * 10**5 + b"]" * 10**5
    with pytest.raises(FetchError, match="nested too deeply"):
        _record(deep, "https://osv.invalid/v1/vulns/X", 200, "X")
    assert parse_record("deep.json", deep) == (None, "not valid JSON/YAML: nested too deeply")
    assert read_package_json(b'{"a": ' * 10**5 + b"}" * 10**5) is None
