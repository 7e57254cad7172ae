"""The engine's tie-breaking sort gives exactly the order of sorting by the full result key."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.engine import _result_key, _sort_results
from policyengine.model.verdict import ComponentRef, RuleResult

small = st.sampled_from(["a", "b", ""])
results = st.builds(
    RuleResult,
    rule=small,
    check=st.just("c"),
    severity=st.just("fail"),
    outcome=st.sampled_from(["pass", "fail"]),
    component=st.one_of(st.none(), st.builds(ComponentRef, small, st.none() | small, small, small)),
    message=small,
    observed=st.one_of(st.none(), st.integers(0, 3), st.dictionaries(small, st.integers(0, 2))),
    subject=st.none() | small,
)


@settings(max_examples=50, deadline=None)
@given(st.lists(results, max_size=30))
def test_same_order_as_the_full_key(items: list[RuleResult]) -> None:
    expected = sorted(items, key=_result_key)
    got = list(items)
    _sort_results(got)
    assert [_result_key(r) for r in got] == [_result_key(r) for r in expected]
