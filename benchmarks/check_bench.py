"""`inspect` and `check` at scale next to `orjson.loads`, and enrichment request counts.

    python benchmarks/check_bench.py                       # 1k, 10k and 50k components
    python benchmarks/check_bench.py --sizes 10000 --repeat 3 --policies baseline
    python benchmarks/check_bench.py --sizes --enrich 1000 # only the enrichment counts

For each size, benchmarks/synth.py writes a CycloneDX JSON, CycloneDX XML and SPDX JSON
SBOM of the same components plus the matching evidence bundle. Every measurement runs in
a fresh interpreter (peak RSS is its own) with the imports done before the clock starts:

- ``orjson.loads`` of the SBOM bytes, and of the evidence bundle bytes, in the same run;
- ``inspect --format json`` of each SBOM;
- ``check --evidence BUNDLE --policy P --format json`` for each shipped policy P, i.e.
  reading the SBOM, loading the bundle, evaluating and rendering the verdict (written to
  /dev/null).

The enrichment part serves generated PyPI documents for N projects from a local
synthetic registry (benchmarks/synth_registry.py) and runs ``enrich`` cold (empty cache)
and warm (same cache) in-process, counting the requests the registry saw.
Results: benchmarks/README.md. Not a test.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synth import WRITERS, cdx_document, make_specs  # noqa: E402

NOW = "2026-11-28T00:00:00Z"

#: One measurement in a fresh interpreter: argv is the tree, the mode and its arguments;
#: it prints wall and CPU seconds, the peak (VmHWM, KiB) and the exit code (or a size).
WORKER = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
mode, args = sys.argv[2], sys.argv[3:]
import orjson
if mode == "orjson":
    data = [open(p, "rb").read() for p in args]
    start, cpu = time.perf_counter(), time.process_time()
    for d in data:
        orjson.loads(d)
    code = 0
elif mode == "bundle-size":  # the bytes dump_bundle writes for a bundle (perf_round2.py)
    from policyengine.enrich.bundle import dump_bundle, load_bundle
    start, cpu = time.perf_counter(), time.process_time()
    code = len(dump_bundle(load_bundle(args[0])))
else:
    from policyengine.cli import main
    import policyengine.ingest.cyclonedx, policyengine.enrich.bundle, policyengine.engine  # noqa
    import policyengine.checks.registry, policyengine.report.json  # noqa
    start, cpu = time.perf_counter(), time.process_time()
    code = main([mode, *args])
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
# VmHWM is this program's own peak (ru_maxrss would include the parent's before exec).
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]
print(elapsed, cpu, hwm, code)
"""


def measure(mode: str, *args: str) -> tuple[float, float, float, int]:
    """Wall and CPU seconds, peak RSS in MiB and exit code of one run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(ROOT), mode, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        seconds, cpu, rss, code = done.stdout.split()
    except ValueError:
        raise SystemExit(f"{mode} {args} failed: {done.stderr[-2000:]}") from None
    return float(seconds), float(cpu), int(rss) / 1024, int(code)


def median_of(repeat: int, mode: str, *args: str) -> tuple[float, float, float, int]:
    """Median wall and CPU time, largest peak RSS and the exit code over ``repeat`` runs."""
    runs = [measure(mode, *args) for _ in range(repeat)]
    return (
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        max(r[2] for r in runs),
        runs[0][3],
    )


def bench_sizes(sizes: list[int], repeat: int, policies: list[str], folder: Path) -> None:
    """Print the inspect and check tables."""
    inspect_rows = []
    check_rows = []
    for size in sizes:
        paths = {}
        for kind, writer in WRITERS.items():
            paths[kind] = folder / f"synth-{size}.{kind}"
            paths[kind].write_bytes(writer(size))
        evidence = str(paths["evidence.json"])
        for kind in ("cdx.json", "cdx.xml", "spdx.json"):
            sbom = str(paths[kind])
            mib = paths[kind].stat().st_size / 2**20
            t_json = median_of(repeat, "orjson", sbom)[0] if kind != "cdx.xml" else None
            t_run, _, rss, code = median_of(
                repeat, "inspect", "--format", "json", "-o", os.devnull, sbom
            )
            ratio = f"{t_run / t_json:.1f}x" if t_json else "–"
            base = f"{t_json:.3f}" if t_json else "–"
            inspect_rows.append(
                f"| {size:,} | {kind} | {mib:.1f} | {base} | {t_run:.3f} | {ratio} | {rss:.0f} |"
            )
        sbom = str(paths["cdx.json"])
        ev_mib = paths["evidence.json"].stat().st_size / 2**20
        t_sbom, c_sbom, _, _ = median_of(repeat, "orjson", sbom)
        t_both, c_both, _, _ = median_of(repeat, "orjson", sbom, evidence)
        for policy in policies:
            t_run, c_run, rss, code = median_of(
                repeat,
                "check",
                sbom,
                "--evidence",
                evidence,
                "--policy",
                policy,
                "--now",
                NOW,
                "--format",
                "json",
                "-o",
                os.devnull,
            )
            check_rows.append(
                f"| {size:,} | {policy} | {ev_mib:.0f} | {t_sbom:.3f} | {t_both:.3f} | "
                f"{t_run:.2f} ({c_run:.2f}) | {t_run / t_sbom:.0f}x ({c_run / c_sbom:.0f}x) | "
                f"{t_run / t_both:.1f}x ({c_run / c_both:.1f}x) | {rss:.0f} | {code} |"
            )
        print(f"size {size} done", file=sys.stderr, flush=True)
    print("\n### inspect (`--format json`)\n")
    print("| components | input | MiB | orjson.loads s | inspect s | ratio | peak RSS MiB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    print("\n".join(inspect_rows))
    print("\n### check with recorded evidence (`--format json`)\n")
    print(
        "| components | policy | evidence MiB | orjson SBOM s | orjson SBOM+evidence s "
        "| check s (CPU s) | / orjson SBOM (CPU) | / orjson both (CPU) | peak RSS MiB | exit |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(check_rows))


def bench_enrich(count: int, folder: Path) -> None:
    """Cold and warm enrichment of ``count`` PyPI projects against the synthetic registry."""
    from benchmarks.synth_registry import serve
    from policyengine.cli import main

    specs = [s for s in make_specs(count * 3 // 2 + 2) if s.ecosystem == "pypi"][:count]
    sbom = folder / f"enrich-{count}.cdx.json"
    sbom.write_text(json.dumps(cdx_document(specs)))
    cache = folder / f"cache-{count}"
    rows = []
    with serve() as registry:
        registry.versions = {s.name: s.version for s in specs}
        for label in ("cold", "warm"):
            before = registry.total()
            start = time.perf_counter()
            code = main(
                ["enrich", str(sbom), "-o", str(folder / "e.json"), "--pypi-url",
                 registry.pypi_url, "--advisories", "off", "--cache-dir", str(cache)]
            )  # fmt: skip
            elapsed = time.perf_counter() - start
            rows.append(f"| {count:,} | {label} | {elapsed:.2f} | {registry.total() - before} |")
            assert code == 0, code
    print("\n### enrichment against the synthetic registry (`enrich --advisories off`)\n")
    print("| projects | run | wall s | requests |")
    print("|---:|---|---:|---:|")
    print("\n".join(rows))


def main() -> None:
    """Parse the options and run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--policies", nargs="+", default=["baseline", "release-gate"])
    parser.add_argument("--enrich", type=int, default=1000, help="projects (0: skip)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.sizes:
            bench_sizes(args.sizes, args.repeat, args.policies, Path(tmp))
        if args.enrich:
            bench_enrich(args.enrich, Path(tmp))


if __name__ == "__main__":
    main()
