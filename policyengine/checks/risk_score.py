"""PE-RISK-001 risk-score: a weighted sum of the supply-chain signals stays under a threshold."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import Literal, cast

from pydantic import Field

from policyengine.checks.advisories import severity_of
from policyengine.checks.base import (
    Check,
    CheckContext,
    CheckParams,
    SharedKey,
    shared_key,
    shared_memo_key,
)
from policyengine.checks.common import (
    Duration,
    describe,
    fact_value,
    is_malicious,
    sources,
    withdrawn_by,
)
from policyengine.checks.hashes import HashesParams, compare_with_registry, normalise_alg
from policyengine.checks.identities import compare_provenance
from policyengine.checks.install_scripts import InstallScriptsCheck, InstallScriptsParams
from policyengine.checks.metadata_completeness import (
    MetadataCompletenessCheck,
    MetadataCompletenessParams,
)
from policyengine.checks.pinning import PinningCheck, PinningParams
from policyengine.checks.publisher_change import PublisherChangeCheck, PublisherChangeParams
from policyengine.checks.registry_status import RegistryStatusCheck, RegistryStatusParams
from policyengine.checks.release_age import ReleaseAgeCheck, ReleaseAgeParams
from policyengine.checks.release_cadence import ReleaseCadenceCheck, ReleaseCadenceParams
from policyengine.checks.startup_code import StartupCodeCheck, StartupCodeParams
from policyengine.model import (
    Advisories,
    Artifacts,
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    Missing,
    Publishers,
    Source,
    Status,
)

Signal = Literal[
    "malicious",
    "vulnerability",
    "removed",
    "hash_mismatch",
    "publisher_change",
    "provenance_dropped",
    "fresh",
    "cadence",
    "metadata",
    "unpinned",
    "startup_code",
    "install_scripts",
]

DEFAULT_WEIGHTS: dict[Signal, float] = {
    "malicious": 100.0,
    "vulnerability": 40.0,
    "removed": 60.0,
    "hash_mismatch": 50.0,
    "publisher_change": 25.0,
    "provenance_dropped": 35.0,
    "fresh": 15.0,
    "cadence": 20.0,
    "metadata": 10.0,
    "unpinned": 10.0,
    "startup_code": 0.0,
    "install_scripts": 0.0,
}
"""Default weight per signal; a signal's value is 0..1, its contribution value x weight.

Soft signals (``fresh``, ``cadence``, ``metadata``, ``unpinned``: each common on clean
projects) weigh 20 or less, so a fresh release with one of them scores at most 35, under
the release gate's warn band (40). A fresh release by a new publisher (40) warns, and
with an unusual cadence on top (60, the LiteLLM 1.82.7/1.82.8 picture hours before any
advisory) fails. The two signals registries most often cannot tell (``publisher_change``
and ``metadata``: 35 together) cannot alone make a clean score unknown in that band.

A provenance drop (``provenance_dropped``: the release was uploaded without the provenance
every earlier release read had) adds 35 on top of ``publisher_change``: 60, the default
threshold, on its own. It is 0 where provenance could not be compared (a registry or
mirror that does not serve it): the unknown is ``publisher_change``'s to carry, so this
term never makes a score unknown by itself.

The artifact-content signals are off by default: they need the artifacts downloaded
and inspected (``contents`` facts), which a policy asks for by giving them a weight.
"""

_SIGNAL_NEEDS: dict[Signal, tuple[FactKind, ...]] = {
    "malicious": (FactKind.ADVISORIES,),
    "vulnerability": (FactKind.ADVISORIES,),
    "removed": (FactKind.RELEASES, FactKind.PACKAGE),
    "hash_mismatch": (FactKind.ARTIFACTS,),
    "publisher_change": (FactKind.PUBLISHERS,),
    "provenance_dropped": (FactKind.PUBLISHERS,),
    "fresh": (FactKind.RELEASES,),
    "cadence": (FactKind.RELEASES,),
    "metadata": (FactKind.PACKAGE,),
    "unpinned": (),
    "startup_code": (FactKind.CONTENTS,),
    "install_scripts": (FactKind.CONTENTS,),
}

VULNERABILITY_VALUE = {"critical": 1.0, "high": 0.7, "medium": 0.4, "low": 0.1, "unknown": 0.1}
"""The ``vulnerability`` signal: the worst live advisory's severity mapped to 0..1."""


class RiskScoreParams(CheckParams):
    """Parameters of ``risk-score``."""

    threshold: float = Field(
        default=60.0, ge=0, description="Fail when the score reaches this value."
    )
    up_to: float | None = Field(
        default=None,
        gt=0,
        description="Upper end of this rule's band: a score at or over it is left to the rule "
        "with the higher threshold, so a warn band and a fail band do not both fire.",
    )
    weights: dict[Signal, float] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description="Weight per signal; signals left out keep their default weight, 0 drops one.",
    )
    fresh_within: Duration = Field(
        default="7d",
        validate_default=True,
        description="A release younger than this counts as fresh.",
    )


Term = tuple[float | None, str, tuple[Source, ...], bool]
"""A signal's value (None: unknown), a short explanation, the sources read, and whether
its source was switched off by a setting (then its weight is left out of the score)."""


def _from_check(findings: Iterable[Finding]) -> Term:
    """A 0/1 signal from another check's findings: FAIL -> 1, UNKNOWN -> None, else 0."""
    found = list(findings)
    srcs = sources(*(s for f in found for s in f.sources))
    failed = [f for f in found if f.status is Status.FAIL]
    if failed:
        return 1.0, failed[0].message, srcs, False
    unknown = [f for f in found if f.status in (Status.UNKNOWN, Status.ERROR)]
    if unknown:
        return None, unknown[0].message, srcs, False
    return 0.0, found[0].message if found else "not applicable", srcs, False


class RiskScoreCheck(Check):
    """A weighted sum of the supply-chain signals stays under a threshold.

    What it checks:
        Ten signals per component, each valued 0..1 and multiplied by its
        weight: ``malicious`` (a live malicious-package advisory),
        ``vulnerability`` (the worst live advisory: critical 1, high 0.7,
        medium 0.4, low or unrated 0.1), ``removed`` (registry-status fails:
        removed, yanked, quarantined; an archived or deprecated project is a
        maintenance concern that ``registry-status`` reports on its own, not
        a sign of a compromised release), ``hash_mismatch``
        (hashes fails against the registry), ``publisher_change``
        (publisher-change fails), ``provenance_dropped`` (the release was
        uploaded without the provenance every earlier release read had, as
        publisher-change sees it; 0 where provenance could not be compared, so
        it never makes a score unknown: ``publisher_change`` carries that),
        ``fresh`` (younger than ``fresh_within``),
        ``cadence`` (release-cadence fails), ``metadata``
        (metadata-completeness fails), ``unpinned`` (pinning fails), and, off
        by default (weight 0) because they need the artifacts inspected,
        ``startup_code`` (startup-code fails) and ``install_scripts``
        (install-scripts fails). The signals reuse those checks with their
        default parameters; only signals with a weight ask for evidence. The score is
        the sum of the contributions; it fails at ``threshold``. The finding
        lists every term with its value, weight and contribution. Signals whose
        evidence is missing or failed count as unknown: the result is unknown
        when they could lift the score to the threshold, otherwise they are
        listed and the known score decides. A signal whose source was switched
        off by a setting (``--advisories off``) is left out instead: the score
        is computed over the other signals and the finding says what was left
        out (``observed.left_out``).

        What it ignores, and why: a fresh release with one soft signal. ``fresh`` (15),
        ``cadence`` (20), ``metadata`` (10) and ``unpinned`` (10) are each common on clean
        real projects, so a fresh release with one of them scores at most 35, under the
        release gate's warn band (40); two soft signals besides freshness, or a new
        publisher with freshness (40), reach it, and freshness, cadence and a new publisher
        together (60, LiteLLM 1.82.7 and 1.82.8) fail, as does a provenance drop on its
        own (publisher_change 25 + provenance_dropped 35). Also ignored: the weights of
        sources turned off on purpose.

    Why:
        No single weak signal justifies blocking a release, but several
        together (a fresh release, out of cadence, by a new publisher) are what
        the LiteLLM compromise looked like hours before any advisory existed.
        A source turned off on purpose is a decision, not a gap: every score
        would otherwise be unknown.

    Parameters:
        ``threshold`` (default 60). ``weights``: per-signal weights (defaults:
        malicious 100, removed 60, hash_mismatch 50, vulnerability 40,
        publisher_change 25, provenance_dropped 35, fresh 15, cadence 20,
        metadata 10, unpinned 10,
        startup_code 0, install_scripts 0).
        ``fresh_within`` (default ``7d``). For a warn band and a fail band use
        two rules with different thresholds and severities; ``up_to`` on the
        lower one (e.g. ``up_to: 60``) keeps both from firing on one score.

    Example:
        ```yaml
        - id: risk-warn
          check: risk-score
          params: {threshold: 40, up_to: 60}
          severity: warn
        - id: risk-fail
          check: risk-score
          params:
            threshold: 60
            weights: {publisher_change: 40}
          severity: fail
        ```

    How to fix:
        Look at the largest contributions in the finding and fix those: each
        names the check that explains it (e.g. wait out a fresh release,
        confirm a publisher change, upgrade past a vulnerability).
    """

    id = "PE-RISK-001"
    slug = "risk-score"
    title = "A weighted sum of supply-chain signals stays under a threshold"
    # Declared per signal by ``needs_for``: a signal with weight 0 needs nothing, and
    # missing signals are handled here (unknown only when they could reach the threshold).
    needs = ()
    params_model = RiskScoreParams

    @classmethod
    def shared_findings(
        cls, params: CheckParams
    ) -> Iterable[tuple[str, CheckParams, Callable[[list[Finding]], object]]]:
        """The signals that are another check's verdict, with the parameters they use.

        A policy usually has rules of the same checks with the same parameters
        (``removed-or-yanked``, ``publisher-change``, ``known-origin``): their findings
        become this check's terms instead of being computed a second time.
        """
        assert isinstance(params, RiskScoreParams)
        for name, weight in _weights(params):
            if weight:
                made = _signal_checks(params.fresh_within).get(name)
                if made is not None:
                    yield made[0].slug, made[1], _from_check

    @classmethod
    def needs_for(cls, params: CheckParams) -> tuple[FactKind, ...]:
        """The fact kinds of every signal with a non-zero weight."""
        assert isinstance(params, RiskScoreParams)
        kinds = {k for name, w in _weights(params) if w for k in _SIGNAL_NEEDS[name]}
        return tuple(sorted(kinds))

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Compute every term, sum the known ones, compare with the threshold."""
        assert isinstance(params, RiskScoreParams)
        weights = _weights(params)
        # Each signal once per component and evaluation: a policy often has two
        # risk-score rules (warn and fail thresholds) over the same signals. One memo entry
        # per component holds the terms computed so far, and the score under each set of
        # weights: rules with the same weights (the usual warn and fail bands) share one
        # ``observed``, as a nine-term explanation per rule was the largest part of the
        # verdict at 50,000 components (benchmarks/README.md).
        key = ("risk-score", id(component), id(evidence), params.fresh_within)
        memo = cast("_Memo | None", context.memo.get(key))
        if memo is None:
            memo = context.memo[key] = _Memo()
        scored = memo.scored(weights)
        if scored is None:
            scored = _score(
                weights, memo.terms, lambda: _signals(component, evidence, params, context)
            )
            memo.keep(weights, scored)
        score, open_weight, unknown, left_out, contributions, srcs, observed = scored
        expected: JsonValue = {"below": params.threshold}
        top = sorted(contributions, key=lambda item: (-item[0], item[1]))[:3]
        top_text = ", ".join(f"{name} {value:g}" for value, name in top)
        # Said in every message: a score computed without a source must say so.
        without = f" (left out, source switched off: {', '.join(left_out)})" if left_out else ""
        if params.up_to is not None and score >= params.up_to:
            yield Finding(
                status=Status.NOT_APPLICABLE,
                message=f"{describe(component)} has risk score {score:g}, at or over this "
                f"band's upper end {params.up_to:g}: the rule with that threshold judges it"
                f"{without}",
                observed=observed,
                sources=srcs,
            )
        elif score >= params.threshold:
            yield Finding(
                status=Status.FAIL,
                message=f"{describe(component)} has risk score {score:g} (threshold "
                f"{params.threshold:g}): {top_text}{without}",
                observed=observed,
                expected=expected,
                sources=srcs,
                remediation=(
                    "Address the largest contributions first (" + top_text + "); each is "
                    "explained by its own check in this verdict."
                ),
            )
        elif score + open_weight >= params.threshold:
            yield Finding(
                status=Status.UNKNOWN,
                message=f"{describe(component)} has risk score {score:g} from the known "
                f"signals, but {', '.join(unknown)} (weight {open_weight:g}) could not be "
                f"judged and could reach the threshold {params.threshold:g}{without}",
                observed=observed,
                expected=expected,
                sources=srcs,
                remediation=(
                    "Re-run enrichment with network access (or supply an evidence bundle) "
                    "so the unknown signals can be judged."
                ),
            )
        else:
            yield Finding(
                status=Status.PASS,
                message=f"{describe(component)} has risk score {score:g}, below "
                f"{params.threshold:g}" + (f" ({top_text})" if top_text else "") + without,
                observed=observed,
                expected=expected,
                sources=srcs,
            )


_Scored = tuple[
    float,
    float,
    tuple[str, ...],
    tuple[str, ...],
    tuple[tuple[float, str], ...],
    tuple[Source, ...],
    JsonValue,
]
"""Score, weight of the unknown signals, their names, the signals left out (source
switched off), the non-zero contributions, the sources read and the ``observed`` value
of one component under one set of weights."""


def _score(
    weights: tuple[tuple[Signal, float], ...],
    computed: dict[Signal, Term],
    make_signals: Callable[[], dict[Signal, Callable[[], Term]]],
) -> _Scored:
    """Every term with a weight, computing the signals not yet in ``computed``."""
    signals: dict[Signal, Callable[[], Term]] | None = None
    terms: list[JsonValue] = []
    score = 0.0
    open_weight = 0.0
    unknown: list[str] = []
    left_out: list[str] = []
    contributions: list[tuple[float, str]] = []
    all_sources: list[Source] = []
    for name, weight in weights:
        if weight == 0:
            continue
        term = computed.get(name)
        if term is None:
            if signals is None:
                signals = make_signals()
            term = computed[name] = signals[name]()
        value, why, srcs, off = term
        all_sources.extend(srcs)
        contribution = None if value is None else round(value * weight, 2)
        if off:
            left_out.append(name)
        elif contribution is None:
            open_weight += weight
            unknown.append(name)
        else:
            score += contribution
            if contribution:
                contributions.append((contribution, name))
        terms.append(
            {
                "signal": name,
                "value": value,
                "weight": weight,
                "contribution": contribution,
                "why": why,
            }
        )
    score = round(score, 2)
    observed: dict[str, JsonValue] = {
        "score": score,
        "terms": terms,
        "unknown": list[JsonValue](unknown),
    }
    if left_out:
        observed["left_out"] = list[JsonValue](left_out)
    found = sources(*all_sources)
    return (
        score,
        open_weight,
        tuple(unknown),
        tuple(left_out),
        tuple(contributions),
        found,
        observed,
    )


@lru_cache(maxsize=64)
def _interned(weights: tuple[tuple[Signal, float], ...]) -> tuple[tuple[Signal, float], ...]:
    return weights


def _weights(params: RiskScoreParams) -> tuple[tuple[Signal, float], ...]:
    """Every signal's weight, in the order of DEFAULT_WEIGHTS (the order of the terms).

    One tuple object per distinct set of weights, so the memo compares them by identity
    and holds one copy.
    """
    return _interned(tuple({**DEFAULT_WEIGHTS, **params.weights}.items()))


class _Memo:
    """One component's signal terms and its score under each set of weights seen."""

    __slots__ = ("_scored", "terms")

    def __init__(self) -> None:
        self.terms: dict[Signal, Term] = {}
        self._scored: list[tuple[tuple[tuple[Signal, float], ...], _Scored]] = []

    def scored(self, weights: tuple[tuple[Signal, float], ...]) -> _Scored | None:
        """The score kept for these weights (the same tuple object), if any."""
        for seen, scored in self._scored:
            if seen is weights:
                return scored
        return None

    def keep(self, weights: tuple[tuple[Signal, float], ...], scored: _Scored) -> None:
        """Remember the score under ``weights``."""
        self._scored.append((weights, scored))


def _signals(
    component: Component,
    evidence: ComponentEvidence,
    params: RiskScoreParams,
    context: CheckContext,
) -> dict[Signal, Callable[[], Term]]:
    def run(check: Check, check_params: CheckParams, key: SharedKey) -> Callable[[], Term]:
        def term() -> Term:
            # A rule of the policy with the same check and parameters may have judged
            # this component already (the engine keeps the term when one does).
            kept = context.memo.get(shared_memo_key(RiskScoreCheck.slug, key, component))
            if kept is not None:
                return cast("Term", kept)
            return _from_check(check.check_component(component, evidence, check_params, context))

        return term

    advisories = evidence.get(FactKind.ADVISORIES)
    found = fact_value(advisories, Advisories)

    def malicious() -> Term:
        if found is None:
            return None, "advisories unknown", (), False
        bad = [
            a.id
            for a in found[0].advisories
            if is_malicious(a) and not withdrawn_by(a, context.now)
        ]
        return (1.0 if bad else 0.0), ", ".join(bad) or "no malicious advisory", (found[1],), False

    def vulnerability() -> Term:
        if found is None:
            return None, "advisories unknown", (), False
        live = [
            a
            for a in found[0].advisories
            if not is_malicious(a) and not withdrawn_by(a, context.now)
        ]
        if not live:
            return 0.0, "no vulnerability advisory", (found[1],), False
        worst = max(live, key=lambda a: VULNERABILITY_VALUE[severity_of(a)])
        level = severity_of(worst)
        return VULNERABILITY_VALUE[level], f"{worst.id} ({level})", (found[1],), False

    signals: dict[Signal, Callable[[], Term]] = {
        "malicious": malicious,
        "vulnerability": vulnerability,
        "hash_mismatch": lambda: _hash_mismatch(component, evidence, context),
        "provenance_dropped": lambda: _provenance_dropped(evidence),
    }
    for name, (check, check_params, key) in _signal_checks(params.fresh_within).items():
        signals[name] = run(check, check_params, key)
    off = _switched_off(evidence)
    if off:
        for name, kinds in _SIGNAL_NEEDS.items():
            gone = [k.value for k in kinds if k in off]
            if gone:
                signals[name] = _left_out(f"the {', '.join(gone)} source was switched off")
    return signals


def _left_out(why: str) -> Callable[[], Term]:
    return lambda: (None, f"left out: {why}", (), True)


def _switched_off(evidence: ComponentEvidence) -> set[FactKind]:
    """The fact kinds whose source a setting turned off (``--advisories off``).

    Only those: a fact that is missing or failed while its source was on stays unknown.
    """
    return {
        kind
        for kind, fact in evidence.facts.items()
        if isinstance(fact, Missing) and fact.switched_off
    }


@lru_cache(maxsize=64)
def _signal_checks(
    fresh_within: Duration,
) -> dict[Signal, tuple[Check, CheckParams, SharedKey]]:
    """The signals that are another check's verdict: the check, its parameters, their key."""
    made: dict[Signal, tuple[Check, CheckParams]] = {
        "removed": (RegistryStatusCheck(), _removed()),
        "publisher_change": (PublisherChangeCheck(), _default(PublisherChangeParams)),
        "fresh": (ReleaseAgeCheck(), _release_age(fresh_within)),
        "cadence": (ReleaseCadenceCheck(), _default(ReleaseCadenceParams)),
        "metadata": (MetadataCompletenessCheck(), _default(MetadataCompletenessParams)),
        "unpinned": (PinningCheck(), _undeclared_pinning()),
        "startup_code": (StartupCodeCheck(), _default(StartupCodeParams)),
        "install_scripts": (InstallScriptsCheck(), _default(InstallScriptsParams)),
    }
    return {
        name: (check, params, shared_key(check.slug, params))
        for name, (check, params) in made.items()
    }


@cache
def _default(params_type: type[CheckParams]) -> CheckParams:
    # Built once: constructing seven pydantic models per component and rule was ~3 % of
    # a release-gate run (benchmarks/README.md). Checks never mutate their params.
    return params_type()


@cache
def _removed() -> CheckParams:
    return RegistryStatusParams(fail_on=("removed", "yanked", "quarantined"))


@cache
def _undeclared_pinning() -> CheckParams:
    return PinningParams(declared=False)


@cache
def _registry_hashes() -> HashesParams:
    return HashesParams(registry_absent="pass")


@lru_cache(maxsize=64)
def _release_age(fresh_within: Duration) -> CheckParams:
    return ReleaseAgeParams(min_age=fresh_within)


def _hash_mismatch(
    component: Component, evidence: ComponentEvidence, context: CheckContext
) -> Term:
    """1 when the component's digests match none of the registry's files."""
    own = {normalise_alg(h.alg): h.value.lower() for h in component.hashes}
    if not own:
        return 0.0, "no digest in the input to compare", (), False
    found = fact_value(evidence.get(FactKind.ARTIFACTS), Artifacts)
    if found is None:
        return None, "registry digests unknown", (), False
    finding = compare_with_registry(component, own, found[0], _registry_hashes(), (found[1],))
    return (1.0 if finding.status is Status.FAIL else 0.0), finding.message, finding.sources, False


def _provenance_dropped(evidence: ComponentEvidence) -> Term:
    """1 when the release dropped the provenance every earlier release read had.

    0 when that cannot be seen: ``publisher_change`` carries the unknown (see
    ``DEFAULT_WEIGHTS``), so a registry that serves no provenance adds no open weight.
    """
    found = fact_value(evidence.get(FactKind.PUBLISHERS), Publishers)
    if found is None:
        return 0.0, "publishers unknown (carried by publisher_change)", (), False
    publishers, source = found
    compared = compare_provenance(publishers, set())
    if compared is None:
        return 0.0, "provenance not compared: the registry did not say", (source,), False
    if compared.dropped:
        return 1.0, f"{publishers.version} was uploaded without provenance", (source,), False
    return 0.0, "no provenance drop", (source,), False
