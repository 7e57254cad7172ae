"""The `enrich` and `db import` subcommands, and settings from arguments and environment."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from policyengine.enrich.osv_db import AdvisoryDb
from policyengine.enrich.settings import DEFAULT_NPM_URL, settings_from
from tests.conftest import corpus_path
from tests.enrich.conftest import Replay


def test_db_import(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(
        "db", "import", str(corpus_path("osv", "litellm-2026-03")), "--cache-dir", str(tmp_path)
    )
    assert code == 0, err
    assert out == ""
    assert "imported 30 advisories" in err and "4 files skipped" in err
    assert AdvisoryDb(tmp_path).count() == 30


def test_db_import_bad_path(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("db", "import", str(tmp_path / "nope.zip"), "--cache-dir", str(tmp_path))
    assert code == 3
    assert "nope.zip" in err and "no such file" in err


def test_enrich_needs_output(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("enrich", "x.json")
    assert code == 2 and "-o" in err


def test_settings_from_args_then_env() -> None:
    env = {"POLICYENGINE_PYPI_URL": "http://mirror/pypi", "POLICYENGINE_CACHE_DIR": "/tmp/pe-x"}
    settings = settings_from(env, osv_url="http://osv.local", offline=True)
    assert settings.pypi_url == "http://mirror/pypi"
    assert settings.npm_url == DEFAULT_NPM_URL
    assert settings.osv_url == "http://osv.local"
    assert str(settings.cache_dir) == "/tmp/pe-x"
    assert settings.offline
    assert settings_from(env, pypi_url="http://cli").pypi_url == "http://cli"


def _cyclonedx_reader_available() -> bool:
    return importlib.util.find_spec("policyengine.ingest.cyclonedx") is not None


def _litellm_sbom(tmp_path: Path) -> Path:
    sbom = tmp_path / "sbom.cdx.json"
    sbom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "components": [
                    {
                        "type": "library",
                        "bom-ref": "litellm",
                        "name": "litellm",
                        "version": "1.82.8",
                        "purl": "pkg:pypi/litellm@1.82.8",
                    }
                ],
            }
        )
    )
    return sbom


def _enrich(run_cli, replay: Replay, tmp_path: Path) -> tuple[int, str, Path]:  # type: ignore[no-untyped-def]
    out = tmp_path / "evidence.json"
    code, _, err = run_cli(
        "enrich", str(_litellm_sbom(tmp_path)), "-o", str(out),
        "--pypi-url", replay.pypi_url, "--npm-url", replay.npm_url,
        "--osv-url", replay.osv_url, "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    return code, err, out


@pytest.mark.skipif(not _cyclonedx_reader_available(), reason="needs CycloneDX reader from main")
def test_enrich_cli_writes_a_bundle(run_cli, replay: Replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, err, out = _enrich(run_cli, replay, tmp_path)
    assert code == 0, err
    assert "warning" not in err
    bundle = json.loads(out.read_text())
    releases = bundle["components"]["pypi/litellm@1.82.8"]["releases"]
    assert releases["status"] == "ok" and releases["value"]["listed"] is False


def test_enrich_cli_says_on_stderr_which_facts_could_not_be_obtained(  # type: ignore[no-untyped-def]
    run_cli, replay: Replay, tmp_path: Path
) -> None:
    replay.faults["/osv/v1/querybatch"] = ["badjson"] * 8
    code, err, out = _enrich(run_cli, replay, tmp_path)
    assert code == 0, err
    (line,) = [x for x in err.splitlines() if "warning" in x]
    assert "advisories facts could not be obtained for 1 component" in line
    assert "pypi/litellm@1.82.8" in line
    advisories = json.loads(out.read_text())["components"]["pypi/litellm@1.82.8"]["advisories"]
    assert advisories["status"] == "failed"
