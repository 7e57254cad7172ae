"""Ingest benchmark: `inspect` (read_input + JSON rendering) against plain orjson.loads.

Generates synthetic but realistic CycloneDX 1.6 JSON SBOMs (PyPI and npm purls,
SHA-256/SHA-512 hashes on the component and on a distribution reference,
licenses, suppliers, a dependency graph under a root component), then, for each
size, runs every measurement in a fresh subprocess so that peak RSS (maxrss) is
that measurement's own:

    python benchmarks/ingest_bench.py                  # 10,000 and 50,000 components
    python benchmarks/ingest_bench.py --sizes 1000 --repeat 3

Goals (issue 2): inspect at most 10x orjson.loads at 10,000 components, peak
memory under 1 GiB at 50,000. Not a test: numbers go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LICENSES = ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "MIT OR Apache-2.0", "GPL-3.0-or-later"]


def make_sbom(count: int, seed: int = 7) -> bytes:
    """A CycloneDX 1.6 JSON document with ``count`` components and a dependency graph."""
    rng = random.Random(seed)
    components = []
    refs = []
    for i in range(count):
        npm = i % 3 == 0
        name = f"pkg-{i}-{rng.randrange(10**6)}"
        version = f"{rng.randrange(20)}.{rng.randrange(50)}.{rng.randrange(100)}"
        purl = f"pkg:npm/{name}@{version}" if npm else f"pkg:pypi/{name}@{version}"
        ref = f"{name}@{version}"
        digest = hashlib.sha256(ref.encode()).hexdigest()
        component = {
            "type": "library",
            "bom-ref": ref,
            "name": name,
            "version": version,
            "purl": purl,
            "scope": "required",
            "supplier": {"name": f"supplier-{i % 97}"},
            "hashes": [
                {"alg": "SHA-512" if npm else "SHA-256", "content": digest * (2 if npm else 1)}
            ],
            "licenses": [{"license": {"id": LICENSES[i % 4]}}]
            if i % 5
            else [{"expression": LICENSES[4 + i % 2]}],
            "externalReferences": [
                {
                    "type": "distribution",
                    "url": f"https://files.example.invalid/{name}-{version}.tar.gz",
                    "hashes": [
                        {"alg": "SHA-256", "content": hashlib.sha256(digest.encode()).hexdigest()}
                    ],
                },
                {"type": "vcs", "url": f"https://github.com/example/{name}"},
            ],
        }
        components.append(component)
        refs.append(ref)
    dependencies = [{"ref": "root", "dependsOn": refs[: min(50, count)]}]
    for i, ref in enumerate(refs):
        later = refs[i + 1 : i + 200]
        picks = rng.sample(later, min(len(later), rng.randrange(4)))
        dependencies.append({"ref": ref, "dependsOn": picks})
    doc = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "version": 1,
        "metadata": {
            "timestamp": "2026-01-01T00:00:00Z",
            "tools": {"components": [{"type": "application", "name": "bench", "version": "1"}]},
            "component": {"type": "application", "bom-ref": "root", "name": "app", "version": "1"},
        },
        "components": components,
        "dependencies": dependencies,
    }
    return json.dumps(doc).encode()


_WORKER = r"""
import resource, sys, time
path, mode, validate = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
sys.path.insert(0, sys.argv[4])
import orjson
if mode.startswith("orjson"):
    data = open(path, "rb").read()
    if mode == "orjson-nogc":
        import gc
        gc.disable()
    start = time.perf_counter()
    orjson.loads(data)
    elapsed = time.perf_counter() - start
else:
    from policyengine.ingest import read_input
    from policyengine.report.inspect import render_inspect
    import policyengine.ingest.cyclonedx  # import cost is not part of the measurement
    start = time.perf_counter()
    text = render_inspect(read_input(path, validate=validate), "json")
    elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(path: Path, mode: str, validate: bool = False) -> tuple[float, int]:
    """Seconds and peak RSS in KiB of one run in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", _WORKER, str(path), mode, "1" if validate else "0", str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--validate", action="store_true", help="also time inspect --validate")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.repeat}")
    print(
        "| components | file MiB | orjson.loads s | orjson.loads, GC off s | inspect s "
        "| inspect / orjson | inspect / orjson GC off | inspect peak RSS MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"bench-{size}.cdx.json"
            path.write_bytes(make_sbom(size))
            mib = path.stat().st_size / 2**20
            base = [measure(path, "orjson") for _ in range(args.repeat)]
            nogc = [measure(path, "orjson-nogc") for _ in range(args.repeat)]
            runs = [measure(path, "inspect") for _ in range(args.repeat)]
            t_base = statistics.median(t for t, _ in base)
            t_nogc = statistics.median(t for t, _ in nogc)
            t_run = statistics.median(t for t, _ in runs)
            peak = max(m for _, m in runs) / 1024
            print(
                f"| {size:,} | {mib:.1f} | {t_base:.3f} | {t_nogc:.3f} | {t_run:.3f} | "
                f"{t_run / t_base:.1f}x | {t_run / t_nogc:.1f}x | {peak:.0f} |"
            )
            if args.validate:
                t_val, m_val = measure(path, "inspect", validate=True)
                ratio = t_val / t_base
                print(f"| (--validate) | | | | {t_val:.3f} | {ratio:.1f}x | | {m_val / 1024:.0f} |")


if __name__ == "__main__":
    main()
