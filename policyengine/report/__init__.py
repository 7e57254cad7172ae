"""Verdict -> text: json, sarif, junit, markdown and table renderers."""

from __future__ import annotations

from policyengine.model.verdict import Verdict

FORMATS = ("json", "sarif", "junit", "markdown", "table")
"""The ``--format`` choices of ``policyengine check``."""


def render(verdict: Verdict, fmt: str, *, tool_version: str = "0.0.0") -> str:
    """Render ``verdict`` in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        from policyengine.report.json import render_json

        return render_json(verdict)
    if fmt == "sarif":
        from policyengine.report.sarif import render_sarif

        return render_sarif(verdict, tool_version)
    if fmt == "junit":
        from policyengine.report.junit import render_junit

        return render_junit(verdict)
    if fmt == "markdown":
        from policyengine.report.markdown import render_markdown

        return render_markdown(verdict)
    if fmt == "table":
        from policyengine.report.table import render_table

        return render_table(verdict)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
