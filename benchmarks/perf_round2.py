"""Issue 16's table, measured side by side for a "before" and an "after" tree in one run.

    git worktree add /tmp/perf-before fefaab9          # the tree to compare with
    python benchmarks/perf_round2.py --before /tmp/perf-before
    python benchmarks/perf_round2.py --before /tmp/perf-before --sizes 1000 10000 \\
        --rounds 3 --policies baseline release-gate --enrich 300 \\
        --requirements benchmarks/data/real-51/requirements.txt   # warm enrich (online once)

``--after`` defaults to this checkout. Every figure is taken in a fresh interpreter that
puts the tree first on ``sys.path`` (so an editable install elsewhere does not answer).
Each round runs the baseline measurement (``orjson.loads`` of the SBOM) and then both
trees, alternating which goes first, and the ratio of each tree is taken within its round;
the table gives the medians over the rounds. Rows:

- ``check --evidence`` (JSON verdict to a file) time, imports done before the clock as in
  check_bench.py, divided by ``orjson.loads`` of the SBOM in the same round; peak RSS
  (``VmHWM``) of the process;
- the verdict JSON's size, and its size divided by the SBOM's;
- the evidence bundle each tree writes for the same evidence (``dump_bundle``): bytes
  per component and divided by the SBOM's;
- imports: ``policyengine --version`` as a whole process, and the imports of
  ``check --evidence`` (``python -X importtime``, the top-level modules summed);
- cold enrichment against the synthetic registry (benchmarks/synth_registry.py):
  requests per package;
- warm ``enrich`` of a real requirements file (``--requirements``), after one live run
  per tree fills that tree's own cache folder.

The output is Markdown (the tables of benchmarks/README.md). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.check_bench import WORKER  # noqa: E402
from benchmarks.synth import WRITERS, cdx_document, make_specs  # noqa: E402

NOW = "2026-11-28T00:00:00Z"


_ENRICH = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from policyengine.cli import main
start = time.perf_counter()
code = main(sys.argv[2:])
print(time.perf_counter() - start, code)
"""

_REQUESTS = r"""
import importlib.util, json, sys
sys.path.insert(0, sys.argv[1])
# The registry of this checkout (it can refuse the per-version endpoint), the tree's code.
spec = importlib.util.spec_from_file_location("synth_registry", sys.argv[6])
synth_registry = importlib.util.module_from_spec(spec)
spec.loader.exec_module(synth_registry)
from policyengine.cli import main
with synth_registry.serve() as registry:
    registry.versions = json.loads(sys.argv[5])
    registry.version_endpoint = sys.argv[7] == "served"
    code = main(["enrich", sys.argv[2], "-o", sys.argv[3], "--pypi-url", registry.pypi_url,
                 "--advisories", "off", "--cache-dir", sys.argv[4]])
    print(registry.total(), code)
"""


def _run(code: str, tree: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code, str(tree), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tree)},
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"{tree} {args[:3]} failed: {done.stderr[-2000:]}")
    return done.stdout.split()


def measure(tree: Path, mode: str, *args: str) -> tuple[float, float, int]:
    """CPU seconds, peak RSS in MiB and the exit code (or size) of one run in a fresh interpreter.

    CPU, not wall time: the machine is shared, and under load wall time was 2-3x the CPU
    time of the same run (the wall time is the same within the noise on an idle machine:
    nothing here waits for I/O but the files it reads).
    """
    _wall, cpu, rss, code = _run(WORKER, tree, mode, *args)
    return float(cpu), int(rss) / 1024, int(code)


def whole(tree: Path, *args: str) -> float:
    """Wall seconds of ``python -m policyengine ARGS`` as a whole process."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "policyengine", *args],
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,
    )
    return time.perf_counter() - start


def import_seconds(tree: Path, *args: str) -> tuple[float, bool]:
    """Seconds spent importing (top-level modules, ``-X importtime``) and whether httpx was."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "policyengine", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,
    )
    total = 0
    httpx = False
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        if name.strip() == "httpx":
            httpx = True
        if not name.startswith("  "):  # a top-level import: its children are inside it
            total += int(cumulative)
    return total / 1e6, httpx


def med(values: Sequence[float]) -> float:
    """The median."""
    return statistics.median(values)


def bench_check(
    trees: dict[str, Path], sizes: list[int], rounds: int, policies: list[str], folder: Path
) -> None:
    """The check, verdict-size and bundle-size rows."""
    print("\n### `check --evidence`, verdict and bundle\n")
    print(
        "| components | policy | orjson SBOM CPU s | before CPU s | after CPU s | "
        "before ÷ orjson | after ÷ orjson | after ÷ before | peak MiB before / after | "
        "verdict MB before / after | verdict ÷ SBOM before / after | exit |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    bundle_rows = []
    for size in sizes:
        paths = {}
        for kind in ("cdx.json", "evidence.json"):
            paths[kind] = folder / f"synth-{size}.{kind}"
            if not paths[kind].exists():
                paths[kind].write_bytes(WRITERS[kind](size))
        sbom, evidence = str(paths["cdx.json"]), str(paths["evidence.json"])
        sbom_bytes = paths["cdx.json"].stat().st_size
        sizes_of = {name: measure(tree, "bundle-size", evidence)[2] for name, tree in trees.items()}
        bundle_rows.append(
            f"| {size:,} | {sbom_bytes / size:,.0f} | "
            + " | ".join(
                f"{sizes_of[n] / size:,.0f} B ({sizes_of[n] / sbom_bytes:.1f}x)" for n in trees
            )
            + " |"
        )
        for policy in policies:
            times: dict[str, list[float]] = {n: [] for n in trees}
            ratios: dict[str, list[float]] = {n: [] for n in trees}
            paired: list[float] = []
            peaks: dict[str, float] = dict.fromkeys(trees, 0.0)
            verdicts: dict[str, int] = {}
            codes: dict[str, int] = {}
            base: list[float] = []
            for r in range(rounds):
                t_json = measure(trees["after"], "orjson", sbom)[0]
                base.append(t_json)
                order = list(trees) if r % 2 == 0 else list(reversed(trees))
                got: dict[str, float] = {}
                for name in order:
                    out = folder / f"verdict-{name}.json"
                    seconds, rss, code = measure(
                        trees[name], "check", sbom, "--evidence", evidence, "--policy", policy,
                        "--now", NOW, "--format", "json", "-o", str(out),
                    )  # fmt: skip
                    got[name] = seconds
                    times[name].append(seconds)
                    ratios[name].append(seconds / t_json)
                    peaks[name] = max(peaks[name], rss)
                    verdicts[name] = out.stat().st_size
                    codes[name] = code
                paired.append(got["after"] / got["before"])
            print(
                f"| {size:,} | {policy} | {med(base):.3f} | {med(times['before']):.2f} | "
                f"{med(times['after']):.2f} | {med(ratios['before']):.0f}x | "
                f"{med(ratios['after']):.0f}x | {med(paired):.2f} | "
                f"{peaks['before']:.0f} / {peaks['after']:.0f} | "
                f"{verdicts['before'] / 1e6:.1f} / {verdicts['after'] / 1e6:.1f} | "
                f"{verdicts['before'] / sbom_bytes:.1f}x / {verdicts['after'] / sbom_bytes:.1f}x | "
                f"{codes['before']} / {codes['after']} |",
                flush=True,
            )
    print("\n### Evidence bundle written by `dump_bundle` (same evidence)\n")
    print("| components | SBOM B per component | before | after |")
    print("|---:|---:|---:|---:|")
    print("\n".join(bundle_rows))


def bench_imports(trees: dict[str, Path], rounds: int, folder: Path) -> None:
    """``--version`` as a whole process, and the imports of ``check --evidence``."""
    sbom, evidence = folder / "synth-1000.cdx.json", folder / "synth-1000.evidence.json"
    for kind, path in (("cdx.json", sbom), ("evidence.json", evidence)):
        if not path.exists():
            path.write_bytes(WRITERS[kind](1000))
    check = [
        "check", str(sbom), "--evidence", str(evidence), "--policy", "release-gate",
        "--now", NOW, "--format", "json", "-o", os.devnull,
    ]  # fmt: skip
    version: dict[str, list[float]] = {n: [] for n in trees}
    imports: dict[str, list[float]] = {n: [] for n in trees}
    httpx: dict[str, bool] = {}
    for r in range(rounds):
        for name in list(trees) if r % 2 == 0 else list(reversed(trees)):
            version[name].append(whole(trees[name], "--version"))
            seconds, httpx[name] = import_seconds(trees[name], *check)
            imports[name].append(seconds)
    print("\n### Imports\n")
    print("| measure | before | after |")
    print("|---|---:|---:|")
    print(
        f"| `policyengine --version`, whole process s | {med(version['before']):.2f} | "
        f"{med(version['after']):.2f} |"
    )
    print(
        f"| imports of `check --evidence` (1k, release-gate) s | {med(imports['before']):.2f} "
        f"| {med(imports['after']):.2f} |"
    )
    print(
        f"| `check --evidence` imports httpx | {'yes' if httpx['before'] else 'no'} | "
        f"{'yes' if httpx['after'] else 'no'} |"
    )


def bench_requests(trees: dict[str, Path], count: int, folder: Path) -> None:
    """Cold requests per package against the synthetic registry."""
    specs = [s for s in make_specs(count * 3 // 2 + 2) if s.ecosystem == "pypi"][:count]
    sbom = folder / f"enrich-{count}.cdx.json"
    sbom.write_text(json.dumps(cdx_document(specs)))
    versions = json.dumps({s.name: s.version for s in specs})
    registry = str(ROOT / "benchmarks" / "synth_registry.py")
    print("\n### Cold enrichment requests (synthetic registry, `--advisories off`)\n")
    print("| projects | per-version endpoint | before, requests per package | after |")
    print("|---:|---|---:|---:|")
    for endpoint in ("served", "404 (as mirrors here)"):
        counts = {}
        for name, tree in trees.items():
            with tempfile.TemporaryDirectory() as cache:
                out = str(folder / f"enrich-{name}.json")
                counts[name] = int(
                    _run(_REQUESTS, tree, str(sbom), out, cache, versions, registry, endpoint)[0]
                )
        print(
            f"| {count:,} | {endpoint} | {counts['before'] / count:.2f} | "
            f"{counts['after'] / count:.2f} |"
        )


def bench_warm(trees: dict[str, Path], requirements: Path, rounds: int, folder: Path) -> None:
    """Warm ``enrich`` of a real requirements file, each tree with its own filled cache."""
    runs: dict[str, list[float]] = {n: [] for n in trees}
    for name, tree in trees.items():
        cache = folder / f"cache-{name}"
        args = [
            "enrich", str(requirements), "-o", str(folder / f"e-{name}.json"),
            "--cache-dir", str(cache), "--advisories", "off",
        ]  # fmt: skip
        if _run(_ENRICH, tree, *args)[1] != "0":  # cold, live: fills the cache
            raise SystemExit(f"{name}: the cold enrich run failed")
    for r in range(rounds):
        for name in list(trees) if r % 2 == 0 else list(reversed(trees)):
            cache = folder / f"cache-{name}"
            args = [
                "enrich", str(requirements), "-o", str(folder / f"e-{name}.json"),
                "--cache-dir", str(cache), "--offline", "--advisories", "off",
            ]  # fmt: skip
            seconds, code = _run(_ENRICH, trees[name], *args)
            if code != "0":
                raise SystemExit(f"{name}: the warm enrich run failed ({code})")
            runs[name].append(float(seconds))
    lines = sum(1 for line in requirements.read_text().splitlines() if line.strip())
    print("\n### Warm `enrich` of a real requirements file\n")
    print("| file | before s | after s |")
    print("|---|---:|---:|")
    print(f"| {requirements} ({lines} lines) | {med(runs['before']):.2f} | "
          f"{med(runs['after']):.2f} |")  # fmt: skip


def main() -> None:
    """Parse the options and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the tree to compare with")
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 50_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--policies", nargs="+", default=["baseline", "release-gate"])
    parser.add_argument("--enrich", type=int, default=300, help="projects (0: skip)")
    parser.add_argument("--requirements", type=Path, help="a real requirements file (online)")
    parser.add_argument("--data", type=Path, help="keep the synthetic inputs here")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"medians of {args.rounds} rounds; before = {trees['before']}, after = {trees['after']}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if args.sizes:
            bench_check(trees, args.sizes, args.rounds, args.policies, folder)
        bench_imports(trees, args.rounds, folder)
        if args.enrich:
            bench_requests(trees, args.enrich, folder)
        if args.requirements:
            bench_warm(trees, args.requirements, args.rounds, Path(tmp))
    print(f"\nload at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
