"""evaluate_diff: what a change from BASE to HEAD introduced, and what it was compared with.

Component-level rules keep the results about components HEAD adds or changes;
document-level rules keep the results BASE does not have (same rule, component, subject
and outcome). ``FakeDoc`` fails a document without a timestamp; ``FakeSuppliers`` below
answers per component from the document level.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import ClassVar

from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.hashes import HashesCheck
from policyengine.engine import (
    evaluate,
    evaluate_diff,
    overall_outcome,
    restrict,
    summarise,
)
from policyengine.model import Component, Evidence, FactKind, Finding, Hash, Sbom, Status
from policyengine.model.policy import OnMissingEvidence, Policy, Rule, Settings, Severity
from policyengine.model.verdict import Subject, Verdict
from policyengine.report.json import verdict_document
from tests.engine.fakes import CHECKS, NOW, build, component, evidence, package, sbom


class FakeSuppliers(Check):
    """Document-level, one finding per component: fails components without a supplier.

    What it checks:
        x
    Why:
        x
    Parameters:
        x
    Example:
        x
    How to fix:
        x
    """

    id: ClassVar[str] = "PE-TEST-006"
    slug: ClassVar[str] = "fake-suppliers"
    title: ClassVar[str] = "fake per-component document check"
    level: ClassVar = "document"

    def check_document(
        self, params: CheckParams, context: CheckContext
    ) -> Iterable[tuple[Component | None, Finding]]:
        for c in context.sbom.components:
            status = Status.PASS if c.supplier else Status.FAIL
            yield c, Finding(status, f"{c.name} supplier: {c.supplier}")


ALL_CHECKS: tuple[type[Check], ...] = (*CHECKS, FakeSuppliers)
STATUS = Rule(id="status", check="fake-status")
DOC = Rule(id="doc", check="fake-doc")
POLICY = Policy(name="diff", rules=(STATUS, DOC))
LITELLM = component("litellm", "1.82.8")
REQUESTS = component("requests", "2.32.0")
FACTS = evidence(
    {
        LITELLM.key: {FactKind.PACKAGE: package("quarantined")},
        REQUESTS.key: {FactKind.PACKAGE: package(None)},
    }
)


def _named(document: Sbom, source: str, digest: str) -> Sbom:
    return dataclasses.replace(document, source=source, digest="sha256:" + digest * 64)


def _outcomes(verdict: Verdict) -> list[tuple[str, str | None, str]]:
    return [(r.rule, r.component.name if r.component else None, r.outcome) for r in verdict.results]


def _diff(base: Sbom, head: Sbom, policy: Policy = POLICY) -> Verdict:
    return evaluate_diff(base, head, FACTS, policy, NOW, checks=ALL_CHECKS)


def test_the_verdict_names_base_and_head() -> None:
    base = _named(sbom(REQUESTS), "base.cdx.json", "b")
    head = _named(sbom(REQUESTS, LITELLM), "head.cdx.json", "a")
    verdict = _diff(base, head)
    assert verdict.subject == Subject(
        ("head.cdx.json",), "sha256:" + "a" * 64, Subject(("base.cdx.json",), "sha256:" + "b" * 64)
    )
    assert verdict.subject.base is not None and verdict.subject.base.base is None
    # check names no base
    assert evaluate(head, FACTS, POLICY, NOW, checks=ALL_CHECKS).subject.base is None


def test_a_document_rule_that_newly_fails_fails_the_diff() -> None:
    verdict = _diff(sbom(REQUESTS), sbom(REQUESTS, timestamp=None))
    assert _outcomes(verdict) == [("doc", None, "fail")]
    assert verdict.outcome == "fail"
    assert verdict.summary.results == 1 and verdict.summary.failed == 1


def test_a_document_rule_failing_in_both_is_not_reported() -> None:
    verdict = _diff(sbom(REQUESTS, timestamp=None), sbom(REQUESTS, timestamp=None))
    assert verdict.results == () and verdict.outcome == "pass"
    # ... while the component HEAD adds is judged as before, alone
    verdict = _diff(sbom(REQUESTS, timestamp=None), sbom(REQUESTS, LITELLM, timestamp=None))
    assert _outcomes(verdict) == [("status", "litellm", "fail")]
    assert verdict.summary.failed == 1 and verdict.summary.results == 1


def test_a_document_rule_the_change_fixed_is_reported_as_a_pass() -> None:
    verdict = _diff(sbom(REQUESTS, timestamp=None), sbom(REQUESTS))
    assert _outcomes(verdict) == [("doc", None, "pass")]
    assert verdict.outcome == "pass" and verdict.summary.passed == 1


def test_a_document_rule_passing_in_both_is_not_reported() -> None:
    assert _diff(sbom(REQUESTS), sbom(REQUESTS)).results == ()


def test_a_new_warning_counts_and_decides_the_outcome() -> None:
    policy = Policy(name="warn", rules=(DOC.model_copy(update={"severity": Severity.WARN}),))
    verdict = _diff(sbom(REQUESTS), sbom(REQUESTS, timestamp=None), policy)
    assert verdict.outcome == "warn" and verdict.summary.warned == 1


def test_per_component_document_results_match_by_purl_not_ref() -> None:
    policy = Policy(name="suppliers", rules=(Rule(id="suppliers", check="fake-suppliers"),))
    # Same package, another bom-ref: the same answer, not introduced by the change.
    base = sbom(dataclasses.replace(REQUESTS, ref="requests-ref-1"))
    head = sbom(dataclasses.replace(REQUESTS, ref="requests-ref-2"), LITELLM)
    verdict = _diff(base, head, policy)
    assert _outcomes(verdict) == [("suppliers", "litellm", "fail")]
    # A document-level answer about a changed component is kept only when it is new.
    rehashed = dataclasses.replace(REQUESTS, supplier="PSF")
    verdict = _diff(sbom(rehashed), sbom(dataclasses.replace(rehashed, version="9")), policy)
    assert _outcomes(verdict) == [("suppliers", "requests", "pass")]


def test_restrict_counts_exactly_the_kept_results() -> None:
    head = sbom(REQUESTS, LITELLM, timestamp=None)
    full = evaluate(head, FACTS, POLICY, NOW, checks=ALL_CHECKS)
    doc_fail = next(r for r in full.results if r.rule == "doc")
    # Only litellm changed; the document failure is in BASE too.
    kept = restrict(
        full, {LITELLM.ref}, POLICY, document_checks={"fake-doc"}, base_results=[doc_fail]
    )
    assert _outcomes(kept) == [("status", "litellm", "fail")]
    assert kept.summary == summarise(kept.results, 0, full.summary.rules, 1)
    # Without BASE's document failure, it is kept and counted.
    kept = restrict(full, {LITELLM.ref}, POLICY, document_checks={"fake-doc"})
    assert _outcomes(kept) == [("doc", None, "fail"), ("status", "litellm", "fail")]
    assert kept.summary.failed == 2 and kept.summary.results == 2


def test_base_is_judged_by_document_rules_only_with_the_same_evidence() -> None:
    # BASE's components have no facts at all: were its component rules run, the unknowns
    # would not matter (they are not compared), but a document rule needing nothing
    # still answers the same way for the same document.
    base = sbom(component("left-pad", "1.3.0", ecosystem="npm"), timestamp=None)
    head = sbom(component("left-pad", "1.3.0", ecosystem="npm"), REQUESTS, timestamp=None)
    verdict = _diff(base, head)
    assert _outcomes(verdict) == [("status", "requests", "pass")]
    assert verdict.outcome == "pass"


NAMES = ["alpha", "beta", "gamma", "delta"]
STATUSES = [None, "quarantined", "archived"]
RULES = (
    STATUS,
    Rule(id="status-warn", check="fake-status", severity=Severity.WARN),
    Rule(id="adv", check="fake-advisories"),
    DOC,
    Rule(id="suppliers", check="fake-suppliers"),
    Rule(id="custom", check="expr", params={"expr": 'component.name.startsWith("a")'}),
    Rule(id="boom", check="exploding"),
)
items = st.lists(
    st.tuples(
        st.sampled_from(NAMES),
        st.sampled_from(["1.0", "2.0"]),
        st.sampled_from(STATUSES),
        st.booleans(),
        st.booleans(),
    ),
    max_size=6,
    unique_by=lambda t: (t[0], t[1]),
)


def _world(
    drawn: list[tuple[str, str, str | None, bool, bool]], timestamp: bool
) -> tuple[Sbom, Evidence]:
    """HEAD or BASE from ``(name, version, status, has a supplier, facts present)``."""
    built, facts = build(
        (name, version, status, ("A-1",) if status else (), present)
        for name, version, status, _, present in drawn
    )
    supplied = [
        dataclasses.replace(c, supplier="s" if item[3] else None)
        for c, item in zip(built, drawn, strict=True)
    ]
    return sbom(*supplied, timestamp="2026-03-24T00:00:00Z" if timestamp else None), facts


on_missing = st.sampled_from(list(OnMissingEvidence))


@settings(max_examples=40, deadline=None)
@given(drawn=items, timestamp=st.booleans(), missing=on_missing)
def test_a_diff_of_anything_against_itself_is_empty_and_passes(
    drawn: list[tuple[str, str, str | None, bool, bool]],
    timestamp: bool,
    missing: OnMissingEvidence,
) -> None:
    document, facts = _world(drawn, timestamp)
    policy = Policy(name="p", rules=RULES, settings=Settings(on_missing_evidence=missing))
    verdict = evaluate_diff(
        document,
        document,
        facts,
        policy,
        NOW,
        checks=ALL_CHECKS,
    )
    assert verdict.results == ()
    assert verdict.outcome == "pass"
    assert verdict.summary.results == 0 and verdict.summary.components == 0
    assert verdict.subject.base == dataclasses.replace(verdict.subject, base=None)


@settings(max_examples=40, deadline=None)
@given(
    before=items,
    after=items,
    base_stamp=st.booleans(),
    head_stamp=st.booleans(),
    missing=on_missing,
)
def test_a_diff_keeps_a_part_of_what_check_says_and_counts_only_it(
    before: list[tuple[str, str, str | None, bool, bool]],
    after: list[tuple[str, str, str | None, bool, bool]],
    base_stamp: bool,
    head_stamp: bool,
    missing: OnMissingEvidence,
) -> None:
    base, _ = _world(before, base_stamp)
    head, facts = _world(after, head_stamp)
    policy = Policy(name="p", rules=RULES, settings=Settings(on_missing_evidence=missing))
    verdict = evaluate_diff(base, head, facts, policy, NOW, checks=ALL_CHECKS)
    full = evaluate(head, facts, policy, NOW, checks=ALL_CHECKS)
    everything = verdict_document(full)["results"]
    assert all(r in everything for r in verdict_document(verdict)["results"])
    assert verdict.outcome == overall_outcome(verdict.results, policy)
    assert verdict.summary == summarise(
        verdict.results, 0, full.summary.rules, verdict.summary.components
    )
    # The document rule is reported exactly when its outcome differs between the two.
    assert any(r.rule == "doc" for r in verdict.results) == (base_stamp != head_stamp)


HASHES = Rule(id="hashes", check="hashes", params={"compare_registry": False})
HASHED = component("idna", "3.10", hashes=(Hash("sha256", "a" * 64),))


def _hash_diff(base: Sbom, head: Sbom) -> Verdict:
    policy = Policy(name="hashes", rules=(HASHES,))
    return evaluate_diff(base, head, FACTS, policy, NOW, checks=(*ALL_CHECKS, HashesCheck))


def test_an_input_without_digests_fails_once_and_a_diff_reports_it_only_when_new() -> None:
    # BASE carried digests, HEAD (a pip freeze, say) carries none: news, said once.
    verdict = _hash_diff(sbom(HASHED), sbom(REQUESTS, LITELLM))
    assert _outcomes(verdict) == [("hashes", None, "fail")]
    # Both without digests: the format did not change; the new component is no news here.
    assert _hash_diff(sbom(REQUESTS), sbom(REQUESTS, LITELLM)).results == ()


def test_once_some_components_carry_digests_the_others_fail_on_their_own() -> None:
    verdict = _hash_diff(sbom(HASHED), sbom(HASHED, LITELLM))
    assert _outcomes(verdict) == [("hashes", "litellm", "fail")]
