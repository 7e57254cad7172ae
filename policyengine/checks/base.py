"""The contract of a check: identity, the facts it needs, its parameters, its logic.

One check = one class in its own module, listed in ``checks.registry.CHECKS``.
Its docstring has the fixed sections ``What it checks``, ``Why``, ``Parameters``,
``Example`` and ``How to fix``; docs/checks/ and the policy JSON Schema are
generated from the registry.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from policyengine.model import Component, ComponentEvidence, Evidence, FactKind, Finding, Sbom


class CheckParams(BaseModel):
    """Base of every check's parameters: strict, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may know besides its component: the document, all evidence, the time.

    ``now`` is the evaluation time passed to the engine: checks never read the clock.
    """

    sbom: Sbom
    evidence: Evidence
    now: datetime
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    """Scratch space shared by the rules of one evaluation of one document, for checks
    that would otherwise compute the same thing per rule (risk-score's signals). Keys are
    tuples that start with the check's slug: the engine drops a check's entries once no
    rule left in the evaluation uses that check."""
    wanted: dict[SharedKey, Sharing] = field(default_factory=dict, compare=False, repr=False)
    """Which rules' findings a later rule reads (see :meth:`Check.shared_findings`): the
    engine keeps what ``reduce`` makes of them in ``memo`` under :func:`shared_memo_key`.
    One dict for the whole evaluation; a consumer's entries go with its last rule."""


SharedKey = tuple[str, str]
"""A check's slug and its parameters as JSON: rules with equal keys find the same things."""


@dataclass(frozen=True, slots=True)
class Sharing:
    """A later rule's interest in some rule's findings: who reads them, and how kept."""

    consumer: str
    """The slug of the reading check (its memo entries are dropped after its last rule)."""
    reduce: Callable[[list[Finding]], object]
    """What is kept of one component's findings (small: it lives until the consumer ran)."""


def shared_key(slug: str, params: CheckParams) -> SharedKey:
    """The key under which a check's findings with these parameters are shared."""
    return slug, params.model_dump_json()


def shared_memo_key(consumer: str, key: SharedKey, component: Component) -> tuple[object, ...]:
    """Where the engine keeps the reduced findings of ``key`` for ``component``."""
    return consumer, "findings", key, id(component)


class Check(ABC):
    """A rule type. Subclasses set the class variables and override one of the two methods.

    ``level`` is ``component`` (``check_component`` runs once per selected
    component) or ``document`` (``check_document`` runs once per input).
    Checks are pure: no I/O, no clock, no randomness.
    """

    id: ClassVar[str]
    """Stable identifier, e.g. ``PE-REG-001``; never reused."""
    slug: ClassVar[str]
    """Stable name used in policies, e.g. ``registry-status``."""
    title: ClassVar[str]
    """One line for listings."""
    needs: ClassVar[tuple[FactKind, ...]] = ()
    """Fact kinds the check reads; enrichment collects these for selected components."""
    level: ClassVar[Literal["component", "document"]] = "component"
    params_model: ClassVar[type[CheckParams]] = CheckParams
    """The pydantic model of the ``params:`` block of a rule using this check."""

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Judge one component; yield at least one finding."""
        raise NotImplementedError(f"{self.slug} is not a component-level check")

    def check_rule(self, params: CheckParams) -> Iterable[Finding]:
        """Findings about the rule's own configuration, reported once, with no component.

        For what a rule says whatever the input (e.g. "this allow-list approves
        everything, so it is not configured"); none by default.
        """
        return ()

    @classmethod
    def shared_findings(
        cls, params: CheckParams
    ) -> Iterable[tuple[str, CheckParams, Callable[[list[Finding]], object]]]:
        """Other checks' findings this rule reads: (slug, parameters, reduce), none by default.

        When the policy has a rule of that check with equal parameters, the engine keeps
        ``reduce(findings)`` per component for this check (computing a check's findings
        twice was most of ``risk-score``'s time); otherwise the check computes them itself.
        """
        return ()

    def check_document(
        self, params: CheckParams, context: CheckContext
    ) -> Iterable[tuple[Component | None, Finding]]:
        """Judge the whole input; yield (component or None, finding) pairs."""
        raise NotImplementedError(f"{self.slug} is not a document-level check")

    def check_selection(
        self, components: Sequence[Component], params: CheckParams, context: CheckContext
    ) -> Finding | None:
        """One answer for a component-level rule's whole selection in one document, or None.

        Called once per document with the components the rule selects (never empty),
        before any ``check_component``. A finding replaces every per-component answer
        with one result about the document (``component`` null), for a cause that lies
        in the input itself (``hashes``: an input that records no digest at all); the
        default ``None`` judges each component.
        """
        return None


def answers_for_selection(check: type[Check]) -> bool:
    """True when the check may answer once for a document (it overrides ``check_selection``)."""
    return check.check_selection is not Check.check_selection
