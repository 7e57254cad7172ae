"""From a format-neutral view of an SPDX document to the common :class:`Sbom`.

Every SPDX reader (2.x JSON/YAML fast path, spdx-tools for tag-value/RDF/XML,
3.0 JSON-LD) first fills :class:`RawDocument`; this module alone decides how a
package becomes a :class:`Component` (identity from the purl, hashes, licenses,
supplier) and which packages are direct dependencies, so the serialisations
cannot drift apart.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import orjson
from packageurl import PackageURL

from policyengine.ingest.identity import with_other_identities
from policyengine.ingest.normalize import (
    declared_licenses,
    identity_from_purl,
    normalize_hash_alg,
    normalize_hash_value,
    normalize_license,
    normalize_name,
)
from policyengine.ingest.trove import is_classifier
from policyengine.model import (
    Component,
    Hash,
    InputError,
    Location,
    Position,
    Sbom,
    SbomMetadata,
)

NO_VALUE = frozenset({"", "NOASSERTION", "NONE"})
"""SPDX's placeholders for "not known" and "nothing": both mean no value for the gate."""

# "A DEPENDS_ON B": A needs B. The *_OF forms point the other way.
FORWARD_DEPENDENCY = frozenset(
    {
        "DEPENDS_ON",
        "CONTAINS",
        "HAS_PREREQUISITE",
        "STATIC_LINK",
        "DYNAMIC_LINK",
        # SPDX 3 names, as the SPDX 3 reader spells them (camelCase -> UPPER_SNAKE).
        "HAS_STATIC_LINK",
        "HAS_DYNAMIC_LINK",
        "HAS_OPTIONAL_DEPENDENCY",
        "HAS_PROVIDED_DEPENDENCY",
    }
)
REVERSE_DEPENDENCY = frozenset(
    {
        "DEPENDENCY_OF",
        "CONTAINED_BY",
        "BUILD_DEPENDENCY_OF",
        "DEV_DEPENDENCY_OF",
        "OPTIONAL_DEPENDENCY_OF",
        "PROVIDED_DEPENDENCY_OF",
        "TEST_DEPENDENCY_OF",
        "RUNTIME_DEPENDENCY_OF",
        "PREREQUISITE_FOR",
    }
)

_SCOPE_OF = {
    "DEV_DEPENDENCY_OF": "excluded",
    "TEST_DEPENDENCY_OF": "excluded",
    "BUILD_DEPENDENCY_OF": "excluded",
    "OPTIONAL_DEPENDENCY_OF": "optional",
    "HAS_OPTIONAL_DEPENDENCY": "optional",
    "RUNTIME_DEPENDENCY_OF": "required",
}

# SPDX 2.3 Annex F package-manager reference types that name an ecosystem on their own.
_REF_ECOSYSTEMS = {
    "npm": "npm",
    "pypi": "pypi",
    "maven-central": "maven",
    "nuget": "nuget",
    "gem": "gem",
    "cargo": "cargo",
}
_ACTOR = re.compile(r"^\s*(?:Person|Organization|Organisation|Tool)\s*:\s*", re.IGNORECASE)
_EMAIL_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


@dataclass(slots=True)
class RawPackage:
    """One SPDX package as written, before any normalisation."""

    spdx_id: str
    name: str
    version: str | None = None
    purls: list[str] = field(default_factory=list)
    other_refs: list[tuple[str, str]] = field(default_factory=list)
    checksums: list[tuple[str, str]] = field(default_factory=list)
    license_declared: str | None = None
    license_concluded: str | None = None
    supplier: str | None = None
    originator: str | None = None
    purpose: str | None = None
    location: Location | None = None


@dataclass(slots=True)
class RawDocument:
    """An SPDX document reduced to what the gate needs; relationships as (from, TYPE, to)."""

    spec_version: str | None
    document_id: str
    name: str | None = None
    created: str | None = None
    creators: list[str] = field(default_factory=list)
    describes: list[str] = field(default_factory=list)
    relationships: list[tuple[str, str, str]] = field(default_factory=list)
    packages: list[RawPackage] = field(default_factory=list)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large document becomes objects.

    Building tens of thousands of small objects triggers collection after collection
    that finds nothing to free; pausing halves the read time at 50k packages. The
    CycloneDX reader uses it too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_json(data: bytes, source: str) -> object:
    """Parse an SPDX JSON document (2.x or 3.0; a UTF-8 byte order mark is ignored)."""
    try:
        return orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}",
            position=Position(source, line=exc.lineno, column=exc.colno),
            hint="fix the JSON syntax or re-generate the document",
        ) from None


def build_sbom(doc: RawDocument, data: bytes, source: str) -> Sbom:
    """Turn a :class:`RawDocument` into an :class:`Sbom` with a dependency graph."""
    ids = {p.spdx_id for p in doc.packages}
    edges = _dependency_edges(doc, ids)
    roots = _roots(doc, ids)
    direct = _direct_flags(roots, edges, ids)
    scopes = _scopes(doc, ids)
    components = tuple(
        identity
        for p in doc.packages
        for identity in _identities(
            p,
            _component(
                p,
                source,
                direct.get(p.spdx_id) if direct is not None else None,
                scopes.get(p.spdx_id),
            ),
        )
    )
    dependencies = tuple(
        (p.spdx_id, tuple(edges[p.spdx_id])) for p in doc.packages if edges.get(p.spdx_id)
    )
    return Sbom(
        format="spdx",
        spec_version=_spec_version(doc.spec_version),
        source=source,
        digest="sha256:" + hashlib.sha256(data).hexdigest(),
        components=components,
        metadata=_metadata(doc),
        dependencies=dependencies,
        roots=tuple(roots),
    )


def actor_name(value: str | None) -> str | None:
    """``Organization: ACME (a@b.c)`` -> ``ACME``; NOASSERTION and blanks -> ``None``."""
    if value is None or value.strip() in NO_VALUE:
        return None
    name = _EMAIL_SUFFIX.sub("", _ACTOR.sub("", value, count=1)).strip()
    return name or None


def _spec_version(version: str | None) -> str | None:
    if version is None:
        return None
    return version.removeprefix("SPDX-")


def _metadata(doc: RawDocument) -> SbomMetadata:
    tools: list[str] = []
    authors: list[str] = []
    for creator in doc.creators:
        name = actor_name(creator)
        if name is None:
            continue
        if creator.strip().lower().startswith("tool"):
            tools.append(name)
        else:
            authors.append(name)
    return SbomMetadata(
        timestamp=doc.created, tools=tuple(tools), authors=tuple(authors), subject=doc.name
    )


def _identities(pkg: RawPackage, component: Component) -> tuple[Component, ...]:
    """The component, plus one per identity its name/versionInfo or other purls give."""
    if component.purl is None:
        return (component,)
    version_info = pkg.version if pkg.version and pkg.version not in NO_VALUE else None
    used = component.purl
    others = tuple(p for p in pkg.purls if p.strip() and p.strip() != used)
    return with_other_identities(component, pkg.name, version_info, others)


def _component(pkg: RawPackage, source: str, direct: bool | None, scope: str | None) -> Component:
    ecosystem, name, version, purl, reason = _identity(pkg)
    licenses, unmapped = _license(pkg)
    return Component(
        ref=pkg.spdx_id,
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=purl,
        hashes=_hashes(pkg, source),
        licenses=licenses,
        supplier=actor_name(pkg.supplier),
        author=actor_name(pkg.originator),
        direct=direct,
        scope=scope,
        type=pkg.purpose.lower().replace("_", "-") if pkg.purpose else None,
        location=pkg.location,
        unidentified_reason=reason,
        identifiers=tuple(
            locator.strip()
            for ref_type, locator in pkg.other_refs
            if ref_type.lower().startswith(("cpe", "swid")) and locator.strip()
        ),
        unmapped_license_classifiers=unmapped,
    )


def _identity(
    pkg: RawPackage,
) -> tuple[str | None, str, str | None, str | None, str | None]:
    version_info = pkg.version if pkg.version and pkg.version not in NO_VALUE else None
    errors: list[str] = []
    for purl in pkg.purls:
        ident = identity_from_purl(purl.strip())
        if ident.error is None and ident.ecosystem and ident.name:
            return ident.ecosystem, ident.name, ident.version or version_info, purl.strip(), None
        errors.append(ident.error or f"purl {purl!r} names no package")
    for ref_type, locator in pkg.other_refs:
        found = _identity_from_ref(ref_type, locator, version_info)
        if found is not None:
            return (*found, None)
    if errors:
        reason = errors[0]
    elif any(t.lower().startswith("cpe") for t, _ in pkg.other_refs):
        reason = "no purl: a CPE reference does not name a package ecosystem"
    else:
        reason = "no purl external reference, so no package ecosystem"
    return None, pkg.name, version_info, None, reason


def _identity_from_ref(
    ref_type: str, locator: str, version_info: str | None
) -> tuple[str, str, str | None, str] | None:
    ecosystem = _REF_ECOSYSTEMS.get(ref_type.strip().lower())
    locator = locator.strip()
    if ecosystem is None or not locator:
        return None
    namespace: str | None = None
    version = version_info
    if ecosystem == "maven":
        parts = locator.split(":")
        if len(parts) < 2:
            return None
        namespace, short = parts[0], parts[1]
        version = parts[2] if len(parts) > 2 and parts[2] else version
    elif ecosystem == "nuget" and "/" in locator:
        short, _, ver = locator.partition("/")
        version = ver or version
    else:
        short, at_version = _split_at_version(locator)
        version = at_version or version
        if ecosystem == "npm" and short.startswith("@") and "/" in short:
            namespace, short = short.split("/", 1)
    if not short:
        return None
    name = normalize_name(ecosystem, short, namespace)
    purl_name = name if ecosystem == "pypi" else short
    purl = PackageURL(type=ecosystem, namespace=namespace, name=purl_name, version=version)
    return ecosystem, name, version, str(purl.to_string())


def _split_at_version(locator: str) -> tuple[str, str | None]:
    for sep in ("==", "@"):
        # An npm scope starts with "@": the version separator is the last one after it.
        idx = locator.rfind(sep)
        if idx > 0:
            return locator[:idx], locator[idx + len(sep) :] or None
    return locator, None


def _hashes(pkg: RawPackage, source: str) -> tuple[Hash, ...]:
    hashes: list[Hash] = []
    for alg, value in pkg.checksums:
        digest = normalize_hash_value(value)
        if digest is None:
            loc = pkg.location
            raise InputError(
                f"package {pkg.spdx_id}: checksum {alg} value {value!r} is not hexadecimal",
                position=Position(
                    source,
                    line=loc.line if loc else None,
                    pointer=loc.pointer if loc else None,
                ),
                hint="SPDX checksums are lower-case hex digests; re-generate the SBOM",
            )
        hashes.append(Hash(normalize_hash_alg(alg), digest))
    return tuple(hashes)


def _license(pkg: RawPackage) -> tuple[str | None, tuple[str, ...]]:
    for value in (pkg.license_declared, pkg.license_concluded):
        if value is not None and value.strip() not in NO_VALUE:
            if is_classifier(value):
                # Not SPDX syntax, but some generators copy a package's classifier here.
                return declared_licenses([], [value])
            return normalize_license(value), ()
    return None, ()


def _dependency_edges(doc: RawDocument, ids: set[str]) -> dict[str, list[str]]:
    """Package -> packages it depends on, looking through files and other non-packages.

    SPDX often routes a dependency through a file: the package CONTAINS its binary,
    and the binary DYNAMIC_LINKs a library package. Such a library is a dependency of
    the package; files themselves are not components.
    """
    # dict keys as an ordered set: a root with 10k dependencies must not cost 10k^2 / 2.
    graph: dict[str, dict[str, None]] = {}
    for left, kind, right in doc.relationships:
        if kind in FORWARD_DEPENDENCY:
            parent, child = left, right
        elif kind in REVERSE_DEPENDENCY:
            parent, child = right, left
        else:
            continue
        if parent != child:
            graph.setdefault(parent, {})[child] = None
    edges: dict[str, list[str]] = {}
    for package in ids:
        if package not in graph:
            continue
        found: dict[str, None] = {}
        seen = {package}
        stack = list(reversed(graph[package]))
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in ids:
                found[node] = None
            else:
                stack.extend(reversed(graph.get(node, {})))
        if found:
            edges[package] = list(found)
    return edges


def _scopes(doc: RawDocument, ids: set[str]) -> dict[str, str]:
    """CycloneDX-style scope where the relationship types say it, as the lockfiles do.

    ``excluded`` when a package is only ever a dev/test/build dependency, ``optional``
    when only ever an optional one, ``required`` when anything needs it at runtime; no
    scope when a plain DEPENDS_ON / CONTAINS (which says nothing about it) is involved.
    """
    kinds: dict[str, set[str]] = {}
    for left, kind, right in doc.relationships:
        if kind in FORWARD_DEPENDENCY:
            child = right
        elif kind in REVERSE_DEPENDENCY:
            child = left
        else:
            continue
        if child in ids:
            kinds.setdefault(child, set()).add(_SCOPE_OF.get(kind, "unknown"))
    scopes: dict[str, str] = {}
    for ref, seen in kinds.items():
        if "required" in seen:
            scopes[ref] = "required"
        elif seen == {"excluded"}:
            scopes[ref] = "excluded"
        elif seen == {"optional"}:
            scopes[ref] = "optional"
    return scopes


def _roots(doc: RawDocument, ids: set[str]) -> list[str]:
    described = list(doc.describes)
    for left, kind, right in doc.relationships:
        if kind == "DESCRIBES" and left == doc.document_id:
            described.append(right)
        elif kind == "DESCRIBED_BY" and right == doc.document_id:
            described.append(left)
    roots: list[str] = []
    for ref in described:
        if ref in ids and ref not in roots:
            roots.append(ref)
    return roots


def _direct_flags(
    roots: list[str], edges: dict[str, list[str]], ids: set[str]
) -> dict[str, bool | None] | None:
    """Direct = one step from a described root; None when there is no graph to tell."""
    if not edges or not roots:
        return None
    depth: dict[str, int] = {r: 0 for r in roots}
    queue = deque(roots)
    while queue:
        node = queue.popleft()
        for child in edges.get(node, ()):
            if child not in depth:
                depth[child] = depth[node] + 1
                queue.append(child)
    flags: dict[str, bool | None] = {}
    for ref in ids:
        level = depth.get(ref)
        flags[ref] = None if level is None or level == 0 else level == 1
    return flags
