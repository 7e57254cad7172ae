"""Compute the digests of a package's ``.pth`` files from its wheels on PyPI.

Usage: ``python scripts/harvest_pth_shims.py PACKAGE [--from 49.0] [--to 90] [--per-version 4]``

Downloads every wheel of the package's final releases in the range (at most
``--per-version`` per release, pure wheels first), checks each against the sha256
PyPI lists, reads every ``.pth`` member whose lines ``site.py`` would execute, and
prints ``[[shim.digests]]`` TOML blocks (sha256, releases, wheels, example) for
``policyengine/data/known-pth-shims.toml``. Review the content before adding a digest:
the list says "this exact file is harmless", nothing else.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import urllib.parse
import zipfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from packaging.version import InvalidVersion, Version

from policyengine.enrich.artifacts.pth import executable_lines


def _wheels(package: str, low: str, high: str | None, per: int) -> list[tuple[str, Any]]:
    base = f"https://pypi.org/pypi/{package}/json"
    releases = httpx.get(base, timeout=60).raise_for_status().json()["releases"]
    chosen: list[tuple[str, Any]] = []
    for version, files in releases.items():
        try:
            parsed = Version(version)
        except InvalidVersion:
            continue
        if parsed.is_prerelease or parsed < Version(low) or (high and parsed >= Version(high)):
            continue
        wheels = sorted(
            (f for f in files if f["filename"].endswith(".whl")),
            key=lambda f: ("none-any" not in f["filename"], f["filename"]),
        )
        for file in wheels[:per]:
            chosen.append((version, {**file, "url": urllib.parse.urljoin(base, file["url"])}))
    return chosen


def _read(client: httpx.Client, item: tuple[str, Any]) -> tuple[str, str, str, list[bytes]]:
    version, file = item
    data = client.get(file["url"]).raise_for_status().content
    if hashlib.sha256(data).hexdigest() != file["digests"]["sha256"]:
        raise SystemExit(f"{file['filename']}: sha256 differs from PyPI's")
    archive = zipfile.ZipFile(io.BytesIO(data))
    found = [
        archive.read(name)
        for name in archive.namelist()
        if name.endswith(".pth") and "/" not in name
    ]
    return version, file["filename"], file["digests"]["sha256"], found


def main() -> None:
    """Print the TOML digest blocks for one package."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package")
    parser.add_argument("--from", dest="low", default="0")
    parser.add_argument("--to", dest="high", default=None)
    parser.add_argument("--per-version", type=int, default=4)
    args = parser.parse_args()
    items = _wheels(args.package, args.low, args.high, args.per_version)
    with httpx.Client(timeout=120) as client, ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda item: _read(client, item), items))
    by_digest: dict[str, dict[str, Any]] = defaultdict(lambda: {"versions": set(), "wheels": []})
    for version, filename, wheel_sha, contents in results:
        for data in contents:
            if not executable_lines(data.decode("utf-8", errors="replace")):
                continue
            entry = by_digest[hashlib.sha256(data).hexdigest()]
            entry["versions"].add(version)
            entry["wheels"].append((Version(version), filename, wheel_sha))
    for digest, entry in sorted(by_digest.items(), key=lambda kv: min(kv[1]["wheels"])):
        versions = sorted(entry["versions"], key=Version)
        _, filename, wheel_sha = max(entry["wheels"])
        print("\n[[shim.digests]]")
        print(f'sha256 = "{digest}"')
        print(f'releases = "{versions[0]}-{versions[-1]} ({len(versions)} releases)"')
        print(f"wheels = {len(entry['wheels'])}")
        print(f'example = "{filename} (sha256 {wheel_sha})"')


if __name__ == "__main__":
    main()
