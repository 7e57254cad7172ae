"""Run the artifact-contents checks' case folders directly against the check classes.

The case folders follow docs/policy.md, "Testing policies" and are also run by ``policyengine policy
test``; this harness only needs the check itself, so the cases are exercised
even where the engine is not in the tree. It applies §4's mapping: PASS ->
pass, FAIL -> the rule's severity, UNKNOWN -> unknown, NOT_APPLICABLE -> not
reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from packageurl import PackageURL

from policyengine.checks.base import Check, CheckContext
from policyengine.enrich.bundle import load_bundle
from policyengine.model import Component, Sbom, Status

CASES = Path(__file__).parent / "cases"


def case_folders(slug: str) -> list[Path]:
    return sorted(p for p in (CASES / slug).iterdir() if p.is_dir())


@dataclass
class Outcome:
    overall: str
    results: list[tuple[str, str | None, str]]
    expected: dict[str, Any]


def run_case(folder: Path, check_type: type[Check]) -> Outcome:
    sbom_json = json.loads((folder / "sbom.cdx.json").read_text())
    policy = yaml.safe_load((folder / "policy.yaml").read_text())
    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    [rule] = policy["rules"]
    assert rule["check"] == check_type.slug
    components = []
    for entry in sbom_json["components"]:
        purl = PackageURL.from_string(entry["purl"])
        components.append(
            Component(
                ref=entry["bom-ref"],
                name=entry["name"],
                version=entry["version"],
                ecosystem=purl.type,
                purl=entry["purl"],
            )
        )
    # The enrichment's own bundle loader: the case evidence must load as the engine loads it.
    evidence = load_bundle(folder / "evidence.json")
    sbom = Sbom("cyclonedx", "1.6", str(folder), "sha256:0", tuple(components))
    now = expected["now"]
    context = CheckContext(sbom=sbom, evidence=evidence, now=now)
    params = check_type.params_model.model_validate(rule.get("params") or {})
    check = check_type()
    severity = rule.get("severity", "fail")
    results: list[tuple[str, str | None, str]] = []
    for component in components:
        for finding in check.check_component(
            component, evidence.for_key(component.key), params, context
        ):
            outcome = {
                Status.PASS: "pass",
                Status.FAIL: severity,
                Status.UNKNOWN: "unknown",
                Status.ERROR: "error",
            }.get(finding.status)
            if outcome is not None:
                results.append((rule["id"], component.purl, outcome))
    on_missing = (policy.get("settings") or {}).get("on_missing_evidence", "fail")
    outcomes = {o for _, _, o in results}
    if "fail" in outcomes:
        overall = "fail"
    elif outcomes & {"unknown", "error"} and on_missing == "fail":
        overall = "incomplete"
    elif "warn" in outcomes or (outcomes & {"unknown", "error"} and on_missing == "warn"):
        overall = "warn"
    else:
        overall = "pass"
    return Outcome(overall, results, expected)


def assert_case(folder: Path, check_type: type[Check]) -> None:
    outcome = run_case(folder, check_type)
    assert outcome.overall == outcome.expected["outcome"], outcome
    for want in outcome.expected.get("results") or []:
        triple = (want["rule"], want["component"], want["outcome"])
        assert triple in outcome.results, (triple, outcome.results)
    if not outcome.expected.get("results"):
        assert outcome.results == [], outcome.results
    prefix = folder.name.split("-", 1)[0]
    assert prefix in {"pass", "fail", "warn", "unknown"}, folder.name


def assert_engine_case(folder: Path) -> None:
    """The same folder through the engine's own case runner (`policyengine policy test`)."""
    from policyengine.cases import run_case as engine_run_case

    result = engine_run_case(folder)
    assert result.passed, "\n".join(result.problems)
