from __future__ import annotations

import datetime

import pytest

from policyengine.checks import registry
from policyengine.checks.base import CheckContext
from policyengine.checks.expr import ExprCheck, ExprParams, plain
from policyengine.model import (
    ComponentEvidence,
    Evidence,
    FactKind,
    Ok,
    Release,
    ReleaseHistory,
    Status,
)
from policyengine.policy.expressions import MAX_LENGTH
from tests.engine.fakes import MISSING, NOW, SOURCE, component, sbom

LITELLM = component("litellm", "1.82.8", direct=True, scope="required")
RELEASES = Ok(
    ReleaseHistory(
        "1.82.8",
        listed=False,
        releases=(Release("1.82.6", datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)),),
    ),
    SOURCE,
)


def _run(expr: str, facts: dict[FactKind, object] | None = None) -> list[tuple[Status, str]]:
    params = ExprParams(expr=expr, message="violated", remediation="fix it")
    evidence = ComponentEvidence(LITELLM.key, facts or {})  # type: ignore[arg-type]
    context = CheckContext(sbom(LITELLM), Evidence(), NOW)
    findings = ExprCheck().check_component(LITELLM, evidence, params, context)
    return [(f.status, f.message) for f in findings]


def test_registered() -> None:
    assert registry.get_check("expr") is ExprCheck
    assert registry.get_check("PE-EXPR-001") is ExprCheck


def test_true_fails_false_passes() -> None:
    assert _run('component.name == "litellm"') == [(Status.FAIL, "violated")]
    assert _run('component.name == "requests"')[0][0] is Status.PASS


def test_component_fields_visible() -> None:
    expr = (
        'component.ecosystem == "pypi" && component.version == "1.82.8" && component.direct'
        ' && component.scope == "required" && component.purl.startsWith("pkg:pypi/")'
        " && size(component.hashes) == 0 && component.licenses == null"
    )
    assert _run(expr)[0][0] is Status.FAIL


def test_facts_as_plain_values() -> None:
    expr = (
        "!facts.releases.listed && facts.releases.releases[0].published_at"
        ' == "2026-03-01T00:00:00Z" && timestamp(now) > timestamp(facts.releases.releases[0]'
        ".published_at)"
    )
    assert _run(expr, {FactKind.RELEASES: RELEASES})[0][0] is Status.FAIL


def test_has_fact_and_missing() -> None:
    expr = '!has_fact("releases") && "package" in missing'
    assert _run(expr, {FactKind.PACKAGE: MISSING})[0][0] is Status.FAIL
    assert _run(expr, {FactKind.RELEASES: RELEASES})[0][0] is Status.PASS


def test_missing_fact_gives_unknown_never_pass() -> None:
    status, message = _run("!facts.releases.listed", {FactKind.RELEASES: MISSING})[0]
    assert status is Status.UNKNOWN
    assert "releases: offline" in message


def test_runtime_error_is_error() -> None:
    status, message = _run("1 / (size(component.name) - 7) == 0")[0]
    assert status is Status.ERROR and "divide by zero" in message


def test_non_boolean_is_error() -> None:
    assert _run("component.name")[0][0] is Status.ERROR


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("component.", "Syntax error"),
        ("open('/etc/passwd')", "undeclared reference"),
        ("x" * (MAX_LENGTH + 1), "longer than"),
        ("[1].map(a, [2].map(b, [3].map(c, c)))", "too costly"),
        (" || ".join(["[1].all(x, true)"] * 7), "comprehensions"),
    ],
)
def test_refused_at_load(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExprParams(expr=expr)


def test_string_literals_do_not_count_as_comprehensions() -> None:
    ExprParams(expr='component.name == "a.all(b.all(c.all("')


def test_needs_follow_the_expression() -> None:
    params = ExprParams(expr='facts.advisories.advisories.size() > 0 || !has_fact("releases")')
    assert ExprCheck.needs_for(params) == (FactKind.ADVISORIES, FactKind.RELEASES)


def test_plain_converts_model_values() -> None:
    value = plain(RELEASES.value)
    assert value == {
        "version": "1.82.8",
        "listed": False,
        "releases": [
            {
                "version": "1.82.6",
                "published_at": "2026-03-01T00:00:00Z",
                "yanked": False,
                "yanked_reason": None,
                "deprecated": None,
            }
        ],
    }
