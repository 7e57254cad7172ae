"""The public API of DESIGN.md: read_sbom, load_policy, enrich.enrich, evaluate, render."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import policyengine
from policyengine import enrich
from policyengine.enrich import EnrichSettings, load_bundle
from policyengine.model import FactKind, Failed, Missing
from tests.conftest import ROOT

SBOM = ROOT / "examples" / "litellm-2026" / "sbom-litellm-1.82.8.cdx.json"
EVIDENCE = ROOT / "tests" / "fixtures" / "evidence" / "litellm-1.82.8.evidence.json"
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def test_the_pipeline_judges_the_litellm_sbom_on_recorded_evidence() -> None:
    sbom = policyengine.read_sbom(SBOM)
    policy = policyengine.load_policy("baseline")
    verdict = policyengine.evaluate([sbom], load_bundle(EVIDENCE), policy, NOW)
    assert verdict.outcome == "fail"
    document = json.loads(policyengine.render(verdict, "json"))
    failed = {r["rule"] for r in document["results"] if r["outcome"] == "fail"}
    assert {"removed-or-yanked", "malicious-packages"} <= failed


def test_enrich_offline_with_an_empty_cache_collects_nothing_and_says_why(tmp_path: Path) -> None:
    sbom = policyengine.read_sbom(SBOM)
    settings = EnrichSettings(cache_dir=tmp_path, offline=True, progress=False)
    evidence = enrich.enrich(sbom, settings, {FactKind.RELEASES})
    fact = evidence.for_key("pypi/litellm@1.82.8").get(FactKind.RELEASES)
    assert isinstance(fact, Missing | Failed)
    assert "offline" in str(fact)


def test_required_facts_follow_the_policy() -> None:
    sbom = policyengine.read_sbom(SBOM)
    needed = policyengine.required_facts(policyengine.load_policy("baseline"), [sbom])
    assert {FactKind.RELEASES, FactKind.ADVISORIES} <= needed


def test_a_report_written_as_evaluated_is_the_rendered_report(tmp_path: Path) -> None:
    # The module docstring's example for large inputs, for every format.
    import pytest

    from policyengine.report import FORMATS

    sbom = policyengine.read_sbom(SBOM)
    policy = policyengine.load_policy("release-gate")
    evidence = load_bundle(EVIDENCE)
    whole = policyengine.evaluate([sbom], evidence, policy, NOW)
    for fmt in FORMATS:
        run = policyengine.Evaluation([sbom], evidence, policy, NOW)
        target = tmp_path / f"verdict.{fmt}"
        version = policyengine.__version__
        with policyengine.block_writer(fmt, inputs=run.subject.inputs, tool_version=version) as out:
            for block in run.blocks():
                out.add(block)
            with target.open("wb") as handle:
                out.write(run.verdict(), handle)
        rendered = policyengine.render(whole, fmt, tool_version=version)
        assert target.read_text(encoding="utf-8") == rendered, fmt
    with pytest.raises(ValueError, match="pdf"):
        policyengine.block_writer("pdf", inputs=(), tool_version="0")


def test_importing_the_package_does_not_import_the_engine() -> None:
    # issue 16: `policyengine --version` paid ~0.8 s for the engine, checks and models
    import subprocess
    import sys

    code = (
        "import sys, policyengine; "
        "assert 'policyengine.engine' not in sys.modules, 'engine imported eagerly'; "
        "assert policyengine.evaluate.__name__ == 'evaluate'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
