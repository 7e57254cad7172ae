"""Registry faults through ``policyengine check``: never a pass; exit 4 names what lacks evidence.

A synthetic PyPI (benchmarks/synth_registry.py) serves six projects; two of them answer
with a fault on every request. With ``on_missing_evidence: fail`` the verdict must be
incomplete (exit 4), and the one stderr line must name exactly those two components.
Timeouts are shortened through the settings the CLI builds, so each case takes ~1 s.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import policyengine.cli as cli
from benchmarks.synth import cdx_document, make_specs
from benchmarks.synth_registry import Registry, serve
from policyengine.enrich import EnrichSettings
from tests.hardening.policies import FAIL_CLOSED

RunCli = Callable[..., tuple[int, str, str]]
SPECS = [s for s in make_specs(12) if s.ecosystem == "pypi"][:6]
FAULTY = SPECS[1], SPECS[4]
POLICY = FAIL_CLOSED


@pytest.fixture
def registry() -> Iterator[Registry]:
    with serve() as state:
        state.versions = {s.name: s.version for s in SPECS}
        state.sleep = 1.0
        state.drip_interval = 0.02
        yield state


@pytest.fixture
def fast_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    original = cli._enrich_settings

    def shortened(args: object) -> EnrichSettings:
        return dataclasses.replace(
            original(args),  # type: ignore[arg-type]
            read_timeout=0.3,
            connect_timeout=1.0,
            total_timeout=0.8,
            retries=1,
            backoff=0.01,
            max_retry_after=0.1,
            max_response_bytes=2**20,
            progress=False,
        )

    monkeypatch.setattr(cli, "_enrich_settings", shortened)


def _check(run_cli: RunCli, tmp: Path, registry: Registry, *extra: str) -> tuple[int, str, str]:
    sbom = tmp / "sbom.cdx.json"
    sbom.write_text(json.dumps(cdx_document(SPECS)))
    policy = tmp / "policy.yaml"
    policy.write_text(POLICY)
    return run_cli(
        "check",
        str(sbom),
        "--policy",
        str(policy),
        "--pypi-url",
        registry.pypi_url,
        "--advisories",
        "off",
        "--cache-dir",
        str(tmp / "cache"),
        "--now",
        "2026-11-28T00:00:00Z",
        "--format",
        "json",
        *extra,
    )


@pytest.mark.usefixtures("fast_settings")
def test_healthy_registry_passes(run_cli: RunCli, tmp_path: Path, registry: Registry) -> None:
    code, out, err = _check(run_cli, tmp_path, registry)
    assert (code, err) == (0, "")
    assert json.loads(out)["outcome"] == "pass"


FAULTS = [
    "timeout",
    "drip",
    "reset",
    "429",
    "500",
    "503",
    "truncate",
    "badjson",
    "notobject",
    "huge",
]


@pytest.mark.usefixtures("fast_settings")
@pytest.mark.parametrize("fault", FAULTS)
def test_fault_makes_the_verdict_incomplete(
    run_cli: RunCli, tmp_path: Path, registry: Registry, fault: str
) -> None:
    for spec in FAULTY:
        registry.faults[spec.name] = fault
    code, out, err = _check(run_cli, tmp_path, registry)
    verdict = json.loads(out)
    assert verdict["outcome"] == "incomplete" and code == 4, (code, err)
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    # Enrichment warns once per fact kind it could not obtain (naming the first error);
    # the last line is the exit-4 summary naming every component without evidence.
    *warnings, last = lines
    assert all(w.startswith("policyengine: warning: ") for w in warnings)
    named = {f"{s.ecosystem}/{s.name}@{s.version}" for s in FAULTY}
    assert any(key in w for w in warnings for key in named), warnings
    expected = ", ".join(sorted(s.purl for s in FAULTY))
    assert last == (
        f"policyengine: evidence incomplete: 2 of 6 components lack evidence "
        f"(2 unknown, 0 error results): {expected}"
    )
    unknown = {r["component"]["purl"] for r in verdict["results"] if r["outcome"] == "unknown"}
    assert unknown == {s.purl for s in FAULTY}


@pytest.mark.usefixtures("fast_settings")
@pytest.mark.parametrize("fmt", ["table", "sarif"])
def test_exit_4_line_is_the_same_for_streamed_json_and_whole_verdicts(
    run_cli: RunCli, tmp_path: Path, registry: Registry, fmt: str
) -> None:
    # --format json writes the verdict rule by rule and counts what lacks evidence as it
    # goes; the other formats count it from the whole verdict: the same line either way.
    for spec in FAULTY:
        registry.faults[spec.name] = "500"
    (tmp_path / "json").mkdir()
    (tmp_path / fmt).mkdir()
    code, _, streamed = _check(run_cli, tmp_path / "json", registry)
    again, _, whole = _check(run_cli, tmp_path / fmt, registry, "--format", fmt)
    assert code == again == 4
    assert streamed.strip().splitlines()[-1] == whole.strip().splitlines()[-1]
    assert "2 of 6 components lack evidence" in whole


@pytest.mark.usefixtures("fast_settings")
def test_429_storm_everywhere_never_passes(
    run_cli: RunCli, tmp_path: Path, registry: Registry
) -> None:
    registry.faults["*"] = "429"
    code, out, err = _check(run_cli, tmp_path, registry)
    assert code == 4 and json.loads(out)["outcome"] == "incomplete"
    last = err.strip().splitlines()[-1]
    assert "6 of 6 components lack evidence" in last and "and 1 more" in last
    # every project was asked (retries bounded: 2 attempts each), none was given up silently
    assert registry.total() == 2 * len(SPECS)


@pytest.mark.usefixtures("fast_settings")
def test_failures_are_not_cached(run_cli: RunCli, tmp_path: Path, registry: Registry) -> None:
    registry.faults[FAULTY[0].name] = "500"
    assert _check(run_cli, tmp_path, registry)[0] == 4
    registry.faults.clear()
    code, _, err = _check(run_cli, tmp_path, registry)
    assert (code, err) == (0, "")
