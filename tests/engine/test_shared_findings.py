"""Findings shared between rules: a check runs once per component for equal parameters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

import pytest

from benchmarks.synth import make_evidence_object, make_sbom
from policyengine import engine
from policyengine.checks import registry
from policyengine.checks.base import CheckContext, CheckParams, shared_key
from policyengine.checks.metadata_completeness import MetadataCompletenessCheck
from policyengine.checks.publisher_change import PublisherChangeCheck
from policyengine.checks.registry_status import RegistryStatusCheck
from policyengine.checks.release_age import ReleaseAgeCheck
from policyengine.ingest import parse_bytes
from policyengine.model import Component, ComponentEvidence, Finding
from policyengine.policy.loader import load_policy
from policyengine.report.json import render_json_bytes

NOW = datetime(2026, 11, 28, tzinfo=UTC)
COUNT = 60


def _counted(
    monkeypatch: pytest.MonkeyPatch, checks: Iterable[type[object]]
) -> Counter[tuple[str, str]]:
    calls: Counter[tuple[str, str]] = Counter()
    for check in checks:
        original = check.check_component  # type: ignore[attr-defined]

        def counting(
            self: object,
            component: Component,
            evidence: ComponentEvidence,
            params: CheckParams,
            context: CheckContext,
            original: object = original,
        ) -> Iterable[Finding]:
            calls[shared_key(type(self).slug, params)] += 1  # type: ignore[attr-defined]
            return original(self, component, evidence, params, context)  # type: ignore[operator]

        monkeypatch.setattr(check, "check_component", counting)
    return calls


def _verdict() -> bytes:
    sbom = parse_bytes(make_sbom(COUNT), "s.cdx.json")
    policy = load_policy("release-gate", checks=registry.CHECKS)
    return render_json_bytes(engine.evaluate(sbom, make_evidence_object(COUNT), policy, NOW))


def test_risk_score_reads_the_rules_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    shared_checks = (RegistryStatusCheck, PublisherChangeCheck, MetadataCompletenessCheck)
    calls = _counted(monkeypatch, (*shared_checks, ReleaseAgeCheck))
    shared = _verdict()
    # removed-or-yanked, publisher-change and known-origin have risk-score's parameters:
    # each runs once per component; release-age does not (72h for the rule, 7d for the
    # risk signal), nor does project-status (other statuses).
    for check, params in (
        (RegistryStatusCheck, {"fail_on": ["removed", "yanked", "quarantined"]}),
        (RegistryStatusCheck, {"fail_on": ["archived", "deprecated"]}),
        (PublisherChangeCheck, {}),
        (MetadataCompletenessCheck, {}),
        (ReleaseAgeCheck, {"min_age": "72h"}),
        (ReleaseAgeCheck, {"min_age": "7d"}),
    ):
        key = shared_key(check.slug, check.params_model.model_validate(params))
        assert calls[key] == COUNT, key
    calls.clear()
    monkeypatch.setattr(engine, "_wanted", lambda policy, lookup: {})
    alone = _verdict()
    assert alone == shared  # the same verdict, byte for byte
    key = shared_key(PublisherChangeCheck.slug, PublisherChangeCheck.params_model())
    assert calls[key] == 2 * COUNT
