"""Enrich a real SBOM cold and warm against the live registries; print request counts and times.

Not a test (it needs the internet). Usage:

    cyclonedx-py environment --of JSON -o env.cdx.json      # a real SBOM of this Python
    python benchmarks/enrich_live.py env.cdx.json [--advisories off|db|api] [--runs 1]

The cold run starts from an empty cache folder; the warm run reuses it inside the TTL.
Components are read straight from the CycloneDX ``components[].purl`` fields so the
benchmark does not depend on the ingest readers.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from packageurl import PackageURL

from policyengine.enrich import EnrichSettings, enrich_run
from policyengine.enrich.osv_db import AdvisoryDb
from policyengine.enrich.versions import normalise_name
from policyengine.model import Component, FactKind, Ok, Sbom


def load(path: Path) -> Sbom:
    data = json.loads(path.read_text())
    components = []
    for item in data.get("components", []):
        purl = PackageURL.from_string(item["purl"])
        name = purl.name if not purl.namespace else f"@{purl.namespace.lstrip('@')}/{purl.name}"
        components.append(
            Component(
                ref=item.get("bom-ref", item["purl"]),
                name=normalise_name(purl.type, name),
                version=purl.version,
                ecosystem=purl.type,
                purl=item["purl"],
            )
        )
    return Sbom("cyclonedx", data.get("specVersion"), str(path), "", tuple(components))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sbom", type=Path)
    parser.add_argument("--advisories", default="off", choices=("off", "db", "api", "auto"))
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-version-metadata", action="store_true")
    parser.add_argument("--db", type=Path, help="OSV export to import first (for --advisories db)")
    args = parser.parse_args()
    sbom = load(args.sbom)
    cache = args.cache_dir or Path(tempfile.mkdtemp(prefix="pe-bench-"))
    if args.db:
        db = AdvisoryDb(cache)
        started = time.perf_counter()
        report = db.import_path(args.db)
        print(f"imported {report.records} OSV records in {time.perf_counter() - started:.2f} s")
        db.close()
    settings = EnrichSettings(
        cache_dir=cache,
        advisories=args.advisories,
        concurrency=args.concurrency,
        pypi_version_metadata=not args.no_version_metadata,
        progress=False,
    )
    packages = len({(c.ecosystem, c.name) for c in sbom.components})
    print(f"{len(sbom.components)} components, {packages} distinct packages, cache {cache}")
    for label in ("cold", "warm"):
        started = time.perf_counter()
        run = enrich_run(sbom, settings)
        elapsed = time.perf_counter() - started
        ok = sum(
            isinstance(f, Ok)
            for ce in run.evidence.components.values()
            for k, f in ce.facts.items()
            if k != FactKind.ADVISORIES
        )
        total = sum(
            1
            for ce in run.evidence.components.values()
            for k in ce.facts
            if k != FactKind.ADVISORIES
        )
        # ru_maxrss is the process's high-water mark (KiB on Linux), so the warm figure
        # can only be >= the cold one: read the cold line for the cold run's peak.
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{label}: {elapsed:.2f} s, requests {dict(run.requests)}, "
            f"registry facts ok {ok}/{total}, peak RSS so far {peak_mib:.0f} MiB"
        )


if __name__ == "__main__":
    main()
