"""The bundle fast path (enrich/bundle_fast.py) builds exactly what pydantic builds, or declines."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.synth import make_evidence
from policyengine.enrich import bundle, bundle_fast
from policyengine.enrich.bundle import _validated, parse_bundle
from policyengine.enrich.bundle_fast import fast_canonical, fast_document, split_canonical
from policyengine.enrich.bundle_verify import check_consistency, refuse_duplicate_keys
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
    # pydantic's decoding, then the same consistency checks every bundle goes through
    evidence = _validated(data, "e.json", "sha256:x")
    refuse_duplicate_keys(data, "e.json")
    check_consistency(evidence, "e.json")
    return evidence


@pytest.mark.parametrize("data", BUNDLES, ids=range(len(BUNDLES)))
def test_fast_path_equals_pydantic(data: bytes) -> None:
    assert fast_document(data) is not None, "the plain shape must take the fast path"
    compact = orjson.dumps(orjson.loads(data))
    assert fast_document(compact) is not None, "in any layout"
    if data.startswith(b'{\n  "components": {\n    "'):
        assert fast_canonical(data) is not None, "dump_bundle's layout is read in batches"
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


def _base() -> Any:
    """A small synthetic bundle with a contents fact and project facts, so edits reach them."""
    doc = json.loads(make_evidence(3))
    first = sorted(doc["components"])[0]
    report = {
        "filename": "a-1.whl",
        "kind": "wheel",
        "digest": "sha256:00",
        "size": 3,
        "file_count": 1,
        "pth_files": [{"path": "a.pth", "site_root": True, "executable_lines": [1]}],
        "install_hooks": [{"kind": "setup-module-call", "path": "setup.py", "line": 2}],
    }
    doc["components"][first]["contents"] = {
        "status": "ok",
        "source": {"name": "inspect", "fetched_at": "2026-01-01T00:00:00Z"},
        "value": {
            "version": first.rpartition("@")[2],
            "artifacts": [report],
            "previous_version": None,
        },
    }
    project = CASES / "lockfile" / "pass-locked" / "evidence.json"
    doc["project"] = json.loads(project.read_text())["project"]
    return doc


BASE = _base()
PATHS = _paths(BASE)[1:]
# Times each reader takes differently (pydantic truncates past six fractional digits,
# msgspec rounds; either takes a space or a lower-case "t"), dates that do not exist,
# and a time that exists only before UTC's year 1.
ODD_TIMES = [
    "2026-01-01t00:00:00z",
    "2026-01-01 00:00:00Z",
    "2026-01-01T00:00:00.1234567Z",
    "2026-01-01T00:00:00.9999996Z",
    "2026-01-01T00:00:00+0100",
    "2026-01-01T00:00:00-00:00",
    "2026-01-01T00:00:00",
    "2026-02-30T00:00:00Z",
    "2026-01-01T00:00:60Z",
    "2026-01-01T00:00:00+24:00",
    "0001-01-01T00:00:00+01:00",
    "2026-01-01T00:00:00Z\n",
]
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
        2**63,
        2**64,
        -(2**63) - 1,
        1.0,
        -0.0,
        "exact",
        *ODD_TIMES,
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


@pytest.mark.parametrize("batch", [1, 3000, 1 << 16, 1 << 30])
def test_canonical_layout_is_read_in_batches(batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cut between entries gives the same evidence, from one entry a batch to all."""
    monkeypatch.setattr(bundle_fast, "_BATCH", batch)
    split = split_canonical(SYNTH)
    assert split is not None
    head, entries = split
    assert head.schema_version == "1"
    assert [key for key, _ in entries] == sorted(json.loads(SYNTH)["components"])
    fast = fast_canonical(SYNTH)
    assert fast is not None
    assert fast[0] == _slow(SYNTH).components


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


def _outcome(data: bytes, fast: bool) -> Any:
    """What parse_bundle makes of ``data``: the evidence, or the refusal; ``fast=False``
    takes the whole-document pydantic path only."""
    try:
        if fast:
            evidence = parse_bundle(data, "e.json")
        else:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(bundle, "fast_canonical", lambda _data: None)
                patch.setattr(bundle, "fast_document", lambda _data: None)
                evidence = parse_bundle(data, "e.json")
    except InputError as exc:
        return ("refused", exc.position.pointer if exc.position else None)
    return (dict(evidence.components), evidence.project, evidence.created_at)


def test_contents_and_project_facts_take_the_fast_path() -> None:
    canonical = json.dumps(BASE, indent=2, sort_keys=True).encode()
    for data in (canonical, json.dumps(BASE).encode()):
        assert fast_document(data) is not None
        assert _outcome(data, fast=True) == _outcome(data, fast=False)
    assert fast_canonical(canonical) is not None


CANONICAL = json.dumps(BASE, indent=2, sort_keys=True)
FIRST = sorted(BASE["components"])[0]


EDITS = [
    # Repeated keys: the last one counts in both readers, the status tag included.
    CANONICAL.replace('"status": "ok"', '"status": "missing", "reason": "r", "status": "ok"', 1),
    CANONICAL.replace('"status": "ok"', '"status": "ok", "status": "missing"', 1),
    CANONICAL.replace('"status": "ok"', '"status": "ok", "value": 1', 1),
    CANONICAL.replace('"components": {', f'"components": {{"{FIRST}": {{}},', 1),
    CANONICAL.replace('"advisories": {', '"advisories": 1, "advisories": {', 1),
    # Unknown keys deep in the values without a hand-written reader before.
    CANONICAL.replace('"site_root": true', '"site_root": true, "extra": 1', 1),
    CANONICAL.replace('"directory": "."', '"directory": ".", "extra": 1', 1),
    CANONICAL.replace('"pin": "exact"', '"pin": "pinned"', 1),
    # Text: byte order mark, odd white space, escapes, surrogates, invalid UTF-8.
    "\ufeff" + CANONICAL,
    CANONICAL + "x",
    " " + CANONICAL.replace("\n", "\r\n") + "\n\t",
    CANONICAL.replace('    "', '\t"'),
    CANONICAL.replace('"components": {', '"components": {"a\\"b\\\\\\u00e9": {},', 1),
    CANONICAL.replace('"name": "', '"name": "\\ud83d\\ude00', 1),
    CANONICAL.replace('"name": "', '"name": "\\ud800', 1),
    CANONICAL.replace('"name": "', '"name": "\udcc3(', 1),
    CANONICAL.replace('"name": "', '"name": "a\tb', 1),
    # Numbers JSON writes but Python floats do not hold, and NaN, which stdlib json reads.
    CANONICAL.replace('"hashes": 0', '"hashes": 1e400', 1),
    CANONICAL.replace('"size": 3,', '"size": 3.0,', 1),
    CANONICAL.replace('"size": 3,', '"size": NaN,', 1),
    # Nesting deeper than either reader goes.
    CANONICAL.replace('"artifacts": [', '"artifacts": [' + "[" * 5000 + "]" * 5000 + ",", 1),
    # The UTC of this time is before year 1.
    re.sub(r'"created_at": "[^"]*"', '"created_at": "0001-01-01T00:00:00+01:00"', CANONICAL),
]


@pytest.mark.parametrize("text", EDITS, ids=range(len(EDITS)))
def test_text_edits_agree(text: str) -> None:
    """Edits no dict mutation makes: the fast path gives pydantic's evidence or refusal."""
    data = text.encode("utf-8", "surrogateescape")
    assert _outcome(data, fast=True) == _outcome(data, fast=False)
