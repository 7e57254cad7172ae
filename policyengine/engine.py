"""evaluate(sbom, evidence, policy, now) -> Verdict: pure and deterministic.

No I/O, no clock, no randomness: the same inputs give the same verdict. Results
are sorted by a stable key, so neither the order of components in the input
nor the order of rules in the policy changes the verdict. Outcomes follow
docs/verdict.md: a check's FAIL becomes the rule's severity (``warn`` before
``effective_from``, ``info`` in ``log`` mode) unless a waiver covers it;
UNKNOWN stays ``unknown`` and is never counted as a pass.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from itertools import groupby
from operator import itemgetter

from pydantic import ValidationError

from policyengine.checks import registry
from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.model import (
    Component,
    ComponentEvidence,
    Evidence,
    FactKind,
    Failed,
    Finding,
    Missing,
    Sbom,
    Source,
    Status,
    Unidentified,
    coverage_of,
)
from policyengine.model.policy import Mode, OnMissingEvidence, Policy, PolicyWaiver, Rule, Severity
from policyengine.model.verdict import (
    SCHEMA_VERSION,
    ComponentRef,
    Outcome,
    PolicyRef,
    ResultOutcome,
    ResultSource,
    RuleResult,
    Subject,
    Summary,
    Verdict,
    WaiverRef,
    WaiverReport,
    WaiverStatus,
)
from policyengine.policy.selectors import selects
from policyengine.policy.waivers import days_left, is_expired, waiver_matches

Sboms = Sbom | Sequence[Sbom]


@dataclass(frozen=True, slots=True)
class _Raw:
    rule: Rule
    component: Component | None
    finding: Finding


def evaluate(
    sbom: Sboms,
    evidence: Evidence,
    policy: Policy,
    now: datetime,
    *,
    checks: Sequence[type[Check]] | None = None,
) -> Verdict:
    """Judge ``sbom`` (one document or several) against ``policy`` with ``evidence`` at ``now``.

    ``checks`` replaces the registry (tests use it to add checks of their own).
    """
    # Every result built here lives until the verdict is returned, so the cyclic collector
    # finds nothing; paused, it stops rescanning the whole heap (inputs and evidence
    # included) every few thousand allocations: that was half of evaluate at 10,000
    # components (benchmarks/README.md). The SBOM readers and bundle loader do the same.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(sbom, evidence, policy, now, checks)
    finally:
        if was_enabled:
            gc.enable()


def _evaluate(
    sbom: Sboms,
    evidence: Evidence,
    policy: Policy,
    now: datetime,
    checks: Sequence[type[Check]] | None,
) -> Verdict:
    documents = _documents(sbom)
    moment = _utc(now)
    lookup = _lookup(registry.CHECKS if checks is None else checks)
    not_applicable = 0
    waivers = sorted(policy.waivers, key=_waiver_key)
    today = moment.date()
    active = [w for w in waivers if not is_expired(w, today)]
    matched: Counter[int] = Counter()
    results = []
    # One ComponentRef per component (ids are stable: the documents hold every component
    # for the whole evaluation); building them per result was ~5 % of evaluate at 10k.
    refs: dict[int, ComponentRef | None] = {}
    shared: dict[tuple[int, ...], tuple[tuple[Source, ...], tuple[ResultSource, ...]]] = {}
    contexts: dict[int, CheckContext] = {}
    for rule in policy.rules:
        for raw in _run_rule(rule, lookup, documents, evidence, moment, contexts):
            if raw.finding.status is Status.NOT_APPLICABLE:
                not_applicable += 1
                continue
            # Turned into a result at once, so the findings are not all held until the end
            # (peak memory at 50,000 components, benchmarks/README.md).
            result, waiver_index = _result(raw, active, moment, refs, shared)
            if waiver_index is not None:
                matched[waiver_index] += 1
            results.append(result)
    _sort_results(results)
    report = _waiver_report(waivers, active, matched, today, policy.settings.waiver_warning_days)
    all_components = tuple(c for d in documents for c in d.components)
    coverage = coverage_of(all_components)
    coverage = replace(
        coverage, unidentified=tuple(sorted(coverage.unidentified, key=_unidentified_key))
    )
    final = tuple(results)
    return Verdict(
        schema_version=SCHEMA_VERSION,
        outcome=overall_outcome(final, policy.settings.on_missing_evidence),
        evaluated_at=moment,
        subject=_subject(documents),
        policy=PolicyRef(policy.name, policy.digest),
        evidence_digest=evidence.digest,
        summary=summarise(final, not_applicable, len(policy.rules), len(all_components)),
        coverage=coverage,
        results=final,
        waivers=report,
    )


def required_facts(
    policy: Policy, sbom: Sboms, *, checks: Sequence[type[Check]] | None = None
) -> set[FactKind]:
    """The fact kinds the policy's rules need for the components they select."""
    documents = _documents(sbom)
    lookup = _lookup(registry.CHECKS if checks is None else checks)
    needed: set[FactKind] = set()
    for rule in policy.rules:
        check = lookup.get(rule.check)
        if check is None:
            continue
        applies = check.level == "document" or any(
            selects(rule.selector, c) for d in documents for c in d.components
        )
        if not applies:
            continue
        needed.update(check.needs)
        try:
            needed.update(_dynamic_needs(check, check.params_model.model_validate(rule.params)))
        except ValidationError:
            continue
    return needed


def changed_components(base: Sboms, head: Sboms) -> set[str]:
    """Keys of the components HEAD adds, or changes (same key, other purl or hashes)."""

    def index(documents: tuple[Sbom, ...]) -> dict[str, set[tuple[object, ...]]]:
        found: dict[str, set[tuple[object, ...]]] = {}
        for document in documents:
            for c in document.components:
                hashes = tuple(sorted((h.alg, h.value) for h in c.hashes))
                found.setdefault(c.key, set()).add((c.purl, hashes))
        return found

    before, after = index(_documents(base)), index(_documents(head))
    return {key for key, shapes in after.items() if key not in before or shapes - before[key]}


def restrict(verdict: Verdict, keys: set[str], policy: Policy) -> Verdict:
    """The verdict with only the results about components whose key is in ``keys``."""
    kept = tuple(
        r for r in verdict.results if r.component is not None and _ref_key(r.component) in keys
    )
    summary = summarise(kept, 0, verdict.summary.rules, len(keys))
    return replace(
        verdict,
        results=kept,
        summary=summary,
        outcome=overall_outcome(kept, policy.settings.on_missing_evidence),
    )


def _ref_key(ref: ComponentRef) -> str:
    return ref.ref


def evaluate_diff(
    base: Sboms,
    head: Sboms,
    evidence: Evidence,
    policy: Policy,
    now: datetime,
    *,
    checks: Sequence[type[Check]] | None = None,
) -> Verdict:
    """Judge HEAD, keeping only results for components that HEAD adds or changes."""
    keys = changed_components(base, head)
    verdict = evaluate(head, evidence, policy, now, checks=checks)
    refs = {c.ref for d in _documents(head) for c in d.components if c.key in keys}
    return restrict(verdict, refs, policy)


def overall_outcome(results: Iterable[RuleResult], on_missing: OnMissingEvidence) -> Outcome:
    """docs/verdict.md: fail > incomplete (unknown, fail-closed) > warn > pass."""
    seen = {r.outcome for r in results}
    if "fail" in seen:
        return "fail"
    incomplete = bool(seen & {"unknown", "error"})
    if incomplete and on_missing is OnMissingEvidence.FAIL:
        return "incomplete"
    if "warn" in seen or (incomplete and on_missing is OnMissingEvidence.WARN):
        return "warn"
    return "pass"


def summarise(
    results: Sequence[RuleResult], not_applicable: int, rules: int, components: int
) -> Summary:
    """Count results by outcome."""
    counts = Counter(r.outcome for r in results)
    return Summary(
        results=len(results),
        passed=counts["pass"],
        failed=counts["fail"],
        warned=counts["warn"],
        info=counts["info"],
        waived=counts["waived"],
        unknown=counts["unknown"],
        error=counts["error"],
        not_applicable=not_applicable,
        rules=rules,
        components=components,
    )


def _documents(sbom: Sboms) -> tuple[Sbom, ...]:
    return (sbom,) if isinstance(sbom, Sbom) else tuple(sbom)


def _utc(now: datetime) -> datetime:
    # A naive time is taken as UTC so that verdicts never depend on the machine's zone.
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def _lookup(checks: Sequence[type[Check]]) -> dict[str, type[Check]]:
    found: dict[str, type[Check]] = {}
    for check in checks:
        found[check.slug] = check
        found.setdefault(check.id, check)
    return found


def _run_rule(
    rule: Rule,
    lookup: Mapping[str, type[Check]],
    documents: tuple[Sbom, ...],
    evidence: Evidence,
    now: datetime,
    contexts: dict[int, CheckContext] | None = None,
) -> Iterable[_Raw]:
    check_type = lookup.get(rule.check)
    if check_type is None:
        yield _Raw(rule, None, Finding(Status.ERROR, f"check {rule.check!r} is not available"))
        return
    try:
        params = check_type.params_model.model_validate(rule.params)
    except ValidationError as exc:
        yield _Raw(rule, None, Finding(Status.ERROR, f"invalid params: {exc.errors()[0]['msg']}"))
        return
    check = check_type()
    for document in documents:
        # One context per document for all rules, so checks can share work through its memo.
        context = (contexts if contexts is not None else {}).get(id(document))
        if context is None:
            context = CheckContext(document, evidence, now)
            if contexts is not None:
                contexts[id(document)] = context
        if check_type.level == "document":
            yield from _document_findings(rule, check, params, context)
            continue
        for component in document.components:
            if selects(rule.selector, component):
                yield from _component_findings(rule, check, component, params, context)


def _component_findings(
    rule: Rule, check: Check, component: Component, params: CheckParams, context: CheckContext
) -> Iterable[_Raw]:
    facts = context.evidence.for_key(component.key)
    try:
        findings = list(check.check_component(component, facts, params, context))
    except Exception as exc:  # a broken check must not hide the other results
        findings = [Finding(Status.ERROR, f"the check raised {type(exc).__name__}: {exc}")]
    if not findings:
        findings = [Finding(Status.ERROR, "the check gave no answer")]
    absent = _absent_needs(check, facts, context.evidence)
    for finding in findings:
        if absent is not None and finding.status is Status.PASS:
            # Fail closed: with none of the evidence it needs, a check cannot have passed.
            finding = replace(
                finding,
                status=Status.UNKNOWN,
                message=f"{finding.message} (but none of the evidence it needs was obtained: "
                f"{absent})",
            )
        yield _Raw(rule, component, finding)


def _absent_needs(check: Check, facts: ComponentEvidence, evidence: Evidence) -> str | None:
    """Why the check has none of the facts it declares it needs, or None if it has one.

    Only the declared ``needs`` count: an ``expr`` rule may pass on purpose when a fact
    is missing (``has_fact`` guards), so its expression decides for itself.
    """
    needs = tuple(check.needs)
    if not needs:
        return None
    reasons = []
    for kind in dict.fromkeys(needs):
        fact = evidence.project if kind is FactKind.PROJECT else facts.get(kind)
        if fact is None:
            reasons.append(f"{kind.value}: not collected")
        elif isinstance(fact, Missing):
            reasons.append(f"{kind.value}: {fact.reason}")
        elif isinstance(fact, Failed):
            reasons.append(f"{kind.value}: {fact.error}")
        else:
            return None
    return "; ".join(reasons)


def _dynamic_needs(check: type[Check], params: CheckParams) -> tuple[FactKind, ...]:
    needs_for = getattr(check, "needs_for", None)
    if needs_for is None:
        return ()
    found: tuple[FactKind, ...] = needs_for(params)
    return found


def _document_findings(
    rule: Rule, check: Check, params: CheckParams, context: CheckContext
) -> Iterable[_Raw]:
    try:
        pairs = list(check.check_document(params, context))
    except Exception as exc:  # a broken check must not hide the other results
        pairs = [(None, Finding(Status.ERROR, f"the check raised {type(exc).__name__}: {exc}"))]
    for component, finding in pairs:
        if component is None or selects(rule.selector, component):
            yield _Raw(rule, component, finding)


def _result(
    raw: _Raw,
    waivers: Sequence[PolicyWaiver],
    now: datetime,
    refs: dict[int, ComponentRef | None] | None = None,
    shared: dict[tuple[int, ...], tuple[tuple[Source, ...], tuple[ResultSource, ...]]]
    | None = None,
) -> tuple[RuleResult, int | None]:
    rule, finding, component = raw.rule, raw.finding, raw.component
    if refs is None:
        ref = _component_ref(component)
    else:
        ref = refs.get(id(component))
        if ref is None:
            ref = refs[id(component)] = _component_ref(component)
    outcome: ResultOutcome
    waiver: WaiverRef | None = None
    index: int | None = None
    message = finding.message
    if finding.status is Status.PASS:
        outcome = "pass"
    elif finding.status is Status.FAIL:
        outcome = _fail_outcome(rule, now)
        message = rule.message or finding.message
        for i, candidate in enumerate(waivers):
            if waiver_matches(candidate, rule.id, component, finding.subject):
                outcome, waiver, index = "waived", waiver_ref(candidate), i
                break
    elif finding.status is Status.UNKNOWN:
        outcome = "unknown"
    else:
        outcome = "error"
    result = RuleResult(
        rule=rule.id,
        check=rule.check,
        severity=rule.severity.value,
        outcome=outcome,
        component=ref,
        message=message,
        observed=finding.observed,
        expected=finding.expected,
        sources=_sources_of(finding.sources, shared),
        remediation=finding.remediation,
        waiver=waiver,
        subject=finding.subject,
    )
    return result, index


def _fail_outcome(rule: Rule, now: datetime) -> ResultOutcome:
    if rule.mode is Mode.LOG:
        return "info"
    if rule.severity is Severity.FAIL:
        if rule.effective_from is not None and now.date() < rule.effective_from:
            return "warn"
        return "fail"
    return "warn" if rule.severity is Severity.WARN else "info"


def _sources_of(
    sources: tuple[Source, ...],
    shared: dict[tuple[int, ...], tuple[tuple[Source, ...], tuple[ResultSource, ...]]] | None,
) -> tuple[ResultSource, ...]:
    # The results of one component cite the same Source objects: one copy for all. The
    # dict keeps the cited objects alive, so an id in a key cannot be reused meanwhile.
    if shared is None:
        return tuple(ResultSource(s.name, s.url, s.fetched_at) for s in sources)
    key = tuple(map(id, sources))
    found = shared.get(key)
    if found is None:
        copies = tuple(ResultSource(s.name, s.url, s.fetched_at) for s in sources)
        found = shared[key] = (tuple(sources), copies)
    return found[1]


def _component_ref(component: Component | None) -> ComponentRef | None:
    if component is None:
        return None
    return ComponentRef(component.ref, component.purl, component.name, component.version)


def waiver_ref(waiver: PolicyWaiver) -> WaiverRef:
    """The verdict's copy of a policy waiver."""
    return WaiverRef(
        rule=waiver.rule,
        component=waiver.component,
        reason=waiver.reason,
        versions=waiver.versions,
        advisory=waiver.advisory,
        owner=waiver.owner,
        ticket=waiver.ticket,
        approved_by=waiver.approved_by,
        expires=waiver.expires,
        source=waiver.source,
    )


def _waiver_key(waiver: PolicyWaiver) -> tuple[str, ...]:
    return (
        waiver.rule,
        waiver.component,
        waiver.versions or "",
        waiver.advisory or "",
        waiver.expires.isoformat() if waiver.expires else "",
        waiver.reason,
        waiver.source or "",
    )


def _waiver_report(
    waivers: Sequence[PolicyWaiver],
    active: Sequence[PolicyWaiver],
    matched: Counter[int],
    today: date,
    warning_days: int,
) -> WaiverReport:
    applied, expired, unused = [], [], []
    active_index = {id(w): i for i, w in enumerate(active)}
    for waiver in waivers:
        left = days_left(waiver, today)
        index = active_index.get(id(waiver))
        status = WaiverStatus(
            waiver=waiver_ref(waiver),
            matched=matched[index] if index is not None else 0,
            days_left=left,
            expiring=left is not None and 0 <= left <= warning_days,
        )
        if index is None:
            expired.append(status)
        elif status.matched:
            applied.append(status)
        else:
            unused.append(status)
    return WaiverReport(tuple(applied), tuple(expired), tuple(unused))


def _result_key(result: RuleResult) -> tuple[str, ...]:
    return (*_cheap_key(result), _observed_key(result))


def _cheap_key(result: RuleResult) -> tuple[str, ...]:
    component = result.component
    return (
        result.rule,
        component.ref if component else "",
        component.purl or "" if component else "",
        result.subject or "",
        result.outcome,
        result.message,
    )


def _observed_key(result: RuleResult) -> str:
    return json.dumps(result.observed, sort_keys=True, default=str)


def _sort_results(results: list[RuleResult]) -> None:
    """Sort in place by ``_result_key``, serialising ``observed`` only to break ties.

    The same order as ``results.sort(key=_result_key)``: encoding every observed value
    was a sixth of ``evaluate`` at 10,000 components (benchmarks/README.md), and ties on
    the other fields are rare.
    """
    keyed = sorted(((_cheap_key(r), r) for r in results), key=itemgetter(0))
    results.clear()
    for _, group in groupby(keyed, key=itemgetter(0)):
        tied = [r for _, r in group]
        results.extend(sorted(tied, key=_observed_key) if len(tied) > 1 else tied)


def _unidentified_key(item: Unidentified) -> tuple[str, str]:
    return item.ref, item.reason


def _subject(documents: tuple[Sbom, ...]) -> Subject:
    inputs = tuple(d.source for d in documents)
    if len(documents) == 1:
        return Subject(inputs, documents[0].digest)
    joined = "\n".join(sorted(d.digest for d in documents))
    return Subject(inputs, "sha256:" + hashlib.sha256(joined.encode()).hexdigest())
