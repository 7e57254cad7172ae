"""Map a CycloneDX document, as plain JSON-shaped dicts, to the common model.

Both readers feed this: the JSON reader hands over what orjson parsed, the XML
reader converts elements into the same shape first. Keeping one mapping means a
component reads the same whichever serialisation it came in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policyengine.ingest.normalize import (
    declared_licenses,
    identity_from_purl,
    normalize_hash_alg,
    normalize_hash_value,
    normalize_name,
)
from policyengine.model import Component, Hash, Location, SbomMetadata

XML_PATH = "\x00path"
"""Key the XML reader sets on each component dict: its element path, used as location."""

DISTRIBUTION_TYPES = frozenset({"distribution", "distribution-intake"})
"""External reference types whose hashes are digests of the component's own artifacts."""

# CycloneDX property taxonomy prefixes (cyclonedx/cyclonedx-property-taxonomy) that
# name the package manager a component came from; only unambiguous ones are listed.
_PROPERTY_ECOSYSTEMS = {
    "cdx:npm:": "npm",
    "cdx:python:": "pypi",
    "cdx:pipenv:": "pypi",
    "cdx:poetry:": "pypi",
    "cdx:pdm:": "pypi",
    "cdx:uv:": "pypi",
    "cdx:gomod:": "golang",
    "cdx:maven:": "maven",
    "cdx:gradle:": "maven",
    "cdx:composer:": "composer",
    "cdx:rustc:": "cargo",
    "cdx:cargo:": "cargo",
    "cdx:nuget:": "nuget",
}

NO_ECOSYSTEM = "no purl and no other field names the ecosystem"


def xml_path_of(raw: dict[str, Any]) -> str | None:
    """The element path the XML reader recorded for ``raw``, if any."""
    path = raw.get(XML_PATH)
    return path if isinstance(path, str) else None


def walk_components(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield every component with its JSON pointer, nested ones right after their parent.

    Iterative rather than recursive: nesting depth is bounded only by the parser.
    """
    top = document.get("components")
    if not isinstance(top, list):
        return
    stack: list[tuple[list[Any], str, int]] = [(top, "/components", 0)]
    while stack:
        items, base, index = stack.pop()
        if index >= len(items):
            continue
        stack.append((items, base, index + 1))
        raw = items[index]
        if not isinstance(raw, dict):
            continue
        pointer = f"{base}/{index}"
        yield raw, pointer
        children = raw.get("components")
        if isinstance(children, list) and children:
            stack.append((children, f"{pointer}/components", 0))


def map_component(
    raw: dict[str, Any], pointer: str, source: str, *, direct: bool | None = None
) -> Component:
    """One CycloneDX component dict -> :class:`Component` (never raises on odd content)."""
    xml_path = xml_path_of(raw)
    location = Location(source, pointer=xml_path) if xml_path else Location(source, pointer=pointer)
    ref = _text(raw.get("bom-ref")) or f"{source}#{xml_path or pointer}"
    name = _text(raw.get("name")) or ""
    version = _text(raw.get("version"))
    purl = _text(raw.get("purl")) or _purl_from_references(raw)
    ecosystem: str | None = None
    reason: str | None = None
    if purl:
        ident = identity_from_purl(purl)
        if ident.error:
            reason = ident.error
        else:
            ecosystem = ident.ecosystem
            name = ident.name or name
            version = ident.version or version
    else:
        ecosystem = _ecosystem_from_properties(raw)
        if ecosystem is None:
            reason = NO_ECOSYSTEM
        else:
            name = normalize_name(ecosystem, name, _text(raw.get("group")))
    licenses, unmapped = read_licenses(raw.get("licenses"))
    return Component(
        ref=ref,
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=purl,
        hashes=component_hashes(raw),
        licenses=licenses,
        # CycloneDX's `publisher` names who published the component: the supplier when no
        # `supplier` entity is given (NTIA's "supplier name").
        supplier=_name_of(raw.get("supplier")) or _text(raw.get("publisher")),
        author=_author_of(raw),
        scope=_text(raw.get("scope")),
        direct=direct,
        type=_text(raw.get("type")),
        location=location,
        unidentified_reason=reason,
        unmapped_license_classifiers=unmapped,
        identifiers=_other_identifiers(raw),
    )


def _other_identifiers(raw: dict[str, Any]) -> tuple[str, ...]:
    """The CPE and the SWID tag id of a component, when given."""
    found = []
    cpe = _text(raw.get("cpe"))
    if cpe:
        found.append(cpe)
    swid = raw.get("swid")
    if isinstance(swid, dict):
        tag = _text(swid.get("tagId"))
        if tag:
            found.append(f"swid:{tag}")
    return tuple(found)


def component_hashes(raw: dict[str, Any]) -> tuple[Hash, ...]:
    """Hashes of the component and of its distribution references, deduplicated in order."""
    found: dict[tuple[str, str], None] = {}
    _add_hashes(found, raw.get("hashes"))
    refs = raw.get("externalReferences")
    if isinstance(refs, list):
        for ref in refs:
            if isinstance(ref, dict) and _text(ref.get("type")) in DISTRIBUTION_TYPES:
                _add_hashes(found, ref.get("hashes"))
    return tuple(Hash(alg, value) for alg, value in found)


def _add_hashes(found: dict[tuple[str, str], None], hashes: Any) -> None:
    if not isinstance(hashes, list):
        return
    for item in hashes:
        if not isinstance(item, dict):
            continue
        alg, content = item.get("alg"), item.get("content")
        if not isinstance(alg, str) or not isinstance(content, str):
            continue
        value = normalize_hash_value(content)
        if value is not None:
            found[(normalize_hash_alg(alg), value)] = None


def licenses_of(licenses: Any) -> str | None:
    """CycloneDX ``licenses`` (ids, names, expressions) as one SPDX expression."""
    return read_licenses(licenses)[0]


def read_licenses(licenses: Any) -> tuple[str | None, tuple[str, ...]]:
    """CycloneDX ``licenses`` as one SPDX expression, and the trove classifiers it left unmapped.

    An entry's ``id`` or ``expression`` is SPDX; its ``name`` may be free text or a
    trove classifier, which :func:`declared_licenses` maps where that is exact.
    """
    if not isinstance(licenses, list):
        return None, ()
    spdx: list[str] = []
    expressions: list[str] = []
    names: list[str] = []
    for choice in licenses:
        if not isinstance(choice, dict):
            continue
        expression = choice.get("expression")
        if isinstance(expression, str):
            spdx.append(expression)
            expressions.append(expression)
            continue
        lic = choice.get("license")
        if isinstance(lic, dict):
            spdx_id, name = _text(lic.get("id")), _text(lic.get("name"))
            if spdx_id:
                spdx.append(spdx_id)
            elif name:
                names.append(name)
    return declared_licenses(spdx, names, expressions=expressions)


def _purl_from_references(raw: dict[str, Any]) -> str | None:
    refs = raw.get("externalReferences")
    if not isinstance(refs, list):
        return None
    for ref in refs:
        if isinstance(ref, dict):
            url = ref.get("url")
            if isinstance(url, str) and url.startswith("pkg:"):
                return url
    return None


def _ecosystem_from_properties(raw: dict[str, Any]) -> str | None:
    props = raw.get("properties")
    if not isinstance(props, list):
        return None
    found: set[str] = set()
    for prop in props:
        name = prop.get("name") if isinstance(prop, dict) else None
        if isinstance(name, str):
            for prefix, ecosystem in _PROPERTY_ECOSYSTEMS.items():
                if name.startswith(prefix):
                    found.add(ecosystem)
    # Two package managers claiming one component is ambiguous: better unidentified.
    return found.pop() if len(found) == 1 else None


def _author_of(raw: dict[str, Any]) -> str | None:
    author = _text(raw.get("author"))
    if author:
        return author
    authors = raw.get("authors")
    if isinstance(authors, list):
        names = [n for n in (_name_of(a) for a in authors) if n]
        if names:
            return ", ".join(names)
    return _name_of(raw.get("manufacturer"))


def _name_of(entity: Any) -> str | None:
    if isinstance(entity, dict):
        return _text(entity.get("name")) or _text(entity.get("email"))
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def metadata_of(document: dict[str, Any]) -> tuple[SbomMetadata, tuple[str, ...]]:
    """Document metadata and the roots (the ``metadata.component`` bom-ref, if any)."""
    meta = document.get("metadata")
    if not isinstance(meta, dict):
        return SbomMetadata(), ()
    subject = meta.get("component")
    roots: tuple[str, ...] = ()
    subject_text = None
    if isinstance(subject, dict):
        ref = _text(subject.get("bom-ref"))
        roots = (ref,) if ref else ()
        name, version = _text(subject.get("name")), _text(subject.get("version"))
        if name:
            subject_text = f"{name}@{version}" if version else name
    authors = meta.get("authors")
    author_names = (
        tuple(n for n in (_name_of(a) for a in authors) if n) if isinstance(authors, list) else ()
    )
    return (
        SbomMetadata(
            timestamp=_text(meta.get("timestamp")),
            tools=_tools_of(meta.get("tools")),
            authors=author_names,
            subject=subject_text,
            supplier=_name_of(meta.get("supplier")) or _name_of(meta.get("manufacturer")),
            lifecycle=_lifecycle_of(meta.get("lifecycles")),
        ),
        roots,
    )


def _tools_of(tools: Any) -> tuple[str, ...]:
    entries: list[Any] = []
    if isinstance(tools, list):  # 1.2-1.4 form (deprecated but still allowed later)
        entries = tools
    elif isinstance(tools, dict):  # 1.5+ form
        for key in ("components", "services"):
            part = tools.get(key)
            if isinstance(part, list):
                entries.extend(part)
    out: list[str] = []
    for tool in entries:
        if not isinstance(tool, dict):
            continue
        name = _text(tool.get("name"))
        if not name:
            continue
        version = _text(tool.get("version"))
        out.append(f"{name}@{version}" if version else name)
    return tuple(out)


def _lifecycle_of(lifecycles: Any) -> str | None:
    if not isinstance(lifecycles, list):
        return None
    phases = [
        _text(item.get("phase")) or _text(item.get("name"))
        for item in lifecycles
        if isinstance(item, dict)
    ]
    named = [p for p in phases if p]
    return ", ".join(named) or None


def dependencies_of(document: dict[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """The dependency graph as (ref, depends-on refs); ``None`` when the document has none."""
    deps = document.get("dependencies")
    if not isinstance(deps, list):
        return None
    graph: dict[str, list[str]] = {}
    for entry in deps:
        if not isinstance(entry, dict):
            continue
        ref = entry.get("ref")
        if not isinstance(ref, str):
            continue
        targets = graph.setdefault(ref, [])
        depends = entry.get("dependsOn")
        if isinstance(depends, list):
            targets.extend(d for d in depends if isinstance(d, str) and d not in targets)
    return tuple((ref, tuple(targets)) for ref, targets in graph.items())


def direct_refs(
    graph: tuple[tuple[str, tuple[str, ...]], ...] | None, roots: tuple[str, ...]
) -> tuple[frozenset[str], frozenset[str]] | None:
    """(refs the roots depend on directly, every ref the graph mentions).

    ``None`` when the graph cannot tell: no graph, no root, or the root absent from it.
    A component the graph never mentions is neither direct nor known transitive.
    """
    if graph is None or not roots:
        return None
    lookup = dict(graph)
    if not any(root in lookup for root in roots):
        return None
    direct = frozenset(ref for root in roots for ref in lookup.get(root, ()))
    mentioned = frozenset(lookup).union(*(set(targets) for targets in lookup.values()))
    return direct, mentioned
