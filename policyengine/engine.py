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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Literal

import orjson
from pydantic import ValidationError

from policyengine.checks import registry
from policyengine.checks.base import (
    Check,
    CheckContext,
    CheckParams,
    SharedKey,
    Sharing,
    answers_for_selection,
    shared_key,
    shared_memo_key,
)
from policyengine.model import (
    Component,
    ComponentEvidence,
    Evidence,
    FactKind,
    Failed,
    Finding,
    JsonValue,
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
    SCHEMA_VERSION_ALL,
    ComponentRef,
    Outcome,
    PolicyRef,
    ResultBlock,
    ResultOutcome,
    ResultsMode,
    ResultSource,
    RulePasses,
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


class _Values:
    """One copy of each ``observed``/``expected`` value a rule's results repeat.

    Most results of a rule repeat its ``expected`` (built from the rule's parameters) and
    many repeat their ``observed`` (every clean component of ``registry-status`` observes the
    same five fields): one copy for all took ~150 MB off 50,000 components
    (benchmarks/README.md). Two values are the same when orjson writes them as the same
    bytes and they compare equal, so ``1``, ``1.0`` and ``true`` stay apart, and so do
    ``None`` and ``inf`` (both written as null); anything orjson does not write as plain
    JSON (datetimes, dataclasses, sets) is never shared. The verdict's values are
    not mutated after evaluation, which is what makes sharing them safe.
    """

    __slots__ = ("_seen",)

    LIMIT = 1024
    """Distinct values remembered per rule: the repeated ones come early and often."""

    def __init__(self) -> None:
        self._seen: dict[bytes, JsonValue] = {}

    def share(self, value: JsonValue) -> JsonValue:
        """``value``, or an earlier value of this rule that writes the same JSON."""
        if type(value) is not dict and type(value) is not list:
            return value  # scalars are small and literal strings are shared already
        try:
            key = orjson.dumps(value, option=_STRICT)
        except TypeError:
            return value
        found = self._seen.get(key)
        # Equal bytes and equal values: orjson writes None, inf and nan all as null, and
        # tuples like lists, which other reports (JUnit's text, Markdown) tell apart.
        if found is not None and found == value:
            return found
        if len(self._seen) < self.LIMIT:
            self._seen[key] = value
        return value


_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
"""orjson options under which only plain JSON values serialise (the rest raise TypeError)."""


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
    results: ResultsMode = "all",
) -> Verdict:
    """Judge ``sbom`` (one document or several) against ``policy`` with ``evidence`` at ``now``.

    ``checks`` replaces the registry (tests use it to add checks of their own).
    ``results`` is what the verdict lists: ``all`` results (schema version "1"), or only
    those that need ``attention``, passes counted per rule (schema version "2").
    """
    # Every result built here lives until the verdict is returned, so the cyclic collector
    # finds nothing; paused, it stops rescanning the whole heap (inputs and evidence
    # included) every few thousand allocations: that was half of evaluate at 10,000
    # components (benchmarks/README.md). The SBOM readers and bundle loader do the same.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        run = Evaluation(sbom, evidence, policy, now, checks=checks, results=results)
        listed = [result for block in run.blocks() for result in block]
        return run.verdict(tuple(listed))
    finally:
        if was_enabled:
            gc.enable()


class Evaluation:
    """One evaluation whose results arrive rule by rule, for callers that write as they go.

    :meth:`blocks` yields each rule's results, sorted, in the order of the verdict (by rule
    id); :meth:`verdict` then gives the verdict they belong to. A caller that writes each
    block and lets it go never holds more than one rule's results: ``check --format json``
    at 50,000 components kept 750,000 results alive before (benchmarks/README.md).
    :func:`evaluate` is this with every block kept, so both give the same verdict.

    With ``results="attention"`` a passing finding never becomes a result: it is counted
    in its rule's :class:`RulePasses` (the block's ``passes``), so no message, observed or
    expected value or source of a pass is copied, shared or sorted.
    """

    def __init__(
        self,
        sbom: Sboms,
        evidence: Evidence,
        policy: Policy,
        now: datetime,
        *,
        checks: Sequence[type[Check]] | None = None,
        results: ResultsMode = "all",
    ) -> None:
        self._documents = _documents(sbom)
        self._evidence = evidence
        self._policy = policy
        self._moment = _utc(now)
        self._lookup = _lookup(registry.CHECKS if checks is None else checks)
        self._waivers = sorted(policy.waivers, key=_waiver_key)
        self._active = [w for w in self._waivers if not is_expired(w, self._moment.date())]
        self._matched: Counter[int] = Counter()
        self._outcomes: Counter[str] = Counter()
        self._missing: set[OnMissingEvidence] = set()
        self._not_applicable = 0
        self._fold = results == "attention"
        self._passes: list[RulePasses] = []
        self._state = "new"

    @property
    def subject(self) -> Subject:
        """What is judged (the verdict's ``subject``), known before any result."""
        return _subject(self._documents)

    def blocks(self) -> Iterator[ResultBlock]:
        """Each rule's results, sorted, in rule-id order (the verdict's order); only once.

        With ``results="attention"``, the results that are not passes, and the rule's
        passes counted in the block's ``passes``.

        Rules are evaluated in that order too: their results do not depend on each other,
        and a check's shared memo can be dropped after its last rule.
        """
        if self._state != "new":
            raise RuntimeError("an Evaluation's blocks can be read only once")
        self._state = "running"
        was_enabled = gc.isenabled()
        gc.disable()  # see evaluate()
        try:
            yield from self._blocks()
        finally:
            if was_enabled:
                gc.enable()
        self._state = "done"

    def _blocks(self) -> Iterator[ResultBlock]:
        # One ComponentRef per component (ids are stable: the documents hold every component
        # for the whole evaluation); building them per result was ~5 % of evaluate at 10k.
        refs: dict[int, ComponentRef | None] = {}
        shared: dict[tuple[int, ...], tuple[tuple[Source, ...], tuple[ResultSource, ...]]] = {}
        contexts: dict[int, CheckContext] = {}
        wanted = _wanted(self._policy, self._lookup)
        by_id: dict[str, list[Rule]] = {}
        for rule in self._policy.rules:
            by_id.setdefault(rule.id, []).append(rule)
        order = sorted(by_id)
        last_use: dict[str, int] = {}
        for i, rule_id in enumerate(order):
            for rule in by_id[rule_id]:
                check_type = self._lookup.get(rule.check)
                if check_type is not None:
                    last_use[check_type.slug] = i
        for position, rule_id in enumerate(order):
            block = ResultBlock()
            tallies: list[_PassTally] = []
            for rule in by_id[rule_id]:
                values = _Values()
                tally = _PassTally(rule.id, rule.check, rule.severity.value)
                found = _run_rule(
                    rule,
                    self._lookup,
                    self._documents,
                    self._evidence,
                    self._moment,
                    contexts,
                    wanted,
                )
                for raw in found:
                    status = raw.finding.status
                    if status is Status.NOT_APPLICABLE:
                        self._not_applicable += 1
                        continue
                    if status is Status.PASS and self._fold:
                        # Counted, not listed: nothing of the finding is copied or kept.
                        tally.add(None if raw.component is None else raw.component.ref)
                        continue
                    # Turned into a result at once, so the findings are not all held.
                    result, waiver_index = _result(
                        raw, self._active, self._moment, refs, shared, values
                    )
                    if waiver_index is not None:
                        self._matched[waiver_index] += 1
                    self._outcomes[result.outcome] += 1
                    if result.outcome in _INCOMPLETE:
                        self._missing.add(_on_missing(rule, self._policy))
                    block.append(result)
                if tally.passed:
                    self._outcomes["pass"] += tally.passed
                    tallies.append(tally)
            _forget(contexts, [c for c, last in last_use.items() if last == position], wanted)
            _sort_results(block)
            block.passes = tuple(sorted((t.summary() for t in tallies), key=_passes_key))
            self._passes.extend(block.passes)
            yield block
            del block

    def verdict(self, results: tuple[RuleResult, ...] = ()) -> Verdict:
        """The verdict of the results :meth:`blocks` gave, holding ``results``.

        Summary, outcome and waiver counts are of every result streamed, whether or not
        the caller keeps them in ``results``.
        """
        if self._state != "done":
            raise RuntimeError("read every block of an Evaluation before its verdict")
        policy, today = self._policy, self._moment.date()
        report = _waiver_report(
            self._waivers,
            self._active,
            self._matched,
            today,
            policy.settings.waiver_warning_days,
        )
        all_components = tuple(c for d in self._documents for c in d.components)
        coverage = coverage_of(all_components)
        coverage = replace(
            coverage, unidentified=tuple(sorted(coverage.unidentified, key=_unidentified_key))
        )
        return Verdict(
            schema_version=SCHEMA_VERSION if self._fold else SCHEMA_VERSION_ALL,
            outcome=_outcome_of(set(self._outcomes), self._missing),
            evaluated_at=self._moment,
            subject=self.subject,
            policy=PolicyRef(policy.name, policy.digest),
            evidence_digest=self._evidence.digest,
            summary=_summary_of(
                self._outcomes,
                self._not_applicable,
                len(policy.rules),
                len(all_components),
            ),
            coverage=coverage,
            results=results,
            waivers=report,
            passes=tuple(self._passes),
        )


class _PassTally:
    """One rule's passing findings, counted.

    How many, which components (by ref: the strings the components hold already), how
    many about the document.
    """

    __slots__ = ("check", "document", "passed", "refs", "rule", "severity")

    def __init__(self, rule: str, check: str, severity: Literal["fail", "warn", "info"]) -> None:
        self.rule, self.check, self.severity = rule, check, severity
        self.passed = 0
        self.document = 0
        self.refs: dict[str, None] = {}

    def add(self, ref: str | None) -> None:
        """Count one passing finding about the component of ``ref`` (None: the document)."""
        self.passed += 1
        if ref is None:
            self.document += 1
        else:
            self.refs[ref] = None

    def summary(self) -> RulePasses:
        """The rule's :class:`RulePasses`, components in the verdict's order (by ref)."""
        return RulePasses(
            rule=self.rule,
            check=self.check,
            severity=self.severity,
            passed=self.passed,
            components=tuple(sorted(self.refs)),
            document=self.document,
        )


def _passes_key(passes: RulePasses) -> tuple[str, str, str]:
    return passes.rule, passes.check, passes.severity


def fold_passes(verdict: Verdict) -> Verdict:
    """``verdict`` (listing every result) as a schema version "2" verdict.

    Its passes are counted per rule, every other result is listed as it was; summary and
    outcome are unchanged.
    """
    if verdict.schema_version == SCHEMA_VERSION:
        return verdict
    tallies: dict[tuple[str, str, Literal["fail", "warn", "info"]], _PassTally] = {}
    listed: list[RuleResult] = []
    for result in verdict.results:
        if result.outcome != "pass":
            listed.append(result)
            continue
        key = (result.rule, result.check, result.severity)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _PassTally(*key)
        tally.add(None if result.component is None else result.component.ref)
    passes = tuple(tallies[key].summary() for key in sorted(tallies))
    return replace(verdict, schema_version=SCHEMA_VERSION, results=tuple(listed), passes=passes)


def _forget(
    contexts: Mapping[int, CheckContext],
    slugs: Sequence[str],
    wanted: dict[SharedKey, Sharing],
) -> None:
    """Drop the memo entries of checks no later rule uses (keys start with the slug).

    Findings they wanted are no longer kept for them either.
    """
    if not slugs:
        return
    for key in [k for k, sharing in wanted.items() if sharing.consumer in slugs]:
        del wanted[key]
    for context in contexts.values():
        memo = context.memo
        if memo:
            stale = [k for k in memo if isinstance(k, tuple) and k and k[0] in slugs]
            for key in stale:
                del memo[key]


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


def restrict(
    verdict: Verdict,
    keys: set[str],
    policy: Policy,
    *,
    document_checks: AbstractSet[str] = frozenset(),
    base_results: Iterable[RuleResult] = (),
    selection_checks: AbstractSet[str] = frozenset(),
) -> Verdict:
    """The verdict with only the results a change introduced; counts and outcome of those.

    ``verdict`` lists every result (schema version "1"); :func:`fold_passes` counts the
    kept passes afterwards.

    A result of a rule whose check (as the rule names it) is in ``document_checks``, and
    a component-less result of one in ``selection_checks`` (an answer for the whole
    document, :meth:`Check.check_selection`), is kept when ``base_results`` has none like
    it (:func:`_likeness`); any other result is kept when it is about a component whose
    ref is in ``keys``. The summary and the outcome count exactly the kept results.
    """
    before = {_likeness(r) for r in base_results}
    kept = tuple(
        r
        for r in verdict.results
        if (
            _likeness(r) not in before
            if r.check in document_checks or (r.component is None and r.check in selection_checks)
            else r.component is not None and _ref_key(r.component) in keys
        )
    )
    summary = summarise(kept, 0, verdict.summary.rules, len(keys))
    return replace(
        verdict,
        results=kept,
        summary=summary,
        outcome=overall_outcome(kept, policy),
    )


def _likeness(result: RuleResult) -> tuple[object, ...]:
    """What makes two document-level results of BASE and HEAD the same answer.

    The rule, the component by purl, name and version (not by ref: bom-refs are often
    generated anew with each SBOM), the subject (a manifest path) and the outcome. The
    message and observed values are left out on purpose: a rule that failed before and
    still fails is not what the change introduced, even if it now fails for more reasons.
    """
    c = result.component
    component = None if c is None else (c.purl, c.name, c.version)
    return result.rule, component, result.subject, result.outcome


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
    results: ResultsMode = "all",
) -> Verdict:
    """Judge HEAD, keeping only what the change from BASE to HEAD introduced.

    Component-level rules: the results about components HEAD adds or changes
    (:func:`changed_components`). Document-level rules (``sbom-quality``, ``lockfile``):
    the results BASE does not have, BASE being judged by those rules alone with the same
    evidence (its components are not enriched); so are the answers a component-level rule
    gives for a whole document (``hashes`` on a format without digests). The verdict's
    ``subject.base`` names BASE. ``results`` as for :func:`evaluate`: the kept passes are
    counted per rule once the change's results are known (they are few).
    """
    lookup = _lookup(registry.CHECKS if checks is None else checks)
    keys = changed_components(base, head)
    verdict = evaluate(head, evidence, policy, now, checks=checks)
    refs = {c.ref for d in _documents(head) for c in d.components if c.key in keys}
    document_rules = tuple(
        rule
        for rule in policy.rules
        if (check := lookup.get(rule.check)) is not None and check.level == "document"
    )
    # Component-level rules that may answer once for a whole document: BASE is judged by
    # them too, so that a document-level answer HEAD shares with BASE is not news.
    selection_rules = tuple(
        rule
        for rule in policy.rules
        if (check := lookup.get(rule.check)) is not None
        and check.level == "component"
        and answers_for_selection(check)
    )
    before: tuple[RuleResult, ...] = ()
    if document_rules or selection_rules:
        only = policy.model_copy(update={"rules": document_rules + selection_rules})
        before = evaluate(base, evidence, only, now, checks=checks).results
    restricted = restrict(
        verdict,
        refs,
        policy,
        document_checks={rule.check for rule in document_rules},
        base_results=before,
        selection_checks={rule.check for rule in selection_rules},
    )
    subject = replace(restricted.subject, base=_subject(_documents(base)))
    verdict = replace(restricted, subject=subject)
    return fold_passes(verdict) if results == "attention" else verdict


def overall_outcome(results: Iterable[RuleResult], policy: Policy) -> Outcome:
    """docs/verdict.md: fail > incomplete (unknown, fail-closed) > warn > pass.

    An unknown (or error) result weighs as its rule's ``on_missing_evidence`` says, or
    else as the policy's setting does.
    """
    rules = {rule.id: rule for rule in policy.rules}
    seen: set[str] = set()
    missing: set[OnMissingEvidence] = set()
    for result in results:
        seen.add(result.outcome)
        if result.outcome in _INCOMPLETE:
            rule = rules.get(result.rule)
            missing.add(
                policy.settings.on_missing_evidence if rule is None else _on_missing(rule, policy)
            )
    return _outcome_of(seen, missing)


_INCOMPLETE = frozenset({"unknown", "error"})


def fail_closed_rules(policy: Policy) -> frozenset[str]:
    """The rules whose unknown results make the verdict incomplete (exit 4)."""
    return frozenset(
        rule.id for rule in policy.rules if _on_missing(rule, policy) is OnMissingEvidence.FAIL
    )


def _on_missing(rule: Rule, policy: Policy) -> OnMissingEvidence:
    return rule.on_missing_evidence or policy.settings.on_missing_evidence


def _outcome_of(seen: set[str], missing: set[OnMissingEvidence]) -> Outcome:
    if "fail" in seen:
        return "fail"
    if OnMissingEvidence.FAIL in missing:
        return "incomplete"
    if "warn" in seen or OnMissingEvidence.WARN in missing:
        return "warn"
    return "pass"


def summarise(
    results: Sequence[RuleResult], not_applicable: int, rules: int, components: int
) -> Summary:
    """Count results by outcome."""
    return _summary_of(Counter(r.outcome for r in results), not_applicable, rules, components)


def _summary_of(
    counts: Mapping[str, int], not_applicable: int, rules: int, components: int
) -> Summary:
    return Summary(
        results=sum(counts.values()),
        passed=counts.get("pass", 0),
        failed=counts.get("fail", 0),
        warned=counts.get("warn", 0),
        info=counts.get("info", 0),
        waived=counts.get("waived", 0),
        unknown=counts.get("unknown", 0),
        error=counts.get("error", 0),
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


def _wanted(policy: Policy, lookup: Mapping[str, type[Check]]) -> dict[SharedKey, Sharing]:
    """The findings some rule of the policy reads from other rules' checks.

    Only those another rule of the policy also computes (same check, same parameters):
    keeping the others would cost memory for nothing.
    """
    computed: set[SharedKey] = set()
    wants: dict[SharedKey, Sharing] = {}
    for rule in policy.rules:
        check_type = lookup.get(rule.check)
        if check_type is None:
            continue
        try:
            params = check_type.params_model.model_validate(rule.params)
        except ValidationError:
            continue
        if check_type.level == "component":
            computed.add(shared_key(check_type.slug, params))
        for slug, other, reduce in check_type.shared_findings(params):
            wants.setdefault(shared_key(slug, other), Sharing(check_type.slug, reduce))
    return {key: sharing for key, sharing in wants.items() if key in computed}


def _run_rule(
    rule: Rule,
    lookup: Mapping[str, type[Check]],
    documents: tuple[Sbom, ...],
    evidence: Evidence,
    now: datetime,
    contexts: dict[int, CheckContext],
    wanted: dict[SharedKey, Sharing],
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
    try:
        notes = list(check.check_rule(params))
    except Exception as exc:  # a broken check must not hide the other results
        notes = [Finding(Status.ERROR, f"the check raised {type(exc).__name__}: {exc}")]
    for note in notes:
        yield _Raw(rule, None, note)
    key = shared_key(check_type.slug, params) if wanted else None
    for document in documents:
        # One context per document for all rules, so checks can share work through its memo.
        context = contexts.get(id(document))
        if context is None:
            context = contexts[id(document)] = CheckContext(document, evidence, now, wanted=wanted)
        if check_type.level == "document":
            yield from _document_findings(rule, check, params, context)
            continue
        selected = [c for c in document.components if selects(rule.selector, c)]
        whole = _selection_finding(check, selected, params, context)
        if whole is not None:
            yield _Raw(rule, None, whole)
            continue
        # Read now, not before the loop: the consumer's last rule may have dropped it.
        sharing = wanted.get(key) if key is not None else None
        for component in selected:
            yield from _component_findings(
                rule, check, component, params, context, None if sharing is None else key
            )


def _selection_finding(
    check: Check, selected: list[Component], params: CheckParams, context: CheckContext
) -> Finding | None:
    """The check's one answer for the document's selection, if it gives one."""
    if not selected:
        return None
    try:
        return check.check_selection(selected, params, context)
    except Exception as exc:  # a broken check must not hide the other results
        return Finding(Status.ERROR, f"the check raised {type(exc).__name__}: {exc}")


_REGISTRY_FACTS = frozenset(
    (
        FactKind.PACKAGE,
        FactKind.RELEASES,
        FactKind.ARTIFACTS,
        FactKind.PUBLISHERS,
        FactKind.ADVISORIES,
        FactKind.CONTENTS,
    )
)
"""Facts only a package registry (or an advisory database keyed by it) can give."""


def _component_findings(
    rule: Rule,
    check: Check,
    component: Component,
    params: CheckParams,
    context: CheckContext,
    shared: SharedKey | None = None,
) -> Iterable[_Raw]:
    origin = component.origin
    if origin is not None and _REGISTRY_FACTS.intersection(
        (*check.needs, *_dynamic_needs(type(check), params))
    ):
        # Git, path and URL components are not the same-named registry package: a
        # registry check has nothing to say about them (and must not ask the registry).
        yield _Raw(
            rule,
            component,
            Finding(
                Status.NOT_APPLICABLE,
                f"{component.name} comes from {origin.kind} {origin.location!r}, not from a "
                "registry",
            ),
        )
        return
    facts = context.evidence.for_key(component.key)
    try:
        findings = list(check.check_component(component, facts, params, context))
    except Exception as exc:  # a broken check must not hide the other results
        findings = [Finding(Status.ERROR, f"the check raised {type(exc).__name__}: {exc}")]
    else:
        if shared is not None:
            # The check's own findings (before the engine's fail-closed rewording below),
            # which is what a reading rule would compute by calling the check itself.
            sharing = context.wanted[shared]
            context.memo[shared_memo_key(sharing.consumer, shared, component)] = sharing.reduce(
                findings
            )
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
    refs: dict[int, ComponentRef | None],
    shared: dict[tuple[int, ...], tuple[tuple[Source, ...], tuple[ResultSource, ...]]],
    values: _Values,
) -> tuple[RuleResult, int | None]:
    rule, finding, component = raw.rule, raw.finding, raw.component
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
        if _staged(rule, now):
            # Say why a failure reads as a warning: the rule is staged, not lenient.
            message = f"{message} (a warning until the rule takes effect on {rule.effective_from})"
        for i, candidate in enumerate(waivers):
            if waiver_matches(candidate, rule.id, component, finding.subject):
                outcome, waiver, index = "waived", waiver_ref(candidate), i
                break
    elif finding.status is Status.UNKNOWN:
        outcome = "unknown"
    elif finding.status is Status.INFO:
        outcome = "info"
    else:
        outcome = "error"
    result = RuleResult(
        rule=rule.id,
        check=rule.check,
        severity=rule.severity.value,
        outcome=outcome,
        component=ref,
        message=message,
        observed=values.share(finding.observed),
        expected=values.share(finding.expected),
        sources=_sources_of(finding.sources, shared),
        remediation=finding.remediation,
        waiver=waiver,
        subject=finding.subject,
    )
    return result, index


def _staged(rule: Rule, now: datetime) -> bool:
    """A failing rule that does not take effect before ``effective_from`` (so it warns)."""
    return (
        rule.mode is not Mode.LOG
        and rule.severity is Severity.FAIL
        and rule.effective_from is not None
        and now.date() < rule.effective_from
    )


def _fail_outcome(rule: Rule, now: datetime) -> ResultOutcome:
    if rule.mode is Mode.LOG:
        return "info"
    if rule.severity is Severity.FAIL:
        return "warn" if _staged(rule, now) else "fail"
    return "warn" if rule.severity is Severity.WARN else "info"


def _sources_of(
    sources: tuple[Source, ...],
    shared: dict[tuple[int, ...], tuple[tuple[Source, ...], tuple[ResultSource, ...]]],
) -> tuple[ResultSource, ...]:
    # The results of one component cite the same Source objects: one copy for all. The
    # dict keeps the cited objects alive, so an id in a key cannot be reused meanwhile.
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
