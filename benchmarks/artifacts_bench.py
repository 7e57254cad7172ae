"""Inspect a large real wheel from the live registry: time and peak memory (not a CI test).

    python benchmarks/artifacts_bench.py [--package scipy] [--version X] [--match A,B,...]

Downloads once (verified against PyPI's sha256), then times the in-memory
inspection alone over several rounds, and measures peak Python allocations
(tracemalloc) and the process's peak RSS. Needs network access to pypi.org and
files.pythonhosted.org.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policyengine.enrich.artifacts import (
    InspectSettings,
    ScanSettings,
    fetch_artifact,
    inspect_archive,
)
from policyengine.enrich.artifacts.fetch import digest_label, expected_digest
from policyengine.enrich.artifacts.filelist import artifact_kind
from policyengine.model import Artifact, Hash


async def pick_wheel(
    client: httpx.AsyncClient, package: str, version: str | None, match: str
) -> Artifact:
    url = (
        f"https://pypi.org/pypi/{package}/{version}/json"
        if version
        else f"https://pypi.org/pypi/{package}/json"
    )
    response = await client.get(url)
    response.raise_for_status()
    files = response.json()["urls"]
    if match == "sdist":
        wheels = [f for f in files if f["packagetype"] == "sdist"]
    else:
        parts = match.split(",")
        wheels = [
            f
            for f in files
            if f["filename"].endswith(".whl") and all(p in f["filename"] for p in parts)
        ]
    if not wheels:
        raise SystemExit(f"no wheel of {package} matching {match!r}")
    chosen = max(wheels, key=lambda f: f["size"])
    return Artifact(
        filename=chosen["filename"],
        # Registry answers may carry relative file URLs: resolve against the answer's URL.
        url=str(response.url.join(chosen["url"])),
        size=chosen["size"],
        hashes=(Hash("sha256", chosen["digests"]["sha256"]),),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="scipy")
    parser.add_argument("--version", default=None)
    parser.add_argument(
        "--match",
        default="cp313-cp313-,manylinux,x86_64",
        help="comma-separated substrings the wheel's file name must all contain, "
        "or 'sdist' for the source distribution",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    settings = InspectSettings()

    async def download() -> tuple[Artifact, bytes, float]:
        async with httpx.AsyncClient(timeout=120, follow_redirects=True) as client:
            artifact = await pick_wheel(client, args.package, args.version, args.match)
            start = time.perf_counter()
            data = await fetch_artifact(
                client, artifact, max_bytes=settings.max_bytes, cache_dir=args.cache_dir
            )
            return artifact, data, time.perf_counter() - start

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    artifact, data, fetch_seconds = asyncio.run(download())
    kind = artifact_kind(artifact)
    digest = digest_label(*expected_digest(artifact))
    scan = ScanSettings()
    timings = []
    report = None
    for _ in range(args.rounds):
        start = time.perf_counter()
        report = inspect_archive(data, artifact.filename, kind, digest, scan)
        timings.append(time.perf_counter() - start)
    assert report is not None
    tracemalloc.start()
    inspect_archive(data, artifact.filename, kind, digest, scan)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    unpacked = sum(1 for _ in report.files)
    print(f"artifact         {artifact.filename}")
    print(f"size             {len(data) / 2**20:.1f} MiB compressed, {unpacked} files")
    print(f"download+verify  {fetch_seconds:.2f} s")
    print(
        f"inspect          median {statistics.median(timings):.2f} s "
        f"(min {min(timings):.2f}, max {max(timings):.2f}, {args.rounds} rounds)"
    )
    print(f"peak allocations {peak / 2**20:.1f} MiB (tracemalloc, inspection only)")
    print(
        f"peak RSS         {rss_mib:.0f} MiB (whole process, incl. the download; "
        f"{rss_before:.0f} MiB after imports)"
    )
    print(
        f"findings         pth={len(report.pth_files)} hooks={len(report.install_hooks)} "
        f"binaries={len(report.binaries)} (expected {sum(b.expected for b in report.binaries)}) "
        f"entry_points={len(report.entry_points)} suspicious={len(report.suspicious)} "
        f"skipped={len(report.skipped)}"
    )
    kinds: dict[str, int] = {}
    for mark in report.suspicious:
        kinds[mark.kind] = kinds.get(mark.kind, 0) + 1
    print(f"suspicious kinds {kinds}")
    for mark in report.suspicious[:10]:
        print(f"  {mark.kind:16} {mark.path}:{mark.line} {mark.detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
