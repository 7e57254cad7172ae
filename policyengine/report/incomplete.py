"""The one-line summary printed with exit 4: which components lack evidence, and how many."""

from __future__ import annotations

from policyengine.model.verdict import Verdict

LIMIT = 5
"""How many components the line names before it says how many more there are."""


def incomplete_line(verdict: Verdict, limit: int = LIMIT) -> str:
    """``evidence incomplete: N of M components lack evidence (...): a, b, ... and K more``."""
    lacking: dict[str, int] = {}
    document = 0
    unknown = error = 0
    for result in verdict.results:
        if result.outcome not in ("unknown", "error"):
            continue
        if result.outcome == "unknown":
            unknown += 1
        else:
            error += 1
        if result.component is None:
            document += 1
            continue
        name = result.component.purl or result.component.ref
        lacking[name] = lacking.get(name, 0) + 1
    named = ", ".join(sorted(lacking)[:limit])
    more = len(lacking) - limit
    tail = f" and {more} more" if more > 0 else ""
    doc = f"; {document} document-level result(s) unknown" if document else ""
    return (
        f"evidence incomplete: {len(lacking)} of {verdict.summary.components} components "
        f"lack evidence ({unknown} unknown, {error} error results{doc})"
        + (f": {named}{tail}" if named else "")
    )
