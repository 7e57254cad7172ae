"""The one-line summary printed with exit 4: which components lack evidence, and how many."""

from __future__ import annotations

from collections.abc import Collection

from policyengine.model.verdict import RuleResult, Verdict

LIMIT = 5
"""How many components the line names before it says how many more there are."""


class Lacking:
    """What the unknown and error results of a verdict say is missing, result by result.

    Fed one result at a time, so a verdict written as it is evaluated (``check --format
    json``) can still name the components without holding its results. ``blocking``
    names the rules whose unknown results hold the verdict (their ``on_missing_evidence``
    is ``fail``); the others are reported in the verdict but not here. ``None``: all.
    """

    def __init__(self, blocking: Collection[str] | None = None) -> None:
        self.blocking = None if blocking is None else frozenset(blocking)
        self.components: dict[str, int] = {}
        self.document = 0
        self.unknown = 0
        self.error = 0

    def add(self, result: RuleResult) -> None:
        """Count ``result`` if it is unknown or an error; other outcomes are ignored."""
        if self.blocking is not None and result.rule not in self.blocking:
            return
        if result.outcome == "unknown":
            self.unknown += 1
        elif result.outcome == "error":
            self.error += 1
        else:
            return
        if result.component is None:
            self.document += 1
            return
        name = result.component.purl or result.component.ref
        self.components[name] = self.components.get(name, 0) + 1

    def line(self, components: int, limit: int = LIMIT) -> str:
        """``evidence incomplete: N of M components lack evidence (...): a, b, ... and K more``.

        ``components`` is M, the number of components judged.
        """
        named = ", ".join(sorted(self.components)[:limit])
        more = len(self.components) - limit
        tail = f" and {more} more" if more > 0 else ""
        doc = f"; {self.document} document-level result(s) unknown" if self.document else ""
        return (
            f"evidence incomplete: {len(self.components)} of {components} components "
            f"lack evidence ({self.unknown} unknown, {self.error} error results{doc})"
            + (f": {named}{tail}" if named else "")
        )


def incomplete_line(
    verdict: Verdict, limit: int = LIMIT, blocking: Collection[str] | None = None
) -> str:
    """:meth:`Lacking.line` over every result of ``verdict``."""
    lacking = Lacking(blocking)
    for result in verdict.results:
        lacking.add(result)
    return lacking.line(verdict.summary.components, limit)
