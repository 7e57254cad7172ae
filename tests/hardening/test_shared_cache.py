"""Two ``check`` runs sharing one cache at once, and one killed mid-write, leave it usable.

The runs are real processes (``python -m policyengine``) against the synthetic PyPI of
benchmarks/synth_registry.py, all with the same ``--cache-dir``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.synth import cdx_document, make_specs
from benchmarks.synth_registry import Registry, serve
from tests.hardening.policies import FAIL_CLOSED

ROOT = Path(__file__).resolve().parents[2]
SPECS = [s for s in make_specs(120) if s.ecosystem == "pypi"]
POLICY = FAIL_CLOSED


@pytest.fixture
def registry() -> Iterator[Registry]:
    with serve() as state:
        state.versions = {s.name: s.version for s in SPECS}
        yield state


def _start(tmp: Path, registry: Registry, cache: Path, out: str) -> subprocess.Popen[str]:
    sbom = tmp / "sbom.cdx.json"
    if not sbom.exists():
        sbom.write_text(json.dumps(cdx_document(SPECS)))
        (tmp / "policy.yaml").write_text(POLICY)
    argv = ["check", str(sbom), "--policy", str(tmp / "policy.yaml"), "--pypi-url",
            registry.pypi_url, "--advisories", "off", "--cache-dir", str(cache), "--now",
            "2026-11-28T00:00:00Z", "--format", "json", "--results", "all",
            "-o", str(tmp / out)]  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "policyengine", *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _results(path: Path) -> list[tuple[str, str]]:
    verdict = json.loads(path.read_text())
    assert verdict["outcome"] == "pass"
    return sorted((r["component"]["purl"], r["outcome"]) for r in verdict["results"])


def _rows(cache: Path) -> int:
    files = list(cache.glob("*.sqlite3"))
    if not files:
        return 0
    try:
        with sqlite3.connect(files[0], timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM responses").fetchone()[0])
    except sqlite3.Error:
        return 0


def _integrity(cache: Path) -> None:
    for file in cache.glob("*.sqlite3"):
        with sqlite3.connect(file) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_two_checks_share_a_cache_at_once(tmp_path: Path, registry: Registry) -> None:
    cache = tmp_path / "cache"
    procs = [_start(tmp_path, registry, cache, f"v{i}.json") for i in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    first = _results(tmp_path / "v0.json")
    assert first == _results(tmp_path / "v1.json") and len(first) == len(SPECS)
    _integrity(cache)
    # the cache now answers everything: a third run asks the registry nothing
    before = registry.total()
    third = _start(tmp_path, registry, cache, "v2.json")
    _, err = third.communicate(timeout=180)
    assert third.returncode == 0, err
    assert registry.total() == before
    assert _results(tmp_path / "v2.json") == first


@pytest.mark.slow
def test_check_killed_mid_write_leaves_a_usable_cache(tmp_path: Path, registry: Registry) -> None:
    cache = tmp_path / "cache"
    registry.faults["*"] = "timeout"  # slow answers, so the kill lands among the writes
    registry.sleep = 0.05
    victim = _start(tmp_path, registry, cache, "killed.json")
    deadline = time.monotonic() + 60
    while _rows(cache) < 5 and time.monotonic() < deadline and victim.poll() is None:
        time.sleep(0.02)
    assert victim.poll() is None, "the run finished before it could be killed"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    _integrity(cache)
    registry.faults.clear()
    after = _start(tmp_path, registry, cache, "after.json")
    _, err = after.communicate(timeout=180)
    assert after.returncode == 0, err
    assert len(_results(tmp_path / "after.json")) == len(SPECS)
