"""The CEL examples in docs/policy.md compile."""

from __future__ import annotations

import re

import pytest

from policyengine.checks.expr import ExprParams
from tests.conftest import ROOT

TEXT = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")


def _examples() -> list[str]:
    block = TEXT.split("Examples:\n\n```\n", 1)[1].split("```", 1)[0]
    inline = re.findall(r"^\s+expr: '(.+)'$", TEXT, flags=re.M)
    return [line for line in block.splitlines() if line.strip()] + inline


@pytest.mark.parametrize("expr", _examples())
def test_documented_expression_compiles(expr: str) -> None:
    ExprParams(expr=expr)
