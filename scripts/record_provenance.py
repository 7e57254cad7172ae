"""Record and derive the registry answers of the publisher-identity cases (issue 17).

Two steps, documented in tests/fixtures/recordings/README.md:

- ``--record`` (needs the internet): the PyPI answers as the registry reachable from the
  build machines serves them, into ``recordings/pypi``: the JSON API documents of
  ``sigstore`` and ``pypi-attestations`` and their simple JSON indexes (api-version 1.1,
  no ``provenance`` key), trimmed to a few releases and to their sdists, and the
  Integrity API's 404 for the sdists.
- derive (always, offline): ``recordings/pypi740``, a registry that serves PEP 740, made
  from those recordings and the real provenance objects in ../shared/corpus/provenance/pypi:
  the indexes declare api-version 1.3 and give every sdist a ``provenance`` URL, except
  ``sigstore`` 3.6.2, whose sdist gets ``"provenance": null`` (the scenario "the next
  release was uploaded without provenance"; the real 3.6.2 is not described by it). The
  Integrity API serves the corpus object of each project for each of its sdists: it
  verifies for the file it was made for (sigstore-3.6.1.tar.gz,
  pypi_attestations-0.0.19.tar.gz) and is read, not verified, for the others (its subject
  names another file).

    python scripts/record_provenance.py [--record]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "recordings"
CORPUS = ROOT.parent / "shared" / "corpus" / "provenance" / "pypi"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"

# project -> (releases kept, the corpus provenance object, releases without provenance)
PROJECTS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "sigstore": (
        ("3.5.3", "3.6.0", "3.6.1", "3.6.2"),
        "sigstore-3.6.1.tar.gz.provenance",
        ("3.6.2",),
    ),
    "pypi-attestations": (
        ("0.0.18", "0.0.19"),
        "pypi_attestations-0.0.19.tar.gz.provenance",
        (),
    ),
}


def _body_name(path: str) -> str:
    return urllib.parse.quote(path.strip("/"), safe="") + ".body"


def _sdists(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in files if str(f.get("filename", "")).endswith(".tar.gz")]


def _trim_json(data: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    info = dict(data.get("info") or {})
    info.pop("description", None)
    releases = {v: _sdists(data["releases"][v]) for v in keep}
    return {"info": info, "releases": releases, "urls": [], "vulnerabilities": []}


def _trim_simple(data: dict[str, Any], keep: tuple[str, ...], project: str) -> dict[str, Any]:
    names = {f"{project.replace('-', '_')}-{v}.tar.gz" for v in keep}
    files = [f for f in data["files"] if f["filename"] in names]
    return {**data, "files": files, "versions": list(keep)}


def record(pypi_url: str) -> None:
    """Record the live answers into recordings/pypi (adds to its manifest)."""
    import httpx

    folder = OUT / "pypi"
    manifest = json.loads((folder / "manifest.json").read_text())
    with httpx.Client(timeout=60) as client:
        for project, (keep, _, _) in PROJECTS.items():
            asks: list[tuple[str, dict[str, str], Any]] = [
                (f"/pypi/{project}/json", {}, lambda d, k=keep: _trim_json(d, k)),
                (
                    f"/simple/{project}/",
                    {"Accept": SIMPLE_JSON},
                    lambda d, k=keep, p=project: _trim_simple(d, k, p),
                ),
            ]
            for version in keep:
                sdist = f"{project.replace('-', '_')}-{version}.tar.gz"
                asks.append((f"/integrity/{project}/{version}/{sdist}/provenance", {}, None))
            for path, headers, trim in asks:
                response = client.get(pypi_url.rstrip("/") + path, headers=headers)
                body = response.content
                if trim is not None and response.status_code == 200:
                    body = json.dumps(trim(response.json()), indent=1, sort_keys=True).encode()
                name = _body_name(path)
                (folder / name).write_bytes(body)
                kept = {k: v for k, v in response.headers.items() if k.lower() == "content-type"}
                manifest[f"GET {path}"] = {
                    "status": response.status_code,
                    "headers": kept,
                    "body": name,
                }
                print(f"{response.status_code} {path} -> {len(body)} bytes")
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def derive() -> None:
    """Build recordings/pypi740 from recordings/pypi and the corpus provenance objects."""
    source = OUT / "pypi"
    served = json.loads((source / "manifest.json").read_text())
    folder = OUT / "pypi740"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.body"):
        old.unlink()
    manifest: dict[str, Any] = {}

    def put(path: str, body: bytes, derived: str, content_type: str) -> None:
        name = _body_name(path)
        (folder / name).write_bytes(body)
        manifest[f"GET {path}"] = {
            "status": 200,
            "headers": {"content-type": content_type},
            "body": name,
            "derived": derived,
        }

    for project, (keep, sample, without) in PROJECTS.items():
        document = f"/pypi/{project}/json"
        put(
            document,
            (source / served[f"GET {document}"]["body"]).read_bytes(),
            f"copied from recordings/pypi GET {document}",
            "application/json",
        )
        index_path = f"/simple/{project}/"
        index = json.loads((source / served[f"GET {index_path}"]["body"]).read_bytes())
        index["meta"]["api-version"] = "1.3"
        provenance = (CORPUS / sample).read_bytes()
        for entry in index["files"]:
            version = next(v for v in keep if entry["filename"].endswith(f"-{v}.tar.gz"))
            if version in without:
                entry["provenance"] = None
                continue
            integrity = f"/integrity/{project}/{version}/{entry['filename']}/provenance"
            entry["provenance"] = f"https://pypi.org{integrity}"  # as PyPI links it
            put(
                integrity,
                provenance,
                f"../shared/corpus/provenance/pypi/{sample} (made for "
                f"{sample.removesuffix('.provenance')})",
                "application/json",
            )
        put(
            index_path,
            json.dumps(index, indent=1, sort_keys=True).encode(),
            f"from recordings/pypi GET {index_path}: api-version 1.3, provenance keys added"
            + (f", null for {', '.join(without)}" if without else ""),
            SIMPLE_JSON,
        )
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"derived {len(manifest)} answers into {folder}")


NPM_DEMO_WORKFLOW = ".github/workflows/release.yml"
"""The workflow path the derived npm statements name (made up: the demo is derived)."""


def derive_npm() -> None:
    """Answers of npm's attestations endpoint for ``provenance-demo`` (derived, unsigned).

    For every version whose ``dist.attestations`` the derived packument names, a body in
    the endpoint's shape (``{"attestations": [{"predicateType", "bundle": {"dsseEnvelope":
    {"payload", "payloadType"}}}]}``) whose SLSA v1 statement names the repository of the
    version's ``repository`` field and :data:`NPM_DEMO_WORKFLOW`. No signature: npm
    identities are read, not verified, by policyengine.
    """
    folder = OUT / "npm"
    manifest = json.loads((folder / "manifest.json").read_text())
    data = json.loads((folder / _body_name("/provenance-demo")).read_text())
    for version, item in data["versions"].items():
        if "attestations" not in item.get("dist", {}):
            continue
        repository = str(item["repository"]["url"]).removeprefix("git+").removesuffix(".git")
        statement = {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [
                {
                    "name": f"pkg:npm/provenance-demo@{version}",
                    "digest": {"sha512": item["dist"].get("integrity", "")},
                }
            ],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {
                "buildDefinition": {
                    "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                    "externalParameters": {
                        "workflow": {
                            "ref": "refs/heads/main",
                            "repository": repository,
                            "path": NPM_DEMO_WORKFLOW,
                        }
                    },
                }
            },
        }
        payload = base64.b64encode(json.dumps(statement, sort_keys=True).encode()).decode()
        body = {
            "attestations": [
                {
                    "predicateType": "https://slsa.dev/provenance/v1",
                    "bundle": {
                        "dsseEnvelope": {
                            "payload": payload,
                            "payloadType": "application/vnd.in-toto+json",
                            "signatures": [],
                        }
                    },
                }
            ]
        }
        path = f"/-/npm/v1/attestations/provenance-demo@{version}"
        name = _body_name(path)
        (folder / name).write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")
        manifest[f"GET {path}"] = {
            "status": 200,
            "headers": {"content-type": "application/json"},
            "body": name,
            "derived": "by scripts/record_provenance.py derive_npm (unsigned SLSA v1 statement)",
        }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


def main(argv: list[str] | None = None) -> int:
    """Record (``--record``) then derive."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="record live answers first")
    parser.add_argument("--pypi-url", default="https://pypi.org")
    args = parser.parse_args(argv)
    if args.record:
        record(args.pypi_url)
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 1
    derive()
    derive_npm()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
