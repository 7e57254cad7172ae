"""render_json's direct orjson path writes exactly what the pydantic document path writes."""

from __future__ import annotations

import dataclasses
import enum
import itertools
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from policyengine.model.verdict import Verdict
from policyengine.report.json import render_json, verdict_document
from tests.engine.fakes import CHECKS, NOW, advisories, component, evidence, package, sbom


class Colour(enum.Enum):
    RED = "red"


def _slow(verdict: Verdict) -> str:
    return orjson.dumps(verdict_document(verdict), option=orjson.OPT_INDENT_2).decode() + "\n"


def _verdict(observed: Any) -> Verdict:
    from policyengine.engine import evaluate
    from policyengine.model import FactKind
    from policyengine.model.policy import Policy, Rule

    components = [component(f"pkg{i}", f"1.{i}.0") for i in range(4)]
    facts = evidence(
        {
            c.key: {
                FactKind.PACKAGE: package("archived" if i == 1 else None),
                FactKind.ADVISORIES: advisories(*(["A-1"] if i == 2 else [])),
            }
            for i, c in enumerate(components)
        }
    )
    rules = (Rule(id="s", check="fake-status"), Rule(id="a", check="fake-advisories"))
    verdict = evaluate(sbom(*components), facts, Policy(name="p", rules=rules), NOW, checks=CHECKS)
    first = dataclasses.replace(verdict.results[0], observed=observed)
    return dataclasses.replace(verdict, results=(first, *verdict.results[1:]))


@pytest.mark.parametrize(
    "observed",
    [
        None,
        {"a": [1, 2.5, "x"], "b": None},
        (1, 2),
        datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 1, 2, 3, 4, 5),
        date(2026, 1, 2),
        float("nan"),
        Colour.RED,
        {1: "int key"},
        {"only"},
        Decimal("1.5"),
        b"bytes",
        timedelta(hours=1),
        Path("some/path"),
    ],
)
def test_same_text_both_ways(observed: Any) -> None:
    verdict = _verdict(observed)
    assert render_json(verdict) == _slow(verdict)


def test_both_ways_refuse_the_same() -> None:
    verdict = _verdict(2**70)  # beyond what either writer can write
    with pytest.raises(TypeError):
        _slow(verdict)
    with pytest.raises(TypeError):
        render_json(verdict)


@pytest.mark.parametrize("observed", [None, {"a": [1, 2]}, Decimal("1.5"), {"only"}])
@pytest.mark.parametrize("results", [0, 1, 3])
def test_streamed_json_is_the_same_bytes(observed: Any, results: int) -> None:
    import io

    from policyengine.report.json import render_json_bytes, write_json

    verdict = _verdict(observed)
    verdict = dataclasses.replace(verdict, results=verdict.results[:results])
    out = io.BytesIO()
    write_json(verdict, out)
    assert out.getvalue() == render_json_bytes(verdict)


def test_streamed_json_of_a_synthetic_check_is_the_same_bytes(tmp_path: Path) -> None:
    import io

    from benchmarks.synth import make_evidence_object, make_sbom
    from policyengine.checks import registry
    from policyengine.engine import evaluate
    from policyengine.ingest import parse_bytes
    from policyengine.policy.loader import load_policy
    from policyengine.report.json import render_json_bytes, write_json

    sbom = parse_bytes(make_sbom(1200), "s.cdx.json")  # more than one batch of results
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: policyengine/v1\nkind: Policy\nmetadata: {name: p}\nrules:\n"
        "  - {id: r, check: expr, params: {expr: 'facts.releases.listed'}}\n"
    )
    verdict = evaluate(
        sbom, make_evidence_object(1200), load_policy(policy, checks=registry.CHECKS), NOW
    )
    assert len(verdict.results) > 1000
    out = io.BytesIO()
    write_json(verdict, out)
    assert out.getvalue() == render_json_bytes(verdict)


def _spooled(verdict: Verdict, cuts: list[int]) -> bytes:
    """The verdict written through a JsonSpool, its results cut into blocks at ``cuts``."""
    import io

    from policyengine.report.json import JsonSpool

    out = io.BytesIO()
    with JsonSpool() as spool:
        edges = [0, *cuts, len(verdict.results)]
        for start, end in itertools.pairwise(edges):
            spool.add(verdict.results[start:end])
        spool.write(dataclasses.replace(verdict, results=()), out)
    return out.getvalue()


@pytest.mark.parametrize("observed", [None, {"a": [1, 2]}, Decimal("1.5"), {"only"}])
@pytest.mark.parametrize(("results", "cuts"), [(0, []), (1, []), (3, [1]), (3, [0, 0, 2, 3])])
def test_spooled_json_is_the_same_bytes(observed: Any, results: int, cuts: list[int]) -> None:
    from policyengine.report.json import render_json_bytes

    verdict = _verdict(observed)
    verdict = dataclasses.replace(verdict, results=verdict.results[:results])
    assert _spooled(verdict, cuts) == render_json_bytes(verdict)


def test_spooled_json_of_a_large_verdict_goes_to_disk_and_stays_the_same(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from benchmarks.synth import make_evidence_object, make_sbom
    from policyengine.checks import registry
    from policyengine.engine import Evaluation, evaluate
    from policyengine.ingest import parse_bytes
    from policyengine.policy.loader import load_policy
    from policyengine.report import json as json_report
    from policyengine.report import spool as spool_module

    monkeypatch.setattr(spool_module, "SPOOL_MEMORY", 4096)  # spill to a temporary file
    sbom = parse_bytes(make_sbom(300), "s.cdx.json")
    facts = make_evidence_object(300)
    policy = load_policy("release-gate", checks=registry.CHECKS)
    whole = evaluate(sbom, facts, policy, NOW)
    run = Evaluation(sbom, facts, policy, NOW)
    import io

    out = io.BytesIO()
    with json_report.JsonSpool() as spool:
        for block in run.blocks():
            spool.add(block)
        assert spool.on_disk()
        spool.write(run.verdict(), out)
    assert out.getvalue() == json_report.render_json_bytes(whole)
