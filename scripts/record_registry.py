"""Record registry answers for the enrichment tests (run by hand, needs the internet).

Writes ``tests/fixtures/recordings/<source>/manifest.json`` plus one body file per
request. The manifest maps ``METHOD PATH`` to the status, the headers worth
replaying (content type, ETag, Last-Modified) and the body file. Large answers are
trimmed to the releases the tests use (see tests/fixtures/recordings/README.md).

    python scripts/record_registry.py [--pypi-url URL] [--npm-url URL]
"""

from __future__ import annotations

import argparse
import json
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "recordings"
KEEP_HEADERS = ("content-type", "etag", "last-modified", "cache-control")

# project -> releases kept (None = all); the latest release is always kept too.
PYPI_PROJECTS: dict[str, tuple[str, ...] | None] = {
    "litellm": ("1.82.4", "1.82.5", "1.82.6", "1.83.0"),
    "requests": ("2.31.0", "2.32.0", "2.32.2", "2.32.3"),
    "policyengine-no-such-project-4242": None,
}
# per-version endpoints the tests ask for (1.82.8 was removed; others show what PyPI serves)
PYPI_VERSIONS = (("litellm", "1.82.8"), ("litellm", "1.82.6"), ("requests", "2.32.3"))
NPM_PACKAGES = ("chalk", "@sigstore/sign", "policyengine-no-such-package-4242")


def _body_name(path: str) -> str:
    return urllib.parse.quote(path.strip("/"), safe="") + ".body"


def _record(
    client: httpx.Client, base: str, path: str, folder: Path, trim: Any = None
) -> dict[str, Any]:
    response = client.get(base.rstrip("/") + path)
    body = response.content
    if trim is not None and response.status_code == 200:
        body = json.dumps(trim(response.json()), indent=1, sort_keys=True).encode()
    name = _body_name(path)
    (folder / name).write_bytes(body)
    headers = {k: v for k, v in response.headers.items() if k.lower() in KEEP_HEADERS}
    print(f"{response.status_code} {path} {len(response.content)} -> {len(body)} bytes")
    return {"status": response.status_code, "headers": headers, "body": name}


def _trim_pypi(keep: tuple[str, ...] | None) -> Any:
    def trim(data: dict[str, Any]) -> dict[str, Any]:
        info = dict(data.get("info") or {})
        info.pop("description", None)
        data["info"] = info
        if keep is not None:
            wanted = set(keep) | {info.get("version")}
            data["releases"] = {k: v for k, v in data["releases"].items() if k in wanted}
        return data

    return trim


def _trim_npm(data: dict[str, Any]) -> dict[str, Any]:
    for version in data.get("versions", {}).values():
        version.pop("readme", None)
    data.pop("readme", None)
    return data


def derive_npm_full() -> None:
    """Write ``npm/provenance-demo.body``, derived from the recorded @sigstore/sign packument.

    It adds the fields the reachable registry strips (top-level ``maintainers``, per-version
    ``_npmUser``, ``maintainers``, ``dist.attestations``, a ``postinstall`` script and a
    deprecation), in the shapes registry.npmjs.org documents, so the parser of those
    fields is tested. It is labelled as derived in the README beside the recordings.
    """
    folder = OUT / "npm"
    data = json.loads((folder / _body_name("/@sigstore%2fsign")).read_text())
    data["name"] = data["_id"] = "provenance-demo"
    data["maintainers"] = [
        {"name": "alice", "email": "alice@example.org"},
        {"name": "bob", "email": "bob@example.org"},
    ]
    order = sorted(data["versions"], key=lambda v: data["time"][v])
    for index, version in enumerate(order):
        manifest = data["versions"][version]
        manifest["name"] = "provenance-demo"
        latest = index == len(order) - 1
        user = "mallory" if latest else "alice"
        manifest["_npmUser"] = {"name": user, "email": f"{user}@example.org"}
        manifest["maintainers"] = data["maintainers"]
        if not latest:
            manifest["dist"]["attestations"] = {
                "url": f"https://registry.npmjs.org/-/npm/v1/attestations/provenance-demo@{version}",
                "provenance": {"predicateType": "https://slsa.dev/provenance/v1"},
            }
        else:
            manifest["scripts"]["postinstall"] = "node ./setup.js"
        if version == order[0]:
            manifest["deprecated"] = "1.x is no longer supported"
    data["time"]["created"] = data["time"][order[0]]
    data["time"]["modified"] = data["time"][order[-1]]
    name = _body_name("/provenance-demo")
    (folder / name).write_text(json.dumps(data, indent=1, sort_keys=True))
    manifest_path = folder / "manifest.json"
    entries = json.loads(manifest_path.read_text())
    entries["GET /provenance-demo"] = {
        "status": 200,
        "headers": {"content-type": "application/json"},
        "body": name,
        "derived": "from GET /@sigstore%2fsign by scripts/record_registry.py derive_npm_full",
    }
    manifest_path.write_text(json.dumps(entries, indent=1, sort_keys=True))


def main() -> None:
    """Record every answer listed above."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pypi-url", default="https://pypi.org")
    parser.add_argument("--npm-url", default="https://registry.npmjs.org")
    parser.add_argument("--derive-only", action="store_true", help="only rebuild derived files")
    args = parser.parse_args()
    if args.derive_only:
        derive_npm_full()
        return
    headers = {"User-Agent": "policyengine-recorder/0.1"}
    with httpx.Client(headers=headers, timeout=60, follow_redirects=True) as client:
        folder = OUT / "pypi"
        folder.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, Any] = {}
        for name, keep in PYPI_PROJECTS.items():
            path = f"/pypi/{name}/json"
            manifest[f"GET {path}"] = _record(client, args.pypi_url, path, folder, _trim_pypi(keep))
        for name, version in PYPI_VERSIONS:
            path = f"/pypi/{name}/{version}/json"
            manifest[f"GET {path}"] = _record(client, args.pypi_url, path, folder, _trim_pypi(()))
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        folder = OUT / "npm"
        folder.mkdir(parents=True, exist_ok=True)
        manifest = {}
        for name in NPM_PACKAGES:
            path = "/" + name.replace("/", "%2f")
            manifest[f"GET {path}"] = _record(client, args.npm_url, path, folder, _trim_npm)
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    derive_npm_full()


if __name__ == "__main__":
    main()
