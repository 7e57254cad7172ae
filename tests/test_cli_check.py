"""The check, diff, policy and checks commands, wired end to end with test-only checks."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from policyengine import cases, cli
from policyengine.checks import registry
from policyengine.model import Evidence, FactKind
from tests.engine.fakes import CHECKS, component, sbom
from tests.engine.test_cases import GOOD, make_case, read_test_input, status_evidence

Run = Any

HEADER = "apiVersion: policyengine/v1\nkind: Policy\nmetadata: {name: cli}\n"
STATUS_POLICY = HEADER + "rules:\n  - id: status\n    check: fake-status\n"
WARN_POLICY = (
    HEADER + "rules:\n  - id: custom\n    check: expr\n    severity: warn\n"
    "    params: {expr: 'component.name == \"litellm\"'}\n"
)
NOW = "2026-03-24T18:00:00Z"


@pytest.fixture(autouse=True)
def fake_world(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "CHECKS", CHECKS)
    monkeypatch.setattr(registry, "BY_SLUG", {c.slug: c for c in CHECKS})
    monkeypatch.setattr(cli, "_read", lambda args, path: read_test_input(Path(path)))
    monkeypatch.setattr(cases, "bundle_loader", lambda: status_evidence)
    monkeypatch.setattr(cases, "_default_reader", read_test_input)
    monkeypatch.setattr(cases, "_default_evidence", status_evidence)


def _files(tmp_path: Path, policy: str = STATUS_POLICY) -> tuple[str, str, str]:
    (tmp_path / "input.json").write_text('[["litellm", "1.82.8"], ["requests", "2.32.0"]]')
    (tmp_path / "evidence.json").write_text('{"litellm@1.82.8": "quarantined"}')
    (tmp_path / "policy.yaml").write_text(policy)
    return (
        str(tmp_path / "input.json"),
        str(tmp_path / "evidence.json"),
        str(tmp_path / "policy.yaml"),
    )


def _argv(
    *inputs: str,
    policy: str,
    evidence: str | None = None,
    now: str | None = NOW,
    command: str = "check",
) -> list[str]:
    """``COMMAND INPUTS... --policy P [--evidence E] [--now T]``: what most calls start with."""
    argv = [command, *inputs, "--policy", policy]
    if evidence is not None:
        argv += ["--evidence", evidence]
    if now is not None:
        argv += ["--now", now]
    return argv


def test_check_fails_with_exit_1(run_cli: Run, tmp_path: Path) -> None:
    source, evidence, policy = _files(tmp_path)
    code, out, err = run_cli(*_argv(source, policy=policy, evidence=evidence), "--format", "json")
    assert code == 1, err
    document = json.loads(out)
    assert document["outcome"] == "fail"
    assert document["evaluated_at"] == NOW
    outcomes = {(r["component"]["name"], r["outcome"]) for r in document["results"]}
    assert outcomes == {("litellm", "fail"), ("requests", "unknown")}


def test_check_passes_with_exit_0_and_writes_file(run_cli: Run, tmp_path: Path) -> None:
    source, _, policy = _files(
        tmp_path, HEADER + "rules:\n  - id: e\n    check: expr\n    params: {expr: 'false'}\n"
    )
    out_file = tmp_path / "report.sarif"
    code, out, err = run_cli(
        *_argv(source, policy=policy), "--format", "sarif", "-o", str(out_file)
    )
    assert code == 0, err
    assert out == ""
    assert json.loads(out_file.read_text())["version"] == "2.1.0"


def test_warn_and_fail_on_warn(run_cli: Run, tmp_path: Path) -> None:
    source, _, policy = _files(tmp_path, WARN_POLICY)
    code, out, _ = run_cli(*_argv(source, policy=policy), "--format", "table")
    assert code == 0 and out.startswith("WARN")
    code, _, _ = run_cli(*_argv(source, policy=policy), "--fail-on", "warn")
    assert code == 1


def test_incomplete_evidence_exits_4(run_cli: Run, tmp_path: Path) -> None:
    source, _, policy = _files(tmp_path)
    (tmp_path / "empty.json").write_text("{}")
    empty = str(tmp_path / "empty.json")
    code, out, _ = run_cli(*_argv(source, policy=policy, evidence=empty), "--format", "markdown")
    assert code == 4
    assert "incomplete" in out.splitlines()[0]


def test_enrichment_is_called_with_the_needed_kinds_and_recorded(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import policyengine.enrich as enrich_module

    calls: dict[str, Any] = {}

    def enrich(sbom: Any, settings: Any, kinds: Any) -> Evidence:
        calls["components"] = [c.name for c in sbom.components]
        calls["kinds"] = kinds
        calls["settings"] = settings
        return Evidence(digest="sha256:recorded")

    monkeypatch.setattr(enrich_module, "enrich", enrich)
    monkeypatch.setattr(enrich_module, "dump_bundle", lambda evidence: b'{"recorded": true}')
    source, _, policy = _files(tmp_path)
    record = tmp_path / "recorded.json"
    code, out, _ = run_cli(
        *_argv(source, policy=policy),
        "--offline",
        "--record",
        str(record),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--pypi-url",
        "http://127.0.0.1:9/pypi",
        "--format",
        "json",
    )
    assert code == 4
    assert calls["components"] == ["litellm", "requests"]
    assert calls["kinds"] == {FactKind.PACKAGE}
    assert calls["settings"].offline is True
    assert calls["settings"].pypi_url.startswith("http://127.0.0.1:9/pypi")
    assert calls["settings"].cache_dir == tmp_path / "cache"
    assert record.read_bytes() == b'{"recorded": true}'
    # With --record the verdict names the file it can be replayed from.
    recorded = "sha256:" + hashlib.sha256(b'{"recorded": true}').hexdigest()
    assert json.loads(out)["evidence_digest"] == recorded


def test_an_online_verdict_names_the_digest_of_the_facts_it_used(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 13, item 4: fetched live, the verdict carried no evidence digest, so a cache or
    # registry answer edited to look clean changed the outcome and nothing showed it.
    import policyengine.enrich as enrich_module

    source, _, policy = _files(tmp_path)
    facts = tmp_path / "facts.json"
    monkeypatch.setattr(enrich_module, "enrich", lambda *_: status_evidence(facts))
    digests = []
    for status in ("quarantined", "active"):
        facts.write_text(json.dumps({"litellm@1.82.8": status, "requests@2.32.0": "active"}))
        code, out, err = run_cli(*_argv(source, policy=policy), "--format", "json")
        assert code == (1 if status == "quarantined" else 0), err
        digests.append(json.loads(out)["evidence_digest"])
    from policyengine.enrich.bundle import facts_digest

    assert digests[1] == facts_digest(status_evidence(facts))
    assert digests[0] != digests[1]
    # The same facts fetched again (only their times differ) give the same digest.
    again = status_evidence(facts)
    later = dataclasses.replace(again, created_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert facts_digest(later) == digests[1]


def test_offline_with_an_empty_cache_every_fact_is_missing(run_cli: Run, tmp_path: Path) -> None:
    source, _, policy = _files(tmp_path)
    code, out, _ = run_cli(
        *_argv(source, policy=policy),
        "--offline",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--format",
        "json",
    )
    assert code == 4
    results = json.loads(out)["results"]
    assert {r["outcome"] for r in results} == {"unknown"}


def test_no_enrichment_when_no_rule_needs_facts(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import policyengine.enrich as enrich_module

    def refuse(*args: Any) -> Evidence:
        raise AssertionError("enrichment must not run")

    monkeypatch.setattr(enrich_module, "enrich", refuse)
    source, _, policy = _files(tmp_path, WARN_POLICY)
    code, _, _ = run_cli(*_argv(source, policy=policy))
    assert code == 0


def test_several_policies(run_cli: Run, tmp_path: Path) -> None:
    source, evidence, policy = _files(tmp_path)
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(HEADER + "rules:\n  - id: status\n    mode: log\n")
    argv = _argv(source, policy=policy, evidence=evidence)
    code, out, _ = run_cli(*argv, "--policy", str(overlay), "--format", "json")
    document = json.loads(out)
    assert document["policy"]["name"] == "cli+cli"
    assert {r["outcome"] for r in document["results"]} == {"info", "unknown"}
    assert code == 4


MALFORMED = {
    "bad-yaml": (HEADER + "rules: [\n", "invalid YAML"),
    "alias-bomb": (
        HEADER
        + "x0: &a0 [a, a, a, a, a, a, a, a, a, a]\n"
        + "".join(f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 7)),
        "alias bomb",
    ),
    "unknown-key": (HEADER + "rules:\n  - id: a\n    check: expr\n    colour: red\n", "colour"),
    "bad-cel": (HEADER + "rules:\n  - id: a\n    check: expr\n    params: {expr: '1 +'}\n", "CEL"),
    "costly-cel": (
        HEADER
        + "rules:\n  - id: a\n    check: expr\n"
        + "    params: {expr: '[1].all(a, [1].all(b, [1].all(c, true)))'}\n",
        "too costly",
    ),
    "unknown-check": (HEADER + "rules:\n  - id: a\n    check: nope\n", "unknown check"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_policies_exit_2_positioned(run_cli: Run, tmp_path: Path, case: str) -> None:
    text, fragment = MALFORMED[case]
    source, _, policy = _files(tmp_path, text)
    code, out, err = run_cli(*_argv(source, policy=policy))
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert f"{policy}:" in err and fragment in err
    code, _, err2 = run_cli("policy", "validate", policy)
    assert code == 2 and f"{policy}:" in err2


def test_bad_now(run_cli: Run, tmp_path: Path) -> None:
    source, _, policy = _files(tmp_path)
    code, _, err = run_cli(*_argv(source, policy=policy, now="yesterday"))
    assert code == 2 and "RFC 3339" in err


@pytest.mark.parametrize(
    "now",
    [
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC: converting it overflowed (exit 70)
        "9999-12-31T23:59:59-05:00",  # year 10000 in UTC
        "1969-12-31T23:59:59Z",
        "9001-01-01T00:00:00Z",
    ],
)
def test_a_now_outside_the_supported_years_is_a_usage_error(
    run_cli: Run, tmp_path: Path, now: str
) -> None:
    source, _, policy = _files(tmp_path)
    code, _, err = run_cli(*_argv(source, policy=policy, now=now))
    assert code == 2 and "outside the years 1970 to 9000" in err
    assert len(err.strip().splitlines()) == 1


def test_policy_validate_ok(run_cli: Run, tmp_path: Path) -> None:
    _, _, policy = _files(tmp_path)
    code, out, _ = run_cli("policy", "validate", policy)
    assert code == 0 and "ok (1 rules, 0 waivers)" in out


def test_policy_schema(run_cli: Run, tmp_path: Path) -> None:
    code, out, _ = run_cli("policy", "schema")
    assert code == 0
    schema = json.loads(out)
    enum = schema["$defs"]["RuleEntry"]["properties"]["check"]["anyOf"][0]["enum"]
    assert "fake-status" in enum and "expr" in enum


def test_policy_test(run_cli: Run, tmp_path: Path) -> None:
    make_case(tmp_path / "cases" / "fake-status" / "fail-quarantined", GOOD)
    code, out, _ = run_cli("policy", "test", str(tmp_path / "cases"))
    assert code == 0, out
    assert "1 passed, 0 failed" in out
    assert "fake-status" in out and "fail, pass" in out
    assert "fake-doc" in out and "no cases" in out
    assert "rule coverage: 2 of 2 rules have an expected result" in out
    assert "policy.yaml status" in out and "policy.yaml custom" in out
    broken = make_case(
        tmp_path / "cases" / "fake-status" / "pass-wrong", GOOD.replace("fail", "pass")
    )
    code, out, _ = run_cli("policy", "test", str(broken))
    assert code == 1 and "FAIL" in out
    code, _, err = run_cli("policy", "test", str(tmp_path / "nothing"))
    assert code == 2 and "no case folders" in err


def test_checks_list_and_explain(run_cli: Run) -> None:
    code, out, _ = run_cli("checks")
    assert code == 0 and "fake-status" in out and "PE-TEST-001" in out and "needs: package" in out
    code, out, _ = run_cli("checks", "PE-TEST-001")
    assert code == 0 and "What it checks" in out and "statuses" in out
    code, _, err = run_cli("checks", "nope")
    assert code == 2 and "no check 'nope'" in err


def test_diff_reports_only_new_components(run_cli: Run, tmp_path: Path) -> None:
    _, evidence, policy = _files(tmp_path)
    base = tmp_path / "base.json"
    head = tmp_path / "head.json"
    base.write_text('[["requests", "2.32.0"]]')
    head.write_text('[["requests", "2.32.0"], ["litellm", "1.82.8"]]')
    argv = _argv(str(base), str(head), policy=policy, evidence=evidence, command="diff")
    code, out, _ = run_cli(*argv, "--format", "json")
    assert code == 1
    results = json.loads(out)["results"]
    assert [(r["component"]["name"], r["outcome"]) for r in results] == [("litellm", "fail")]


DOC_POLICY = STATUS_POLICY + "  - id: timestamp\n    check: fake-doc\n"


def _read_stamped(path: Path) -> Any:
    """The test input, or ``{"timestamp": ..., "components": [[name, version], ...]}``."""
    data = json.loads(path.read_text())
    if isinstance(data, list):
        return read_test_input(path)
    pairs = [component(name, version) for name, version in data["components"]]
    return dataclasses.replace(
        sbom(*pairs, timestamp=data["timestamp"]), source=str(path), digest=f"sha256:{path.name}"
    )


def _diff_files(tmp_path: Path, base_stamp: str | None, head_stamp: str | None) -> list[str]:
    _, evidence, policy = _files(tmp_path, DOC_POLICY)
    (tmp_path / "evidence.json").write_text('{"requests@2.32.0": "active"}')
    paths = []
    for name, stamp in (("base.json", base_stamp), ("head.json", head_stamp)):
        document = {"timestamp": stamp, "components": [["requests", "2.32.0"]]}
        (tmp_path / name).write_text(json.dumps(document))
        paths.append(str(tmp_path / name))
    return _argv(*paths, policy=policy, evidence=evidence, command="diff")


def test_diff_names_its_base_in_every_format(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_read", lambda args, path: _read_stamped(Path(path)))
    argv = _diff_files(tmp_path, "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")
    base, head = argv[1], argv[2]
    code, out, err = run_cli(*argv, "--format", "json")
    assert code == 0, err
    subject = json.loads(out)["subject"]
    assert subject["inputs"] == [head] and subject["digest"] == "sha256:head.json"
    assert subject["base"] == {"inputs": [base], "digest": "sha256:base.json", "base": None}
    code, out, _ = run_cli(*argv, "--format", "markdown")
    assert f"changes from `{base}` to `{head}`" in out.splitlines()[2]
    code, out, _ = run_cli(*argv, "--format", "sarif")
    assert json.loads(out)["runs"][0]["properties"]["baseDigest"] == "sha256:base.json"
    # check has no base
    code, out, _ = run_cli(*_argv(head, policy=argv[4], evidence=argv[6]), "--format", "json")
    assert json.loads(out)["subject"]["base"] is None


def test_diff_fails_on_a_document_rule_the_change_breaks_only(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_read", lambda args, path: _read_stamped(Path(path)))
    broken = _diff_files(tmp_path, "2026-03-01T00:00:00Z", None)
    code, out, err = run_cli(*broken, "--format", "json")
    assert code == 1, err
    document = json.loads(out)
    assert [(r["rule"], r["component"], r["outcome"]) for r in document["results"]] == [
        ("timestamp", None, "fail")
    ]
    assert document["summary"]["results"] == document["summary"]["failed"] == 1
    both = _diff_files(tmp_path, None, None)
    code, out, err = run_cli(*both, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["results"] == [] and document["outcome"] == "pass"
    fixed = _diff_files(tmp_path, None, "2026-03-02T00:00:00Z")
    code, out, err = run_cli(*fixed, "--format", "table")
    assert code == 0, err
    assert out.startswith("PASS") and "1 pass" in out


def test_project_dir_facts_are_collected_and_recorded(run_cli: Run, tmp_path: Path) -> None:
    source, evidence, policy = _files(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("requests>=2.31\nlitellm==1.82.6\n")
    record = tmp_path / "recorded.json"
    code, out, _ = run_cli(
        *_argv(source, policy=policy, evidence=evidence),
        "--project-dir",
        str(project),
        "--record",
        str(record),
        "--format",
        "json",
    )
    assert code == 1
    # The verdict names the bundle it can be replayed from.
    digest = "sha256:" + hashlib.sha256(record.read_bytes()).hexdigest()
    assert json.loads(out)["evidence_digest"] == digest
    fact = json.loads(record.read_text())["project"]
    assert fact["status"] == "ok"
    assert fact["source"]["name"] == "project"
    pins = {d["name"]: d["pin"] for d in fact["value"]["declared"]}
    assert pins == {"requests": "range", "litellm": "exact"}


def test_project_facts_read_on_top_of_a_bundle_show_in_the_evidence_digest(
    run_cli: Run, tmp_path: Path
) -> None:
    # The bundle's own digest does not cover a lockfile read from the folder: edited to
    # look clean, it would change the outcome and not the digest.
    source, evidence, policy = _files(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    digests = []
    for pins in ("litellm==1.82.6\n", "litellm>=1.0\n"):
        (project / "requirements.txt").write_text(pins)
        argv = _argv(source, policy=policy, evidence=evidence)
        code, out, _ = run_cli(*argv, "--project-dir", str(project), "--format", "json")
        assert code == 1
        digests.append(json.loads(out)["evidence_digest"])
    bundle = "sha256:" + hashlib.sha256(Path(evidence).read_bytes()).hexdigest()
    assert bundle not in digests and digests[0] != digests[1]


def test_the_same_project_in_another_folder_has_the_same_evidence_digest(
    run_cli: Run, tmp_path: Path
) -> None:
    # Two CI machines judging one commit from different checkout paths must agree: the
    # folder's location is not a fact (found by the CI rehearsal: goldens moved with it).
    source, evidence, policy = _files(tmp_path)
    digests = []
    for where in ("build-1", "elsewhere/build-2"):
        project = tmp_path / where
        project.mkdir(parents=True)
        (project / "requirements.txt").write_text("litellm==1.82.6\n")
        argv = _argv(source, policy=policy, evidence=evidence)
        code, out, _ = run_cli(*argv, "--project-dir", str(project), "--format", "json")
        assert code == 1
        digests.append(json.loads(out)["evidence_digest"])
    assert digests[0] == digests[1]


def test_project_dir_that_is_not_a_folder_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    source, evidence, policy = _files(tmp_path)
    argv = _argv(source, policy=policy, evidence=evidence, now=None)
    code, _, err = run_cli(*argv, "--project-dir", str(tmp_path / "nowhere"))
    assert code == 2
    assert "not a directory" in err


def test_an_unknown_policy_name_lists_the_shipped_ones(run_cli: Run, tmp_path: Path) -> None:
    source, evidence, _ = _files(tmp_path)
    code, _, err = run_cli(*_argv(source, policy="nosuch", evidence=evidence))
    assert code == 2
    assert "baseline" in err and "release-gate" in err and "sbom-quality" in err


def test_an_input_without_components_is_named_on_stderr(run_cli: Run, tmp_path: Path) -> None:
    _, evidence, policy = _files(tmp_path)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    code, _, err = run_cli(*_argv(str(empty), policy=policy, evidence=evidence))
    assert code == 0
    assert "lists no components" in err


def test_inspect_help_lists_the_supported_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["inspect", "--help"])
    text = capsys.readouterr().out
    for name in ("CycloneDX", "SPDX 3.0", "poetry.lock", "pnpm-lock.yaml", "uv.lock"):
        assert name in text


@pytest.mark.parametrize("fmt", ["json", "sarif", "table"])
def test_a_reader_that_leaves_early_does_not_turn_a_failure_into_a_pass(
    tmp_path: Path, fmt: str
) -> None:
    # `policyengine check ... | head`: the pipe closes long before the report is written.
    import subprocess
    import sys

    from benchmarks.synth import make_evidence, make_sbom

    sbom, bundle = tmp_path / "s.cdx.json", tmp_path / "e.json"
    sbom.write_bytes(make_sbom(400))
    bundle.write_bytes(make_evidence(400))  # its malicious advisories fail the verdict
    process = subprocess.Popen(
        [sys.executable, "-m", "policyengine", "check", str(sbom), "--evidence", str(bundle),
         "--policy", "release-gate", "--now", "2026-11-28T00:00:00Z", "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(10)
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_other_commands_whose_reader_leaves_early_exit_as_on_sigpipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    class Gone(io.TextIOWrapper):
        """A stdout whose reader has left: every write fails as a closed pipe does."""

        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    target = (tmp_path / "stdout").open("wb")  # a real descriptor for the redirect
    monkeypatch.setattr("sys.stdout", Gone(target))
    code = cli.main(["checks"])
    assert code == cli.EXIT_PIPE == 141
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "argv",
    [
        ["check", "examples/litellm-2026/sbom-litellm-1.82.8.cdx.json", "--policy", "baseline",
         "--evidence", "examples/litellm-2026/evidence-1.82.8.json",
         "--now", "2026-11-28T12:00:00Z", "--format", "json"],
        ["check", "examples/litellm-2026/sbom-litellm-1.82.8.cdx.json", "--policy", "baseline",
         "--evidence", "examples/litellm-2026/evidence-1.82.8.json",
         "--now", "2026-11-28T12:00:00Z", "--format", "table"],
        ["checks"],
    ],
)  # fmt: skip
def test_a_full_disk_under_stdout_is_a_one_line_error(argv: list[str]) -> None:
    # `> /dev/full`: every write fails with ENOSPC; that is the machine's state, not a bug.
    import subprocess
    import sys

    from tests.conftest import ROOT

    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "policyengine", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            check=False,
            text=True,
        )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], done.stderr
