"""One path for both front doors: the service and the CLI give the same verdict JSON, and
``check --server`` the same reports and exit codes as a local check."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks.synth import cdx_document, make_specs
from benchmarks.synth_registry import Registry, serve
from policyengine.enrich import EnrichSettings
from policyengine.report import FORMATS
from tests.service.conftest import CLOSED, MakeService, Service

RunCli = Callable[..., tuple[int, str, str]]
SPECS = [s for s in make_specs(12) if s.ecosystem == "pypi"][:6]
NOW = "2026-11-28T12:00:00Z"
LITELLM = "examples/litellm-2026/sbom-litellm-1.82.8.cdx.json"


@pytest.fixture
def registry() -> Iterator[Registry]:
    with serve() as state:
        state.versions = {s.name: s.version for s in SPECS}
        yield state


@pytest.fixture
def world(
    tmp_path: Path, registry: Registry, make_service: MakeService
) -> tuple[Service, Path, Path]:
    """A service asking the stand-in registry, the SBOM it lists, and the shared cache."""
    sbom = tmp_path / "sbom.cdx.json"
    sbom.write_text(json.dumps(cdx_document(SPECS)))
    cache = tmp_path / "cache"
    settings = EnrichSettings(
        pypi_url=registry.pypi_url, cache_dir=cache, advisories="off", progress=False
    )
    return make_service(settings=settings), sbom, cache


def _local(run_cli: RunCli, sbom: Path, cache: Path, registry: Registry, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "check",
        str(sbom),
        "--pypi-url",
        registry.pypi_url,
        "--advisories",
        "off",
        "--cache-dir",
        str(cache),
        "--now",
        NOW,
        *extra,
    )


@pytest.mark.parametrize("results", ["attention", "all"])
def test_the_service_and_the_cli_give_the_same_verdict_json(
    run_cli: RunCli, world: tuple[Service, Path, Path], registry: Registry, results: str
) -> None:
    service, sbom, cache = world
    code, out, err = _local(
        run_cli,
        sbom,
        cache,
        registry,
        "--policy",
        "baseline",
        "--format",
        "json",
        "--results",
        results,
    )
    assert code == 0, err
    answer = service.call(
        "POST",
        "/v1/check",
        token="check",
        params={"policy": "baseline", "now": NOW, "name": str(sbom), "results": results},
        content=sbom.read_bytes(),
    )
    assert answer.status_code == 200
    assert answer.content.decode() == out
    verdict = json.loads(out)
    assert verdict["schema_version"] == ("2" if results == "attention" else "1")
    if results == "all":
        # The facts came from the registry (not only from the input): judged on the same ones.
        assert any(r["sources"] for r in verdict["results"])


def test_check_server_gives_the_local_reports_and_exit_codes(
    run_cli: RunCli,
    world: tuple[Service, Path, Path],
    registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, sbom, cache = world
    monkeypatch.setenv("POLICYENGINE_TOKEN", service.tokens["check"])
    litellm = Path(LITELLM)
    for source, policy in ((sbom, "baseline"), (litellm, "sbom-quality")):
        for fmt in FORMATS:
            local = _local(run_cli, source, cache, registry, "--policy", policy, "--format", fmt)
            remote = run_cli(
                "check", str(source), "--policy", policy, "--now", NOW, "--format", fmt,
                "--server", service.root,
            )  # fmt: skip
            assert remote == local, (source, fmt)
    # The exit code follows the verdict: 1 for a failure, 1 for warnings with --fail-on warn.
    code, _, _ = run_cli("check", LITELLM, "--policy", "sbom-quality", "--server", service.root)
    assert code == 1


def test_check_server_errors_are_the_local_ones(
    run_cli: RunCli,
    world: tuple[Service, Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, _sbom, _cache = world
    broken = tmp_path / "broken.cdx.json"
    broken.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": 7}')
    local = run_cli("check", str(broken), "--policy", "sbom-quality")
    monkeypatch.setenv("POLICYENGINE_TOKEN", service.tokens["check"])
    remote = run_cli("check", str(broken), "--policy", "sbom-quality", "--server", service.root)
    assert remote == local and local[0] == 3
    assert run_cli("check", LITELLM, "--policy", "nope", "--server", service.root)[0] == 2
    monkeypatch.setenv("POLICYENGINE_TOKEN", "pe_wrong")
    code, _, err = run_cli("check", LITELLM, "--policy", "baseline", "--server", service.root)
    assert code == 2 and "the token is not valid" in err
    monkeypatch.delenv("POLICYENGINE_TOKEN")
    code, _, err = run_cli("check", LITELLM, "--policy", "baseline", "--server", service.root)
    assert code == 2 and "POLICYENGINE_TOKEN" in err
    code, _, err = run_cli(
        "check", LITELLM, "--policy", "baseline", "--server", service.root, "--evidence", "x"
    )
    assert code == 2 and "--evidence is not sent to a server" in err


def test_incomplete_and_kept_releases_say_the_same_on_stderr(
    run_cli: RunCli,
    world: tuple[Service, Path, Path],
    registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, sbom, cache = world
    registry.faults[SPECS[2].name] = "500"
    closed = tmp_path / "server-policies" / "closed.yaml"
    assert closed.read_text() == CLOSED
    local = _local(run_cli, sbom, cache, registry, "--policy", str(closed), "--format", "json")
    monkeypatch.setenv("POLICYENGINE_TOKEN", service.tokens["check"])
    remote = run_cli(
        "check", str(sbom), "--policy", "closed", "--now", NOW, "--format", "json",
        "--server", service.root,
    )  # fmt: skip
    assert local[0] == remote[0] == 4
    assert remote == local
    kept = run_cli(
        "check", str(sbom), "--policy", "closed", "--now", NOW, "--format", "json",
        "--server", service.root, "--release", "demo@1.0",
    )  # fmt: skip
    assert kept[0] == 4 and "policyengine: kept demo@1.0 (verdict 1: incomplete)" in kept[2]
