from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from policyengine.engine import fold_passes
from policyengine.model.verdict import Verdict
from policyengine.report import FORMATS, render
from policyengine.report.json import verdict_document, verdict_schema
from policyengine.report.sarif import sarif_document
from tests.conftest import ROOT
from tests.goldens import check_golden

GOLDENS = ROOT / "tests" / "report" / "goldens"
SUFFIX = {"json": "json", "sarif": "sarif", "junit": "xml", "markdown": "md", "table": "txt"}
SARIF_SCHEMA = ROOT / "tests" / "fixtures" / "schemas" / "sarif-schema-2.1.0.json"


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(verdict: Verdict, fmt: str) -> None:
    text = render(verdict, fmt, tool_version="0.0.0-test")
    check_golden(GOLDENS / f"verdict.{SUFFIX[fmt]}", text)


def test_the_fixture_covers_every_outcome(verdict: Verdict) -> None:
    outcomes = {r.outcome for r in verdict.results}
    assert outcomes == {"pass", "fail", "warn", "info", "waived", "unknown", "error"}
    assert verdict.waivers.applied and verdict.waivers.expired and verdict.waivers.unused
    assert verdict.coverage.unidentified
    assert verdict.outcome == "fail"


def test_json_has_the_contract_keys(verdict: Verdict) -> None:
    document = verdict_document(verdict)
    assert set(document) == {
        "schema_version",
        "outcome",
        "evaluated_at",
        "subject",
        "policy",
        "evidence_digest",
        "summary",
        "coverage",
        "results",
        "waivers",
    }
    assert document["evaluated_at"] == "2026-03-24T18:00:00Z"
    assert set(document["subject"]) == {"inputs", "digest", "base"}
    assert document["subject"]["base"] is None  # only a diff names a base
    assert set(document["policy"]) == {"name", "digest"}
    assert set(document["waivers"]) == {"applied", "expired", "unused"}
    result = document["results"][0]
    for key in (
        "rule",
        "check",
        "severity",
        "outcome",
        "component",
        "message",
        "observed",
        "expected",
        "sources",
        "remediation",
        "waiver",
    ):
        assert key in result
    with_source = next(r for r in document["results"] if r["sources"])
    assert set(with_source["sources"][0]) == {"name", "url", "fetched_at"}
    assert set(with_source["component"]) == {"ref", "purl", "name", "version"}


def test_verdict_schema_file_is_current() -> None:
    text = json.dumps(verdict_schema(), indent=2, ensure_ascii=False) + "\n"
    check_golden(ROOT / "schemas" / "verdict.schema.json", text)


def test_json_validates_against_the_verdict_schema(verdict: Verdict) -> None:
    schema = verdict_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(render(verdict, "json"))
    jsonschema.Draft202012Validator(schema).validate(document)
    document["outcome"] = "maybe"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document))


@pytest.mark.parametrize(
    "path", [("policy", "digest"), ("subject", "digest"), ("evidence_digest",)]
)
def test_the_schema_refuses_a_digest_that_is_not_sha256(
    verdict: Verdict, path: tuple[str, ...]
) -> None:
    # issue 13: digest fields accepted anything, so a hand-edited verdict validated
    validator = jsonschema.Draft202012Validator(verdict_schema())
    document = json.loads(render(verdict, "json"))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "md5:abc"
    assert list(validator.iter_errors(document))


def test_sarif_validates_against_the_official_schema(verdict: Verdict) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    document = json.loads(render(verdict, "sarif", tool_version="1.2.3"))
    jsonschema.Draft4Validator(schema).validate(document)
    broken = sarif_document(verdict, "1.2.3")
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert list(jsonschema.Draft4Validator(schema).iter_errors(broken))


def test_sarif_mapping(verdict: Verdict) -> None:
    run = sarif_document(verdict, "1.2.3")["runs"][0]
    by_outcome = {}
    for result in run["results"]:
        by_outcome.setdefault(result["properties"]["outcome"], result)
    assert by_outcome["fail"]["kind"] == "fail" and by_outcome["fail"]["level"] == "error"
    assert by_outcome["warn"]["level"] == "warning"
    assert by_outcome["info"]["level"] == "note"
    assert by_outcome["pass"]["kind"] == "pass" and by_outcome["pass"]["level"] == "none"
    assert by_outcome["unknown"]["kind"] == "open" and by_outcome["unknown"]["level"] == "none"
    suppression = by_outcome["waived"]["suppressions"][0]
    assert suppression["justification"] == "patched in our fork"
    assert suppression["status"] == "accepted"
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]


def test_junit_counts(verdict: Verdict) -> None:
    root = ET.fromstring(render(verdict, "junit"))
    assert root.tag == "testsuites"
    assert int(root.get("tests", "0")) == len(verdict.results)
    assert int(root.get("failures", "0")) == verdict.summary.failed
    assert int(root.get("errors", "0")) == verdict.summary.error
    assert int(root.get("skipped", "0")) == verdict.summary.unknown + verdict.summary.waived


def test_markdown_summary_first_details_folded(verdict: Verdict) -> None:
    text = render(verdict, "markdown")
    first = text.splitlines()[0]
    assert first.startswith("## ") and "fail" in first
    assert text.index("| fail | warn |") < text.index("<details>")
    assert "<summary>All results" in text and "</details>" in text
    assert "no \\| pipes" in text


def test_table_lists_non_passing(verdict: Verdict) -> None:
    text = render(verdict, "table")
    assert text.startswith("FAIL")
    assert "litellm" in text and "expired waiver" in text and "unused waiver" in text


def test_unknown_format(verdict: Verdict) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render(verdict, "pdf")


def test_markdown_stays_within_a_comment(verdict: Verdict) -> None:
    from dataclasses import replace

    from policyengine.report.attention import attention_rows
    from policyengine.report.markdown import MAX_DETAILS, MAX_LISTED

    distinct = tuple(
        replace(r, message=f"{r.message} #{i}") for i in range(40) for r in verdict.results
    )
    many = replace(verdict, results=distinct)
    text = render(many, "markdown")
    assert f"… and {len(many.results) - MAX_DETAILS} more" in text
    problems = len(attention_rows(many.results))
    assert problems > MAX_LISTED
    assert f"… and {problems - MAX_LISTED} more in the details below." in text
    assert len(text) < 65_536


def test_markdown_details_give_way_to_the_comment_limit(verdict: Verdict) -> None:
    from dataclasses import replace

    long = tuple(
        replace(r, message=f"{r.message} #{i} " + "x" * 900)
        for i in range(40)
        for r in verdict.results
    )
    text = render(replace(verdict, results=long), "markdown")
    assert len(text) < 65_536
    assert "more: see the JSON or SARIF report." in text


def test_identical_problems_fold_into_one_row_naming_the_components(verdict: Verdict) -> None:
    from dataclasses import replace

    from policyengine.model.verdict import ComponentRef

    unknown = next(r for r in verdict.results if r.outcome == "unknown")
    same = tuple(
        replace(unknown, component=ComponentRef(f"c{i}", f"pkg:pypi/p{i}@1", f"p{i}", "1"))
        for i in range(5)
    )
    folded = replace(verdict, results=same)
    from policyengine.report.attention import attention_rows

    (row,) = attention_rows(folded.results)
    assert row.subject == "5 components: pkg:pypi/p0@1, pkg:pypi/p1@1, pkg:pypi/p2@1 and 2 more"
    table = render(folded, "table")
    assert "5 components:" in table
    assert table.count(unknown.message) == 1
    markdown = render(folded, "markdown")
    needs_attention = markdown.split("### Needs attention", 1)[1].split("<details>", 1)[0]
    assert needs_attention.count(unknown.message) == 1


def test_failures_then_warnings_then_unknowns_in_the_table(verdict: Verdict) -> None:
    text = render(verdict, "table")
    assert text.index("│ fail ") < text.index("│ warn ") < text.index("│ unknown ")


def test_table_does_not_read_messages_as_markup(verdict: Verdict) -> None:
    from dataclasses import replace

    first = replace(verdict.results[0], outcome="fail", message="bad [/bold] [red]x[/red]")
    text = render(replace(verdict, results=(first,)), "table")
    assert "bad [/bold] [red]x[/red]" in text


def test_markdown_escapes_input_html(verdict: Verdict) -> None:
    from dataclasses import replace

    first = replace(verdict.results[0], outcome="fail", message="</details><img src=x> a|b")
    text = render(replace(verdict, results=(first,)), "markdown")
    assert "</details><img" not in text
    assert "&lt;/details&gt;&lt;img src=x&gt; a\\|b" in text


# --- schema version "2": passes counted per rule (the default of check and diff) ----------


@pytest.fixture
def attention(verdict: Verdict) -> Verdict:
    return fold_passes(verdict)


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_attention(attention: Verdict, fmt: str) -> None:
    text = render(attention, fmt, tool_version="0.0.0-test")
    check_golden(GOLDENS / f"verdict-attention.{SUFFIX[fmt]}", text)


def test_attention_json_lists_no_pass_and_counts_them_per_rule(
    verdict: Verdict, attention: Verdict
) -> None:
    document = json.loads(render(attention, "json"))
    assert document["schema_version"] == "2"
    assert list(document)[-1] == "passes"
    assert {r["outcome"] for r in document["results"]} == {
        "fail",
        "warn",
        "info",
        "waived",
        "unknown",
        "error",
    }
    passes = [r for r in verdict.results if r.outcome == "pass"]
    assert (
        sum(p["passed"] for p in document["passes"]) == len(passes) == document["summary"]["passed"]
    )
    for entry in document["passes"]:
        mine = [r for r in passes if r.rule == entry["rule"]]
        assert entry["passed"] == len(mine)
        assert entry["components"] == sorted({r.component.ref for r in mine if r.component})
        assert entry["document"] == sum(r.component is None for r in mine)
    jsonschema.Draft202012Validator(verdict_schema()).validate(document)


def test_the_schema_tells_the_versions_apart(verdict: Verdict, attention: Verdict) -> None:
    validator = jsonschema.Draft202012Validator(verdict_schema())
    old = json.loads(render(verdict, "json"))
    new = json.loads(render(attention, "json"))
    assert old["schema_version"] == "1" and "passes" not in old
    validator.validate(old)
    assert list(validator.iter_errors({**old, "passes": []}))  # version 1 has no passes
    del new["passes"]
    assert list(validator.iter_errors(new))  # version 2 must have them
    new = json.loads(render(attention, "json"))
    new["results"].append(old["results"][[r["outcome"] for r in old["results"]].index("pass")])
    assert list(validator.iter_errors(new))  # and lists no pass


def test_attention_formats_show_the_same_pass_counts(verdict: Verdict, attention: Verdict) -> None:
    for fmt in ("table", "markdown"):
        counts = [line for line in render(verdict, fmt).splitlines() if "passed" in line.lower()]
        again = [line for line in render(attention, fmt).splitlines() if "passed" in line.lower()]
        assert counts == again and counts
    rules = sarif_document(attention, "1.2.3")["runs"][0]["tool"]["driver"]["rules"]
    by_rule = {p.rule: p.passed for p in attention.passes}
    assert {
        r["id"]: r["properties"].get("passed") for r in rules if "passed" in r["properties"]
    } == (by_rule)
    root = ET.fromstring(render(attention, "junit"))
    cases = root.findall(".//testcase[@name='passed']")
    assert len(cases) == len(attention.passes)
    assert int(root.get("tests", "0")) == len(attention.results) + len(attention.passes)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(json.loads(render(attention, "sarif")))
