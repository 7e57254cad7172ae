"""SPDX 3 ``--validate`` at scale: how long the schema check takes, by method (not a test).

Usage: python benchmarks/spdx3_bench.py [--packages 10000] [--repeat 3] [--python-elements 300]

Generates the synthetic SPDX 3.0.1 JSON-LD document of benchmarks/synth.py (``make_spdx3``:
per package a ``software_Package``, a licence relationship and ``dependsOn`` edges) and
reports median wall times for: decoding (orjson), reading without ``--validate``, the
shipped check (``spdx3_schema.validate_document``: each ``@graph`` element against the
class its ``type`` names, through jsonschema-rs), the whole official schema in one
jsonschema-rs call, and the pure-Python ``jsonschema`` per element on the first
``--python-elements`` elements (extrapolated: the whole document would take hours).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synth import make_spdx3
from policyengine.ingest import parse_bytes
from policyengine.ingest.spdx3_schema import schema, validate_document


def timed(step: Callable[[], Any], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--python-elements", type=int, default=300)
    args = parser.parse_args(argv)

    import jsonschema
    import jsonschema_rs

    data = make_spdx3(args.packages)
    document = orjson.loads(data)
    elements = len(document["@graph"])
    print(f"{args.packages} packages, {elements} @graph elements, {len(data) / 2**20:.1f} MiB")
    validate_document(document, "bench")  # compile the validators outside the timing
    whole = jsonschema_rs.validator_for(schema(), offline=True)
    rows = [
        ("orjson.loads", timed(lambda: orjson.loads(data), args.repeat)),
        ("read (no --validate)", timed(lambda: parse_bytes(data, "bench"), args.repeat)),
        (
            "read --validate",
            timed(lambda: parse_bytes(data, "bench", validate=True), args.repeat),
        ),
        ("validate_document (per type)", timed(lambda: validate_document(document, "b"), 3)),
        ("jsonschema-rs, whole schema", timed(lambda: whole.is_valid(document), 1)),
    ]
    defs = schema()["$defs"]
    head = document["@graph"][: args.python_elements]
    validators = {
        kind: jsonschema.Draft202012Validator(
            {"$defs": defs, "type": "object", "$ref": f"#/$defs/{kind}"}
            | {"unevaluatedProperties": False}
        )
        for kind in {e["type"] for e in head}
    }
    spent = timed(lambda: [validators[e["type"]].is_valid(e) for e in head], 1)
    rows.append(
        (
            f"python jsonschema, per type, x{elements / len(head):.0f} (extrapolated)",
            spent * elements / len(head),
        )
    )
    for name, seconds in rows:
        print(f"{name:<55} {seconds:9.3f} s")


if __name__ == "__main__":
    main()
