"""``releases rejudge``: which releases, on what evidence, and who is told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.watch.conftest import SBOMS, SECRET, STORY, Hook, keep_release, verify

REGISTRY_POLICY = """\
apiVersion: policyengine/v1
kind: Policy
metadata: {name: registry-gate}
rules:
  - id: removed-or-yanked
    check: registry-status
    params: {fail_on: [removed, yanked, quarantined]}
    severity: fail
"""


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("POLICYENGINE_STORE", f"sqlite:///{tmp_path / 'inventory.sqlite3'}")


def _keep_story_releases(run_cli: Any) -> None:
    assert run_cli("db", "import", f"{STORY}/advisories-2026-03-20")[0] == 0
    for version in ("1.82.6", "1.82.7", "1.82.8"):
        keep_release(run_cli, "svc", version)


def test_changes_are_posted_to_the_webhook(
    run_cli: Any, hook: tuple[Hook, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver, url = hook
    monkeypatch.setenv("POLICYENGINE_WEBHOOK_SECRET", SECRET)
    _keep_story_releases(run_cli)
    assert run_cli("db", "import", f"{STORY}/advisories-2026-03-24")[0] == 0
    code, out, err = run_cli("releases", "rejudge", "--notify", url, "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert report["notify"] == {"delivered": 2, "failed": []}
    posted = sorted((json.loads(body) for _, body in receiver.received), key=lambda d: d["version"])
    assert [(d["release"], d["version"], d["previous_outcome"], d["outcome"]) for d in posted] == [
        ("svc", "1.82.7", "pass", "fail"),
        ("svc", "1.82.8", "pass", "fail"),
    ]
    assert all(d["worse"] and d["reasons"] == ["advisories"] for d in posted)
    assert all(verify(headers, body) for headers, body in receiver.received)


def test_a_webhook_that_is_down_does_not_stop_the_rejudging(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("POLICYENGINE_WEBHOOK_SECRET", SECRET)
    from policyengine.watch.notify import Notifier

    # No waiting between the retries of a receiver that is not there.
    monkeypatch.setitem(Notifier.__init__.__kwdefaults__, "backoff", 0.0)
    _keep_story_releases(run_cli)
    run_cli("db", "import", f"{STORY}/advisories-2026-03-24")
    code, _, err = run_cli("releases", "rejudge", "--notify", f"http://127.0.0.1:{port}/")
    assert code == 1
    assert "re-judged 2 releases; 2 got worse" in err
    assert err.count("webhook delivery for svc@1.82.") == 2
    history = json.loads(run_cli("releases", "history", "svc@1.82.7", "--format", "json")[1])
    assert [v["outcome"] for v in history["verdicts"]] == ["pass", "fail"]


def test_all_rejudges_every_release(run_cli: Any) -> None:
    _keep_story_releases(run_cli)
    code, out, err = run_cli("releases", "rejudge", "--all", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert sorted(c["version"] for c in report["rejudged"]) == ["1.82.6", "1.82.7", "1.82.8"]
    assert report["worse"] == []
    assert all(c["reasons"] == ["all"] for c in report["rejudged"])


def _listed_before_removal(tmp_path: Path) -> Path:
    """The 1.82.7 bundle as it would have read on 2026-03-24 morning: the version listed."""
    bundle = json.loads((ROOT / SBOMS / "evidence-1.82.7.json").read_text())
    releases = bundle["components"]["pypi/litellm@1.82.7"]["releases"]["value"]
    releases["listed"] = True
    releases["releases"].append(
        {
            "version": "1.82.7",
            "published_at": "2026-03-24T10:39:24Z",
            "yanked": False,
            "yanked_reason": None,
            "deprecated": None,
        }
    )
    path = tmp_path / "evidence-1.82.7-listed.json"
    path.write_text(json.dumps(bundle))
    return path


def test_registry_facts_from_a_newer_bundle(run_cli: Any, tmp_path: Path) -> None:
    policy = tmp_path / "registry.yaml"
    policy.write_text(REGISTRY_POLICY)
    judged = {
        "1.82.6": ROOT / SBOMS / "evidence-1.82.6.json",
        "1.82.7": _listed_before_removal(tmp_path),
    }
    for version, evidence in judged.items():
        code, _, err = run_cli(
            "check",
            f"{SBOMS}/sbom-litellm-{version}.cdx.json",
            "--policy",
            str(policy),
            "--evidence",
            str(evidence),
            "--release",
            f"svc@{version}",
        )
        assert code == 0, err
    # No advisory import, no new registry facts: nothing to re-judge.
    code, _, err = run_cli("releases", "rejudge")
    assert code == 0 and "re-judged 0 releases" in err
    # The registry now says 1.82.7 is gone: only the release holding it is re-judged.
    newer = str(ROOT / SBOMS / "evidence-1.82.7.json")
    code, out, err = run_cli("releases", "rejudge", "--evidence", newer, "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert [
        (c["version"], c["previous_outcome"], c["outcome"], c["reasons"])
        for c in report["rejudged"]
    ] == [("1.82.7", "pass", "fail", ["registry"])]
    # The same bundle again changes nothing: the fingerprints were updated.
    code, out, err = run_cli("releases", "rejudge", "--evidence", newer)
    assert code == 0 and "re-judged 0 releases" in err


def test_queue_needs_postgresql(run_cli: Any) -> None:
    _keep_story_releases(run_cli)
    code, _, err = run_cli("releases", "rejudge", "--all", "--queue")
    assert code == 2 and "need a PostgreSQL store" in err


def test_release_options_are_checked_before_any_work(run_cli: Any) -> None:
    sbom = f"{SBOMS}/sbom-litellm-1.82.6.cdx.json"
    policy = f"{STORY}/policy.yaml"
    code, _, err = run_cli("check", sbom, "--policy", policy, "--release", "no-version")
    assert code == 2 and "is not NAME@VERSION" in err
    code, _, err = run_cli("check", sbom, "--policy", policy, "--store", "sqlite:///x")
    assert code == 2 and "--store needs --release" in err
    code, out, err = run_cli(
        "check", sbom, "--policy", policy, "--release", "svc@1", "--store", "mysql://x/y"
    )
    assert code == 2 and out == "" and "only SQLite and PostgreSQL" in err
    code, _, err = run_cli("releases", "show", "svc@9")
    assert code == 2 and "no release svc@9" in err
    code, _, err = run_cli("releases", "affected")
    assert code == 2 and "either a PURL or --advisory" in err
