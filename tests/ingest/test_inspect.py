"""Golden files for `policyengine inspect` (json and table).

Set POLICYENGINE_UPDATE_GOLDENS=1 to rewrite them after an intended change;
otherwise a golden that differs from the output fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "inspect"
INPUTS = {
    "mixed": "tests/golden/inspect/mixed.cdx.json",
    "cyclonedx-py-environment": "tests/fixtures/generated/cyclonedx-py-environment.cdx.json",
    "cyclonedx-py-requirements-xml": "tests/fixtures/generated/cyclonedx-py-requirements.cdx.xml",
}
SUFFIX = {"json": ".json", "table": ".table.txt"}


def _check_golden(path: Path, actual: str) -> None:
    if os.environ.get("POLICYENGINE_UPDATE_GOLDENS") == "1":
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden {path}: run with POLICYENGINE_UPDATE_GOLDENS=1"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path} is stale: run with POLICYENGINE_UPDATE_GOLDENS=1 and review the diff"
    )


@pytest.mark.parametrize("fmt", ["json", "table"])
@pytest.mark.parametrize("name", sorted(INPUTS))
def test_inspect_golden(
    name: str,
    fmt: str,
    run_cli: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)  # relative input paths keep the goldens machine-independent
    code, out, err = run_cli("inspect", "--format", fmt, INPUTS[name])
    assert (code, err) == (0, "")
    _check_golden(GOLDEN / f"{name}{SUFFIX[fmt]}", out)


def test_inspect_json_contract(
    run_cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    _, out, _ = run_cli("inspect", "--format", "json", INPUTS["mixed"])
    doc = orjson.loads(out)
    assert set(doc) == {"format", "spec_version", "components", "coverage"}
    assert {tuple(c) for c in doc["components"]} == {
        ("ref", "ecosystem", "name", "version", "purl", "hashes", "licenses", "direct", "scope")
    }
    by_ref = {c["ref"]: c for c in doc["components"]}
    assert by_ref["litellm"]["name"] == "litellm"
    assert by_ref["litellm"]["direct"] is True
    assert by_ref["cliui"]["direct"] is False
    nested = "tests/golden/inspect/mixed.cdx.json#/components/0/components/0"
    assert by_ref[nested]["direct"] is None  # not in the dependency graph at all
    assert [h["alg"] for h in by_ref["litellm"]["hashes"]] == ["sha256", "sha512"]
    cov = doc["coverage"]
    assert (cov["total"], cov["identified"]) == (5, 2)
    reasons = {u["ref"]: u["reason"] for u in cov["unidentified"]}
    assert reasons["nover"] == "no version"
    assert reasons["broken"].startswith("invalid purl 'pkg:/nope'")
    assert reasons[nested] == "no purl and no other field names the ecosystem"


def test_stale_golden_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLICYENGINE_UPDATE_GOLDENS", raising=False)
    golden = tmp_path / "g.json"
    golden.write_text("old\n")
    with pytest.raises(AssertionError, match="stale"):
        _check_golden(golden, "new\n")
    monkeypatch.setenv("POLICYENGINE_UPDATE_GOLDENS", "1")
    _check_golden(golden, "new\n")
    assert golden.read_text() == "new\n"
