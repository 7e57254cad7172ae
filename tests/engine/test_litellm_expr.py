"""End to end: the LiteLLM 1.82.8 incident caught by `expr` rules alone, on recorded evidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

SBOM = ROOT / "examples" / "litellm-2026" / "sbom-litellm-1.82.8.cdx.json"
EVIDENCE = ROOT / "tests" / "fixtures" / "evidence" / "litellm-1.82.8.evidence.json"
POLICY = """\
apiVersion: policyengine/v1
kind: Policy
metadata: {name: expr-gate}
settings: {on_missing_evidence: warn}
rules:
  - id: removed-version
    check: expr
    params:
      expr: 'has_fact("releases") && !facts.releases.listed'
      message: the registry no longer lists this version
  - id: malicious
    check: expr
    params:
      expr: 'has_fact("advisories") && facts.advisories.advisories.exists(a, a.malicious)'
waivers:
  - rule: malicious
    component: pkg:pypi/litellm
    versions: "<1.82.8"
    reason: only to show an unused waiver
    expires: 2026-12-31
"""


def test_litellm_1_82_8_fails_on_removed_and_malicious(run_cli: Any, tmp_path: Path) -> None:
    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY)
    code, out, err = run_cli(
        "check",
        str(SBOM),
        "--policy",
        str(policy),
        "--evidence",
        str(EVIDENCE),
        "--now",
        "2026-03-24T18:00:00Z",
        "--format",
        "json",
    )
    assert code == 1, err
    verdict = json.loads(out)
    failed = {
        (r["rule"], r["component"]["purl"]) for r in verdict["results"] if r["outcome"] == "fail"
    }
    assert failed == {
        ("removed-version", "pkg:pypi/litellm@1.82.8"),
        ("malicious", "pkg:pypi/litellm@1.82.8"),
    }
    assert verdict["evidence_digest"].startswith("sha256:")
    assert verdict["subject"]["digest"].startswith("sha256:")
    assert [w["waiver"]["versions"] for w in verdict["waivers"]["unused"]] == ["<1.82.8"]
    assert verdict["summary"]["components"] == verdict["coverage"]["total"]
