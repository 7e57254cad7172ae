"""Properties: the verdict does not depend on the order of components or rules, and the
summarised verdict (passes counted) agrees with the one listing every result."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.engine import evaluate, fold_passes
from policyengine.model.policy import (
    Mode,
    OnMissingEvidence,
    Policy,
    PolicyWaiver,
    Rule,
    Settings,
    Severity,
    Waiver,
)
from policyengine.report.json import verdict_document
from tests.engine.fakes import CHECKS, NOW, build, sbom

NAMES = ["alpha", "beta", "gamma", "delta", "eps", "zeta"]
STATUSES = [None, "quarantined", "archived", "active"]

RULES = (
    Rule(id="status", check="fake-status"),
    Rule(id="status-warn", check="fake-status", severity=Severity.WARN),
    Rule(id="adv", check="fake-advisories"),
    Rule(id="doc", check="fake-doc"),
    Rule(id="custom", check="expr", params={"expr": 'component.name.startsWith("a")'}),
    Rule(id="boom", check="exploding"),
)

components = st.lists(
    st.tuples(
        st.sampled_from(NAMES),
        st.sampled_from(["1.0", "2.0"]),
        st.sampled_from(STATUSES),
        st.lists(st.sampled_from(["A-1", "A-2", "A-3"]), unique=True, max_size=2),
        st.booleans(),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(max_examples=40, deadline=None)
@given(items=components, rules=st.permutations(RULES), data=st.data())
def test_reordering_components_and_rules_keeps_the_verdict(items, rules, data) -> None:  # type: ignore[no-untyped-def]
    built, facts = build(items)
    waivers = (
        PolicyWaiver(rule="adv", component="pkg:pypi/alpha", reason="r", advisory="A-1"),
        PolicyWaiver(rule="adv", component="pkg:pypi/alpha", reason="r2"),
    )
    policy = Policy(name="p", rules=tuple(RULES), waivers=waivers)
    reference = verdict_document(evaluate(sbom(*built), facts, policy, NOW, checks=CHECKS))
    shuffled = data.draw(st.permutations(built))
    other_policy = policy.model_copy(
        update={"rules": tuple(rules), "waivers": tuple(reversed(waivers))}
    )
    again = verdict_document(
        evaluate(sbom(*shuffled), facts, other_policy, NOW, checks=CHECKS[::-1])
    )
    assert again == reference


def test_waiver_model_is_frozen() -> None:
    waiver = Waiver(rule="a", component="pkg:pypi/x", reason="r")
    try:
        waiver.rule = "b"  # type: ignore[misc]
    except Exception:
        return
    raise AssertionError("waivers must be immutable")


STAGED = (
    Rule(id="adv-log", check="fake-advisories", mode=Mode.LOG),
    Rule(id="status-info", check="fake-status", severity=Severity.INFO),
    Rule(id="status-staged", check="fake-status", effective_from=date(2099, 1, 1)),
    Rule(id="adv-strict", check="fake-advisories", on_missing_evidence=OnMissingEvidence.FAIL),
)


@settings(max_examples=60, deadline=None)
@given(
    items=components,
    rules=st.lists(st.sampled_from(RULES + STAGED), min_size=1, unique_by=lambda r: r.id),
    missing=st.sampled_from(list(OnMissingEvidence)),
)
def test_the_summarised_verdict_agrees_with_every_result(items, rules, missing) -> None:  # type: ignore[no-untyped-def]
    # Schema version 2 (passes counted) and version 1 (every result, --results all) of the
    # same evaluation: the same outcome, summary and results but the passes, and the
    # passes counted are the pass results, rule by rule.
    built, facts = build(items)
    policy = Policy(
        name="p",
        rules=tuple(rules),
        settings=Settings(on_missing_evidence=missing),
        waivers=(PolicyWaiver(rule="adv", component="pkg:pypi/alpha", reason="r"),),
    )
    every = evaluate(sbom(*built), facts, policy, NOW, checks=CHECKS, results="all")
    counted = evaluate(sbom(*built), facts, policy, NOW, checks=CHECKS, results="attention")
    assert (every.schema_version, counted.schema_version) == ("1", "2")
    assert counted.outcome == every.outcome
    assert counted.summary == every.summary
    assert counted.results == tuple(r for r in every.results if r.outcome != "pass")
    assert counted.waivers == every.waivers
    passes: dict[str, tuple[int, set[str], int]] = {}
    for r in every.results:
        if r.outcome == "pass":
            passed, refs, document = passes.get(r.rule, (0, set(), 0))
            ref = {r.component.ref} if r.component else set()
            passes[r.rule] = (passed + 1, refs | ref, document + (r.component is None))
    assert {p.rule: (p.passed, set(p.components), p.document) for p in counted.passes} == passes
    assert all(list(p.components) == sorted(set(p.components)) for p in counted.passes)
    assert counted.passes == fold_passes(every).passes
    # The documents: version 2 is version 1 without the passes' results, plus `passes`.
    old, new = verdict_document(every), verdict_document(counted)
    assert "passes" not in old and len(new["passes"]) == len(counted.passes)
    for key in ("outcome", "summary", "coverage", "waivers", "subject", "policy"):
        assert old[key] == new[key]
