"""Markdown for a pull-request comment: the outcome and counts first, details folded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from policyengine.model.verdict import ResultBlock, RuleResult, Verdict, WaiverStatus, passes_of
from policyengine.report.attention import ORDER, Attention, AttentionRow, component_name
from policyengine.report.passes import PassCounts
from policyengine.report.spool import ReportWriter

MAX_LISTED = 50
"""Most results listed in the open part of the comment; the rest sit in the details."""
MAX_DETAILS = 250
"""Most results listed in the folded details."""
MAX_UNIDENTIFIED = 200
"""Most unidentified components listed; the JSON report has them all."""
MAX_CHARS = 60_000
"""Size the comment stays under, below GitHub's 65,536-character limit for a comment."""

_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌", "incomplete": "❔"}


def render_markdown(verdict: Verdict) -> str:
    """The verdict as GitHub-flavoured Markdown."""
    writer = MarkdownWriter()
    writer.add(ResultBlock(verdict.results, verdict.passes))
    return writer.text(verdict)


class MarkdownWriter(ReportWriter):
    """The comment for results that arrive in verdict order, a block at a time.

    Keeps what the comment can show: the attention rows (:class:`Attention`) and the
    first :data:`MAX_DETAILS` results of each outcome, not every result (750,000 at
    50,000 components with ``release-gate``).
    """

    def __init__(self) -> None:
        self._attention = Attention()
        self._first: dict[str, list[RuleResult]] = {outcome: [] for outcome in ORDER}
        self._count = 0
        self._passes = PassCounts()
        self._folded = False

    def add(self, block: Sequence[RuleResult]) -> None:
        """Take the next results (and the passes the block counted)."""
        self._attention.add(block)
        self._passes.add(block)
        self._folded = self._folded or bool(passes_of(block))
        self._count += len(block)
        for result in block:
            kept = self._first[result.outcome]
            if len(kept) < MAX_DETAILS:
                kept.append(result)

    def write(self, verdict: Verdict, handle: BinaryIO) -> None:
        """Write :meth:`text` as UTF-8."""
        handle.write(self.text(verdict).encode())

    def text(self, verdict: Verdict) -> str:
        """The comment: ``verdict``'s fields, with the results added for its own."""
        s = verdict.summary
        inputs = ", ".join(_code(i) for i in verdict.subject.inputs)
        base = verdict.subject.base
        if base is None:
            judged = f"inputs {inputs}"
        else:  # a diff: only what the change from base to head introduced is reported
            judged = f"changes from {', '.join(_code(i) for i in base.inputs)} to {inputs}"
        lines = [
            f"## {_ICON[verdict.outcome]} policyengine: **{verdict.outcome}**",
            "",
            f"Policy {_code(verdict.policy.name)} · {judged}"
            f" · evaluated {verdict.evaluated_at.isoformat().replace('+00:00', 'Z')}",
            "",
            "| fail | warn | unknown | error | waived | info | pass |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {s.failed} | {s.warned} | {s.unknown} | {s.error} | {s.waived} | {s.info} "
            f"| {s.passed} |",
            "",
            f"{_count(s.components, 'component')} ({verdict.coverage.identified} identified), "
            f"{_count(s.rules, 'rule')}.",
        ]
        problems = self._attention.rows()
        if problems:
            lines += ["", "### Needs attention", ""]
            lines += _attention_table(problems[:MAX_LISTED])
            if len(problems) > MAX_LISTED:
                lines += ["", f"… and {len(problems) - MAX_LISTED} more in the details below."]
        passed = self._passes.rows()
        if passed:
            lines += ["", "<details><summary>Passed, by rule</summary>", ""]
            lines += ["| rule | passed |", "| --- | ---: |"]
            lines += [f"| {_code(rule)} | {count} |" for rule, count in passed]
            lines += ["", "</details>"]
        lines += _waivers(verdict)
        unidentified = _unidentified(verdict)
        if self._count:
            # The stable sort by outcome of every result, cut at MAX_DETAILS.
            ordered = [r for outcome in ORDER for r in self._first[outcome]][:MAX_DETAILS]
            rows = _table(ordered)
            # Pull-request comments are capped (GitHub: 65 536 characters): details give way.
            budget = MAX_CHARS - _size(lines) - _size(unidentified) - 400
            kept = _fit(rows, budget)
            left = self._count - (kept - 2)
            # Passes counted per rule are above: what is listed then needs attention.
            label = "Results that need attention" if self._folded else "All results"
            lines += ["", f"<details><summary>{label} ({self._count})</summary>", ""]
            lines += rows[:kept]
            if left > 0:
                lines += ["", f"… and {left} more: see the JSON or SARIF report."]
            lines += ["", "</details>"]
        lines += unidentified
        return "\n".join(lines) + "\n"


def _unidentified(verdict: Verdict) -> list[str]:
    items = verdict.coverage.unidentified
    if not items:
        return []
    lines = ["", f"<details><summary>Unidentified components ({len(items)})</summary>", ""]
    lines += [f"- {_code(u.ref)}: {_cell(u.reason)}" for u in items[:MAX_UNIDENTIFIED]]
    if len(items) > MAX_UNIDENTIFIED:
        lines.append(f"- … and {len(items) - MAX_UNIDENTIFIED} more: see the JSON report.")
    return [*lines, "", "</details>"]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _size(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _fit(rows: Sequence[str], budget: int) -> int:
    """How many leading rows (the two header rows first) fit in ``budget`` characters."""
    used = 0
    for count, row in enumerate(rows):
        used += len(row) + 1
        if used > budget:
            return max(count, 2)
    return len(rows)


def _table(results: Sequence[RuleResult]) -> list[str]:
    rows = ["| outcome | rule | component | message |", "| --- | --- | --- | --- |"]
    for r in results:
        name = component_name(r)
        message = r.message
        if r.remediation and r.outcome in {"fail", "warn"}:
            message += f" — {r.remediation}"
        if r.waiver is not None:
            message += f" (waived: {r.waiver.reason})"
        rows.append(f"| {r.outcome} | {_code(r.rule)} | {_code(name)} | {_cell(message)} |")
    return rows


def _attention_table(rows: Sequence[AttentionRow]) -> list[str]:
    lines = ["| outcome | rule | component | message and what to do |", "| --- | --- | --- | --- |"]
    for row in rows:
        message = row.message
        if row.remediation and row.outcome in {"fail", "error", "warn", "unknown"}:
            message += f" — {row.remediation}"
        if row.waiver_reason:
            message += f" (waived: {row.waiver_reason})"
        lines.append(
            f"| {row.outcome} | {_code(row.rule)} | {_code(row.subject)} | {_cell(message)} |"
        )
    return lines


def _waivers(verdict: Verdict) -> list[str]:
    w = verdict.waivers
    expiring = [s for s in (*w.applied, *w.unused) if s.expiring]
    if not (w.applied or w.expired or w.unused):
        return []
    lines = [
        "",
        f"<details><summary>Waivers: {len(w.applied)} applied, {len(w.expired)} expired, "
        f"{len(w.unused)} unused, {len(expiring)} expiring soon</summary>",
        "",
    ]
    for label, items in (
        ("applied", w.applied),
        ("expired", w.expired),
        ("unused", w.unused),
    ):
        lines += [_waiver_line(label, status) for status in items]
    lines += ["", "</details>"]
    return lines


def _waiver_line(label: str, status: WaiverStatus) -> str:
    waiver = status.waiver
    target = waiver.component + (f" {waiver.versions}" if waiver.versions else "")
    if waiver.advisory:
        target += f" ({waiver.advisory})"
    expires = f", expires {waiver.expires.isoformat()}" if waiver.expires else ""
    soon = " **expiring soon**" if status.expiring else ""
    return (
        f"- {label}: {_code(waiver.rule)} on {_code(target)}{expires}{soon} — "
        f"{_cell(waiver.reason)} ({status.matched} result{'' if status.matched == 1 else 's'})"
    )


def _code(text: str) -> str:
    """A code span: HTML inside it is shown as text, so only backticks and pipes matter."""
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def _cell(text: str) -> str:
    # Input data must not close our <details> or inject markup into the comment.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")
