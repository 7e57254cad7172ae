"""Property: the verdict does not depend on the order of components or rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.engine import evaluate
from policyengine.model.policy import Policy, PolicyWaiver, Rule, Severity, Waiver
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
