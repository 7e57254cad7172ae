"""PE-ADV-001 advisories: no malicious-package advisory and no vulnerability over a threshold."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import (
    describe,
    is_malicious,
    iso,
    require,
    version_greater,
    withdrawn_by,
)
from policyengine.checks.safe_version import Suggestion, nearest_safe
from policyengine.model import (
    Advisories,
    Advisory,
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    JsonValue,
    Source,
    Status,
)

Severity = Literal["critical", "high", "medium", "low"]
SEVERITY_RANK: dict[str, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1, "unknown": 0}
"""Order of the database severities; ``moderate`` is read as ``medium``."""


def severity_of(advisory: Advisory) -> str:
    """The advisory's severity: the database's word, else derived from the CVSS base score."""
    word = advisory.severity.lower()
    word = "medium" if word == "moderate" else word
    if word in SEVERITY_RANK and word != "unknown":
        return word
    score = advisory.score
    if score is None:
        return "unknown"
    # CVSS v3/v4 qualitative rating scale.
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low" if score > 0 else "unknown"


class AdvisoriesParams(CheckParams):
    """Parameters of ``advisories``."""

    severity: Severity | None = Field(
        default="high",
        description="Fail advisories of this database severity or worse; null: no severity rule.",
    )
    min_score: float | None = Field(
        default=None,
        ge=0,
        le=10,
        description="Fail advisories whose CVSS base score is at least this; null: not used.",
    )
    unknown_severity: Literal["fail", "pass", "unknown"] = Field(
        default="unknown",
        description="What an advisory with neither a severity nor a score does when the rule "
        "has a severity, score or count limit.",
    )
    malicious: Literal["fail", "ignore"] = Field(
        default="fail",
        description="ignore: leave malicious-package advisories to another rule, so one "
        "record is not reported twice.",
    )
    max_counts: dict[Severity, int] = Field(
        default_factory=dict,
        description="Most advisories allowed per severity (e.g. {medium: 3}); more fail them all.",
    )


class AdvisoriesCheck(Check):
    """No malicious-package advisory and no vulnerability at or over the threshold.

    What it checks:
        Every advisory (OSV, GitHub, PyPA, malicious-package reports; aliases
        merged) that affects the component's version. Malicious-package
        advisories (``MAL-`` records, CWE-506) always fail. Vulnerabilities fail
        when their database severity is ``severity`` or worse, or their CVSS
        base score is at least ``min_score``; with ``max_counts``, more than
        the allowed number of advisories of one severity fail them all.
        Withdrawn advisories are ignored. One finding per advisory, with the
        advisory id as its subject so that a waiver can name it; one passing
        finding when there are none.

    Why:
        A known malicious version must never ship (MAL-2026-2144 / PYSEC-2026-2
        for LiteLLM 1.82.7 and 1.82.8), and a known critical vulnerability with
        a fixed release should be upgraded before release, not after.

    Parameters:
        ``severity``: ``critical``, ``high`` (default), ``medium``, ``low`` or
        null. ``min_score``: a CVSS base score threshold (default none).
        ``unknown_severity``: ``unknown`` (default), ``fail`` or ``pass`` for
        advisories without severity or score, when the rule has a severity,
        score or count limit (whether they reach it cannot be told).
        ``max_counts``: per-severity maximum counts. ``malicious``: ``fail``
        (default) or ``ignore``, for a vulnerability rule beside a rule that
        fails malicious packages.

    Example:
        ```yaml
        - id: critical-vulnerabilities
          check: advisories
          params:
            severity: critical
            max_counts: {high: 2}
          severity: fail
        ```

    How to fix:
        Upgrade to the fixed version named in the finding. For a malicious
        package, remove it, treat every system that installed it as
        compromised and rotate the credentials it could read. If an advisory
        does not apply to your use, record a waiver naming the advisory id,
        with an owner and an expiry.
    """

    id = "PE-ADV-001"
    slug = "advisories"
    title = "No malicious-package advisory and no vulnerability over the threshold"
    needs = (FactKind.ADVISORIES,)
    params_model = AdvisoriesParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """One finding per live advisory, or one passing finding when there is none."""
        assert isinstance(params, AdvisoriesParams)
        found = require(
            evidence, FactKind.ADVISORIES, Advisories, "so known vulnerabilities are unknown"
        )
        if isinstance(found, Finding):
            yield found
            return
        facts, source = found
        # A withdrawal counts from its date: one dated after ``now`` is not in force yet.
        live = [a for a in facts.advisories if not withdrawn_by(a, context.now)]
        withdrawn = [a.id for a in facts.advisories if withdrawn_by(a, context.now)]
        if not live:
            note = f" ({len(withdrawn)} withdrawn ignored)" if withdrawn else ""
            yield Finding(
                status=Status.PASS,
                message=f"no advisory affects {describe(component)}{note}",
                observed={"advisories": [], "withdrawn": list[JsonValue](withdrawn)},
                expected=_expected(params),
                sources=(source,),
            )
            return
        counts = Counter(severity_of(a) for a in live if not is_malicious(a))
        # One suggestion for every failing advisory (the version that clears them all),
        # worked out only once one fails: most components' advisories pass.
        suggest = functools.cache(lambda: nearest_safe(component, evidence, context.now))
        for advisory in sorted(live, key=lambda a: a.id):
            yield _judge(component, advisory, params, counts, source, suggest)


def _expected(params: AdvisoriesParams) -> JsonValue:
    return {
        "malicious": "none",
        "severity_below": params.severity,
        "score_below": params.min_score,
        "max_counts": dict(params.max_counts.items()),
    }


def _judge(
    component: Component,
    advisory: Advisory,
    params: AdvisoriesParams,
    counts: Counter[str],
    source: Source,
    suggest: Callable[[], Suggestion | None] = lambda: None,
) -> Finding:
    severity = severity_of(advisory)
    observed: dict[str, JsonValue] = {
        "id": advisory.id,
        "aliases": list[JsonValue](advisory.aliases),
        "severity": severity,
        "score": advisory.score,
        "malicious": is_malicious(advisory),
        "fixed": list[JsonValue](advisory.fixed),
        "published": iso(advisory.published),
        "url": advisory.url,
    }
    label = advisory.id + (f" ({', '.join(advisory.aliases)})" if advisory.aliases else "")
    summary = f": {advisory.summary}" if advisory.summary else ""
    reasons: list[str] = []
    status = Status.PASS
    malicious = is_malicious(advisory)
    if malicious and params.malicious == "ignore":
        return Finding(
            status=Status.NOT_APPLICABLE,
            message=f"{label} reports a malicious package; another rule judges those",
            observed=observed,
            subject=advisory.id,
        )
    limited = params.severity is not None or params.min_score is not None or params.max_counts
    if malicious:
        reasons.append("it reports a malicious package")
    else:
        if (
            params.severity is not None
            and SEVERITY_RANK[severity] >= SEVERITY_RANK[params.severity]
        ):
            reasons.append(f"severity {severity} is at or over the threshold {params.severity}")
        if (
            params.min_score is not None
            and advisory.score is not None
            and advisory.score >= params.min_score
        ):
            reasons.append(f"CVSS score {advisory.score:g} is at least {params.min_score:g}")
        limit = params.max_counts.get(severity)  # type: ignore[call-overload]
        if limit is not None and counts[severity] > limit:
            reasons.append(f"{counts[severity]} {severity} advisories exceed the maximum {limit}")
        if severity == "unknown" and advisory.score is None and not reasons and limited:
            if params.unknown_severity == "fail":
                reasons.append("it has no severity or score and unknown_severity is fail")
            elif params.unknown_severity == "unknown":
                status = Status.UNKNOWN
    if reasons:
        status = Status.FAIL
    if status is Status.PASS:
        message = f"{label} affects {describe(component)} ({severity}) but " + _below(params)
    elif status is Status.UNKNOWN:
        message = (
            f"{label} affects {describe(component)}{summary}; it gives no severity or score, "
            "so whether it reaches this rule's limit is unknown"
        )
    else:
        message = f"{label} affects {describe(component)}{summary}; " + "; ".join(reasons)
    if advisory.imported_from is not None:
        # Which offline import said so: an auditor can tell an old export from a new one.
        observed["imported_from"] = advisory.imported_from
    suggestion = suggest() if status is not Status.PASS else None
    if status is Status.FAIL and suggestion is not None:
        observed["suggested_version"] = suggestion.version
    return Finding(
        status=status,
        message=message,
        observed=observed,
        expected=_expected(params),
        sources=(source,),
        remediation=(
            _remedy(component, advisory, suggestion) if status is not Status.PASS else None
        ),
        subject=advisory.id,
    )


def _below(params: AdvisoriesParams) -> str:
    limits = []
    if params.severity is not None:
        limits.append(f"severity {params.severity}")
    if params.min_score is not None:
        limits.append(f"score {params.min_score:g}")
    if not limits and not params.max_counts:
        return "this rule fails only malicious-package advisories"
    return "is under this rule's limits (" + ", ".join(limits or ["max_counts"]) + ")"


def _remedy(component: Component, advisory: Advisory, suggestion: Suggestion | None) -> str:
    if is_malicious(advisory):
        move = (
            f"move to {suggestion.version} ({suggestion.why})"
            if suggestion is not None
            else "pin a version published before the compromise"
        )
        return (
            f"Remove {describe(component)} now: it is known malicious. Treat every machine "
            "and CI runner that installed it as compromised, rotate the credentials it could "
            f"read, and {move}."
        )
    fix = _fixed_version(component, advisory)
    if fix is not None:
        text = f"Upgrade {component.name} to {fix} or later (fixes {advisory.id})"
        if suggestion is not None and suggestion.version != fix:
            # The fix of one advisory may still carry the others: name what clears them all.
            text += f"; {suggestion.version} is {suggestion.why}"
        return text + "."
    return (
        f"No fixed version of {component.name} is known for {advisory.id}: replace the package "
        "or mitigate, and record a waiver with an owner and an expiry if it does not apply."
    )


def _fixed_version(component: Component, advisory: Advisory) -> str | None:
    """The lowest fixed version above the component's version (fixed is lowest first)."""
    if component.version is None:
        return advisory.fixed[0] if advisory.fixed else None
    for fixed in advisory.fixed:
        newer = version_greater(component.ecosystem, fixed, component.version)
        if newer is None or newer:
            return fixed
    return None
