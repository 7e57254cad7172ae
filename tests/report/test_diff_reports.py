"""A diff verdict in every format: each says what HEAD was compared with (``subject.base``)."""

from __future__ import annotations

import dataclasses
import io
import json

import jsonschema
import orjson
import pytest

from policyengine.engine import evaluate_diff
from policyengine.model import FactKind, Hash
from policyengine.model.policy import Policy, Rule, Severity
from policyengine.model.verdict import Verdict
from policyengine.report import FORMATS, render
from policyengine.report.json import verdict_schema
from policyengine.report.sarif import SarifSpool, sarif_document
from tests.engine.fakes import CHECKS, NOW, advisories, component, evidence, package, sbom
from tests.goldens import check_golden
from tests.report.test_reports import GOLDENS, SARIF_SCHEMA, SUFFIX


def build_diff_verdict() -> Verdict:
    """requests 2.31.0 -> 2.32.0, litellm 1.82.8 added, six unchanged; the timestamp lost."""
    six = component("six", "1.16.0", hashes=(Hash("sha256", "aa"),))
    base = sbom(component("requests", "2.31.0"), six)
    head = sbom(
        component("requests", "2.32.0"), six, component("litellm", "1.82.8"), timestamp=None
    )
    base = dataclasses.replace(base, source="sbom-before.cdx.json", digest="sha256:" + "b" * 64)
    head = dataclasses.replace(head, source="sbom-after.cdx.json", digest="sha256:" + "a" * 64)
    facts = evidence(
        {
            "pypi/litellm@1.82.8": {
                FactKind.PACKAGE: package("quarantined"),
                FactKind.ADVISORIES: advisories("MAL-2026-2144"),
            },
            "pypi/requests@2.32.0": {FactKind.PACKAGE: package(None)},
            "pypi/six@1.16.0": {FactKind.PACKAGE: package("archived")},
        },
        digest="sha256:" + "e" * 64,
    )
    policy = Policy(
        name="diff-report-test",
        rules=(
            Rule(id="registry-status", check="fake-status"),
            Rule(id="advisories", check="fake-advisories"),
            Rule(id="sbom-timestamp", check="fake-doc", severity=Severity.WARN),
        ),
        digest="sha256:" + "d" * 64,
    )
    return evaluate_diff(base, head, facts, policy, NOW, checks=CHECKS)


@pytest.fixture
def diff_verdict() -> Verdict:
    return build_diff_verdict()


@pytest.mark.parametrize("fmt", FORMATS)
def test_diff_golden(diff_verdict: Verdict, fmt: str) -> None:
    text = render(diff_verdict, fmt, tool_version="0.0.0-test")
    check_golden(GOLDENS / f"verdict-diff.{SUFFIX[fmt]}", text)


def test_the_fixture_is_a_diff(diff_verdict: Verdict) -> None:
    # six is archived but unchanged: not reported; the lost timestamp is new: reported.
    assert {(r.rule, r.component.name if r.component else None) for r in diff_verdict.results} == {
        ("registry-status", "litellm"),
        ("registry-status", "requests"),
        ("advisories", "litellm"),
        ("advisories", "requests"),
        ("sbom-timestamp", None),
    }
    base = diff_verdict.subject.base
    assert base is not None and base.inputs == ("sbom-before.cdx.json",)


def test_diff_json_validates_and_names_the_base(diff_verdict: Verdict) -> None:
    document = json.loads(render(diff_verdict, "json"))
    jsonschema.Draft202012Validator(verdict_schema()).validate(document)
    assert document["subject"] == {
        "inputs": ["sbom-after.cdx.json"],
        "digest": "sha256:" + "a" * 64,
        "base": {"inputs": ["sbom-before.cdx.json"], "digest": "sha256:" + "b" * 64, "base": None},
    }


def test_diff_sarif_carries_the_base_in_run_properties(diff_verdict: Verdict) -> None:
    document = sarif_document(diff_verdict, "1.2.3")
    properties = document["runs"][0]["properties"]
    assert properties["baseDigest"] == "sha256:" + "b" * 64
    assert properties["baseInputs"] == ["sbom-before.cdx.json"]
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(
        document
    )
    # Written block by block, the log has the same head.
    out = io.BytesIO()
    with SarifSpool("1.2.3", diff_verdict.subject.inputs) as spool:
        spool.add(diff_verdict.results)
        spool.write(dataclasses.replace(diff_verdict, results=()), out)
    assert out.getvalue() == orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def test_human_formats_say_what_changed(diff_verdict: Verdict) -> None:
    said = "changes from `sbom-before.cdx.json` to `sbom-after.cdx.json`"
    assert said in render(diff_verdict, "markdown").splitlines()[2]
    table = render(diff_verdict, "table").splitlines()
    assert table[1] == "changes from sbom-before.cdx.json to sbom-after.cdx.json"
    check = dataclasses.replace(
        diff_verdict, subject=dataclasses.replace(diff_verdict.subject, base=None)
    )
    assert "changes from" not in render(check, "markdown") + render(check, "table")
    assert "baseDigest" not in render(check, "sarif")
