from __future__ import annotations

import pytest

from policyengine.policy.expressions import (
    MAX_COMPREHENSIONS,
    ExpressionError,
    compile_expression,
    evaluate,
)

KINDS = frozenset({"package", "releases", "advisories"})
DATA = {"component": {"name": "x"}, "facts": {}, "missing": [], "project": None, "now": "z"}


def test_mentioned_facts() -> None:
    expression = compile_expression('has_fact("releases") || facts.package.status == "x"', KINDS)
    assert expression.facts == {"releases", "package"}


@pytest.mark.parametrize(
    "text",
    [
        "[1].all(a, [2].exists(b, b > a))",
        "[1].map(a, a) == [1] && [2].filter(b, b > 1) == []",
        '"[1].all(a, [2].all(b, [3].all(c, true)))" == component.name',
    ],
)
def test_within_cost_bounds(text: str) -> None:
    compile_expression(text, KINDS)


@pytest.mark.parametrize(
    "text",
    [
        "[1].all(a, [2].exists(b, [3].exists_one(c, true)))",
        " && ".join(["[1].all(a, true)"] * (MAX_COMPREHENSIONS + 1)),
    ],
)
def test_over_cost_bounds(text: str) -> None:
    with pytest.raises(ExpressionError, match="too costly"):
        compile_expression(text, KINDS)


def test_evaluation_error_values_are_raised() -> None:
    expression = compile_expression("component.nope == 1", KINDS)
    with pytest.raises(ExpressionError, match="nope"):
        evaluate(expression, DATA)


def test_has_fact_sees_only_this_evaluation() -> None:
    expression = compile_expression('has_fact("releases")', KINDS)
    assert evaluate(expression, {**DATA, "facts": {"releases": {}}}) is True
    assert evaluate(expression, DATA) is False


def test_regex_is_linear_time() -> None:
    expression = compile_expression('component.name.matches("(a+)+b")', KINDS)
    assert evaluate(expression, {**DATA, "component": {"name": "a" * 5000 + "c"}}) is False


def test_no_host_access() -> None:
    for text in ('open("/etc/passwd")', "__import__", 'env("HOME")'):
        with pytest.raises(ExpressionError):
            compile_expression(text, KINDS)
