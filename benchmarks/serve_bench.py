"""The gate service under load: concurrent CI jobs posting SBOMs to ``POST /v1/check``.

On loopback: ``policyengine serve --workers 2`` (two uvicorn processes) on a throwaway
PostgreSQL (tests/pg.py), enriching from a local stand-in PyPI (benchmarks/synth_registry.py:
recorded-style answers, no internet), ``--clients`` concurrent clients (one token each, as
separate CI jobs would have) posting real 300-component CycloneDX 1.6 JSON SBOMs with
``policy=baseline`` (advisories off: OSV is not reachable here) and a release name, so
each verdict is also kept in the inventory.

Two phases on the same servers: **cold** (an empty cache folder: the first requests for a
package go to the registry) and **warm** (the cache the cold phase filled). Each reports
throughput, p50/p99 latency and errors (any answer but 200).

    python benchmarks/serve_bench.py --clients 50 --requests 200 --components 300
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.synth import cdx_document, make_specs  # noqa: E402
from benchmarks.synth_registry import serve as registry  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sboms(count: int, components: int) -> list[bytes]:
    """``count`` SBOMs of PyPI components drawn from one pool (shared packages, as a fleet has)."""
    pool = [s for s in make_specs(components * 6, seed=11) if s.ecosystem == "pypi"]
    out = []
    for i in range(count):
        step = (i * 37) % max(1, len(pool) - components)
        out.append(json.dumps(cdx_document(pool[step : step + components])).encode())
    return out


def phase(
    root: str, tokens: list[str], bodies: list[bytes], requests: int, label: str
) -> dict[str, float | int | str]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        token = tokens[i % len(tokens)]
        start = time.perf_counter()
        try:
            response = httpx.post(
                root + "/v1/check",
                params={"policy": "baseline", "release": f"svc-{label}-{i}@1.0.0"},
                content=bodies[i % len(bodies)],
                headers={"Authorization": f"Bearer {token}"},
                timeout=300,
            )
            ok = response.status_code == 200
            why = "" if ok else f"{response.status_code} {response.text[:120]}"
        except httpx.HTTPError as exc:
            ok, why = False, f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - start
        with lock:
            latencies.append(elapsed)
            if not ok:
                errors.append(why)

    start = time.perf_counter()
    with ThreadPoolExecutor(len(tokens)) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "phase": label,
        "requests": requests,
        "seconds": round(wall, 1),
        "throughput_rps": round(requests / wall, 2),
        "p50_s": round(statistics.median(latencies), 2),
        "p99_s": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--components", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--check-threads", type=int, default=None)
    args = parser.parse_args(argv)

    from policyengine.service.tokens import create
    from policyengine.store import open_store
    from tests.pg import server

    work = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    bodies = sboms(10, args.components)
    with server() as pg, registry() as reg:
        pool = [s for s in make_specs(args.components * 6, seed=11) if s.ecosystem == "pypi"]
        reg.versions = {s.name: s.version for s in pool}
        url = pg.new_database()
        with open_store(url) as store:
            tokens = [create(store, ["check"]).secret for _ in range(args.clients)]
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "policyengine",
                "serve",
                "--store",
                url,
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--pypi-url",
                reg.pypi_url,
                "--npm-url",
                reg.pypi_url,
                "--advisories",
                "off",
                "--cache-dir",
                str(work / "cache"),
                "--per-token-concurrency",
                "8",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(work / "serve.log", "wb"),  # noqa: SIM115
            start_new_session=True,
        )
        root = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(root + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            results = [
                phase(root, tokens, bodies, args.requests, "cold"),
                phase(root, tokens, bodies, args.requests, "warm"),
            ]
            metrics = httpx.get(root + "/metrics").text
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(60)
        print(f"registry requests: {reg.total()}")
    for line in metrics.splitlines():
        if line.startswith("policyengine_cache_hit_ratio") or line.startswith(
            "policyengine_verdicts_total"
        ):
            print(line)
    print(
        f"{args.workers} processes, {args.clients} clients, {args.components} components, "
        f"policy baseline, PostgreSQL, check threads {args.check_threads or 'default'}"
    )
    print("| phase | requests | seconds | req/s | p50 s | p99 s | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['phase']} | {r['requests']} | {r['seconds']} | {r['throughput_rps']} | "
            f"{r['p50_s']} | {r['p99_s']} | {r['errors']} |"
        )
        if r["first_error"]:
            print(f"  first error: {r['first_error']}")


if __name__ == "__main__":
    main()
