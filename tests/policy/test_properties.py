"""Property: whatever a policy file holds, loading ends in a Policy or a positioned PolicyError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine.model import PolicyError
from policyengine.policy.loader import load_policy
from policyengine.policy.yamlsafe import load_yaml
from tests.engine.fakes import CHECKS
from tests.policy.helpers import HEADER

YAMLISH = st.text(alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"#\n ,.1?<@%")), max_size=200)


@settings(max_examples=50, deadline=None)
@given(text=YAMLISH)
def test_any_text_loads_or_fails_with_a_position(text: str) -> None:
    try:
        load_yaml(text, "p.yaml")
    except PolicyError as error:
        assert error.position is not None and error.position.file == "p.yaml"


FRAGMENTS = st.sampled_from(
    [
        "rules:\n  - id: a\n    check: expr\n    params: {expr: 'true'}\n",
        "rules:\n  - id: a\n    check: fake-status\n    params: {statuses: [x]}\n",
        "rules:\n  - id: a\n    check: nope\n",
        "rules:\n  - id: a\n    severity: nope\n",
        "rules: [1, 2]\n",
        "settings: {waiver_warning_days: -1}\n",
        "settings: {on_missing_evidence: ignore}\n",
        "waivers:\n  - {rule: a, component: 'pkg:pypi/x', reason: r, expires: 2027-01-01}\n",
        "waivers: [{}]\n",
        "extends: [x.yaml]\n",
        "metadata: {}\n",
        "x: &a [*a]\n",
    ]
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(FRAGMENTS, max_size=3))
def test_any_policy_loads_or_fails_with_a_position(tmp_path: Path, parts: list[str]) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(HEADER + "".join(parts))
    try:
        policy = load_policy(path, checks=CHECKS)
    except PolicyError as error:
        assert error.position is not None and error.position.file == str(path)
    else:
        assert policy.name == "test"
