"""The release inventory at fleet scale: ingest, ``releases affected``, the advisory watch.

A seeded synthetic fleet: ``--releases`` releases of ``--components`` components each,
drawn from ``--packages`` distinct packages (two thirds PyPI, one third npm) with a Zipf
skew (a few packages are in almost every release, most in a handful), 1-4 versions per
package, newer versions more common. Each release is a real CycloneDX 1.6 JSON SBOM
judged by the advisory rules of the baseline policy on advisories from a real offline
advisory database (``db import`` of synthetic OSV records), exactly as
``check --offline --advisories db --release`` does, then kept.

    python benchmarks/inventory_bench.py --releases 2000 --stores sqlite postgresql

Measured per store:

- ingest: releases kept per second by ``Store.record`` (the store's share), and the whole
  ``check --release`` path (parse, advisories, evaluate, render, keep) on a sample;
- the store's size on disk;
- ``releases affected PURL`` latency (index lookup + releases with first/latest verdict),
  p50/p99 over random packages drawn with the fleet's own skew;
- one new advisory affecting ~1 % of releases: ``db import`` + ``releases rejudge`` time
  until the newly failing releases are listed;
- the nightly ``rejudge --all`` over ``--nightly`` releases in-process, and on PostgreSQL
  with 1 and 2 ``policyengine worker`` processes (procrastinate).
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from policyengine.engine import evaluate  # noqa: E402
from policyengine.enrich.osv_db import AdvisoryDb  # noqa: E402
from policyengine.ingest import parse_bytes  # noqa: E402
from policyengine.model import ComponentEvidence, Evidence, FactKind  # noqa: E402
from policyengine.store import open_store  # noqa: E402
from policyengine.watch.affected import hits, purl_versions  # noqa: E402
from policyengine.watch.keep import keep  # noqa: E402
from policyengine.watch.rejudge import AdvisoryFacts, rejudge  # noqa: E402

POLICY = ROOT / "examples" / "inventory-litellm" / "policy.yaml"
NOW = datetime(2026, 11, 28, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class Package:
    ecosystem: str
    name: str
    versions: tuple[str, ...]


def make_packages(count: int, rng: random.Random) -> list[Package]:
    packages = []
    for i in range(count):
        eco = "npm" if i % 3 == 2 else "pypi"
        name = f"pkg{i:05d}" if eco == "pypi" else f"@scope{i % 97}/lib{i:05d}"
        major = rng.randint(0, 5)
        versions = tuple(
            f"{major}.{minor}.{rng.randint(0, 9)}" for minor in range(rng.randint(1, 4))
        )
        packages.append(Package(eco, name, versions))
    return packages


class Fleet:
    """Seeded releases: each a list of (package, version) drawn with a Zipf skew."""

    def __init__(self, packages: int, components: int, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.packages = make_packages(packages, self.rng)
        weights = [1.0 / (rank + 1) ** 1.07 for rank in range(packages)]
        self.cumulative = list(accumulate(weights))
        self.components = components

    def pick(self) -> Package:
        x = self.rng.random() * self.cumulative[-1]
        return self.packages[bisect.bisect_left(self.cumulative, x)]

    def release(self) -> list[tuple[Package, str]]:
        chosen: dict[str, Package] = {}
        while len(chosen) < self.components:
            package = self.pick()
            chosen.setdefault(package.name, package)
        out = []
        for package in chosen.values():
            # Newer versions are more common: the last is picked half of the time.
            versions = package.versions
            version = versions[-1] if self.rng.random() < 0.5 else self.rng.choice(versions)
            out.append((package, version))
        return out


def purl(package: Package, version: str) -> str:
    if package.ecosystem == "npm":
        scope, name = package.name.split("/")
        return f"pkg:npm/{scope.replace('@', '%40')}/{name}@{version}"
    return f"pkg:pypi/{package.name}@{version}"


def sbom(index: int, members: list[tuple[Package, str]]) -> bytes:
    components = []
    for package, version in members:
        ref = purl(package, version)
        scope, _, name = package.name.rpartition("/")
        item: dict[str, Any] = {"type": "library", "bom-ref": ref, "name": name, "version": version}
        if scope:
            item["group"] = scope
        item["purl"] = ref
        components.append(item)
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
        "version": 1,
        "metadata": {
            "timestamp": "2026-11-01T00:00:00Z",
            "component": {"type": "application", "name": f"service-{index}", "bom-ref": "root"},
        },
        "components": components,
    }
    return json.dumps(document).encode()


def osv_record(ident: str, package: Package, versions: list[str]) -> dict[str, Any]:
    return {
        "id": ident,
        "modified": "2026-11-01T00:00:00Z",
        "published": "2026-11-01T00:00:00Z",
        "summary": f"synthetic advisory for {package.name}",
        "affected": [
            {
                "package": {
                    "ecosystem": "PyPI" if package.ecosystem == "pypi" else "npm",
                    "name": package.name,
                },
                "versions": versions,
            }
        ],
        "database_specific": {"severity": "CRITICAL"},
    }


def import_records(cache: Path, folder: Path, records: list[dict[str, Any]]) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record))
    db = AdvisoryDb(cache)
    start = time.perf_counter()
    try:
        db.import_path(folder)
    finally:
        db.close()
    return time.perf_counter() - start


def evidence_for(sboms: list[Any], facts: AdvisoryFacts) -> Evidence:
    components = {}
    for document in sboms:
        for comp in document.components:
            fact = facts.lookup(comp.ecosystem or "", comp.name, comp.version or "")
            components[comp.key] = ComponentEvidence(
                key=comp.key, facts={FactKind.ADVISORIES: fact}
            )
    return Evidence(components=components, created_at=NOW)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def store_url(kind: str, work: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{work / 'inventory.sqlite3'}"
        return
    from tests.pg import server

    with server() as running:
        yield running.new_database()


def size_of(url: str, work: Path) -> int:
    if url.startswith("sqlite"):
        return sum(p.stat().st_size for p in work.glob("inventory.sqlite3*"))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
            )
    finally:
        engine.dispose()


def run_index_only(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """The index at fleet scale: real SBOM bytes and components, a token verdict.

    Judging is left out (``run`` measures it): what is measured is what the store does
    with ``--releases`` releases, and ``releases affected`` over the resulting index.
    """
    from policyengine.store import IndexedComponent, NewVerdict

    result: dict[str, Any] = {"store": kind, "mode": "index-only", "releases": args.releases}
    with tempfile.TemporaryDirectory(prefix="inventory-bench-") as tmp:
        work = Path(tmp)
        fleet = Fleet(args.packages, args.components)
        with store_url(kind, work) as url:
            store = open_store(url)
            seen: set[tuple[str, str]] = set()
            record_time = record_cpu = 0.0
            for index in range(args.releases):
                members = fleet.release()
                data = sbom(index, members)
                indexed = []
                for package, version in members:
                    seen.add((package.name, version))
                    indexed.append(
                        IndexedComponent(
                            package.ecosystem, package.name, version, purl(package, version), ""
                        )
                    )
                verdict = NewVerdict(
                    judged_at=datetime.now(UTC),
                    evaluated_at=NOW,
                    reason="check",
                    outcome="pass",
                    summary="{}",
                    policy_name="bench",
                    policy_digest="sha256:bench",
                    evidence_digest=None,
                    advisory_generation=1,
                    policy=b"{}",
                    evidence=b"{}",
                    verdict=f'{{"outcome": "pass", "release": {index}}}'.encode(),
                )
                t0, c0 = time.perf_counter(), time.process_time()
                store.record(
                    f"service-{index % 500}",
                    f"{index // 500}.0",
                    [("bom.json", data)],
                    indexed,
                    verdict,
                )
                record_time += time.perf_counter() - t0
                record_cpu += time.process_time() - c0
                if args.verbose and index % 1000 == 999:
                    print(f"  {kind}: {index + 1} releases indexed", file=sys.stderr)
            result["store_share_releases_per_s"] = round(args.releases / record_time, 1)
            result["store_share_cpu_ms_per_release"] = round(record_cpu / args.releases * 1000, 1)
            result["store_bytes"] = size_of(url, work)
            result["distinct_components"] = len(seen)
            result.update(affected_latency(store, fleet, args.queries, url))
            store.close()
    return result


def affected_latency(store: Any, fleet: Any, queries: int, url: str) -> dict[str, Any]:
    """``releases affected PURL`` timed for packages drawn with the fleet's own skew.

    Three ways, each as the command does it minus interpreter start-up: the default page
    with the total and first appearances, as JSON (what ``releases affected PURL
    --format json`` writes); ``--all``, every release written out as read; and the list
    of every holding release built in memory (no output). The default page is asked
    three times per package: the first time (wall clock), the best of the three (what
    the answer costs when the shared machine lets it run) and the CPU time of this
    process (all of it on SQLite; on PostgreSQL the server's share is not in it).
    """
    from policyengine.cli import build_parser
    from policyengine.cli_store import answer_affected

    parser = build_parser()
    page, best, cpu, every, listed, sizes = [], [], [], [], [], []
    for _ in range(queries):
        package = fleet.pick()
        asked = purl(package, "x").rsplit("@", 1)[0]
        argv = ["releases", "affected", asked, "--format", "json", "--store", url]
        walls, cpus = [], []
        for extra in ([], [], [], ["--all"]):
            args = parser.parse_args([*argv, *extra])
            sink = io.StringIO()
            t0, c0 = time.perf_counter(), time.process_time()
            with redirect_stdout(sink):
                total, _shown = answer_affected(store, args)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        page.append(walls[0])
        best.append(min(walls[:3]))
        cpu.append(min(cpus[:3]))
        every.append(walls[3])
        t0 = time.perf_counter()
        found = hits(store, purl_versions(store, asked, None))
        listed.append(time.perf_counter() - t0)
        assert len(found) == total, (asked, len(found), total)
        sizes.append(total)

    def ms(values: list[float], q: float) -> float:
        return round(percentile(values, q) * 1000, 1)

    return {
        "affected_ms_p50": ms(page, 0.5),
        "affected_ms_p99": ms(page, 0.99),
        "affected_best_of_3_ms_p50": ms(best, 0.5),
        "affected_best_of_3_ms_p99": ms(best, 0.99),
        "affected_cpu_ms_p50": ms(cpu, 0.5),
        "affected_cpu_ms_p99": ms(cpu, 0.99),
        "affected_all_ms_p50": ms(every, 0.5),
        "affected_all_ms_p99": ms(every, 0.99),
        "affected_list_ms_p50": ms(listed, 0.5),
        "affected_list_ms_p99": ms(listed, 0.99),
        "affected_releases_p50": int(percentile([float(s) for s in sizes], 0.5)),
        "affected_releases_max": max(sizes),
    }


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    from policyengine import load_policy

    policy = load_policy(POLICY)
    result: dict[str, Any] = {"store": kind, "releases": args.releases}
    with tempfile.TemporaryDirectory(prefix="inventory-bench-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        fleet = Fleet(args.packages, args.components)
        # The advisory database before: 300 records on random packages.
        before = []
        for i in range(300):
            package = fleet.packages[fleet.rng.randrange(len(fleet.packages))]
            # Versions older than any the fleet holds: the kept releases passed the gate.
            before.append(osv_record(f"SYN-OLD-{i}", package, ["0.0.0"]))
        import_records(cache, work / "osv-before", before)
        with store_url(kind, work) as url:
            store = open_store(url)
            db = AdvisoryDb(cache)
            facts = AdvisoryFacts(db)
            membership: dict[tuple[str, str], int] = {}
            record_time = 0.0
            full_times: list[float] = []
            full_cpu: list[float] = []
            started = time.perf_counter()
            for index in range(args.releases):
                members = fleet.release()
                for package, version in members:
                    membership[(package.name, version)] = (
                        membership.get((package.name, version), 0) + 1
                    )
                data = sbom(index, members)
                t0, c0 = time.perf_counter(), time.process_time()
                document = parse_bytes(data, f"service-{index}.cdx.json")
                evidence = evidence_for([document], facts)
                verdict = evaluate([document], evidence, policy, NOW)
                t1 = time.perf_counter()
                keep(
                    store,
                    f"service-{index % 500}@{index // 500}.0",
                    [(f"service-{index}.cdx.json", data)],
                    [document],
                    evidence,
                    policy,
                    verdict,
                    generation=facts.generation,
                )
                t2 = time.perf_counter()
                record_time += t2 - t1
                full_times.append(t2 - t0)
                full_cpu.append(time.process_time() - c0)
                if args.verbose and index % 500 == 499:
                    elapsed = time.perf_counter() - started
                    print(
                        f"  {kind}: {index + 1} releases kept in {elapsed:.0f} s"
                        f" ({(index + 1) / elapsed:.1f} releases/s)",
                        file=sys.stderr,
                        flush=True,
                    )
            total = time.perf_counter() - started
            result["ingest_total_s"] = round(total, 1)
            result["ingest_releases_per_s"] = round(args.releases / total, 1)
            result["store_share_releases_per_s"] = round(args.releases / record_time, 1)
            result["check_release_ms_p50"] = round(statistics.median(full_times) * 1000, 1)
            result["check_release_cpu_ms_p50"] = round(statistics.median(full_cpu) * 1000, 1)
            result["store_bytes"] = size_of(url, work)
            result["distinct_components"] = len(membership)

            progress(args, result)
            result.update(affected_latency(store, fleet, args.queries, url))
            progress(args, result)

            # One new advisory on a package version held by ~1 % of the releases.
            target = args.releases / 100
            (name, version), held = min(membership.items(), key=lambda kv: abs(kv[1] - target))
            package = next(p for p in fleet.packages if p.name == name)
            t0 = time.perf_counter()
            import_records(cache, work / "osv-new", [osv_record("SYN-NEW-1", package, [version])])
            db.close()
            db = AdvisoryDb(cache)
            changes = rejudge(store, AdvisoryFacts(db), now=NOW)
            elapsed = time.perf_counter() - t0
            worse = [c for c in changes if c.worse]
            result["new_advisory_held_by"] = held
            result["new_advisory_rejudged"] = len(changes)
            result["new_advisory_worse"] = len(worse)
            result["new_advisory_s"] = round(elapsed, 2)

            # The nightly run over the first --nightly releases.
            progress(args, result)
            ids = store.release_ids()[: args.nightly]
            t0, c0 = time.perf_counter(), time.process_time()
            facts_now = AdvisoryFacts(db)
            from policyengine.watch.rejudge import rejudge_release

            for rid in ids:
                rejudge_release(store, rid, facts_now, reasons=["all"], now=NOW)
            result["nightly_releases"] = len(ids)
            result["nightly_in_process_s"] = round(time.perf_counter() - t0, 1)
            result["nightly_in_process_cpu_ms_per_release"] = round(
                (time.process_time() - c0) / max(1, len(ids)) * 1000, 1
            )
            db.close()
            progress(args, result)
            if kind == "postgresql":
                for workers in (1, 2):
                    wall, cpu = nightly_with_workers(store, url, cache, ids, workers)
                    result[f"nightly_{workers}_workers_s"] = round(wall, 1)
                    result[f"nightly_{workers}_workers_cpu_ms_per_release"] = round(
                        cpu / max(1, len(ids)) * 1000, 1
                    )
                    progress(args, result)
            store.close()
    return result


def progress(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """What is measured so far, on stderr (a long run that is stopped keeps its figures)."""
    if args.verbose:
        print(json.dumps(result), file=sys.stderr, flush=True)


def nightly_with_workers(
    store: Any, url: str, cache: Path, ids: list[int], workers: int
) -> tuple[float, float]:
    """Queue one job per release; ``workers`` burst workers until the queue is empty.

    (wall seconds, CPU seconds of the worker processes): the CPU time, from the
    operating system's accounting of the finished children, does not depend on how
    many other processes share the cores, so the cost per job stands on its own.
    """
    from policyengine.watch.jobs import TASK, opened_app

    latest = {r.id: r.latest.seq for r in store.releases(ids)}
    with opened_app(url) as app:
        task = app.tasks[TASK]
        for rid, seq in latest.items():
            task.defer(release_id=rid, seq=seq, reasons=["all"])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYENGINE_CACHE_DIR": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "policyengine", "worker", "--store", url, "--burst"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode:
            raise RuntimeError(err.decode())
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=2000)
    parser.add_argument("--components", type=int, default=300)
    parser.add_argument("--packages", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--nightly", type=int, default=200)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--index-only", action="store_true", help="no judging: the store and the index at scale"
    )
    args = parser.parse_args(argv)
    for kind in args.stores:
        measure = run_index_only if args.index_only else run
        print(json.dumps(measure(kind, args)), flush=True)


if __name__ == "__main__":
    main()
