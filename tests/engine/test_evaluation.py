"""Evaluation: the verdict delivered rule by rule is the verdict of ``evaluate``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.engine import Evaluation, evaluate
from policyengine.model import Component, ComponentEvidence, FactKind, Finding, Status
from policyengine.model.policy import Policy, PolicyWaiver, Rule
from policyengine.report.json import render_json_bytes
from tests.engine.fakes import CHECKS, NOW, build, sbom
from tests.engine.test_properties import RULES, components


def _inputs(items: list[tuple[str, str, str | None, list[str], bool]]):  # type: ignore[no-untyped-def]
    built, facts = build(items)
    return sbom(*built), facts


@settings(max_examples=40, deadline=None)
@given(items=components, rules=st.permutations(RULES))
def test_blocks_make_up_the_verdict_of_evaluate(items, rules) -> None:  # type: ignore[no-untyped-def]
    document, facts = _inputs(items)
    waivers = (PolicyWaiver(rule="adv", component="pkg:pypi/alpha", reason="r", advisory="A-1"),)
    policy = Policy(name="p", rules=tuple(rules), waivers=waivers)
    whole = evaluate(document, facts, policy, NOW, checks=CHECKS)
    run = Evaluation(document, facts, policy, NOW, checks=CHECKS)
    blocks = list(run.blocks())
    # One block per rule id, in the verdict's order, each about that rule only.
    assert [b[0].rule for b in blocks if b] == sorted({b[0].rule for b in blocks if b})
    assert all(len({r.rule for r in b}) <= 1 for b in blocks)
    streamed = run.verdict(tuple(r for b in blocks for r in b))
    assert render_json_bytes(streamed) == render_json_bytes(whole)
    # Without the results, the summary, outcome and waivers still count all of them.
    bare = run.verdict()
    assert (bare.summary, bare.outcome, bare.waivers) == (
        whole.summary,
        whole.outcome,
        whole.waivers,
    )


def test_blocks_are_read_once_and_before_the_verdict() -> None:
    document, facts = _inputs([("alpha", "1.0", None, [], True)])
    run = Evaluation(document, facts, Policy(name="p", rules=RULES), NOW, checks=CHECKS)
    with pytest.raises(RuntimeError, match="before its verdict"):
        run.verdict()
    list(run.blocks())
    with pytest.raises(RuntimeError, match="only once"):
        list(run.blocks())
    assert run.verdict().summary.components == 1


class _Memoising(Check):
    """Stores one memo entry per component and records what the memo held when called."""

    id: ClassVar[str] = "PE-TEST-MEMO"
    slug: ClassVar[str] = "memoising"
    title: ClassVar[str] = "memo"
    needs: ClassVar[tuple[FactKind, ...]] = ()
    params_model: ClassVar[type[CheckParams]] = CheckParams
    seen: ClassVar[list[int]] = []

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Count the entries of its own already in the memo, then add one."""
        mine = [k for k in context.memo if isinstance(k, tuple) and k[0] == self.slug]
        _Memoising.seen.append(len(mine))
        context.memo[(self.slug, id(component), len(_Memoising.seen))] = object()
        yield Finding(Status.PASS, "ok")


class _Peeking(Check):
    """Reports how many entries other checks left in the memo."""

    id: ClassVar[str] = "PE-TEST-PEEK"
    slug: ClassVar[str] = "peeking"
    title: ClassVar[str] = "peek"
    needs: ClassVar[tuple[FactKind, ...]] = ()
    params_model: ClassVar[type[CheckParams]] = CheckParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Pass, with the memo's size as what was observed."""
        yield Finding(Status.PASS, "ok", observed=len(context.memo))


def test_a_checks_memo_is_dropped_after_its_last_rule() -> None:
    _Memoising.seen.clear()
    document, facts = _inputs([("alpha", "1.0", None, [], True), ("beta", "1.0", None, [], True)])
    rules = (
        Rule(id="a-memo", check="memoising"),
        Rule(id="b-memo", check="PE-TEST-MEMO"),  # the same check, named by id
        Rule(id="c-peek", check="peeking"),
    )
    verdict = evaluate(
        document, facts, Policy(name="p", rules=rules), NOW, checks=(_Memoising, _Peeking)
    )
    # The second rule still sees the first rule's entries; the third sees none left.
    assert _Memoising.seen == [0, 1, 2, 3]
    assert [r.observed for r in verdict.results if r.rule == "c-peek"] == [0, 0]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"ratio": float("inf")}, {"ratio": None}),  # both written as null
        ({"ratio": float("nan")}, {"ratio": float("nan")}),  # nan equals nothing
        ({"v": 1}, {"v": 1.0}),
        ({"v": 1}, {"v": True}),
        ([[1, 2]], [(1, 2)]),  # a tuple is written like a list
    ],
)
def test_values_that_only_write_alike_are_not_shared(first: object, second: object) -> None:
    from policyengine.engine import _Values

    values = _Values()
    assert values.share(first) is first  # type: ignore[arg-type]
    assert values.share(second) is second  # type: ignore[arg-type]


def test_equal_values_are_shared_per_rule() -> None:
    from policyengine.engine import _Values

    values = _Values()
    first = {"fail_on": ["removed", "yanked"], "conditions": []}
    again = {"fail_on": ["removed", "yanked"], "conditions": []}
    assert values.share(first) is first
    assert values.share(again) is first
    assert values.share("text") == "text"
