"""How a stored verdict is shaped for the page, whatever its schema version or state."""

from __future__ import annotations

import json

from policyengine.service.page_data import SECTION_CAP, verdict_view


def _result(outcome: str, rule: str = "r", name: str = "c") -> dict[str, object]:
    return {
        "rule": rule,
        "check": "advisories",
        "severity": "fail",
        "outcome": outcome,
        "component": {"ref": name, "purl": None, "name": name, "version": "1"},
        "message": f"{outcome} of {name}",
        "observed": {"n": 1, "empty": None},
        "expected": None,
        "sources": [],
        "remediation": None,
        "waiver": None,
    }


def test_attention_first_in_order_and_passes_counted_per_rule() -> None:
    results = [_result("pass"), _result("unknown"), _result("fail"), _result("warn")]
    results += [_result("pass", "other"), _result("waived", "other"), _result("info")]
    view = verdict_view(json.dumps({"outcome": "fail", "results": results}).encode())
    assert [s.outcome for s in view.sections] == ["fail", "warn", "unknown"]
    assert [(t.rule, t.counts) for t in view.tallies] == [
        ("other", {"pass": 1, "waived": 1}),
        ("r", {"pass": 1, "info": 1}),
    ]
    assert view.sections[0].findings[0].observed == [("n", "1")]


def test_a_schema_version_2_verdict_has_its_passes_counted() -> None:
    doc = {
        "schema_version": "2",
        "outcome": "fail",
        "results": [_result("fail")],
        "passes": [{"rule": "r", "check": "advisories", "passed": 52, "components": []}],
    }
    view = verdict_view(json.dumps(doc).encode())
    assert [(t.rule, t.counts) for t in view.tallies] == [("r", {"pass": 52})]


def test_a_long_section_is_capped_but_counted() -> None:
    results = [_result("unknown", name=f"c{i}") for i in range(SECTION_CAP + 7)]
    (section,) = verdict_view(json.dumps({"results": results}).encode()).sections
    assert section.total == SECTION_CAP + 7 and len(section.findings) == SECTION_CAP


def test_an_unreadable_stored_verdict_says_so() -> None:
    assert "not JSON" in (verdict_view(b"{nope").problem or "")
    assert verdict_view(b"[1, 2]").problem == "the stored verdict is not a verdict object"
    # Odd values inside a verdict are text, not a crash.
    odd = {"results": [1, {"outcome": {"x": 1}, "component": "str"}], "policy": 3}
    view = verdict_view(json.dumps(odd).encode())
    assert view.problem is None and view.sections == []
