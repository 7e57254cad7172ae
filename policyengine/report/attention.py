"""What a person must look at first: results ordered by urgency, identical ones folded.

A verdict over hundreds of components can hold hundreds of results that say
the same thing ("advisories were not collected"). People reading a table or a
pull-request comment need the failures first and one row per distinct problem,
with the components it concerns, not the same sentence 400 times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from policyengine.model.verdict import RuleResult

ORDER = ("fail", "error", "warn", "unknown", "info", "waived", "pass")
"""Outcomes from most to least urgent: findings before the absence of evidence."""
NAMES_SHOWN = 3
"""How many component names a folded row spells out before ``and N more``."""


@dataclass(frozen=True, slots=True)
class AttentionRow:
    """One distinct problem: an outcome of a rule with its message, and what it concerns."""

    outcome: str
    rule: str
    components: tuple[str, ...]
    message: str
    remediation: str | None
    waiver_reason: str | None

    @property
    def subject(self) -> str:
        """The component, or ``N components: a, b, c and N more``."""
        if len(self.components) == 1:
            return self.components[0]
        names = ", ".join(self.components[:NAMES_SHOWN])
        more = len(self.components) - NAMES_SHOWN
        suffix = f" and {more} more" if more > 0 else ""
        return f"{len(self.components)} components: {names}{suffix}"


def component_name(result: RuleResult) -> str:
    """The purl (or ref) a result is about, or ``(document)`` for document-level results."""
    if result.component is None:
        return "(document)"
    return result.component.purl or result.component.ref


def attention_rows(
    results: Iterable[RuleResult], outcomes: Sequence[str] = ORDER[:4]
) -> list[AttentionRow]:
    """Results with one of ``outcomes``, most urgent first, identical ones folded into one row.

    Results are identical when outcome, rule, message, remediation and waiver
    agree. Unknown results are folded by rule and by the shape of their
    remediation (versions and addresses masked): their messages differ only by
    the version or address that could not be read, and the remediation already
    says which cause it was; the row shows the first message and remediation
    and says how many messages there were. The first result's position
    decides the order inside an outcome, so the engine's stable order is kept.
    """
    groups: dict[tuple[str, str, str | None, str | None, str | None], list[RuleResult]] = {}
    for result in results:
        if result.outcome not in outcomes:
            continue
        reason = result.waiver.reason if result.waiver is not None else None
        key: tuple[str, str, str | None, str | None, str | None]
        if result.outcome == "unknown":
            key = (result.outcome, result.rule, None, _shape(result.remediation), reason)
        else:
            key = (result.outcome, result.rule, result.message, result.remediation, reason)
        groups.setdefault(key, []).append(result)
    rows = [
        AttentionRow(
            outcome,
            rule,
            tuple(component_name(r) for r in members),
            _message(members),
            members[0].remediation,
            reason,
        )
        for (outcome, rule, _, _, reason), members in groups.items()
    ]
    rows.sort(key=lambda row: ORDER.index(row.outcome))
    return rows


_VARYING = re.compile(r"https?://\S+|\b\d+(?:\.[0-9A-Za-z]+)+\b")


def _shape(text: str | None) -> str | None:
    """The text with addresses and version numbers masked: what stays is the cause."""
    return _VARYING.sub("…", text) if text else text


def _message(members: Sequence[RuleResult]) -> str:
    distinct = len({r.message for r in members})
    first = members[0].message
    if distinct == 1:
        return first
    return f"{first} (one of {distinct} similar messages; all are in the JSON report)"
