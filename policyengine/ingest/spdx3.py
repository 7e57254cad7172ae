"""SPDX 3.0 JSON-LD reader: the ``@graph`` of a document -> :class:`Sbom`.

spdx-tools has no stable SPDX 3 parser, so the graph is read with orjson
directly, as the SPDX 3 JSON-LD serialisation writes it (compact form with the
published ``spdx-context.jsonld``: ``type``, ``spdxId``, prefixed property
names). Packages (``software_Package`` and its AI / dataset subclasses) become
components; purls come from ``software_packageUrl`` or an ``externalIdentifier``
of type ``packageUrl``; hashes from ``verifiedUsing``; licenses from the
``hasDeclaredLicense`` / ``hasConcludedLicense`` relationships; the graph from
``dependsOn`` / ``contains`` relationships and the documents' ``rootElement``.
``validate=True`` first checks the document against SPDX's 3.0.1 JSON Schema
(``spdx3_schema``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policyengine.ingest.spdx_build import (
    RawDocument,
    RawPackage,
    build_sbom,
    gc_paused,
    load_json,
)
from policyengine.model import InputError, Location, Position, Sbom

PACKAGE_TYPES = frozenset({"software_Package", "ai_AIPackage", "dataset_DatasetPackage"})
"""Element types read as packages (the AI and dataset profiles subclass software_Package)."""

_AGENT_TYPES = frozenset({"Person", "Organization", "Tool", "Agent", "SoftwareAgent"})
_LICENSE_TYPES = frozenset({"simplelicensing_LicenseExpression", "expandedlicensing_CustomLicense"})
_RELATIONSHIP_TYPES = frozenset({"Relationship", "LifecycleScopedRelationship"})
_LISTED_LICENSE = re.compile(r"^https?://spdx\.org/licenses/([A-Za-z0-9.+-]+)$")
_NO_LICENSE = ("NoAssertionLicense", "NoneLicense")
_SCOPED_DEPENDENCY = {
    "development": "DEV_DEPENDENCY_OF",
    "test": "TEST_DEPENDENCY_OF",
    "build": "BUILD_DEPENDENCY_OF",
    "runtime": "RUNTIME_DEPENDENCY_OF",
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_HINT = "SPDX 3 support covers packages, purls, hashes, licenses and dependency relationships"


def read_spdx3(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """Read an SPDX 3.0 JSON-LD document; ``validate`` adds the SPDX 3.0.1 JSON Schema."""
    with gc_paused():
        document = load_json(data, source)
        if validate:
            from policyengine.ingest.spdx3_schema import validate_document

            validate_document(document, source)
        return build_sbom(raw_from_graph(document, source), data, source)


def raw_from_graph(top: object, source: str) -> RawDocument:
    """Map a decoded SPDX 3 JSON-LD document to :class:`RawDocument`."""
    if not isinstance(top, Mapping):
        raise _unsupported(source, "", "the document is not a JSON object")
    context = top.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not any(isinstance(c, str) and "spdx.org/rdf/3." in c for c in contexts):
        raise _unsupported(source, "/@context", "expected the SPDX 3 context (spdx.org/rdf/3.x)")
    graph = top.get("@graph")
    if not isinstance(graph, list):
        raise _unsupported(
            source,
            "/@graph",
            "expected an @graph list of elements (single-element documents "
            "without @graph are not supported)",
        )
    elements: dict[str, Mapping[str, Any]] = {}
    pointers: dict[str, str] = {}
    for i, element in enumerate(graph):
        if not isinstance(element, Mapping):
            raise _unsupported(source, f"/@graph/{i}", "expected an object")
        element_id = _id(element)
        if element_id:
            elements[element_id] = element
            pointers[element_id] = f"/@graph/{i}"
    return _Graph(source, elements, pointers, graph).document()


class _Graph:
    """Lookups over one @graph; the element list keeps its order for stable output."""

    def __init__(
        self,
        source: str,
        elements: dict[str, Mapping[str, Any]],
        pointers: dict[str, str],
        graph: list[Mapping[str, Any]],
    ) -> None:
        self.source = source
        self.elements = elements
        self.pointers = pointers
        self.graph = graph

    def document(self) -> RawDocument:
        docs = [e for e in self.graph if _type(e) == "SpdxDocument"]
        doc = docs[0] if docs else {}
        info = self._creation_info(doc) if doc else {}
        spec = info.get("specVersion")
        if spec is not None and not str(spec).startswith("3."):
            raise _unsupported(self.source, "", f"specVersion {spec!r} is not SPDX 3")
        raw = RawDocument(
            spec_version=str(spec) if spec else "3.0",
            document_id=_id(doc) or "",
            name=_text(doc.get("name")) if doc else None,
            created=_text(info.get("created")),
            creators=self._creators(info),
        )
        raw.describes = self._roots(docs)
        licenses: dict[str, dict[str, str]] = {}
        for element in self.graph:
            if _type(element) in _RELATIONSHIP_TYPES:
                self._relationship(element, raw, licenses)
        for element in self.graph:
            if _type(element) in PACKAGE_TYPES:
                raw.packages.append(self._package(element, licenses))
        if raw.name is None:
            names = [p.name for p in raw.packages if p.spdx_id in raw.describes]
            raw.name = names[0] if names else None
        return raw

    def _creation_info(self, element: Mapping[str, Any]) -> Mapping[str, Any]:
        info = element.get("creationInfo")
        if isinstance(info, str):
            info = self.elements.get(info, {})
        return info if isinstance(info, Mapping) else {}

    def _creators(self, info: Mapping[str, Any]) -> list[str]:
        creators = [f"Tool: {self._agent(t)}" for t in _ids(info.get("createdUsing"))]
        for agent_id in _ids(info.get("createdBy")):
            agent = self.elements.get(agent_id, {})
            kind = "Tool" if _type(agent) in ("Tool", "SoftwareAgent") else "Person"
            if _type(agent) == "Organization":
                kind = "Organization"
            creators.append(f"{kind}: {self._agent(agent_id)}")
        return creators

    def _agent(self, agent_id: str) -> str:
        agent = self.elements.get(agent_id)
        name = _text(agent.get("name")) if agent else None
        return name or agent_id

    def _roots(self, docs: list[Mapping[str, Any]]) -> list[str]:
        roots: list[str] = []
        pending = [r for d in docs for r in _ids(d.get("rootElement"))]
        seen: set[str] = set()
        while pending:
            ref = pending.pop(0)
            if ref in seen:
                continue
            seen.add(ref)
            element = self.elements.get(ref, {})
            # An SBOM element is a collection: what it is about is its own rootElement.
            if _type(element) in ("software_Sbom", "SpdxDocument", "Bom", "Bundle"):
                pending.extend(_ids(element.get("rootElement")))
            else:
                roots.append(ref)
        return roots

    def _relationship(
        self, element: Mapping[str, Any], raw: RawDocument, licenses: dict[str, dict[str, str]]
    ) -> None:
        kind = _text(element.get("relationshipType")) or ""
        scope = _text(element.get("scope"))
        scoped = _SCOPED_DEPENDENCY.get(scope) if scope else None
        left = _ref(element.get("from"))
        if not left:
            return
        for right in _ids(element.get("to")):
            if kind in ("hasDeclaredLicense", "hasConcludedLicense"):
                expression = self._license(right)
                if expression is not None:
                    licenses.setdefault(left, {})[kind] = expression
            elif kind == "describes" and _type(self.elements.get(left, {})) in (
                "SpdxDocument",
                "software_Sbom",
            ):
                raw.describes.append(right)
            elif kind == "dependsOn" and scoped is not None:
                # A LifecycleScopedRelationship, said the SPDX 2 way: "B DEV_DEPENDENCY_OF A".
                raw.relationships.append((right, scoped, left))
            else:
                raw.relationships.append((left, _CAMEL.sub("_", kind).upper(), right))

    def _license(self, ref: str) -> str | None:
        if ref.endswith(_NO_LICENSE):
            return None
        element = self.elements.get(ref)
        if element is not None and _type(element) == "simplelicensing_LicenseExpression":
            return _text(element.get("simplelicensing_licenseExpression"))
        listed = _LISTED_LICENSE.match(ref)
        if listed:
            return listed.group(1)
        if element is not None and _type(element) in _LICENSE_TYPES:
            name = re.sub(r"[^A-Za-z0-9.-]+", "-", ref.rsplit("/", 1)[-1].rsplit("#", 1)[-1])
            return f"LicenseRef-{name.strip('-')}"
        return None

    def _package(
        self, element: Mapping[str, Any], licenses: dict[str, dict[str, str]]
    ) -> RawPackage:
        element_id = _id(element) or ""
        pointer = self.pointers.get(element_id, "/@graph")
        name = _text(element.get("name"))
        if not element_id or not name:
            raise InputError(
                "a package element needs a spdxId and a name",
                position=Position(self.source, pointer=pointer),
                hint="fix the document or re-generate it",
            )
        found = licenses.get(element_id, {})
        pkg = RawPackage(
            spdx_id=element_id,
            name=name,
            version=_text(element.get("software_packageVersion")),
            license_declared=found.get("hasDeclaredLicense"),
            license_concluded=found.get("hasConcludedLicense"),
            purpose=_text(element.get("software_primaryPurpose")),
            location=Location(self.source, pointer=pointer),
        )
        supplier = _ref(element.get("suppliedBy"))
        pkg.supplier = self._agent(supplier) if supplier else None
        originators = _ids(element.get("originatedBy"))
        pkg.originator = self._agent(originators[0]) if originators else None
        purl = _text(element.get("software_packageUrl"))
        if purl:
            pkg.purls.append(purl)
        for ident in _objects(element.get("externalIdentifier")):
            kind = _text(ident.get("externalIdentifierType")) or ""
            value = _text(ident.get("identifier"))
            if not value:
                continue
            if kind == "packageUrl":
                pkg.purls.append(value)
            else:
                pkg.other_refs.append((kind, value))
        for check in _objects(element.get("verifiedUsing")):
            # PackageVerificationCode is a digest over the package's files, not of an artifact.
            if _type(check) != "Hash":
                continue
            alg, value = _text(check.get("algorithm")), _text(check.get("hashValue"))
            if alg and value:
                pkg.checksums.append((alg, value))
        return pkg


def _unsupported(source: str, pointer: str, what: str) -> InputError:
    return InputError(
        f"unsupported SPDX 3 JSON-LD: {what}",
        position=Position(source, pointer=pointer),
        hint=_HINT,
    )


def _type(element: Mapping[str, Any]) -> str | None:
    kind = element.get("type", element.get("@type"))
    return kind if isinstance(kind, str) else None


def _id(element: Mapping[str, Any]) -> str | None:
    value = element.get("spdxId", element.get("@id"))
    return value if isinstance(value, str) and value else None


def _ref(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Mapping):
        return _id(value)
    return None


def _ids(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [ref for item in items if (ref := _ref(item))]


def _objects(value: object) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [item for item in items if isinstance(item, Mapping)]


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    return None
