"""Evidence bundles edited to look clean are refused (issue 13, item 3), through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "litellm-2026"
SBOM = EXAMPLE / "sbom-litellm-1.82.8.cdx.json"
NOW = "2026-11-28T12:00:00Z"
KEY = "pypi/litellm@1.82.8"

Bundle = dict[str, Any]


def _bundle(version: str = "1.82.8") -> Bundle:
    return json.loads((EXAMPLE / f"evidence-{version}.json").read_text())  # type: ignore[no-any-return]


def _older_facts_under_the_newer_key(bundle: Bundle) -> None:
    bundle["components"][KEY] = _bundle("1.82.6")["components"]["pypi/litellm@1.82.6"]


def _listed_though_absent(bundle: Bundle) -> None:
    bundle["components"][KEY]["releases"]["value"]["listed"] = True


def _releases_relabelled(bundle: Bundle) -> None:
    # the history of 1.82.6 (listed, clean) relabelled as 1.82.8's
    releases = _bundle("1.82.6")["components"]["pypi/litellm@1.82.6"]["releases"]
    bundle["components"][KEY]["releases"] = releases


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (_older_facts_under_the_newer_key, "about version '1.82.6', not '1.82.8'"),
        (_listed_though_absent, "is listed, but its list of releases does not hold"),
        (_releases_relabelled, "about version '1.82.6', not '1.82.8'"),
    ],
    ids=["older-facts", "listed-flag", "relabelled-history"],
)
def test_an_inconsistent_bundle_is_refused(
    run_cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    edit: Callable[[Bundle], None],
    says: str,
) -> None:
    bundle = _bundle()
    edit(bundle)
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(bundle, indent=2, sort_keys=True) + "\n")
    code, _, err = run_cli(
        "check", str(SBOM), "--policy", str(ROOT / "policies" / "baseline.yaml"),
        "--evidence", str(path), "--now", NOW,
    )  # fmt: skip
    assert code == 3, err
    assert says in err and str(path) in err


def test_a_duplicate_key_whose_later_copy_is_clean_is_refused(
    run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    text = (EXAMPLE / "evidence-1.82.8.json").read_text()
    # a second "listed": true after the real `false`: every fast decoder keeps the last copy
    poisoned = text.replace('"listed": false,', '"listed": false, "listed": true,', 1)
    assert poisoned != text
    path = tmp_path / "evidence.json"
    path.write_text(poisoned)
    code, _, err = run_cli(
        "check", str(SBOM), "--policy", str(ROOT / "policies" / "baseline.yaml"),
        "--evidence", str(path), "--now", NOW,
    )  # fmt: skip
    assert code == 3, err
    assert "'listed' appears twice" in err


def test_the_recorded_bundle_itself_is_accepted(
    run_cli: Callable[..., tuple[int, str, str]],
) -> None:
    code, _, err = run_cli(
        "check", str(SBOM), "--policy", str(ROOT / "policies" / "baseline.yaml"),
        "--evidence", str(EXAMPLE / "evidence-1.82.8.json"), "--now", NOW, "--format", "json",
    )  # fmt: skip
    assert code == 1, err
