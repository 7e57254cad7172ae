"""The LiteLLM incident (examples/litellm-2026): the shipped policies judge four real SBOMs.

Each verdict is compared with its committed golden (``expected-<version>.<policy>.json``;
POLICYENGINE_UPDATE_GOLDENS=1 rewrites them), and the facts a release manager relies
on are asserted on their own, so that a golden rewritten by mistake cannot hide a
regression: the compromised releases fail as removed and malicious, 1.82.6 fails on
vulnerabilities only with the fixed versions named, the current release passes.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import ROOT, corpus_path
from tests.enrich.conftest import Replay, _handler
from tests.goldens import check_golden

EXAMPLE = "examples/litellm-2026"
NOW = "2026-11-28T12:00:00Z"
COMPROMISED = ("1.82.7", "1.82.8")
VERSIONS = ("1.82.6", *COMPROMISED, "1.110.2")
POLICIES = ("baseline", "release-gate")
REMOVED_MARKERS = ("no longer", "removed")


def _args(version: str, policy: str, fmt: str = "json") -> list[str]:
    return [
        "check",
        f"{EXAMPLE}/sbom-litellm-{version}.cdx.json",
        "--policy",
        f"policies/{policy}.yaml",
        "--evidence",
        f"{EXAMPLE}/evidence-{version}.json",
        "--now",
        NOW,
        "--format",
        fmt,
    ]


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Inputs are named relative to the repository root, as in the README, so that the
    # verdict's subject.inputs in the goldens does not depend on where the tests run.
    monkeypatch.chdir(ROOT)


def _litellm(verdict: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [
        r
        for r in verdict["results"]
        if r["rule"] == rule and r["component"] and r["component"]["name"] == "litellm"
    ]


def _outcomes(verdict: dict[str, Any], rule: str) -> set[str]:
    """litellm's outcomes under ``rule``: its listed results, and a pass the verdict counted
    (schema version 2 names the components that passed by ref, here ``litellm==VERSION``)."""
    found = {r["outcome"] for r in _litellm(verdict, rule)}
    for passes in verdict.get("passes", ()):
        if passes["rule"] == rule and any(c.startswith("litellm==") for c in passes["components"]):
            found.add("pass")
    return found


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("version", VERSIONS)
def test_verdict_matches_golden(run_cli: Any, version: str, policy: str) -> None:
    code, out, err = run_cli(*_args(version, policy))
    assert code in (0, 1), err
    check_golden(ROOT / EXAMPLE / f"expected-{version}.{policy}.json", out)
    assert (json.loads(out)["outcome"] == "fail") == (code == 1)


@pytest.mark.parametrize("policy", POLICIES)
def test_every_result_lists_what_the_golden_counts(run_cli: Any, policy: str) -> None:
    # --results all (schema version 1): the golden's results are its results but the
    # passes, and its passes are the pass results counted per rule, components by ref.
    code, out, err = run_cli(*_args("1.82.8", policy), "--results", "all")
    assert code == 1, err
    every = json.loads(out)
    golden = json.loads((ROOT / EXAMPLE / f"expected-1.82.8.{policy}.json").read_text())
    assert (every["schema_version"], golden["schema_version"]) == ("1", "2")
    assert [r for r in every["results"] if r["outcome"] != "pass"] == golden["results"]
    for key in ("outcome", "summary", "coverage", "waivers", "subject", "evidence_digest"):
        assert every[key] == golden[key]
    counted: dict[str, tuple[int, set[str]]] = {}
    for r in every["results"]:
        if r["outcome"] == "pass":
            passed, refs = counted.get(r["rule"], (0, set()))
            counted[r["rule"]] = (passed + 1, refs | {r["component"]["ref"]})
    assert {p["rule"]: (p["passed"], set(p["components"])) for p in golden["passes"]} == counted


@pytest.mark.parametrize("fmt,suffix", [("markdown", "md"), ("table", "txt")])
def test_human_readable_1_82_8_matches_golden(run_cli: Any, fmt: str, suffix: str) -> None:
    code, out, err = run_cli(*_args("1.82.8", "baseline", fmt))
    assert code == 1, err
    check_golden(ROOT / EXAMPLE / f"expected-1.82.8.baseline.{suffix}", out)
    # Table cells wrap: join the continuation lines of the message column back into prose.
    lowered = " ".join(out.replace("\u2502", " ").split()).lower()
    assert "litellm" in lowered and "malicious" in lowered and "no longer" in lowered
    assert "mal-2026-2144" in lowered


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("version", COMPROMISED)
def test_compromised_release_fails_as_removed_and_malicious(
    run_cli: Any, version: str, policy: str
) -> None:
    code, out, err = run_cli(*_args(version, policy))
    assert code == 1, err
    verdict = json.loads(out)
    assert verdict["outcome"] == "fail"
    removed = _litellm(verdict, "removed-or-yanked")
    assert [r["outcome"] for r in removed] == ["fail"]
    assert removed[0]["check"] == "registry-status"
    assert removed[0]["observed"]["listed"] is False
    assert any(m in removed[0]["message"] for m in REMOVED_MARKERS)
    assert removed[0]["remediation"]
    malicious = [r for r in _litellm(verdict, "malicious-packages") if r["outcome"] == "fail"]
    assert {r["check"] for r in malicious} == {"advisories"}
    # MAL-2026-2144 reaches us as an alias of the PyPA record PYSEC-2026-2; GitHub's
    # GHSA-5mg7-485q-xm76 names no alias and is a second malicious report.
    assert {r["subject"] for r in malicious} == {"PYSEC-2026-2", "GHSA-5mg7-485q-xm76"}
    pysec = next(r for r in malicious if r["subject"] == "PYSEC-2026-2")
    assert "MAL-2026-2144" in pysec["message"] and "malicious" in pysec["message"]
    assert all(r["observed"]["malicious"] is True for r in malicious)
    assert all("compromised" in r["remediation"] for r in malicious)
    assert all("rotate the credentials" in r["remediation"] for r in malicious)


@pytest.mark.parametrize("policy", POLICIES)
def test_release_before_fails_on_vulnerabilities_only(run_cli: Any, policy: str) -> None:
    code, out, err = run_cli(*_args("1.82.6", policy))
    assert code == 1, err
    verdict = json.loads(out)
    assert _outcomes(verdict, "removed-or-yanked") == {"pass"}
    assert "fail" not in _outcomes(verdict, "malicious-packages")
    assert not any(r["observed"].get("malicious") for r in _litellm(verdict, "malicious-packages"))
    failing = [r for r in _litellm(verdict, "critical-vulnerabilities") if r["outcome"] == "fail"]
    assert {r["subject"] for r in failing} == {"PYSEC-2026-388", "PYSEC-2026-390", "PYSEC-2026-391"}
    fixes = {r["subject"]: r["remediation"] for r in failing}
    assert "1.84.0" in fixes["PYSEC-2026-388"]
    assert "1.83.0" in fixes["PYSEC-2026-390"]
    assert "1.83.7" in fixes["PYSEC-2026-391"]
    if policy == "baseline":
        # Nothing but litellm's known vulnerabilities fails the baseline.
        failed = {
            (r["rule"], r["component"]["name"])
            for r in verdict["results"]
            if r["outcome"] == "fail"
        }
        assert failed == {("critical-vulnerabilities", "litellm")}


def _diff(base: str, head: str, evidence: str) -> list[str]:
    return [
        "diff",
        base,
        head,
        "--policy",
        "baseline",
        "--policy",
        "sbom-quality",
        "--evidence",
        evidence,
        "--now",
        NOW,
        "--format",
        "json",
    ]


def _digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_diff_from_1_82_6_to_1_82_8_fails_on_litellm_alone(run_cli: Any) -> None:
    base, head = (f"{EXAMPLE}/sbom-litellm-{v}.cdx.json" for v in ("1.82.6", "1.82.8"))
    code, out, err = run_cli(*_diff(base, head, f"{EXAMPLE}/evidence-1.82.8.json"))
    assert code == 1, err
    verdict = json.loads(out)
    assert verdict["outcome"] == "fail"
    assert verdict["subject"]["inputs"] == [head]
    assert verdict["subject"]["base"] == {
        "inputs": [base],
        "digest": _digest(ROOT / base),
        "base": None,
    }
    # Only litellm changed; both SBOMs lack the same NTIA elements, so sbom-quality (which
    # fails on each alone) is not what the change introduced.
    assert {r["component"]["name"] for r in verdict["results"]} == {"litellm"}
    assert _outcomes(verdict, "removed-or-yanked") == {"fail"}
    assert "fail" in _outcomes(verdict, "malicious-packages")
    passed = sum(p["passed"] for p in verdict["passes"])
    assert verdict["summary"]["results"] == len(verdict["results"]) + passed
    assert verdict["summary"]["passed"] == passed
    assert verdict["summary"]["failed"] == sum(r["outcome"] == "fail" for r in verdict["results"])


def test_diff_fails_when_the_change_drops_ntia_elements(run_cli: Any, tmp_path: Path) -> None:
    # BASE: the 1.82.6 SBOM with a supplier on every component and an author, so it has the
    # NTIA minimum elements; HEAD: the same components as shipped, without them.
    head = f"{EXAMPLE}/sbom-litellm-1.82.6.cdx.json"
    document = json.loads((ROOT / head).read_text(encoding="utf-8"))
    for component in document["components"]:
        component["supplier"] = {"name": "Example Supplier"}
    document["metadata"]["authors"] = [{"name": "Release Team"}]
    base = tmp_path / "complete.cdx.json"
    base.write_text(json.dumps(document), encoding="utf-8")
    code, out, err = run_cli(*_diff(str(base), head, f"{EXAMPLE}/evidence-1.82.6.json"))
    assert code == 1, err
    verdict = json.loads(out)
    # The CISA additions are missing from both (a warning before and after): not reported.
    assert [(r["rule"], r["component"], r["outcome"]) for r in verdict["results"]] == [
        ("ntia-minimum-elements", None, "fail")
    ]
    assert "supplier, author" in verdict["results"][0]["message"]
    assert verdict["summary"]["failed"] == verdict["summary"]["results"] == 1
    # The other way round the change adds them: a pass, and the diff passes.
    code, out, err = run_cli(*_diff(head, str(base), f"{EXAMPLE}/evidence-1.82.6.json"))
    assert code == 0, err
    verdict = json.loads(out)
    assert verdict["results"] == []
    assert [(p["rule"], p["passed"], p["document"]) for p in verdict["passes"]] == [
        ("ntia-minimum-elements", 1, 1)
    ]
    # --results all lists that pass as a result, in the schema version 1 shape.
    code, out, err = run_cli(*_diff(head, str(base), f"{EXAMPLE}/evidence-1.82.6.json"), "--results", "all")
    assert code == 0, err
    verdict = json.loads(out)
    assert verdict["schema_version"] == "1" and "passes" not in verdict
    assert [(r["rule"], r["outcome"]) for r in verdict["results"]] == [
        ("ntia-minimum-elements", "pass")
    ]


def test_current_release_passes_baseline(run_cli: Any) -> None:
    code, out, err = run_cli(*_args("1.110.2", "baseline"))
    assert code == 0, err
    verdict = json.loads(out)
    assert verdict["outcome"] in ("pass", "warn")
    assert verdict["summary"]["failed"] == 0
    assert _outcomes(verdict, "removed-or-yanked") == {"pass"}
    assert _outcomes(verdict, "malicious-packages") == {"pass"}
    assert _outcomes(verdict, "critical-vulnerabilities") == {"pass"}


class _Counter(BaseHTTPRequestHandler):
    """Counts every request; answers 503 so that a request can never look like success."""

    hits: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _refuse(self) -> None:
        self.hits.append(f"{self.command} {self.path}")
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = _refuse


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Counter,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("offline", ((), ("--offline",)), ids=("default", "offline"))
@pytest.mark.parametrize("version", ("1.82.8", "1.82.6"))
def test_recorded_evidence_needs_no_network(
    run_cli: Any,
    listener: tuple[str, list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    offline: tuple[str, ...],
) -> None:
    root, hits = listener
    for name in ("PYPI", "NPM", "OSV"):
        monkeypatch.setenv(f"POLICYENGINE_{name}_URL", f"{root}/{name.lower()}")
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run_cli(*_args(version, "baseline"), *offline)
    assert code == 1, err
    assert hits == []
    expected = (ROOT / EXAMPLE / f"expected-{version}.baseline.json").read_text(encoding="utf-8")
    assert out == expected


def _advisory_ids(bundle: dict[str, Any], key: str) -> dict[str, bool]:
    fact = bundle["components"][key]["advisories"]
    assert fact["status"] == "ok", fact
    return {a["id"]: a["malicious"] for a in fact["value"]["advisories"]}


def test_offline_advisory_database_gives_the_same_verdict(run_cli: Any, tmp_path: Path) -> None:
    """No bundle, no network: the imported OSV records alone fail 1.82.8 as malicious."""
    cache = str(tmp_path / "cache")
    for folder in ("litellm-2026-03", "pypi"):
        code, _, err = run_cli(
            "db", "import", str(corpus_path("osv", folder)), "--cache-dir", cache
        )
        assert code == 0, err
    sbom = f"{EXAMPLE}/sbom-litellm-1.82.8.cdx.json"
    offline_bundle = tmp_path / "offline.json"
    code, _, err = run_cli(
        "enrich", sbom, "-o", str(offline_bundle), "--offline", "--cache-dir", cache
    )
    assert code == 0, err
    offline = json.loads(offline_bundle.read_text())
    recorded = json.loads((ROOT / EXAMPLE / "evidence-1.82.8.json").read_text())
    # The database and the (replayed) OSV API agree on every component's advisories.
    for key in recorded["components"]:
        assert _advisory_ids(offline, key) == _advisory_ids(recorded, key), key
    code, out, err = run_cli(
        "check",
        sbom,
        "--policy",
        "policies/baseline.yaml",
        "--offline",
        "--cache-dir",
        cache,
        "--now",
        NOW,
        "--format",
        "json",
    )
    assert code == 1, err
    verdict = json.loads(out)
    malicious = [r for r in _litellm(verdict, "malicious-packages") if r["outcome"] == "fail"]
    assert {r["subject"] for r in malicious} == {"PYSEC-2026-2", "GHSA-5mg7-485q-xm76"}
    # Without registry answers in the cache the removal cannot be seen: unknown, never pass.
    assert _outcomes(verdict, "removed-or-yanked") == {"unknown"}


def test_readme_quick_start_fails_on_purpose(run_cli: Any) -> None:
    """The README's first command judges this example and exits 1, as the README says."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme[readme.index("## Quick start") :]
    block = re.search(r"```sh\n(.*?)\n```", quick_start, re.DOTALL)
    assert block is not None
    install, command = block.group(1).split(" && ")
    assert install == "python -m pip install ."
    argv = shlex.split(command)
    assert argv[0] == "policyengine"
    code, out, err = run_cli(*argv[1:])
    assert code == 1, err
    assert "exits with code 1" in quick_start
    text = " ".join(out.replace("\u2502", " ").split())
    assert "litellm 1.82.8: version 1.82.8 is no longer listed by the registry" in text
    assert "MAL-2026-2144" in text and "malicious package" in text


def test_offline_with_cached_registry_answers_and_advisory_database(
    run_cli: Any, tmp_path: Path
) -> None:
    """The whole offline path: registry answers from the cache, advisories from the db.

    A first, online run against the test replay server (recorded PyPI answers, trimmed
    to a few litellm releases; every other package answers 404) fills the cache; then
    ``check --offline`` judges from the cache and the imported OSV records alone.
    """
    cache = str(tmp_path / "cache")
    for folder in ("litellm-2026-03", "pypi"):
        code, _, err = run_cli(
            "db", "import", str(corpus_path("osv", folder)), "--cache-dir", cache
        )
        assert code == 0, err
    state = Replay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.root = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    sbom = f"{EXAMPLE}/sbom-litellm-1.82.8.cdx.json"
    urls = ("--pypi-url", state.pypi_url, "--npm-url", state.npm_url, "--osv-url", state.osv_url)
    try:
        code, _, err = run_cli(
            "enrich", sbom, "-o", str(tmp_path / "online.json"), "--cache-dir", cache, *urls
        )
        assert code == 0, err
        asked = state.total()
        assert asked > 0
        code, out, err = run_cli(
            "check", sbom, "--policy", "policies/baseline.yaml", "--offline",
            "--cache-dir", cache, "--now", NOW, "--format", "json", *urls,
        )  # fmt: skip
        assert state.total() == asked  # the offline run asked nothing
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1, err
    verdict = json.loads(out)
    assert _outcomes(verdict, "removed-or-yanked") == {"fail"}
    malicious = [r for r in _litellm(verdict, "malicious-packages") if r["outcome"] == "fail"]
    assert {r["subject"] for r in malicious} == {"PYSEC-2026-2", "GHSA-5mg7-485q-xm76"}
    expected = json.loads((ROOT / EXAMPLE / "expected-1.82.8.baseline.json").read_text())

    # litellm's failures are the same as on the full recorded bundle.
    def failures(v: dict[str, Any]) -> set[tuple[str, str | None]]:
        return {
            (r["rule"], r["subject"])
            for r in v["results"]
            if r["outcome"] == "fail" and r["component"]["name"] == "litellm"
        }

    assert failures(verdict) == failures(expected)
