"""Regenerate evidence-<version>.json for the four LiteLLM SBOMs of this folder.

The evidence is made by the real ``policyengine enrich`` command, run against a
replay server on 127.0.0.1 that answers:

- ``/pypi/...``: raw PyPI JSON API answers recorded from https://pypi.org (the
  project documents ``/pypi/<name>/json`` and the per-version documents
  ``/pypi/<name>/<version>/json`` enrichment asks for publishers), stored in a
  raw folder outside the repository (tens of MB: see README.md);
- ``/osv/v1/querybatch`` and ``/osv/v1/vulns/<id>``: OSV API answers built from
  the OSV records in ../shared/corpus/osv (litellm-2026-03 and pypi), as
  scripts/record_osv.py does (api.osv.dev is not reachable from the build
  machines). Which records affect a version is decided by policyengine's OSV
  ``affected`` matcher, the semantics the API applies.

Afterwards the replay server's address in source URLs is replaced by the public
base URLs (https://pypi.org, https://api.osv.dev), and each source's
``fetched_at`` (and the bundle's ``created_at``) by the time the raw answer was
recorded, so that regenerating from the same raw folder gives the same bytes.
``recordings.json`` lists every raw answer (public URL, status, sha256, time) so
that a raw folder can be checked against the committed bundles.

    python examples/litellm-2026/record.py --raw /tmp/litellm-2026-raw [--fetch]
        [--import-pypi /tmp/lx/pypi] [VERSION ...]

``--fetch`` records every answer the raw folder does not hold yet from
https://pypi.org (needs the internet); without it a missing answer is a 404,
which enrichment records as a missing fact. ``--import-pypi DIR`` seeds the raw
folder with project documents saved as ``DIR/<name>.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from policyengine.enrich.advisory import record_affects  # noqa: E402
from policyengine.enrich.bundle import dump_bundle, load_bundle  # noqa: E402
from policyengine.enrich.osv_db import parse_record, source_files  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "osv"
OSV_FOLDERS = ("litellm-2026-03", "pypi")
VERSIONS = ("1.82.6", "1.82.7", "1.82.8", "1.110.2")
PYPI = "https://pypi.org"
OSV = "https://api.osv.dev"
USER_AGENT = "policyengine-recorder/0.1 (examples/litellm-2026/record.py)"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class Raw:
    """The raw folder: ``manifest.json`` (request -> status, body file, sha256, fetched_at)."""

    def __init__(self, folder: Path, fetch: bool) -> None:
        self.folder = folder
        self.fetch = fetch
        self.path = folder / "manifest.json"
        self.entries: dict[str, dict[str, Any]] = (
            json.loads(self.path.read_text()) if self.path.exists() else {}
        )
        self.lock = threading.Lock()
        self.misses: list[str] = []

    def save(self) -> None:
        """Write the manifest."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.entries, indent=1, sort_keys=True) + "\n")

    def store(self, path: str, status: int, body: bytes, fetched_at: str) -> dict[str, Any]:
        """Keep one answer's body and its manifest entry."""
        name = urllib.parse.quote(path.strip("/"), safe="") + ".body"
        (self.folder / "bodies").mkdir(parents=True, exist_ok=True)
        (self.folder / "bodies" / name).write_bytes(body)
        entry = {
            "status": status,
            "body": name,
            "sha256": hashlib.sha256(body).hexdigest(),
            "fetched_at": fetched_at,
        }
        self.entries[f"GET {path}"] = entry
        return entry

    def import_pypi(self, folder: Path) -> None:
        """Seed project documents saved as ``<name>.json`` (fetched_at = file mtime)."""
        for file in sorted(folder.glob("*.json")):
            name = canonicalize_name(json.loads(file.read_bytes())["info"]["name"])
            moment = datetime.fromtimestamp(file.stat().st_mtime, UTC)
            self.store(f"/pypi/{name}/json", 200, file.read_bytes(), _stamp(moment))
        self.save()

    def get(self, path: str) -> tuple[int, bytes]:
        """The recorded status and body for a PyPI path (recorded first with --fetch)."""
        with self.lock:
            entry = self.entries.get(f"GET {path}")
            if entry is None and self.fetch:
                response = httpx.get(
                    PYPI + path,
                    headers={"User-Agent": USER_AGENT},
                    timeout=60,
                    follow_redirects=True,
                )
                entry = self.store(
                    path, response.status_code, response.content, _stamp(datetime.now(UTC))
                )
                self.save()
                print(f"recorded {response.status_code} {PYPI}{path}", file=sys.stderr)
            if entry is None:
                self.misses.append(path)
                return 404, b""
            return int(entry["status"]), (self.folder / "bodies" / entry["body"]).read_bytes()

    def fetched_at(self, path: str) -> str | None:
        """When the answer for a PyPI path was recorded (RFC 3339), if it was."""
        entry = self.entries.get(f"GET {path}")
        return str(entry["fetched_at"]) if entry else None


def osv_records() -> dict[str, dict[str, Any]]:
    """The corpus OSV records by id (PyPA YAML converted to OSV JSON)."""
    records: dict[str, dict[str, Any]] = {}
    for folder in OSV_FOLDERS:
        for name, data in source_files(CORPUS / folder):
            record, _ = parse_record(name, data)
            if record is not None and record.get("id"):
                records[str(record["id"])] = record
    return records


def _handler(raw: Raw, records: dict[str, dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/pypi/"):
                self._send(*raw.get(self.path.removeprefix("/pypi")))
            elif self.path.startswith("/osv/v1/vulns/"):
                record = records.get(urllib.parse.unquote(self.path.rsplit("/", 1)[1]))
                if record is None:
                    self._send(404, b'{"code":5,"message":"Bug not found."}')
                else:
                    self._send(200, json.dumps(record, sort_keys=True).encode())
            else:
                self._send(404, b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/osv/v1/querybatch":
                self._send(404, b"")
                return
            results = []
            for query in json.loads(body)["queries"]:
                package = query["package"]
                ecosystem = "pypi" if package["ecosystem"] == "PyPI" else package["ecosystem"]
                hits = sorted(
                    ident
                    for ident, record in records.items()
                    if record_affects(record, ecosystem, package["name"], query["version"])
                )
                vulns = [{"id": i, "modified": records[i].get("modified")} for i in hits]
                results.append({"vulns": vulns} if vulns else {})
            self._send(200, json.dumps({"results": results}).encode())

    return Handler


def _public(bundle: dict[str, Any], root: str, raw: Raw) -> str:
    """Rewrite local URLs to the public ones; stamp sources with their recording time."""
    latest = max(str(e["fetched_at"]) for e in raw.entries.values())
    bundle["created_at"] = latest
    for facts in bundle["components"].values():
        for fact in facts.values():
            source = fact.get("source")
            if not source:
                continue
            url = str(source["url"])
            if url.startswith(root + "/pypi"):
                path = url.removeprefix(root + "/pypi")
                source["url"] = PYPI + path
                source["fetched_at"] = raw.fetched_at(path) or latest
            elif url.startswith(root + "/osv"):
                source["url"] = OSV + url.removeprefix(root + "/osv")
                source["fetched_at"] = latest
    # Reasons of missing facts name the URL asked too.
    text = json.dumps(bundle).replace(root + "/pypi", PYPI).replace(root + "/osv", OSV)
    if root in text:
        raise SystemExit(f"the local address {root} is still in the bundle")
    return text


def record(version: str, raw: Raw, root: str) -> None:
    """Run ``policyengine enrich`` for one SBOM and write its public evidence bundle."""
    sbom = HERE / f"sbom-litellm-{version}.cdx.json"
    out = HERE / f"evidence-{version}.json"
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "evidence.json"
        command = [
            sys.executable,
            "-m",
            "policyengine",
            "enrich",
            str(sbom),
            "-o",
            str(local),
            "--pypi-url",
            root + "/pypi",
            "--osv-url",
            root + "/osv",
            "--npm-url",
            root + "/npm",
            "--cache-dir",
            str(Path(tmp) / "cache"),
            "--advisories",
            "api",
        ]
        subprocess.run(command, check=True, cwd=ROOT)
        text = _public(json.loads(local.read_text()), root, raw)
        local.write_text(text)
        out.write_bytes(dump_bundle(load_bundle(local)))
    print(f"wrote {out.relative_to(ROOT)}")


def _provenance(raw: Raw) -> None:
    """Write recordings.json: every raw answer's public URL, status, sha256 and time."""
    listing = {
        PYPI + key.split(" ", 1)[1]: {
            "status": entry["status"],
            "sha256": entry["sha256"],
            "fetched_at": entry["fetched_at"],
        }
        for key, entry in sorted(raw.entries.items())
    }
    text = json.dumps(listing, indent=1, sort_keys=True) + "\n"
    (HERE / "recordings.json").write_text(text, encoding="utf-8")


def main() -> None:
    """Serve the recordings, enrich every SBOM, write the bundles."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("versions", nargs="*", default=list(VERSIONS))
    parser.add_argument("--raw", type=Path, default=Path("/tmp/litellm-2026-raw"))
    parser.add_argument("--fetch", action="store_true", help="record missing answers from PyPI")
    parser.add_argument("--import-pypi", type=Path, help="seed project documents from DIR")
    args = parser.parse_args()
    raw = Raw(args.raw, args.fetch)
    if args.import_pypi:
        raw.import_pypi(args.import_pypi)
    records = osv_records()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(raw, records))
    server.daemon_threads = True
    root = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        for version in args.versions:
            record(version, raw, root)
    finally:
        server.shutdown()
        server.server_close()
    _provenance(raw)
    if raw.misses:
        print(f"not in the raw folder (served 404): {sorted(set(raw.misses))}", file=sys.stderr)


if __name__ == "__main__":
    main()
