"""A verdict that exercises every outcome, waiver state and field the reports render."""

from __future__ import annotations

import datetime

import pytest

from policyengine.engine import evaluate
from policyengine.model import Component, FactKind, Failed
from policyengine.model.policy import (
    Mode,
    OnMissingEvidence,
    Policy,
    PolicyWaiver,
    Rule,
    Selector,
    Settings,
    Severity,
)
from policyengine.model.verdict import Verdict
from tests.engine.fakes import CHECKS, NOW, advisories, component, evidence, package, sbom


def build_verdict() -> Verdict:
    litellm = component("litellm", "1.82.8", direct=True)
    requests = component("requests", "2.32.0")
    left_pad = component("left-pad", "1.3.0", ecosystem="npm")
    odd = Component(ref="vendored|blob", name="blob")
    facts = evidence(
        {
            litellm.key: {
                FactKind.PACKAGE: package("quarantined"),
                FactKind.ADVISORIES: advisories("MAL-2026-2144", "PYSEC-2026-2"),
            },
            requests.key: {FactKind.PACKAGE: package(None), FactKind.ADVISORIES: advisories()},
            left_pad.key: {FactKind.PACKAGE: Failed("HTTP 500 from https://registry.test/")},
        },
        digest="sha256:" + "e" * 64,
    )
    policy = Policy(
        name="report-test",
        settings=Settings(on_missing_evidence=OnMissingEvidence.WARN, waiver_warning_days=14),
        rules=(
            Rule(id="registry-status", check="fake-status", source="policy.yaml:8"),
            Rule(
                id="advisories",
                check="fake-advisories",
                selector=Selector(ecosystems=("pypi",)),
                source="policy.yaml:10",
            ),
            Rule(id="status-log", check="fake-status", mode=Mode.LOG, severity=Severity.WARN),
            Rule(id="sbom-timestamp", check="fake-doc", severity=Severity.WARN),
            Rule(
                id="no-left-pad",
                check="expr",
                params={"expr": 'component.name == "left-pad"', "message": "no | pipes"},
                severity=Severity.WARN,
            ),
            Rule(id="broken", check="exploding", selector=Selector(names=("requests",))),
        ),
        waivers=(
            PolicyWaiver(
                rule="advisories",
                component="pkg:pypi/litellm",
                versions="<1.83",
                advisory="PYSEC-2026-2",
                reason="patched in our fork",
                owner="team-x",
                ticket="SEC-123",
                approved_by="alice",
                expires=datetime.date(2026, 4, 1),
                source="policy.yaml:20",
            ),
            PolicyWaiver(
                rule="registry-status",
                component="pkg:pypi/requests",
                reason="old exception",
                expires=datetime.date(2026, 1, 1),
                source="policy.yaml:29",
            ),
            PolicyWaiver(
                rule="registry-status",
                component="pkg:npm/left-pad",
                reason="never used",
                expires=datetime.date(2027, 1, 1),
                source="policy.yaml:34",
            ),
        ),
        digest="sha256:" + "d" * 64,
    )
    document = sbom(litellm, requests, left_pad, odd, timestamp=None)
    return evaluate(document, facts, policy, NOW, checks=CHECKS)


@pytest.fixture
def verdict() -> Verdict:
    return build_verdict()
