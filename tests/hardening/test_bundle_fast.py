"""The bundle fast path (enrich/bundle_fast.py) builds exactly what pydantic builds, or declines."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.synth import make_evidence
from policyengine.enrich.bundle import _validated, parse_bundle
from policyengine.enrich.bundle_fast import fast_components, split_canonical
from policyengine.model import InputError
from tests.fuzz.strategies import EXAMPLES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = Path(__file__).resolve().parent.parent / "checks" / "cases"
SYNTH = make_evidence(60)
BUNDLES = [
    *(p.read_bytes() for p in sorted(FIXTURES.rglob("*evidence*.json"))),
    *(p.read_bytes() for p in sorted(CASES.rglob("evidence.json"))),
    SYNTH,
]


def _slow(data: bytes) -> Any:
    return _validated(data, "e.json", "sha256:x")


@pytest.mark.parametrize("data", BUNDLES, ids=range(len(BUNDLES)))
def test_fast_path_equals_pydantic(data: bytes) -> None:
    assert fast_components(orjson.loads(data)) is not None, (
        "the plain shape must take the fast path"
    )
    fast = parse_bundle(data, "e.json")
    slow = _slow(data)
    assert fast.components == slow.components
    assert fast.project == slow.project
    assert fast.created_at == slow.created_at


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*here, index))
    return out


BASE = json.loads(make_evidence(3))
PATHS = _paths(BASE)[1:]
ODD_VALUES = st.sampled_from(
    [
        None,
        0,
        1,
        -1,
        1.5,
        True,
        False,
        "",
        "x",
        "2026-01-01T00:00:00Z",
        "2026-01-01",
        [],
        {},
        ["a"],
        [["a", "b"]],
        {"status": "ok"},
        {"alg": "sha256", "value": "ab"},
        2**70,
    ]
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(PATHS), st.one_of(ODD_VALUES, st.just("<delete>"))),
        min_size=1,
        max_size=3,
    ),
    canonical=st.booleans(),
)
def test_mutated_bundles_agree(edits: list[tuple[tuple[Any, ...], Any]], canonical: bool) -> None:
    """Fast path and pydantic agree on every mutation: same evidence, or both refuse."""
    doc = copy.deepcopy(BASE)
    for path, value in edits:
        parent = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            if value == "<delete>":
                del parent[path[-1]]
            else:
                # A copy: hypothesis hands out the same dict object for each draw, and a
                # later edit inside it would otherwise make the document circular.
                parent[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue
    # Compact JSON takes the whole-document path, dump_bundle's layout the per-entry one.
    data = (json.dumps(doc, indent=2, sort_keys=True) if canonical else json.dumps(doc)).encode()
    try:
        slow = _slow(data)
    except InputError:
        slow = None
    try:
        fast = parse_bundle(data, "e.json")
    except InputError:
        fast = None
    if slow is None:
        assert fast is None
    else:
        assert fast is not None
        assert fast.components == slow.components
        assert fast.project == slow.project


def test_canonical_layout_is_read_per_entry() -> None:
    split = split_canonical(SYNTH)
    assert split is not None
    head, entries = split
    assert head["schema_version"] == "1"
    assert [key for key, _ in entries] == sorted(json.loads(SYNTH)["components"])


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b.replace(b'\n    "', b'\n     "', 1),  # an entry indented differently
        lambda b: b.replace(b'\n      "advisories"', b'\n    "advisories"', 1),  # a fake entry
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b.replace(b'"created_at"', b'"created"', 1),
    ],
)
def test_damaged_layouts_fall_back_and_agree(damage: Any) -> None:
    data = damage(SYNTH)
    try:
        slow = _slow(data)
    except InputError:
        slow = None
    try:
        fast = parse_bundle(data, "e.json")
    except InputError:
        fast = None
    assert (slow is None) == (fast is None)
    if slow is not None and fast is not None:
        assert fast.components == slow.components
