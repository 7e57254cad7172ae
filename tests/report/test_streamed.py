"""SARIF and JUnit written block by block are the bytes of the whole document."""

from __future__ import annotations

import dataclasses
import io
import itertools
import xml.etree.ElementTree as ET
from functools import cache

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.engine import Evaluation, fold_passes
from policyengine.model.verdict import ResultBlock, ResultsMode, Verdict
from policyengine.report import FORMATS, block_writer, render
from policyengine.report import spool as spool_module
from policyengine.report.junit import JunitSpool, junit_tree, render_junit
from policyengine.report.sarif import SarifSpool, render_sarif, sarif_document
from tests.engine.fakes import NOW
from tests.report.conftest import build_verdict


@cache
def _synthetic(results: ResultsMode = "all") -> Verdict:
    from policyengine.engine import evaluate

    return evaluate(*_synthetic_inputs(), NOW, results=results)


@cache
def _synthetic_inputs():  # type: ignore[no-untyped-def]
    from benchmarks.synth import make_evidence_object, make_sbom
    from policyengine.checks import registry
    from policyengine.ingest import parse_bytes
    from policyengine.policy.loader import load_policy

    sbom = parse_bytes(make_sbom(150), "s.cdx.json")
    policy = load_policy("release-gate", checks=registry.CHECKS)
    return sbom, make_evidence_object(150), policy


def _verdicts() -> list[Verdict]:
    whole = build_verdict()
    # Schema version 1 (every result listed), then version 2 (passes counted per rule).
    listed = [whole, dataclasses.replace(whole, results=()), _synthetic()]
    return [*listed, fold_passes(whole), fold_passes(listed[1]), _synthetic("attention")]


def _cut(verdict: Verdict, cuts: list[int]) -> list[ResultBlock]:
    """The results in blocks cut at ``cuts``; the counted passes come with the first block
    (a rule's passes may arrive any time before a result of a later rule)."""
    edges = [0, *sorted(c % (len(verdict.results) + 1) for c in cuts), len(verdict.results)]
    blocks = [ResultBlock(verdict.results[start:end]) for start, end in itertools.pairwise(edges)]
    blocks[0].passes = verdict.passes
    return blocks


def _sarif_reference(verdict: Verdict) -> bytes:
    return orjson.dumps(sarif_document(verdict, "9.9.9"), option=orjson.OPT_INDENT_2) + b"\n"


def _junit_reference(verdict: Verdict) -> bytes:
    text = ET.tostring(junit_tree(verdict), "unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode()


def _spooled(make, verdict: Verdict, cuts: list[int]) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    with make() as spool:
        for block in _cut(verdict, cuts):
            spool.add(block)
        spool.write(dataclasses.replace(verdict, results=()), out)
    return out.getvalue()


@settings(max_examples=25, deadline=None)
@given(which=st.integers(0, 5), cuts=st.lists(st.integers(0, 10_000), max_size=6))
def test_spooled_sarif_is_the_document(which: int, cuts: list[int]) -> None:
    verdict = _verdicts()[which]
    made = _spooled(lambda: SarifSpool("9.9.9", verdict.subject.inputs), verdict, cuts)
    assert made == _sarif_reference(verdict)


@settings(max_examples=25, deadline=None)
@given(which=st.integers(0, 5), cuts=st.lists(st.integers(0, 10_000), max_size=6))
def test_spooled_junit_is_the_tree(which: int, cuts: list[int]) -> None:
    # Cuts fall inside rules too: a rule's results may span blocks.
    verdict = _verdicts()[which]
    assert _spooled(JunitSpool, verdict, cuts) == _junit_reference(verdict)


@pytest.mark.parametrize("which", range(6))
def test_renderers_use_the_spools(which: int) -> None:
    verdict = _verdicts()[which]
    assert render_sarif(verdict, "9.9.9").encode() == _sarif_reference(verdict)
    assert render_junit(verdict).encode() == _junit_reference(verdict)


def test_spools_that_move_to_disk_write_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool_module, "SPOOL_MEMORY", 2048)
    verdict = _synthetic()
    assert _spooled(JunitSpool, verdict, [7, 300]) == _junit_reference(verdict)
    made = _spooled(lambda: SarifSpool("9.9.9", verdict.subject.inputs), verdict, [7])
    assert made == _sarif_reference(verdict)


def _written(writer, verdict: Verdict, cuts: list[int]) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    for block in _cut(verdict, cuts):
        writer.add(block)
    writer.write(dataclasses.replace(verdict, results=()), out)
    writer.close()
    return out.getvalue()


def _many() -> Verdict:
    """More results than the comment lists, with outcomes interleaved."""
    whole = build_verdict()
    distinct = tuple(
        dataclasses.replace(r, message=f"{r.message} #{i}")
        for i in range(40)
        for r in whole.results
    )
    return dataclasses.replace(whole, results=distinct)


@settings(max_examples=15, deadline=None)
@given(which=st.integers(0, 6), cuts=st.lists(st.integers(0, 10_000), max_size=6))
def test_markdown_and_table_do_not_depend_on_the_blocks(which: int, cuts: list[int]) -> None:
    from policyengine.report.markdown import MarkdownWriter, render_markdown
    from policyengine.report.table import TableWriter, render_table

    verdict = [*_verdicts(), _many()][which]
    assert _written(MarkdownWriter(), verdict, cuts).decode() == render_markdown(verdict)
    assert _written(TableWriter(), verdict, cuts).decode() == render_table(verdict)


def test_markdown_details_are_the_first_results_by_outcome() -> None:
    # What the comment lists: every result sorted (stably) by outcome, cut at MAX_DETAILS.
    from policyengine.report.attention import ORDER, component_name
    from policyengine.report.markdown import MAX_DETAILS, _code, render_markdown

    verdict = _many()
    assert len(verdict.results) > MAX_DETAILS
    expected = sorted(verdict.results, key=lambda r: ORDER.index(r.outcome))[:MAX_DETAILS]
    details = render_markdown(verdict).split("<summary>All results", 1)[1]
    rows = [line for line in details.splitlines() if line.startswith("| ") and "---" not in line]
    listed = [(row.split(" | ")[0][2:], row.split(" | ")[2]) for row in rows[1:]]
    names = [(r.outcome, _code(component_name(r))) for r in expected]
    assert listed == names[: len(listed)]
    assert len(listed) > 50


def test_a_full_temporary_directory_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from policyengine.model.errors import UsageError

    class Full(io.BytesIO):
        _rolled = True

        def write(self, data: bytes) -> int:  # type: ignore[override]
            raise OSError(errno.ENOSPC, "No space left on device")

    spool = spool_module.Spool()
    monkeypatch.setattr(spool, "_file", Full())
    with pytest.raises(UsageError, match="No space left on device") as caught:
        spool.write(b"x")
    assert caught.value.hint is not None and "TMPDIR" in caught.value.hint


def test_junit_of_a_verdict_whose_rules_interleave_has_one_suite_per_rule() -> None:
    verdict = build_verdict()
    interleaved = dataclasses.replace(verdict, results=verdict.results[::-1])
    rules = {r.rule for r in verdict.results}
    text = render_junit(interleaved)
    assert text.count("<testsuite ") == len(rules)
    assert text.encode() == _junit_reference(interleaved)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("results", ["attention", "all"])
def test_an_evaluation_streamed_rule_by_rule_writes_what_render_gives(
    fmt: str, results: ResultsMode
) -> None:
    # check --format F writes the engine's blocks as they come: the bytes of render().
    run = Evaluation(*_synthetic_inputs(), NOW, results=results)
    out = io.BytesIO()
    with block_writer(fmt, inputs=run.subject.inputs, tool_version="9.9.9") as writer:
        for block in run.blocks():
            writer.add(block)
        verdict = run.verdict()
        writer.write(verdict, out)
    whole = _synthetic(results)
    assert verdict == dataclasses.replace(whole, results=())
    assert out.getvalue().decode() == render(whole, fmt, tool_version="9.9.9")


def test_the_engine_counts_passes_as_fold_passes_does() -> None:
    assert _synthetic("attention") == fold_passes(_synthetic())
