"""Build the OSV API recordings for the tests from the OSV records in ../shared/corpus/osv.

api.osv.dev is not reachable from the build machines, so the answers are made in
the API's real response shapes from the same records the API serves:

- ``osv/vulns/<ID>.json``: the body of ``GET /v1/vulns/<ID>`` (the OSV record as JSON;
  PyPA YAML records are converted, timestamps as RFC 3339 strings);
- ``osv/query/<ecosystem>/<name>/<version>.json``: one entry of the
  ``POST /v1/querybatch`` ``results`` array, ``{"vulns": [{"id", "modified"}]}``
  (``{}`` when nothing matches), for each package version listed in QUERIES.

Which records match a version is decided with policyengine's offline matcher
(``policyengine.enrich.versions``), the same ``affected`` semantics the API applies.

    python scripts/record_osv.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policyengine.enrich.advisory import record_affects  # noqa: E402
from policyengine.enrich.osv_db import parse_record, source_files  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "osv"
OUT = ROOT / "tests" / "fixtures" / "recordings" / "osv"
QUERIES = (
    ("pypi", "litellm", ("1.82.4", "1.82.6", "1.82.7", "1.82.8", "1.83.0")),
    ("pypi", "requests", ("2.31.0", "2.32.0", "2.32.2", "2.32.3")),
    ("npm", "chalk", ("5.3.0", "5.4.1")),
    ("npm", "@sigstore/sign", ("2.3.2", "4.1.0")),
    ("npm", "provenance-demo", ("5.1.0",)),
    ("npm", "lodash", ("4.17.20", "4.17.21")),
)


def main() -> None:
    """Write the vulns/ and query/ recordings."""
    records: dict[str, dict[str, object]] = {}
    for folder in ("litellm-2026-03", "pypi", "npm"):
        for name, data in source_files(CORPUS / folder):
            record, _ = parse_record(name, data)
            if record is not None:
                records[str(record["id"])] = record
    used: set[str] = set()
    for ecosystem, package, versions in QUERIES:
        for version in versions:
            hits = sorted(
                ident
                for ident, record in records.items()
                if record_affects(record, ecosystem, package, version)
            )
            used.update(hits)
            answer = (
                {"vulns": [{"id": i, "modified": records[i].get("modified")} for i in hits]}
                if hits
                else {}
            )
            path = OUT / "query" / ecosystem / package.replace("/", "%2f") / f"{version}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(answer, indent=1, sort_keys=True) + "\n")
            print(f"{ecosystem}/{package}@{version}: {hits}")
    (OUT / "vulns").mkdir(parents=True, exist_ok=True)
    for ident in sorted(used):
        path = OUT / "vulns" / f"{ident}.json"
        path.write_text(json.dumps(records[ident], indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
