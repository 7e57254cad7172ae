"""CycloneDX readers: JSON (spec 1.2-1.7) and XML (1.0-1.7) into the common model.

A fast path: JSON is parsed with orjson into plain dicts and mapped directly,
not through cyclonedx-python-lib's object model (``Bom.from_json`` measured
142x slower than orjson at 10k components, DESIGN.md). The library still
provides the schemas for ``--validate``. Every document gets a cheap
structural check (``cyclonedx_check``); ``validate=True`` adds the full schema.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import orjson

from policyengine.ingest.cyclonedx_check import check_header, check_structure
from policyengine.ingest.cyclonedx_map import (
    dependencies_of,
    direct_refs,
    map_component,
    metadata_of,
    walk_components,
)
from policyengine.ingest.cyclonedx_xml import parse_xml
from policyengine.ingest.identity import with_other_identities
from policyengine.ingest.normalize import normalize_name
from policyengine.ingest.spdx_build import gc_paused
from policyengine.model import Component, InputError, Position, Sbom

FORMAT = "cyclonedx"


def read_json(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """Read a CycloneDX JSON document (``data`` is UTF-8 bytes; ``source`` names it)."""
    with gc_paused():
        document = _loads(data, source)
        version = check_header(document, source)
        check_structure(document, source)
        if validate:
            from policyengine.ingest.cyclonedx_schema import validate_json

            validate_json(document, version, source)
        return _build(document, version, data, source)


def read_xml(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """Read a CycloneDX XML document; DTDs and entities are refused (see ``cyclonedx_xml``)."""
    with gc_paused():
        document, version = parse_xml(data, source)
        if validate:
            from policyengine.ingest.cyclonedx_schema import validate_xml

            validate_xml(data, version, source)
        check_structure(document, source)
        return _build(document, version, data, source)


def _loads(data: bytes, source: str) -> Any:
    # Windows tools write a UTF-8 byte order mark; RFC 8259 lets a parser ignore it,
    # orjson refuses it.
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "recursion" in exc.msg.lower() or "depth" in exc.msg.lower():
            message = "the JSON is nested deeper than 1024 levels, which no SBOM needs"
            hint = "the file is malformed or hostile; re-export it"
        else:
            message = f"not valid JSON: {exc.msg}"
            hint = "the file may be truncated or not JSON; re-export it"
        raise InputError(
            message,
            position=Position(source, line=exc.lineno, column=exc.colno),
            hint=hint,
        ) from None


def _build(document: dict[str, Any], version: str, data: bytes, source: str) -> Sbom:
    metadata, roots = metadata_of(document)
    graph = dependencies_of(document)
    direct = direct_refs(graph, roots)
    components = tuple(_components(document, source, direct))
    return Sbom(
        format=FORMAT,
        spec_version=version,
        source=source,
        digest="sha256:" + hashlib.sha256(data).hexdigest(),
        components=components,
        metadata=metadata,
        dependencies=graph or (),
        roots=roots,
    )


def _npm_alias(raw: dict[str, Any], component: Component) -> bool:
    """True when the document says the name is an npm alias of the purl's package.

    ``npm sbom`` lists an aliased dependency (``"x": "npm:real@1.2.3"``) under the
    folder name ``x`` with the purl, the bom-ref (``real@1.2.3``) and the tarball of
    ``real``: the name is no package. Either of the two agreeing with the purl says so.
    """
    if component.ecosystem != "npm":
        return False
    if raw.get("bom-ref") == f"{component.name}@{component.version}":
        return True
    refs = raw.get("externalReferences")
    tail = f"/{component.name}/-/"
    for ref in refs if isinstance(refs, list) else ():
        if isinstance(ref, dict) and ref.get("type") == "distribution":
            url = ref.get("url")
            if isinstance(url, str) and tail in unquote(url):
                return True
    return False


def _components(
    document: dict[str, Any],
    source: str,
    direct: tuple[frozenset[str], frozenset[str]] | None,
) -> Iterator[Component]:
    for raw, pointer in walk_components(document):
        is_direct: bool | None = None
        if direct is not None:
            ref = raw.get("bom-ref")
            if ref in direct[0]:
                is_direct = True
            elif ref in direct[1]:
                is_direct = False
        component = map_component(raw, pointer, source, direct=is_direct)
        name = raw.get("name")
        if component.purl is None or not isinstance(name, str):
            yield component
            continue
        group = raw.get("group")
        version = raw.get("version")
        yield from with_other_identities(
            component,
            normalize_name(
                component.ecosystem, name.strip(), group if isinstance(group, str) else None
            ),
            version.strip() if isinstance(version, str) else None,
            npm_alias=_npm_alias(raw, component),
        )
