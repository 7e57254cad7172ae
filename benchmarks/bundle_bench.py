"""Evidence bundle loading alone: CPU time and peak memory of ``load_bundle``.

    python benchmarks/synth.py --sizes 10000 50000 --out DIR
    python benchmarks/bundle_bench.py DIR/synth-10000.evidence.json DIR/synth-50000.evidence.json

For each bundle, in fresh interpreters with the imports done before the clock starts:
the median of ``--repeat`` runs of ``load_bundle`` in ``time.process_time()`` (the loader
pauses the cyclic collector itself; the runs share one process, and each result is
dropped before the next), ``orjson.loads`` of the same bytes for comparison, and the peak
resident memory (``VmHWM``) of a process that only loads the bundle once, next to the
``VmHWM`` of the same process before loading. Results: benchmarks/README.md. Not a test.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _time(path: str, repeat: int) -> dict[str, float]:
    import orjson

    from policyengine.enrich.bundle import load_bundle

    data = Path(path).read_bytes()
    loads = []
    for _ in range(repeat):
        gc.disable()
        start = time.process_time()
        raw = orjson.loads(data)
        loads.append(time.process_time() - start)
        del raw
        gc.enable()
        gc.collect()
    del data
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        evidence = load_bundle(path)
        runs.append(time.process_time() - start)
        assert evidence.components
        del evidence
        gc.collect()
    return {"load_s": statistics.median(runs), "orjson_s": statistics.median(loads)}


def _peak(path: str) -> dict[str, float]:
    from policyengine.enrich.bundle import load_bundle

    before = _hwm_mib()
    evidence = load_bundle(path)
    assert evidence.components
    return {"before_mib": before, "peak_mib": _hwm_mib()}


def _child(mode: str, path: str, repeat: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--repeat", str(repeat), path],
        check=True,
        capture_output=True,
        cwd=ROOT,
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    """Measure each bundle given on the command line and print one JSON line per bundle."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="+")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=["time", "peak"])
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        run = (
            _time(args.bundles[0], args.repeat) if args.child == "time" else _peak(args.bundles[0])
        )
        print(json.dumps(run))
        return
    for path in args.bundles:
        row = {"bundle": path, "MiB": round(Path(path).stat().st_size / 2**20, 1)}
        row |= _child("time", path, args.repeat)
        row |= _child("peak", path, args.repeat)
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}))


if __name__ == "__main__":
    main()
