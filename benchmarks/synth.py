"""Synthetic SBOMs and matching evidence bundles for benchmarks and hardening tests.

One seeded description of ``count`` components (two thirds PyPI, one third npm; a
SHA-256 or SHA-512 hash on each component plus a SHA-256 on its ``distribution``
reference; licence ids and expressions; a supplier; a ``vcs`` reference; a dependency
graph of 0–3 edges per component under a root with 50 direct dependencies) is written as

- CycloneDX 1.6 JSON (:func:`make_sbom`, byte-identical to what ingest_bench.py always
  generated), CycloneDX 1.6 XML (:func:`make_cdx_xml`), SPDX 2.3 JSON (:func:`make_spdx`),
  SPDX 3.0.1 JSON-LD (:func:`make_spdx3`);
- an evidence bundle (:func:`make_evidence`) with every fact for every component:
  package metadata, a release history, artifacts whose digests equal the SBOM hashes,
  publishers, and advisories for a few per cent of them (FORMATS.md §1, written by the
  project's own ``dump_bundle`` so that it is the real format);
- PyPI JSON API documents (:func:`pypi_document`) for a synthetic registry.

    python benchmarks/synth.py --sizes 1000 10000 50000 --out /tmp/synth

writes ``synth-<n>.cdx.json``, ``.cdx.xml``, ``.spdx.json``, ``.spdx3.json`` and ``.evidence.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LICENSES = ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "MIT OR Apache-2.0", "GPL-3.0-or-later"]
NOW = datetime(2026, 11, 28, tzinfo=UTC)
"""The evaluation time the synthetic evidence is consistent with (pass --now to check)."""


@dataclass(frozen=True)
class Spec:
    """One synthetic component: identity, hashes, licence and dependencies."""

    index: int
    ecosystem: str
    name: str
    version: str
    ref: str
    purl: str
    alg: str
    digest: str
    dist_digest: str
    license: dict[str, Any]
    depends_on: tuple[str, ...]


def make_specs(count: int, seed: int = 7) -> list[Spec]:
    """The seeded component descriptions every writer below renders."""
    rng = random.Random(seed)
    drafts = []
    for i in range(count):
        npm = i % 3 == 0
        name = f"pkg-{i}-{rng.randrange(10**6)}"
        version = f"{rng.randrange(20)}.{rng.randrange(50)}.{rng.randrange(100)}"
        ref = f"{name}@{version}"
        digest = hashlib.sha256(ref.encode()).hexdigest()
        drafts.append((i, npm, name, version, ref, digest))
    refs = [d[4] for d in drafts]
    specs = []
    for i, npm, name, version, ref, digest in drafts:
        later = refs[i + 1 : i + 200]
        picks = rng.sample(later, min(len(later), rng.randrange(4)))
        specs.append(
            Spec(
                index=i,
                ecosystem="npm" if npm else "pypi",
                name=name,
                version=version,
                ref=ref,
                purl=f"pkg:{'npm' if npm else 'pypi'}/{name}@{version}",
                alg="SHA-512" if npm else "SHA-256",
                digest=digest * (2 if npm else 1),
                dist_digest=hashlib.sha256(digest.encode()).hexdigest(),
                license={"license": {"id": LICENSES[i % 4]}}
                if i % 5
                else {"expression": LICENSES[4 + i % 2]},
                depends_on=tuple(picks),
            )
        )
    return specs


def cdx_document(specs: list[Spec]) -> dict[str, Any]:
    """The CycloneDX 1.6 JSON document for ``specs``."""
    components = []
    for s in specs:
        components.append(
            {
                "type": "library",
                "bom-ref": s.ref,
                "name": s.name,
                "version": s.version,
                "purl": s.purl,
                "scope": "required",
                "supplier": {"name": f"supplier-{s.index % 97}"},
                "hashes": [{"alg": s.alg, "content": s.digest}],
                "licenses": [s.license],
                "externalReferences": [
                    {
                        "type": "distribution",
                        "url": f"https://files.example.invalid/{s.name}-{s.version}.tar.gz",
                        "hashes": [{"alg": "SHA-256", "content": s.dist_digest}],
                    },
                    {"type": "vcs", "url": f"https://github.com/example/{s.name}"},
                ],
            }
        )
    refs = [s.ref for s in specs]
    dependencies = [{"ref": "root", "dependsOn": refs[: min(50, len(refs))]}]
    dependencies += [{"ref": s.ref, "dependsOn": list(s.depends_on)} for s in specs]
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "version": 1,
        "metadata": {
            "timestamp": "2026-01-01T00:00:00Z",
            "tools": {"components": [{"type": "application", "name": "bench", "version": "1"}]},
            "component": {"type": "application", "bom-ref": "root", "name": "app", "version": "1"},
        },
        "components": components,
        "dependencies": dependencies,
    }


def make_sbom(count: int, seed: int = 7) -> bytes:
    """A CycloneDX 1.6 JSON document with ``count`` components and a dependency graph."""
    return json.dumps(cdx_document(make_specs(count, seed))).encode()


def make_cdx_xml(count: int, seed: int = 7) -> bytes:
    """The same components as :func:`make_sbom`, as CycloneDX 1.6 XML."""
    specs = make_specs(count, seed)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" '
        'serialNumber="urn:uuid:00000000-0000-4000-8000-000000000000" version="1">'
        "<metadata><timestamp>2026-01-01T00:00:00Z</timestamp>"
        '<tools><components><component type="application"><name>bench</name>'
        "<version>1</version></component></components></tools>"
        '<component type="application" bom-ref="root"><name>app</name><version>1</version>'
        "</component></metadata><components>"
    ]
    for s in specs:
        lic = s.license
        licenses = (
            f"<license><id>{escape(lic['license']['id'])}</id></license>"
            if "license" in lic
            else f"<expression>{escape(lic['expression'])}</expression>"
        )
        out.append(
            f'<component type="library" bom-ref={quoteattr(s.ref)}>'
            f"<supplier><name>supplier-{s.index % 97}</name></supplier>"
            f"<name>{escape(s.name)}</name><version>{escape(s.version)}</version>"
            f"<scope>required</scope>"
            f'<hashes><hash alg="{s.alg}">{s.digest}</hash></hashes>'
            f"<licenses>{licenses}</licenses><purl>{escape(s.purl)}</purl>"
            f'<externalReferences><reference type="distribution">'
            f"<url>https://files.example.invalid/{s.name}-{s.version}.tar.gz</url>"
            f'<hashes><hash alg="SHA-256">{s.dist_digest}</hash></hashes></reference>'
            f'<reference type="vcs"><url>https://github.com/example/{s.name}</url></reference>'
            f"</externalReferences></component>"
        )
    out.append("</components><dependencies>")
    roots = "".join(f"<dependency ref={quoteattr(s.ref)}/>" for s in specs[:50])
    out.append(f'<dependency ref="root">{roots}</dependency>')
    for s in specs:
        inner = "".join(f"<dependency ref={quoteattr(d)}/>" for d in s.depends_on)
        out.append(f"<dependency ref={quoteattr(s.ref)}>{inner}</dependency>")
    out.append("</dependencies></bom>\n")
    return "".join(out).encode()


def _spdx_id(s: Spec) -> str:
    return f"SPDXRef-Package-{s.index}"


def make_spdx(count: int, seed: int = 7) -> bytes:
    """The same components as :func:`make_sbom`, as SPDX 2.3 JSON."""
    specs = make_specs(count, seed)
    ids = {s.ref: _spdx_id(s) for s in specs}
    packages: list[dict[str, Any]] = [
        {
            "SPDXID": "SPDXRef-root",
            "name": "app",
            "versionInfo": "1",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
        }
    ]
    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-root",
        }
    ]
    for s in specs:
        lic = s.license
        packages.append(
            {
                "SPDXID": ids[s.ref],
                "name": s.name,
                "versionInfo": s.version,
                "downloadLocation": f"https://files.example.invalid/{s.name}-{s.version}.tar.gz",
                "filesAnalyzed": False,
                "licenseDeclared": lic["license"]["id"] if "license" in lic else lic["expression"],
                "supplier": f"Organization: supplier-{s.index % 97}",
                "checksums": [
                    {"algorithm": s.alg.replace("-", ""), "checksumValue": s.digest},
                ],
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": s.purl,
                    }
                ],
            }
        )
    relationships += [
        {
            "spdxElementId": "SPDXRef-root",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": ids[s.ref],
        }
        for s in specs[:50]
    ]
    relationships += [
        {
            "spdxElementId": ids[s.ref],
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": ids[d],
        }
        for s in specs
        for d in s.depends_on
    ]
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "app",
        "documentNamespace": "https://example.invalid/spdx/app-00000000",
        "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: bench-1"]},
        "packages": packages,
        "relationships": relationships,
    }
    return json.dumps(doc).encode()


SPDX3_BASE = "https://example.invalid/spdx3/app"
"""The namespace of the synthetic SPDX 3 element ids."""


def spdx3_document(specs: list[Spec]) -> dict[str, Any]:
    """The same components as :func:`make_sbom`, as an SPDX 3.0.1 JSON-LD document.

    Valid against the published SPDX 3.0.1 JSON Schema: one ``CreationInfo`` blank node,
    a ``SpdxDocument`` whose root is an ``software_Sbom`` about the root package, and per
    component a ``software_Package`` (purl, hash, supplier), a declared-licence
    relationship to a ``simplelicensing_LicenseExpression`` and ``dependsOn`` edges.
    """
    info = "_:creationinfo"
    ids = {s.ref: f"{SPDX3_BASE}/package/{s.index}" for s in specs}
    root = f"{SPDX3_BASE}/package/root"
    graph: list[dict[str, Any]] = [
        {
            "type": "CreationInfo",
            "@id": info,
            "specVersion": "3.0.1",
            "created": "2026-01-01T00:00:00Z",
            "createdBy": [f"{SPDX3_BASE}/agent/example"],
            "createdUsing": [f"{SPDX3_BASE}/tool/bench"],
        },
        {
            "type": "Organization",
            "spdxId": f"{SPDX3_BASE}/agent/example",
            "creationInfo": info,
            "name": "Example",
        },
        {
            "type": "Tool",
            "spdxId": f"{SPDX3_BASE}/tool/bench",
            "creationInfo": info,
            "name": "bench-1",
        },
        {
            "type": "SpdxDocument",
            "spdxId": f"{SPDX3_BASE}/document",
            "creationInfo": info,
            "name": "app",
            "profileConformance": ["core", "software", "simpleLicensing"],
            "rootElement": [f"{SPDX3_BASE}/sbom"],
        },
        {
            "type": "software_Sbom",
            "spdxId": f"{SPDX3_BASE}/sbom",
            "creationInfo": info,
            "rootElement": [root],
            "software_sbomType": ["build"],
        },
        {
            "type": "software_Package",
            "spdxId": root,
            "creationInfo": info,
            "name": "app",
            "software_packageVersion": "1",
            "software_primaryPurpose": "application",
        },
    ]
    suppliers = sorted({s.index % 97 for s in specs})
    graph += [
        {
            "type": "Organization",
            "spdxId": f"{SPDX3_BASE}/agent/supplier-{n}",
            "creationInfo": info,
            "name": f"supplier-{n}",
        }
        for n in suppliers
    ]
    expressions = sorted(set(LICENSES))
    license_ids = {e: f"{SPDX3_BASE}/license/{i}" for i, e in enumerate(expressions)}
    graph += [
        {
            "type": "simplelicensing_LicenseExpression",
            "spdxId": license_ids[e],
            "creationInfo": info,
            "simplelicensing_licenseExpression": e,
        }
        for e in expressions
    ]
    for s in specs:
        lic = s.license
        expression = lic["license"]["id"] if "license" in lic else lic["expression"]
        graph.append(
            {
                "type": "software_Package",
                "spdxId": ids[s.ref],
                "creationInfo": info,
                "name": s.name,
                "software_packageVersion": s.version,
                "software_packageUrl": s.purl,
                "software_downloadLocation": (
                    f"https://files.example.invalid/{s.name}-{s.version}.tar.gz"
                ),
                "suppliedBy": f"{SPDX3_BASE}/agent/supplier-{s.index % 97}",
                "verifiedUsing": [
                    {
                        "type": "Hash",
                        "algorithm": s.alg.replace("-", "").lower(),
                        "hashValue": s.digest,
                    }
                ],
            }
        )
        graph.append(
            {
                "type": "Relationship",
                "spdxId": f"{ids[s.ref]}/license",
                "creationInfo": info,
                "from": ids[s.ref],
                "relationshipType": "hasDeclaredLicense",
                "to": [license_ids[expression]],
            }
        )
        if s.depends_on:
            graph.append(
                {
                    "type": "Relationship",
                    "spdxId": f"{ids[s.ref]}/depends",
                    "creationInfo": info,
                    "from": ids[s.ref],
                    "relationshipType": "dependsOn",
                    "to": [ids[d] for d in s.depends_on],
                }
            )
    graph.append(
        {
            "type": "Relationship",
            "spdxId": f"{root}/depends",
            "creationInfo": info,
            "from": root,
            "relationshipType": "dependsOn",
            "to": [ids[s.ref] for s in specs[:50]],
        }
    )
    return {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": graph}


def make_spdx3(count: int, seed: int = 7) -> bytes:
    """The same components as :func:`make_sbom`, as SPDX 3.0.1 JSON-LD."""
    return json.dumps(spdx3_document(make_specs(count, seed))).encode()


def _history(s: Spec) -> list[tuple[str, datetime]]:
    """Eight evenly spaced releases ending with the component's own version.

    The seven before it are pre-releases of it (lower in PEP 440 and semver order). The
    age of the last release (30 days to almost three years), the gap between releases
    (20 to 40 days) and the time of day differ from component to component, as they do
    in real registries, so no two components observe the same dates.
    """
    age = timedelta(days=30 + s.index * 7919 % 1000, seconds=s.index * 2654435761 % 86400)
    gap = timedelta(days=20 + s.index * 31 % 21)
    last = NOW - age
    sep = "-alpha." if s.ecosystem == "npm" else "a"
    ordered = [*(f"{s.version}{sep}{k}" for k in range(7)), s.version]
    return [(v, last - gap * (7 - n)) for n, v in enumerate(ordered)]


def _advisory_of(s: Spec) -> list[Any]:
    from policyengine.model import Advisory

    if s.index % 40 == 5:  # 2.5 %: a high-severity vulnerability, fixed in a later version
        return [
            Advisory(
                id=f"GHSA-synth-{s.index:06d}",
                aliases=(f"CVE-2026-{s.index:05d}",),
                summary=f"Synthetic vulnerability in {s.name}",
                severity="high",
                score=7.5,
                published=NOW - timedelta(days=100),
                modified=NOW - timedelta(days=90),
                fixed=(f"{int(s.version.split('.')[0]) + 1}.0.0",),
            )
        ]
    if s.index % 400 == 17:  # 0.25 %: a malicious-package report
        return [
            Advisory(
                id=f"MAL-2026-{s.index:05d}",
                summary=f"Malicious code in {s.name}",
                malicious=True,
                cwes=("CWE-506",),
                published=NOW - timedelta(days=10),
            )
        ]
    return []


def make_evidence_object(count: int, seed: int = 7) -> Any:
    """The :class:`Evidence` for :func:`make_sbom`'s components (every fact kind but contents)."""
    from policyengine.model import (
        Advisories,
        Artifact,
        Artifacts,
        ComponentEvidence,
        Evidence,
        FactKind,
        Hash,
        Ok,
        PackageMetadata,
        Person,
        Publishers,
        Release,
        ReleaseHistory,
        Source,
    )

    fetched = NOW - timedelta(hours=1)
    components = {}
    for s in make_specs(count, seed):
        key = f"{s.ecosystem}/{s.name}@{s.version}"
        if s.ecosystem == "npm":
            registry = f"https://registry.npmjs.org/{s.name}"
            files = (
                Artifact(
                    filename=f"{s.name}-{s.version}.tgz",
                    url=f"{registry}/-/{s.name}-{s.version}.tgz",
                    size=10_000 + s.index,
                    hashes=(Hash("sha512", s.digest),),
                    kind="tarball",
                ),
            )
        else:
            registry = f"https://pypi.org/pypi/{s.name}/json"
            files = (
                Artifact(
                    filename=f"{s.name.replace('-', '_')}-{s.version}-py3-none-any.whl",
                    url=f"https://files.example.invalid/{s.name}-{s.version}.whl",
                    size=10_000 + s.index,
                    hashes=(Hash("sha256", s.digest),),
                    kind="bdist_wheel",
                    uploaded_at=_history(s)[-1][1],
                ),
                Artifact(
                    filename=f"{s.name}-{s.version}.tar.gz",
                    url=f"https://files.example.invalid/{s.name}-{s.version}.tar.gz",
                    size=9_000 + s.index,
                    hashes=(Hash("sha256", s.dist_digest),),
                    kind="sdist",
                    uploaded_at=_history(s)[-1][1],
                ),
            )
        source = Source(
            name=s.ecosystem, url=registry, fetched_at=fetched, digest="sha256:" + s.digest[:64]
        )
        history = _history(s)
        publisher = f"github:example/{s.name}/release.yml"
        facts = {
            FactKind.PACKAGE: Ok(
                PackageMetadata(
                    ecosystem=s.ecosystem,
                    name=s.name,
                    repository=f"https://github.com/example/{s.name}",
                    homepage=f"https://example.invalid/{s.name}",
                    author=Person(name=f"Author {s.index % 997}", email=None),
                    maintainers=(Person(name=f"maintainer-{s.index % 311}"),),
                ),
                source,
            ),
            FactKind.RELEASES: Ok(
                ReleaseHistory(
                    version=s.version,
                    listed=True,
                    releases=tuple(Release(version=v, published_at=t) for v, t in history),
                ),
                source,
            ),
            FactKind.ARTIFACTS: Ok(Artifacts(version=s.version, files=files), source),
            FactKind.PUBLISHERS: Ok(
                Publishers(
                    version=s.version,
                    publishers=(publisher,),
                    maintainers=(f"maintainer-{s.index % 311}",),
                    attestations=(publisher,),
                    previous_version=history[-2][0],
                    previous_publishers=(publisher,),
                    previous_maintainers=(f"maintainer-{s.index % 311}",),
                    previous_attestations=(publisher,),
                ),
                source,
            ),
            FactKind.ADVISORIES: Ok(
                Advisories(version=s.version, advisories=tuple(_advisory_of(s))),
                Source(name="osv", url="https://api.osv.dev/v1/querybatch", fetched_at=fetched),
            ),
        }
        components[key] = ComponentEvidence(key, facts)
    return Evidence(components=components, created_at=NOW)


def make_evidence(count: int, seed: int = 7) -> bytes:
    """The evidence bundle bytes matching :func:`make_sbom` (FORMATS.md §1)."""
    from policyengine.enrich.bundle import dump_bundle

    return dump_bundle(make_evidence_object(count, seed))


def pypi_document(name: str, version: str, index: int = 0) -> dict[str, Any]:
    """A PyPI JSON API project document (``/pypi/<name>/json``) for a synthetic registry."""
    spec = Spec(
        index=index,
        ecosystem="pypi",
        name=name,
        version=version,
        ref=f"{name}@{version}",
        purl=f"pkg:pypi/{name}@{version}",
        alg="SHA-256",
        digest=hashlib.sha256(f"{name}@{version}".encode()).hexdigest(),
        dist_digest=hashlib.sha256(name.encode()).hexdigest(),
        license={"license": {"id": "MIT"}},
        depends_on=(),
    )
    releases: dict[str, list[dict[str, Any]]] = {}
    for v, when in _history(spec):
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        digest = hashlib.sha256(f"{name}@{v}".encode()).hexdigest()
        releases[v] = [
            {
                "filename": f"{name.replace('-', '_')}-{v}-py3-none-any.whl",
                "url": f"https://files.example.invalid/{name}-{v}.whl",
                "size": 10_000,
                "digests": {"sha256": digest},
                "packagetype": "bdist_wheel",
                "upload_time_iso_8601": stamp,
                "yanked": False,
                "yanked_reason": None,
            }
        ]
    return {
        "info": {
            "name": name,
            "version": version,
            "author": f"Author {index}",
            "author_email": None,
            "maintainer": None,
            "home_page": f"https://example.invalid/{name}",
            "project_urls": {"Source": f"https://github.com/example/{name}"},
            "yanked": False,
        },
        "releases": releases,
        "urls": releases[version],
        "last_serial": index,
    }


WRITERS = {
    "cdx.json": make_sbom,
    "cdx.xml": make_cdx_xml,
    "spdx.json": make_spdx,
    "spdx3.json": make_spdx3,
    "evidence.json": make_evidence,
}


def main(argv: list[str] | None = None) -> None:
    """Write the synthetic files for each size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--kinds", nargs="+", choices=sorted(WRITERS), default=sorted(WRITERS))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        for kind in args.kinds:
            path = args.out / f"synth-{size}.{kind}"
            path.write_bytes(WRITERS[kind](size))
            print(f"{path}  {path.stat().st_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
