"""Passes per rule, counted the same way whether a verdict lists them or summarises them.

A schema version "2" verdict counts its passes per rule (``RulePasses``, carried by each
block of results as it streams); a version "1" verdict lists each pass as a result. The
table and the Markdown comment show the same per-rule counts for both.
"""

from __future__ import annotations

from collections.abc import Iterable

from policyengine.model.verdict import RuleResult, passes_of


class PassCounts:
    """How many results passed, per rule, fed a block at a time."""

    def __init__(self) -> None:
        self._passed: dict[str, int] = {}

    def add(self, block: Iterable[RuleResult]) -> None:
        """Count the passes of ``block``: its pass results and the passes it carries."""
        passed = self._passed
        for result in block:
            if result.outcome == "pass":
                passed[result.rule] = passed.get(result.rule, 0) + 1
        for passes in passes_of(block):
            passed[passes.rule] = passed.get(passes.rule, 0) + passes.passed

    def rows(self) -> list[tuple[str, int]]:
        """``(rule, passed results)`` for every rule with a pass, by rule id."""
        return sorted(self._passed.items())

    def line(self) -> str:
        """``rule-a 61, rule-b 52``, or an empty string when nothing passed."""
        return ", ".join(f"{rule} {passed}" for rule, passed in self.rows())
