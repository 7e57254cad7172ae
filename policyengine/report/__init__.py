"""Verdict -> text: json, sarif, junit, markdown and table renderers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO, Protocol, Self

from policyengine.model.verdict import ResultBlock, RuleResult, Verdict

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


STREAMED = FORMATS
"""Formats that can be written from results arriving rule by rule (:func:`block_writer`):
all of them."""


class BlockWriter(Protocol):
    """A document written from results that arrive in verdict order, a block at a time."""

    def add(self, block: Sequence[RuleResult]) -> None:
        """Take the next results; the writer does not keep them."""

    def write(self, verdict: Verdict, handle: BinaryIO) -> None:
        """Write the whole document for ``verdict`` (its own ``results`` are ignored)."""

    def close(self) -> None:
        """Delete what was spooled."""

    def __enter__(self) -> Self:
        """The writer itself; leaving the ``with`` block closes it."""

    def __exit__(self, *exc: object) -> None:
        """Close the writer."""


def block_writer(fmt: str, *, inputs: tuple[str, ...], tool_version: str) -> BlockWriter:
    """The writer of ``fmt`` (one of :data:`STREAMED`): the bytes :func:`render` gives.

    ``inputs`` are the verdict's ``subject.inputs``.
    """
    if fmt == "json":
        from policyengine.report.json import JsonSpool

        return JsonSpool()
    if fmt == "sarif":
        from policyengine.report.sarif import SarifSpool

        return SarifSpool(tool_version, inputs)
    if fmt == "junit":
        from policyengine.report.junit import JunitSpool

        return JunitSpool()
    if fmt == "markdown":
        from policyengine.report.markdown import MarkdownWriter

        return MarkdownWriter()
    if fmt == "table":
        from policyengine.report.table import TableWriter

        return TableWriter()
    raise ValueError(f"{fmt!r} is not written block by block; choose one of {STREAMED}")


@contextmanager
def verdict_writer(verdict: Verdict, fmt: str, *, tool_version: str) -> Iterator[BlockWriter]:
    """The writer of ``fmt`` already holding an evaluated ``verdict``: results and passes.

    ``check`` (cli.py) and the service (service/checking.py) both write a whole verdict
    through it, so their bytes cannot drift apart (a verdict's counted passes must reach
    the writer as the results' block does).
    """
    with block_writer(fmt, inputs=verdict.subject.inputs, tool_version=tool_version) as writer:
        writer.add(ResultBlock(verdict.results, verdict.passes))
        yield writer
