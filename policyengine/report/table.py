"""A table for people at a terminal (rich): the outcome, then everything not passing."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import BinaryIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from policyengine.model.verdict import ResultBlock, RuleResult, Verdict
from policyengine.report.attention import ORDER, Attention, AttentionRow
from policyengine.report.passes import PassCounts
from policyengine.report.spool import ReportWriter

_STYLE = {
    "fail": "bold red",
    "error": "red",
    "unknown": "yellow",
    "warn": "yellow",
    "info": "cyan",
    "waived": "magenta",
    "pass": "green",
}


def render_table(verdict: Verdict, *, width: int = 120, color: bool = False) -> str:
    """Render as text; passes are counted, not listed."""
    writer = TableWriter(width=width, color=color)
    writer.add(ResultBlock(verdict.results, verdict.passes))
    return writer.text(verdict)


class TableWriter(ReportWriter):
    """The table for results that arrive in verdict order, a block at a time.

    Keeps only the attention rows (:class:`Attention`): passes are counted per rule, not
    listed.
    """

    def __init__(self, *, width: int = 120, color: bool = False) -> None:
        self._attention = Attention(ORDER[:-1])
        self._passes = PassCounts()
        self._width = width
        self._color = color

    def add(self, block: Sequence[RuleResult]) -> None:
        """Take the next results (and the passes the block counted)."""
        self._attention.add(block)
        self._passes.add(block)

    def write(self, verdict: Verdict, handle: BinaryIO) -> None:
        """Write :meth:`text` as UTF-8."""
        handle.write(self.text(verdict).encode())

    def text(self, verdict: Verdict) -> str:
        """The table: ``verdict``'s fields, with the results added for its own."""
        return _render(
            verdict, self._attention.rows(), self._passes.line(), self._width, self._color
        )


def _render(
    verdict: Verdict, rows: list[AttentionRow], passed: str, width: int, color: bool
) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=color, color_system="standard" if color else None
    )
    s = verdict.summary
    console.print(
        f"[bold]{verdict.outcome.upper()}[/bold]  policy {escape(verdict.policy.name)}  "
        f"{s.components} components, {s.rules} rules: "
        f"{s.failed} fail, {s.warned} warn, {s.unknown} unknown, {s.error} error, "
        f"{s.waived} waived, {s.info} info, {s.passed} pass",
        highlight=False,
    )
    base = verdict.subject.base
    if base is not None:
        # A diff reports only what the change introduced: say what it was measured against.
        console.print(
            escape(f"changes from {', '.join(base.inputs)} to {', '.join(verdict.subject.inputs)}"),
            highlight=False,
        )
    if passed:
        console.print(escape(f"passed, by rule: {passed}"), highlight=False)
    if rows:
        table = Table(show_lines=True)
        table.add_column("outcome")
        table.add_column("rule")
        table.add_column("component", overflow="fold")
        table.add_column("message and what to do", overflow="fold")
        for row in rows:
            # Text, not markup: messages quote input data, which may contain [brackets].
            text = Text(row.message)
            if row.remediation and row.outcome in {"fail", "error", "warn", "unknown"}:
                text.append(f"\n→ {row.remediation}", style="bold")
            if row.waiver_reason:
                text.append(f"\n(waived: {row.waiver_reason})")
            table.add_row(
                Text(row.outcome, style=_STYLE[row.outcome]),
                Text(row.rule),
                Text(row.subject),
                text,
            )
        console.print(table)
    for status in (*verdict.waivers.applied, *verdict.waivers.unused):
        if status.expiring:
            console.print(
                escape(
                    f"waiver for {status.waiver.rule} on {status.waiver.component} expires in "
                    f"{status.days_left} days"
                ),
                highlight=False,
            )
    for status in verdict.waivers.expired:
        console.print(
            escape(f"expired waiver: {status.waiver.rule} on {status.waiver.component}"),
            highlight=False,
        )
    for status in verdict.waivers.unused:
        console.print(
            escape(f"unused waiver: {status.waiver.rule} on {status.waiver.component}"),
            highlight=False,
        )
    return buffer.getvalue()
