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
    attention = Attention(outcomes)
    attention.add(results)
    return attention.rows()


_Key = tuple[str, str, str | None, str | None, str | None]


class _Group:
    """What a row needs of its results: the first one, every name, the distinct messages."""

    __slots__ = ("first", "messages", "names")

    def __init__(self, first: RuleResult) -> None:
        self.first = first
        self.names: list[str] = []
        self.messages: set[str] = set()


class Attention:
    """:func:`attention_rows` fed a block of results at a time (see :mod:`.spool`).

    Keeps one result per row plus the names and distinct messages of the rest, not the
    results themselves.
    """

    def __init__(self, outcomes: Sequence[str] = ORDER[:4]) -> None:
        self._outcomes = frozenset(outcomes)
        self._groups: dict[_Key, _Group] = {}

    def add(self, results: Iterable[RuleResult]) -> None:
        """Fold the next results (in verdict order) into the rows."""
        for result in results:
            if result.outcome not in self._outcomes:
                continue
            reason = result.waiver.reason if result.waiver is not None else None
            key: _Key
            if result.outcome == "unknown":
                key = (result.outcome, result.rule, None, _shape(result.remediation), reason)
            else:
                key = (result.outcome, result.rule, result.message, result.remediation, reason)
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = _Group(result)
            group.names.append(component_name(result))
            group.messages.add(result.message)

    def rows(self) -> list[AttentionRow]:
        """The rows so far, most urgent first."""
        rows = [
            AttentionRow(
                outcome,
                rule,
                tuple(group.names),
                _message(group.first.message, len(group.messages)),
                group.first.remediation,
                reason,
            )
            for (outcome, rule, _, _, reason), group in self._groups.items()
        ]
        rows.sort(key=lambda row: ORDER.index(row.outcome))
        return rows


_VARYING = re.compile(r"https?://\S+|\b\d+(?:\.[0-9A-Za-z]+)+\b")


def _shape(text: str | None) -> str | None:
    """The text with addresses and version numbers masked: what stays is the cause."""
    return _VARYING.sub("…", text) if text else text


def _message(first: str, distinct: int) -> str:
    if distinct == 1:
        return first
    return f"{first} (one of {distinct} similar messages; all are in the JSON report)"
