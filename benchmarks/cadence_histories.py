"""release-cadence on real release histories: how often it fails, and on what.

    python benchmarks/cadence_histories.py            # the recorded histories, offline
    python benchmarks/cadence_histories.py --list     # and every non-pass result
    python benchmarks/cadence_histories.py --record   # fetch them again (PyPI and npm)

benchmarks/cadence/histories.json.gz holds the release history (version, upload time) of
48 popular PyPI and 38 popular npm packages as the registries reachable from the build
machines served them on 2026-12-07 (the npm registry there is a mirror that fills in some
publish times: dozens of old versions "published" within one minute). For every package
the check judges the versions uploaded in the year before the recording (at most about
40 per package, evenly spaced) and the latest version, with its default parameters
(cadence alone, no corroboration), and prints pass / fail / unknown per ecosystem.

Measured on 2026-12-07 (the check before the redesign of issue 12 in brackets): versions
of the last year, npm 1318: 23 fail (390), 157 unknown, all mirror-filled times; PyPI
667: 24 fail (134), 0 unknown. Latest versions, 85: 1 fail (10), setuptools 84.2.1 (three
releases of its line within a day). What still fails is a real burst or a real quick
follow-up, which is why the baseline policy reports cadence only together with a
publisher change. Not a test.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from packaging.version import InvalidVersion, Version  # noqa: E402

from policyengine.checks.base import CheckContext  # noqa: E402
from policyengine.checks.release_cadence import ReleaseCadenceCheck  # noqa: E402
from policyengine.model import (  # noqa: E402
    Component,
    ComponentEvidence,
    Evidence,
    FactKind,
    Ok,
    Release,
    ReleaseHistory,
    Sbom,
    Source,
    Status,
)

DATA = ROOT / "benchmarks" / "cadence" / "histories.json.gz"
PYPI = [
    "h11",
    "requests",
    "click",
    "litellm",
    "urllib3",
    "certifi",
    "idna",
    "charset-normalizer",
    "numpy",
    "pandas",
    "django",
    "flask",
    "boto3",
    "botocore",
    "setuptools",
    "pip",
    "pydantic",
    "pydantic-core",
    "httpx",
    "httpcore",
    "anyio",
    "attrs",
    "packaging",
    "pyyaml",
    "six",
    "typing-extensions",
    "jinja2",
    "markupsafe",
    "cryptography",
    "pytest",
    "rich",
    "openai",
    "tenacity",
    "sqlalchemy",
    "aiohttp",
    "pyparsing",
    "referencing",
    "click-plugins",
    "python-dateutil",
    "werkzeug",
    "grpcio",
    "protobuf",
    "fastapi",
    "starlette",
    "uvicorn",
    "tokenizers",
    "huggingface-hub",
]
NPM = [
    "@babel/core",
    "yargs",
    "brace-expansion",
    "@types/node",
    "electron-to-chromium",
    "react",
    "react-dom",
    "chalk",
    "uuid",
    "lodash",
    "express",
    "commander",
    "debug",
    "semver",
    "minimatch",
    "glob",
    "typescript",
    "eslint",
    "axios",
    "caniuse-lite",
    "browserslist",
    "tslib",
    "ms",
    "@babel/types",
    "webpack",
    "next",
    "gensync",
    "@babel/parser",
    "postcss",
    "vite",
    "rollup",
    "esbuild",
    "@types/react",
    "undici-types",
    "picomatch",
    "micromatch",
    "ws",
    "acorn",
]
PER_PACKAGE = 40
DOCUMENT = Sbom(
    format="none",
    spec_version=None,
    source="benchmarks/cadence",
    digest="sha256:" + "0" * 64,
    components=(),
)


def record() -> None:
    """Fetch every history again (through the proxy and trust store the environment names)."""
    import httpx

    packages: dict[str, Any] = {}
    with httpx.Client(trust_env=True, timeout=60, follow_redirects=True) as client:
        for name in PYPI:
            data = client.get(f"https://pypi.org/pypi/{name}/json").json()
            releases = []
            for version, files in data["releases"].items():
                times = [f["upload_time_iso_8601"] for f in files]
                releases.append([version, min(times) if times else None])
            packages[f"pypi/{name}"] = {"latest": None, "releases": releases}
        for name in NPM:
            data = client.get("https://registry.npmjs.org/" + name.replace("/", "%2f")).json()
            times = data.get("time", {})
            packages[f"npm/{name}"] = {
                "latest": data.get("dist-tags", {}).get("latest"),
                "releases": [[v, times.get(v)] for v in data.get("versions", {})],
            }
    recorded = datetime.now().astimezone().isoformat(timespec="seconds")
    raw = json.dumps({"recorded_at": recorded, "packages": packages}, sort_keys=True)
    DATA.write_bytes(gzip.compress(raw.encode(), 9, mtime=0))


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _latest(ecosystem: str, entry: dict[str, Any]) -> str | None:
    if entry["latest"]:
        return str(entry["latest"])
    stable = []
    for version, when in entry["releases"]:
        try:
            if when and not Version(version).is_prerelease:
                stable.append(Version(version))
        except InvalidVersion:
            continue
    return str(max(stable)) if stable else None


def main() -> None:
    """Judge the recorded histories and print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="fetch the histories again")
    parser.add_argument("--list", action="store_true", help="print every non-pass result")
    args = parser.parse_args()
    if args.record:
        record()
    doc = json.loads(gzip.decompress(DATA.read_bytes()))
    recorded = _time(doc["recorded_at"])
    assert recorded is not None
    since = recorded - timedelta(days=365)
    check = ReleaseCadenceCheck()
    params = check.params_model()
    counts: dict[str, Counter[str]] = {}
    for key, entry in sorted(doc["packages"].items()):
        ecosystem, name = key.split("/", 1)
        releases = tuple(Release(v, _time(t)) for v, t in entry["releases"])
        source = Source(ecosystem, None, recorded)
        context = CheckContext(sbom=DOCUMENT, evidence=Evidence(), now=recorded)
        timed = sorted((r.published_at, r.version) for r in releases if r.published_at)
        recent = [version for when, version in timed if when >= since]
        chosen = recent[:: max(1, len(recent) // PER_PACKAGE)]
        latest = _latest(ecosystem, entry)
        for sample, versions in (("last year", chosen), ("latest", [latest] if latest else [])):
            tally = counts.setdefault(f"{ecosystem} {sample}", Counter())
            for version in versions:
                history = ReleaseHistory(version, True, releases)
                evidence = ComponentEvidence(key, {FactKind.RELEASES: Ok(history, source)})
                component = Component(ref=key, name=name, version=version, ecosystem=ecosystem)
                [finding] = check.check_component(component, evidence, params, context)
                tally[finding.status.value] += 1
                if args.list and finding.status is not Status.PASS:
                    print(f"{finding.status.value:8} {key}@{version}: {finding.message}")
    print("| sample | versions | pass | fail | unknown |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for sample, tally in sorted(counts.items()):
        total = sum(tally.values())
        print(
            f"| {sample} | {total} | {tally['pass']} | {tally['fail']} "
            f"({100 * tally['fail'] / max(total, 1):.1f} %) | {tally['unknown']} |"
        )


if __name__ == "__main__":
    main()
