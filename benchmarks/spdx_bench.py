"""SPDX 2.3 JSON at scale: our reader vs orjson.loads vs spdx-tools (not a test).

Usage: python benchmarks/spdx_bench.py [--packages 10000] [--repeat 3] [--validate-sizes 500,1000]

Generates a synthetic SPDX 2.3 JSON document (npm + PyPI purls, a SHA512 checksum, a
declared license, one DEPENDS_ON per package from the root) and reports, per step, the
median wall time and the growth of the peak resident set size while the step runs,
each step in a fresh interpreter (Linux VmHWM, reset through /proc/self/clear_refs).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policyengine.ingest import parse_bytes
from policyengine.ingest.normalize import identity_from_purl


def make_document(count: int) -> dict[str, Any]:
    packages = [
        {
            "SPDXID": "SPDXRef-root",
            "name": "root-app",
            "versionInfo": "1.0.0",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseDeclared": "MIT",
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": "pkg:npm/root-app@1.0.0",
                }
            ],
        }
    ]
    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-root",
        }
    ]
    for i in range(count - 1):
        npm = i % 2 == 0
        name = f"pkg-{i}"
        purl = f"pkg:npm/{name}@1.{i % 50}.0" if npm else f"pkg:pypi/{name}@2.{i % 50}"
        packages.append(
            {
                "SPDXID": f"SPDXRef-{i}",
                "name": name,
                "versionInfo": f"1.{i % 50}.0" if npm else f"2.{i % 50}",
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "licenseDeclared": "MIT" if i % 3 else "Apache-2.0 OR MIT",
                "supplier": f"Organization: Org {i % 97}",
                "checksums": [
                    {
                        "algorithm": "SHA512",
                        "checksumValue": hashlib.sha512(name.encode()).hexdigest(),
                    }
                ],
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": purl,
                    }
                ],
            }
        )
        relationships.append(
            {
                "spdxElementId": "SPDXRef-root",
                "relationshipType": "DEPENDS_ON",
                "relatedSpdxElement": f"SPDXRef-{i}",
            }
        )
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "bench",
        "documentNamespace": "https://example.com/bench",
        "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: spdx_bench"]},
        "documentDescribes": ["SPDXRef-root"],
        "packages": packages,
        "relationships": relationships,
    }


def read_cold(data: bytes) -> Any:
    # A CLI run starts with empty caches: clear the purl cache so every run is a first run.
    identity_from_purl.cache_clear()
    return parse_bytes(data, "bench.spdx.json")


def spdx_tools_parse(text: str) -> Any:
    from spdx_tools.spdx.parser.json.json_parser import remove_json_control_chars_hook
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    return JsonLikeDictParser().parse(
        json.loads(text, object_pairs_hook=remove_json_control_chars_hook)
    )


def spdx_tools_validate(text: str) -> Any:
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    return validate_full_spdx_document(spdx_tools_parse(text))


def to_tagvalue(count: int) -> str:
    import io

    from spdx_tools.spdx.writer.tagvalue.tagvalue_writer import write_document

    stream = io.StringIO()
    write_document(spdx_tools_parse(orjson.dumps(make_document(count)).decode()), stream)
    return stream.getvalue()


def tagvalue_rows(count: int) -> None:
    """Tag-value through spdx-tools, with our shared-license-index patch vs without."""
    from license_expression import get_spdx_licensing
    from spdx_tools.spdx.parser.tagvalue import parser as tagvalue_parser

    text = to_tagvalue(count)
    data = text.encode()
    start = time.perf_counter()
    sbom = parse_bytes(data, "bench.spdx")
    patched = time.perf_counter() - start
    assert len(sbom.components) == count
    small = to_tagvalue(100)
    saved = tagvalue_parser.get_spdx_licensing
    tagvalue_parser.get_spdx_licensing = get_spdx_licensing  # what spdx-tools does by itself
    try:
        start = time.perf_counter()
        parse_bytes(small.encode(), "bench.spdx")
        unpatched_100 = time.perf_counter() - start
    finally:
        tagvalue_parser.get_spdx_licensing = saved
    start = time.perf_counter()
    parse_bytes(small.encode(), "bench.spdx")
    patched_100 = time.perf_counter() - start
    print(f"SPDX 2.3 tag-value through spdx-tools ({len(data) / 2**20:.1f} MiB at {count}):")
    print("| Packages | spdx-tools as shipped (s) | with the shared license index (s) |")
    print("|---|---|---|")
    print(f"| 100 | {unpatched_100:.2f} | {patched_100:.2f} |")
    guess = unpatched_100 * count / 100
    print(f"| {count} | (not run: ~{guess:.0f} s extrapolated) | {patched:.2f} |")


def measure(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


_RSS_CHILD = """
import resource, sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
import orjson
import spdx_bench
from policyengine.ingest import parse_bytes
data = open({path!r}, "rb").read()
text = data.decode()
step = {step!r}
def hwm():
    # VmHWM (KiB): the peak RSS. ru_maxrss would report the parent's peak, inherited at fork.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak to the current RSS
except OSError:
    pass
before = hwm()
if step == "orjson":
    result = orjson.loads(data)
elif step == "ours":
    result = parse_bytes(data, "bench.spdx.json")
else:
    result = spdx_bench.spdx_tools_parse(text)
after = hwm()
print((after - before) / 1024)
"""


def rss_growth(data: bytes) -> dict[str, float]:
    """Peak RSS growth (MiB) of each step, each in a fresh interpreter."""
    import subprocess
    import tempfile

    here = Path(__file__).resolve().parent
    results = {}
    with tempfile.NamedTemporaryFile(suffix=".spdx.json") as tmp:
        tmp.write(data)
        tmp.flush()
        for step in ("orjson", "ours", "spdx-tools"):
            code = _RSS_CHILD.format(
                root=str(here.parent), bench=str(here), path=tmp.name, step=step
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            results[step] = float(out.stdout.strip().splitlines()[-1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--validate-sizes", default="500,1000,2000")
    parser.add_argument("--tagvalue-packages", type=int, default=2000)
    args = parser.parse_args()

    data = orjson.dumps(make_document(args.packages))
    text = data.decode()
    rows: list[tuple[str, float]] = []
    sbom = parse_bytes(data, "bench.spdx.json")
    assert len(sbom.components) == args.packages
    assert sum(1 for c in sbom.components if c.direct) == args.packages - 1

    rows.append(("orjson.loads", measure(lambda: orjson.loads(data), args.repeat)))
    rows.append(
        (
            "policyengine read (fast path, default)",
            measure(lambda: read_cold(data), args.repeat),
        )
    )
    rows.append(("spdx-tools JSON parse", measure(lambda: spdx_tools_parse(text), args.repeat)))

    rss = rss_growth(data)
    print(f"SPDX 2.3 JSON, {args.packages} packages, {len(data) / 2**20:.1f} MiB")
    print("| Step | median wall time (s) | peak RSS growth (MiB) |")
    print("|---|---|---|")
    for (name, seconds), key in zip(rows, ("orjson", "ours", "spdx-tools"), strict=True):
        print(f"| {name} | {seconds:.3f} | {rss[key]:.0f} |")

    if args.tagvalue_packages:
        print()
        tagvalue_rows(args.tagvalue_packages)

    sizes = [int(s) for s in args.validate_sizes.split(",") if s]
    if sizes:
        print()
        print("spdx-tools full validation (what validate=True adds), by size:")
        print("| Packages | parse + validate (s) |")
        print("|---|---|")
        for size in sizes:
            small = orjson.dumps(make_document(size)).decode()
            start = time.perf_counter()
            spdx_tools_validate(small)
            print(f"| {size} | {time.perf_counter() - start:.2f} |")


if __name__ == "__main__":
    main()
