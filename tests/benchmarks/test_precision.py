"""The precision benchmark (issue 12) on the committed real inputs: tallies pinned, goals asserted.

benchmarks/precision.py judges each recorded input offline with both shipped policies. The
per-rule tallies must equal benchmarks/precision/expected.json (regenerate it with
``python benchmarks/precision.py --update`` when a change is meant to move them, and review
benchmarks/precision/triage.yaml). The goals of issue 12 are asserted separately: at most
1 % of the components of each clean input get a baseline warning or failure that is not
true, and release-gate passes the hashed, locked projects.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchmarks import precision

if not (precision.DATA / "expected.json").exists():  # pragma: no cover - data is committed
    pytest.skip(f"precision inputs not found under {precision.DATA}", allow_module_level=True)


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], precision.Run]:
    return {(run.input.name, run.policy): run for run in precision.run_all()}


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(precision.EXPECTED.read_text(encoding="utf-8"))
    return data


def test_every_input_and_policy_is_pinned(
    runs: dict[tuple[str, str], precision.Run], expected: dict[str, Any]
) -> None:
    pinned = {(name, policy) for name, by_policy in expected.items() for policy in by_policy}
    assert pinned == set(runs)


@pytest.mark.parametrize("policy", precision.POLICY_NAMES)
@pytest.mark.parametrize("name", [i.name for i in precision.INPUTS])
def test_tallies_match_expected(
    runs: dict[tuple[str, str], precision.Run],
    expected: dict[str, Any],
    name: str,
    policy: str,
) -> None:
    got = runs[(name, policy)].tallies()
    want = expected[name][policy]
    assert got == want, (
        f"{name} / {policy} moved; if intended, run `python benchmarks/precision.py --update` "
        "and review benchmarks/precision/triage.yaml"
    )


def test_triage_entries_name_rules_of_the_policies(
    runs: dict[tuple[str, str], precision.Run],
) -> None:
    rules = {rule for run in runs.values() for rule in run.rules}
    for entry in precision.load_triage():
        assert entry["rule"] in rules, entry


@pytest.mark.parametrize("name", [i.name for i in precision.INPUTS])
def test_baseline_noise_is_at_most_one_percent(
    runs: dict[tuple[str, str], precision.Run], name: str
) -> None:
    run = runs[(name, "baseline")]
    noisy = sorted(
        f"{f['rule']}: {(f.get('component') or {}).get('purl')}"
        for f in run.findings
        if f["outcome"] in ("warn", "fail") and not f["true"]
    )
    assert len(run.noisy) <= 0.01 * run.components, noisy[:20]


@pytest.mark.parametrize("name", [i.name for i in precision.INPUTS if i.locked])
def test_release_gate_passes_the_hashed_locked_projects(
    runs: dict[tuple[str, str], precision.Run], name: str
) -> None:
    run = runs[(name, "release-gate")]
    lacking = sorted(
        f"{f['rule']} {f['outcome']}: {(f.get('component') or {}).get('purl')}"
        for f in run.findings
        if f["outcome"] in ("fail", "unknown")
    )
    assert run.exit_code == 0, (run.outcome, lacking[:20])
