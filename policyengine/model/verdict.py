"""The verdict: the outcome of evaluating a policy, rule by rule and component by component.

Field names are the keys of the Verdict JSON contract (DESIGN.md); the JSON is
these dataclasses serialised as they are, and ``schemas/verdict.schema.json`` is
generated from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from policyengine.model.component import Coverage

SCHEMA_VERSION = "2"
"""Version of the Verdict JSON; bumped on any incompatible change.

"2" lists the results that need attention and summarises passes per rule
(:class:`RulePasses`); "1" (:data:`SCHEMA_VERSION_ALL`) lists every result.
"""

SCHEMA_VERSION_ALL = "1"
"""The version of a verdict that lists every result, passes included (``--results all``):
the shape of schema version "1", unchanged, for consumers that need each pass."""

ResultsMode = Literal["attention", "all"]
"""What a verdict lists: every result that is not a pass, passes summarised per rule
(``attention``, schema version "2"), or every result (``all``, schema version "1")."""

RESULTS_MODES: tuple[ResultsMode, ...] = ("attention", "all")
"""The choices of ``--results``, the default first."""

Outcome = Literal["pass", "warn", "fail", "incomplete"]
"""The overall outcome of a verdict."""

ResultOutcome = Literal["pass", "fail", "warn", "info", "waived", "unknown", "error"]
"""The outcome of one result (docs/verdict.md)."""


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """Which component a result is about."""

    ref: str
    purl: str | None
    name: str
    version: str | None


@dataclass(frozen=True, slots=True)
class ResultSource:
    """Where the evidence behind a result came from."""

    name: str
    url: str | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WaiverRef:
    """A waiver as written in the policy, with where it was written."""

    rule: str
    component: str
    reason: str
    versions: str | None = None
    advisory: str | None = None
    owner: str | None = None
    ticket: str | None = None
    approved_by: str | None = None
    expires: date | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One answer: a rule applied to a component (or to the document when ``component`` is null).

    ``subject`` narrows the result inside the component (an advisory id, a file):
    it is what a waiver's ``advisory`` matches.
    """

    rule: str
    check: str
    severity: Literal["fail", "warn", "info"]
    outcome: ResultOutcome
    component: ComponentRef | None
    message: str
    observed: Any = None
    expected: Any = None
    sources: tuple[ResultSource, ...] = ()
    remediation: str | None = None
    waiver: WaiverRef | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class RulePasses:
    """The passing results of one rule, counted instead of listed (schema version "2").

    ``components`` are the refs of the components with at least one passing result, each
    once, in the order of the verdict (by ref): with ``subject.digest`` they name which
    components of the judged input passed. ``document`` counts the passing results about
    the document itself (null ``component``).
    """

    rule: str
    check: str
    severity: Literal["fail", "warn", "info"]
    passed: int
    """How many results of the rule passed (``--results all`` lists each)."""
    components: tuple[str, ...] = ()
    document: int = 0


class ResultBlock(list[RuleResult]):
    """One rule's results as an evaluation streams them, with the passes it counted.

    A list of the results to list; ``passes`` are the rule's :class:`RulePasses` (none
    when every result is listed). Report writers take both from the same block.
    """

    def __init__(self, results: Iterable[RuleResult] = (), passes: tuple[RulePasses, ...] = ()):
        super().__init__(results)
        self.passes = passes


def passes_of(block: Iterable[RuleResult]) -> tuple[RulePasses, ...]:
    """The passes a block carries (:class:`ResultBlock`), or none for a plain sequence."""
    return block.passes if isinstance(block, ResultBlock) else ()


@dataclass(frozen=True, slots=True)
class WaiverStatus:
    """A waiver and what became of it: how many results it waived, and when it ends."""

    waiver: WaiverRef
    matched: int = 0
    days_left: int | None = None
    """Days from the evaluation date to ``expires`` (negative once expired)."""
    expiring: bool = False
    """True when it ends within ``settings.waiver_warning_days``."""


@dataclass(frozen=True, slots=True)
class WaiverReport:
    """Waivers applied, expired (no longer applied) and unused (matched nothing)."""

    applied: tuple[WaiverStatus, ...] = ()
    expired: tuple[WaiverStatus, ...] = ()
    unused: tuple[WaiverStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class Subject:
    """What was judged: the input files and a digest over their contents.

    ``base`` is what a ``diff`` compared the inputs with (its own inputs and digest); it
    is null for ``check``, and inside a base.
    """

    inputs: tuple[str, ...]
    digest: str
    base: Subject | None = None


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """Which policy judged it, by name and content digest."""

    name: str
    digest: str


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts of results by outcome, plus what was evaluated.

    ``not_applicable`` counts check answers that are not reported as results.
    """

    results: int = 0
    passed: int = 0
    failed: int = 0
    warned: int = 0
    info: int = 0
    waived: int = 0
    unknown: int = 0
    error: int = 0
    not_applicable: int = 0
    rules: int = 0
    components: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    """The whole answer of one evaluation; pure data, rendered by ``policyengine.report``."""

    schema_version: str
    outcome: Outcome
    evaluated_at: datetime
    subject: Subject
    policy: PolicyRef
    evidence_digest: str | None
    summary: Summary
    coverage: Coverage
    results: tuple[RuleResult, ...]
    waivers: WaiverReport
    passes: tuple[RulePasses, ...] = ()
    """Schema version "2": each rule's passes, counted (``results`` holds no pass). Not
    written in a version "1" verdict, whose ``results`` list every pass."""
