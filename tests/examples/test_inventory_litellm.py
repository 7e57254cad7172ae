"""The release inventory story (examples/inventory-litellm), on SQLite and PostgreSQL.

Three releases of a service are judged and kept while the advisory database does not
know the LiteLLM advisories; after ``db import``, ``releases rejudge`` re-judges exactly
the releases with litellm 1.82.7/1.82.8, lists them as newly failing, and ``releases
affected --advisory MAL-2026-2144`` names them. Everything runs offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.examples.litellm_story import EXAMPLE, VERSIONS, check_argv

BAD = {"1.82.7", "1.82.8"}


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(tmp_path / "cache"))


def _check(version: str, *extra: str) -> list[str]:
    return check_argv(version, *extra)


def _json(run_cli: Any, *argv: str) -> Any:
    code, out, err = run_cli(*argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_the_story(run_cli: Any, store_url: str) -> None:
    store = ("--store", store_url)
    code, _, err = run_cli("db", "import", f"{EXAMPLE}/advisories-2026-03-20")
    assert code == 0, err
    for version in VERSIONS:
        plain_code, plain, _ = run_cli(*_check(version))
        code, kept, err = run_cli(
            *_check(version, "--release", f"acme-chat-gateway@{version}", *store)
        )
        # Keeping a release changes nothing of the verdict, byte for byte.
        assert (code, kept) == (plain_code, plain) == (0, plain)
        assert f"kept acme-chat-gateway@{version} (verdict 1: pass)" in err
    listed = _json(run_cli, "releases", "list", *store)["releases"]
    assert [(r["version"], r["latest_verdict"]["outcome"]) for r in listed] == [
        (v, "pass") for v in VERSIONS
    ]

    code, _, err = run_cli("db", "import", f"{EXAMPLE}/advisories-2026-03-24")
    assert code == 0, err
    code, out, err = run_cli("releases", "rejudge", "--now", "2026-03-24T18:00:00Z", *store)
    assert code == 1, err
    assert "re-judged 2 releases; 2 got worse" in err
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("acme-chat-gateway", v, "pass", "fail") for v in sorted(BAD)
    ]

    hits = _json(run_cli, "releases", "affected", "--advisory", "MAL-2026-2144", *store)
    assert hits["query"]["advisory"] == "MAL-2026-2144"
    assert {(h["version"], h["component"]["version"]) for h in hits["releases"]} == {
        (v, v) for v in BAD
    }
    for hit in hits["releases"]:
        assert hit["first_verdict"]["outcome"] == "pass"  # what the gate said then
        assert hit["latest_verdict"]["outcome"] == "fail"
    assert set(hits["first_seen"]) == {f"litellm@{v}" for v in BAD}
    assert (hits["total"], hits["offset"], hits["limit"]) == (2, 0, 1000)

    # A page of the answer: the total and first appearances still count every release.
    asked = ("releases", "affected", "pkg:pypi/litellm", "--versions", ">=1.82.7", *store)
    code, out, err = run_cli(*asked, "--limit", "1", "--format", "json")
    page = json.loads(out)
    assert (code, page["total"], len(page["releases"])) == (0, 2, 1)
    assert page["first_seen"] == hits["first_seen"]
    assert "listed releases 1-1 of 2" in err
    second = _json(run_cli, *asked, "--limit", "1", "--offset", "1")
    assert page["releases"] + second["releases"] == hits["releases"]
    # --all writes every release as it is read, the same JSON as one document would be.
    code, out, err = run_cli(*asked, "--all", "--format", "json")
    every = json.loads(out)
    assert (code, err, every["releases"], every["limit"]) == (0, "", hits["releases"], None)
    assert out == json.dumps(every, indent=2, ensure_ascii=False) + "\n"
    code, out, _ = run_cli(*asked, "--all")
    assert code == 0 and [line.split()[1] for line in out.splitlines()[1:]] == sorted(BAD)
    code, _, err = run_cli(*asked, "--all", "--limit", "5")
    assert code == 2 and "--all lists every release" in err

    # 1.82.6 was not re-judged: its history still holds one verdict.
    history = _json(run_cli, "releases", "history", "acme-chat-gateway@1.82.6", *store)
    assert [v["reason"] for v in history["verdicts"]] == ["check"]
    history = _json(run_cli, "releases", "history", "acme-chat-gateway@1.82.8", *store)
    assert [(v["reason"], v["outcome"]) for v in history["verdicts"]] == [
        ("check", "pass"),
        ("rejudge", "fail"),
    ]
    assert history["verdicts"][1]["evaluated_at"] == "2026-03-24T18:00:00Z"

    # The stored verdict is the full verdict JSON: the malicious-package rule fails litellm.
    code, out, _ = run_cli("releases", "show", "acme-chat-gateway@1.82.8", "--verdict", *store)
    verdict = json.loads(out)
    assert verdict["schema_version"] == "2"  # re-judged: passes counted, not listed
    assert verdict["summary"]["passed"] == sum(p["passed"] for p in verdict["passes"]) > 0
    failing = {
        (r["rule"], r["component"]["name"]) for r in verdict["results"] if r["outcome"] == "fail"
    }
    assert ("malicious-packages", "litellm") in failing

    # Nothing changed since: nothing is re-judged.
    code, out, err = run_cli("releases", "rejudge", *store)
    assert (code, out) == (0, "")
    assert "re-judged 0 releases" in err


def test_affected_by_purl_and_range(run_cli: Any, store_url: str) -> None:
    store = ("--store", store_url)
    run_cli("db", "import", f"{EXAMPLE}/advisories-2026-03-20")
    for version in VERSIONS:
        code, _, err = run_cli(*_check(version, "--release", f"svc@{version}", *store))
        assert code == 0, err

    def versions(*argv: str) -> list[str]:
        found = _json(run_cli, "releases", "affected", *argv, *store)["releases"]
        return sorted(h["version"] for h in found)

    assert versions("pkg:pypi/litellm@1.82.6") == ["1.82.6"]
    assert versions("pkg:pypi/LiteLLM", "--versions", ">=1.82.7,<1.83") == sorted(BAD)
    assert versions("pkg:pypi/litellm") == list(VERSIONS)
    assert versions("pkg:pypi/litellm@9.9.9") == []
    # requests is in every release, at one version.
    assert versions("pkg:pypi/requests") == list(VERSIONS)
    code, _, err = run_cli("releases", "affected", "pkg:pypi/litellm", "--versions", "~~", *store)
    assert code == 2 and "not a PEP 440 specifier" in err
    code, _, err = run_cli("releases", "affected", "--advisory", "MAL-2026-2144", *store)
    assert code == 2 and "not in the offline advisory database" in err


@pytest.mark.slow
def test_story_script_runs_end_to_end(tmp_path: Path) -> None:
    """story.sh, as the README shows it (SQLite in a temporary folder)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        ["bash", f"{EXAMPLE}/story.sh"],
        cwd=ROOT,
        env={**env, "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "re-judged 2 releases; 2 got worse" in result.stderr
    affected = result.stdout.split("GATE NOW", 1)[1]
    assert "litellm@1.82.7" in affected and "litellm@1.82.8" in affected
    assert "litellm@1.82.6" not in affected


def test_advisories_imported_into_the_store(
    run_cli: Any, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`db import --store`: another machine, with no local database, re-judges from the store."""
    store = ("--store", store_url)
    run_cli("db", "import", f"{EXAMPLE}/advisories-2026-03-20")  # the build machine's own
    for version in VERSIONS:
        code, _, err = run_cli(*_check(version, "--release", f"svc@{version}", *store))
        assert code == 0, err
    code, _, err = run_cli("db", "import", f"{EXAMPLE}/advisories-2026-03-24", *store)
    assert code == 0, err
    assert "imported 3 advisories" in err and "3 in the store" in err
    # The watch machine: an empty cache folder, everything from the store.
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(tmp_path / "elsewhere"))
    code, out, err = run_cli("releases", "rejudge", "--format", "json", *store)
    assert code == 1, err
    worse = json.loads(out)["worse"]
    assert sorted(c["version"] for c in worse) == sorted(BAD)
    hits = _json(run_cli, "releases", "affected", "--advisory", "PYSEC-2026-2", *store)
    assert sorted(h["version"] for h in hits["releases"]) == sorted(BAD)
    # The alias finds the record too; nothing is left to re-judge.
    hits = _json(run_cli, "releases", "affected", "--advisory", "MAL-2026-2144", *store)
    assert sorted(h["version"] for h in hits["releases"]) == sorted(BAD)
    code, _, err = run_cli("releases", "rejudge", *store)
    assert code == 0 and "re-judged 0 releases" in err
    # Importing the same records again changes nothing.
    run_cli("db", "import", f"{EXAMPLE}/advisories-2026-03-24", *store)
    code, _, err = run_cli("releases", "rejudge", *store)
    assert code == 0 and "re-judged 0 releases" in err


def test_advisories_in_the_store_name_their_import(store_url: str) -> None:
    # issue 13, item 2, for the database kept in the store
    from policyengine.store import open_store
    from policyengine.watch.advisory_store import StoreAdvisoryDb, import_into_store

    folder = ROOT / EXAMPLE / "advisories-2026-03-24"
    with open_store(store_url) as store:
        import_into_store(store, folder)
        fact = StoreAdvisoryDb(store).lookup("pypi", "litellm", "1.82.8")
    value = getattr(fact, "value", None)
    assert value is not None and value.advisories
    for advisory in value.advisories:
        assert advisory.imported_from is not None
        assert advisory.imported_from.startswith(folder.resolve().as_uri() + " (imported ")


@pytest.mark.parametrize("results", ["attention", "all"])
def test_the_kept_verdict_is_the_one_check_wrote(
    run_cli: Any, store_url: str, results: str
) -> None:
    store = ("--store", store_url)
    code, _, err = run_cli("db", "import", f"{EXAMPLE}/advisories-2026-03-20")
    assert code == 0, err
    code, written, err = run_cli(
        *_check("1.82.8", "--release", "svc@1", "--results", results, *store)
    )
    assert code == 0, err
    code, kept, err = run_cli("releases", "show", "svc@1", "--verdict", *store)
    assert code == 0, err
    assert kept == written
    assert json.loads(kept)["schema_version"] == {"attention": "2", "all": "1"}[results]
