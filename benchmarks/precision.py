"""Precision benchmark (issue 12): how much of what the shipped policies say about real,
clean inputs is noise.

    python benchmarks/precision.py             # print; rewrite the section in benchmarks/README.md
    python benchmarks/precision.py --update    # also rewrite benchmarks/precision/expected.json
    python benchmarks/precision.py --findings  # also list every warn/fail/unknown finding
    python benchmarks/precision.py --code DIR  # judge with another checkout's code and policies
    python benchmarks/precision.py --rerecord CACHE_COPY  # re-record the bundles offline first

Each input under benchmarks/precision/ (built from popular packages, see its README.md) is
judged offline with ``policyengine check`` (run in-process through ``cli.main``) on its
recorded evidence bundle (``evidence.json.gz``, decompressed to a temporary file because
``--evidence`` reads plain JSON) at its live recording time (``--now`` from
``precision/recorded-at.json``), with baseline and release-gate, and ``--project-dir`` =
the input's own folder (its manifest and lockfile). Per rule it counts the outcomes; per
input, the share of components with a warn or fail, and the share with one that
``precision/triage.yaml`` does not list as true (noise).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "precision"
EXPECTED = DATA / "expected.json"
TRIAGE = DATA / "triage.yaml"
# When each dataset's evidence was recorded live: the benchmark's ``--now``. Kept apart from
# the bundles' ``created_at`` so that a bundle re-recorded offline from the cache of the
# original recording (see precision/README.md) is still judged at the original time.
RECORDED_AT = DATA / "recorded-at.json"
README = ROOT / "benchmarks" / "README.md"
POLICY_NAMES = ("baseline", "release-gate")
OUTCOMES = ("pass", "warn", "fail", "unknown", "info", "waived", "error", "not_applicable")
SECTION = "## Precision on real inputs (issue 12)"


@dataclass(frozen=True)
class Input:
    """One judged input: a file of a recorded dataset folder."""

    dataset: str
    file: str
    # The hashed, locked projects on which release-gate must pass (exit 0).
    locked: bool

    @property
    def name(self) -> str:
        return f"{self.dataset}/{self.file}"

    @property
    def folder(self) -> Path:
        return DATA / self.dataset


INPUTS = (
    Input("python-env", "sbom.cdx.json", locked=False),
    Input("python-env", "requirements.txt", locked=False),
    Input("npm-app", "sbom.cdx.json", locked=False),
    Input("npm-app", "package-lock.json", locked=False),
    Input("python-locked", "requirements.txt", locked=True),
    Input("python-uv", "uv.lock", locked=True),
    Input("npm-locked", "package-lock.json", locked=True),
)


@dataclass
class Run:
    """The verdict of one input under one policy, reduced to what the benchmark reports."""

    input: Input
    policy: str
    now: str
    exit_code: int
    outcome: str
    components: int
    rules: dict[str, Counter[str]]
    findings: list[dict[str, Any]]
    # Components (by ref) with at least one warn or fail, and with one not triaged as true.
    flagged: set[str] = field(default_factory=set)
    noisy: set[str] = field(default_factory=set)
    # Components with at least one unknown result (evidence the rule could not see).
    unknown: set[str] = field(default_factory=set)

    def tallies(self) -> dict[str, Any]:
        """What expected.json pins for this run."""
        return {
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "components": self.components,
            "flagged": len(self.flagged),
            "noisy": len(self.noisy),
            "unknown": len(self.unknown),
            "rules": {rule: dict(sorted(c.items())) for rule, c in sorted(self.rules.items())},
        }


def load_triage(path: Path = TRIAGE) -> list[dict[str, str]]:
    """The findings judged true: entries of ``rule``, ``purl`` (with or without
    ``@version``; null for a document-level finding), optional ``input``, and ``reason``."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for entry in entries:
        if not entry.get("reason"):
            raise SystemExit(f"{path}: entry without a reason: {entry}")
    return list(entries)


def is_true(finding: dict[str, Any], run_input: Input, triage: Iterable[dict[str, str]]) -> bool:
    """Whether the triage file lists this warn/fail finding as true."""
    component = finding.get("component") or {}
    purl = component.get("purl")
    bare = re.sub(r"@[^@/]+$", "", purl) if purl else None
    for entry in triage:
        if entry["rule"] != finding["rule"]:
            continue
        if entry.get("input") and entry["input"] not in (run_input.dataset, run_input.name):
            continue
        if entry.get("purl") == purl or (bare is not None and entry.get("purl") == bare):
            return True
    return False


@contextlib.contextmanager
def _bundle(dataset: str) -> Iterator[tuple[Path, str]]:
    """The dataset's evidence bundle as a plain temporary file, and its recording time."""
    data = gzip.decompress((DATA / dataset / "evidence.json.gz").read_bytes())
    recorded: dict[str, str] = json.loads(RECORDED_AT.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="precision-") as tmp:
        path = Path(tmp) / "evidence.json"
        path.write_bytes(data)
        yield path, recorded[dataset]


def judge(run_input: Input, policy: str, bundle: Path, now: str) -> tuple[int, dict[str, Any]]:
    """Run ``policyengine check`` in-process; the exit code and the verdict JSON.

    The policy files are those of the checkout the imported ``policyengine`` comes from,
    so that ``--code`` judges with another worktree's checks and policies.
    """
    import policyengine
    from policyengine.cli import main

    policies = Path(policyengine.__file__).resolve().parent.parent / "policies"

    with tempfile.TemporaryDirectory(prefix="precision-") as tmp:
        out = Path(tmp) / "verdict.json"
        argv = [
            "check",
            str(run_input.folder / run_input.file),
            "--policy",
            str(policies / f"{policy}.yaml"),
            "--evidence",
            str(bundle),
            "--now",
            now,
            "--project-dir",
            str(run_input.folder),
            "--format",
            "json",
            "-o",
            str(out),
        ]
        # The incomplete-evidence line goes to stderr: keep the benchmark's output tidy.
        with contextlib.redirect_stderr(io.StringIO()):
            code = main(argv)
        if not out.exists():
            raise SystemExit(f"{run_input.name} / {policy}: check exited {code} without a verdict")
        return code, json.loads(out.read_bytes())


def run_all(inputs: Iterable[Input] = INPUTS) -> list[Run]:
    """Judge every input with both policies."""
    triage = load_triage()
    runs: list[Run] = []
    for run_input in inputs:
        with _bundle(run_input.dataset) as (bundle, now):
            for policy in POLICY_NAMES:
                code, verdict = judge(run_input, policy, bundle, now)
                runs.append(_reduce(run_input, policy, now, code, verdict, triage))
    return runs


def _reduce(
    run_input: Input,
    policy: str,
    now: str,
    code: int,
    verdict: dict[str, Any],
    triage: list[dict[str, str]],
) -> Run:
    rules: dict[str, Counter[str]] = {}
    findings: list[dict[str, Any]] = []
    run = Run(
        run_input,
        policy,
        now,
        code,
        verdict["outcome"],
        verdict["summary"]["components"],
        rules,
        findings,
    )
    for result in verdict["results"]:
        rules.setdefault(result["rule"], Counter())[result["outcome"]] += 1
        if result["outcome"] not in ("warn", "fail", "unknown"):
            continue
        true = result["outcome"] != "unknown" and is_true(result, run_input, triage)
        findings.append({**result, "true": true})
        ref = (result.get("component") or {}).get("ref")
        if ref is None:
            continue
        if result["outcome"] == "unknown":
            run.unknown.add(ref)
            continue
        run.flagged.add(ref)
        if not true:
            run.noisy.add(ref)
    # A schema version 2 verdict counts its passes per rule instead of listing them.
    for passes in verdict.get("passes", ()):
        rules.setdefault(passes["rule"], Counter())["pass"] += passes["passed"]
    ordered = sorted(rules.items())  # by rule, as the verdict's results are
    rules.clear()
    rules.update(ordered)
    return run


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def markdown(runs: list[Run]) -> str:
    """The README section: a summary table, then the per-rule tallies of each run."""
    lines = [
        SECTION,
        "",
        "`python benchmarks/precision.py` (regenerates this section; `--update` also",
        "rewrites `benchmarks/precision/expected.json`, which",
        "`tests/benchmarks/test_precision.py` pins). Inputs, how they were built and how",
        "their evidence was recorded: [precision/README.md](precision/README.md); the",
        "findings judged true: [precision/triage.yaml](precision/triage.yaml). Offline,",
        "`--now` = the live recording time, `--project-dir` = the input's folder.",
        "",
        "Flagged: components with at least one warn or fail result; noisy: with one that",
        "the triage file does not list as true; unknown: with an unknown result.",
        "",
        "| input | policy | components | flagged | noisy | unknown | outcome | exit |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for run in runs:
        lines.append(
            f"| {run.input.name} | {run.policy} | {run.components} "
            f"| {len(run.flagged)} ({_pct(len(run.flagged), run.components)}) "
            f"| {len(run.noisy)} ({_pct(len(run.noisy), run.components)}) "
            f"| {len(run.unknown)} ({_pct(len(run.unknown), run.components)}) "
            f"| {run.outcome} | {run.exit_code} |"
        )
    lines += ["", "Per rule (pass / warn / fail / unknown / info; other outcomes named):", ""]
    for run in runs:
        lines += [
            f"**{run.input.name}, {run.policy}**",
            "",
            "| rule | pass | warn | fail | unknown | info | other |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for rule, counts in sorted(run.rules.items()):
            other = ", ".join(
                f"{k} {v}" for k, v in sorted(counts.items()) if k not in OUTCOMES[:5]
            )
            cells = " | ".join(str(counts.get(k, 0)) for k in OUTCOMES[:5])
            lines.append(f"| {rule} | {cells} | {other} |")
        lines.append("")
    return "\n".join(lines)


def write_readme(section: str) -> None:
    """Replace (or append) the section in benchmarks/README.md."""
    text = README.read_text(encoding="utf-8")
    start = text.find(SECTION)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section.rstrip("\n") + ("\n" + text[nxt:] if nxt != -1 else "")
    README.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def expected(runs: list[Run]) -> dict[str, Any]:
    """The pinned tallies, by input then policy."""
    out: dict[str, Any] = {}
    for run in runs:
        out.setdefault(run.input.name, {})[run.policy] = run.tallies()
    return out


def print_findings(runs: list[Run]) -> None:
    """Every warn/fail/unknown finding, grouped by run and rule."""
    for run in runs:
        print(f"\n### {run.input.name}, {run.policy}")
        by_rule: dict[str, list[dict[str, Any]]] = {}
        for finding in run.findings:
            by_rule.setdefault(finding["rule"], []).append(finding)
        for rule, group in sorted(by_rule.items()):
            print(f"- {rule}: {len(group)}")
            for f in group:
                comp = f.get("component") or {}
                tag = "true" if f["true"] else ("unknown" if f["outcome"] == "unknown" else "noise")
                print(f"  - [{f['outcome']}/{tag}] {comp.get('purl')}: {f['message']}")


def rerecord(cache_dir: Path) -> None:
    """Re-record every bundle offline from a copy of the original recording's cache.

    For a change to what enrichment collects: the registry answers and artifacts are the
    ones fetched at the original recording (``--offline`` reads only the cache), so the
    evidence changes only by what the new code makes of them. The recording time in
    recorded-at.json stays.
    """
    from policyengine.cli import main

    for dataset in dict.fromkeys(i.dataset for i in INPUTS):
        files = [str(DATA / i.name) for i in INPUTS if i.dataset == dataset]
        with tempfile.TemporaryDirectory(prefix="precision-") as tmp:
            out = Path(tmp) / "evidence.json"
            argv = ["enrich", *files, "--contents", "--advisories", "db", "--offline"]
            code = main([*argv, "--cache-dir", str(cache_dir), "-o", str(out)])
            if code != 0:
                raise SystemExit(f"{dataset}: enrich exited {code}")
            packed = gzip.compress(out.read_bytes(), compresslevel=9, mtime=0)
        (DATA / dataset / "evidence.json.gz").write_bytes(packed)
        print(f"re-recorded {dataset}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite expected.json")
    parser.add_argument("--findings", action="store_true", help="list every finding")
    parser.add_argument("--no-readme", action="store_true", help="do not touch README.md")
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="checkout whose policyengine and policies/ judge the inputs (default: this one)",
    )
    parser.add_argument(
        "--rerecord",
        type=Path,
        metavar="CACHE_DIR",
        help="first re-record every bundle offline from this copy of the recording's cache",
    )
    args = parser.parse_args(argv)
    foreign = args.code.resolve() != ROOT
    if foreign and (args.update or args.rerecord):
        # The data and the expected tallies live next to this script: writing them from
        # another checkout's code would change this one behind its back.
        parser.error("--update and --rerecord write this checkout's files: run them without --code")
    sys.path.insert(0, str(args.code.resolve()))
    if args.rerecord:
        rerecord(args.rerecord)
    runs = run_all()
    section = markdown(runs)
    print(section)
    if args.findings:
        print_findings(runs)
    if not args.no_readme and not foreign:
        write_readme(section)
    if args.update:
        EXPECTED.write_text(json.dumps(expected(runs), indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
