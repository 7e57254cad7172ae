"""Parse CycloneDX XML safely and convert it to the JSON shape the mapper reads.

Parsing goes through defusedxml: a DTD, entity declaration or external
reference is refused outright (no entity bombs, no file or network access).
Every spec version's namespace (``http://cyclonedx.org/schema/bom/1.0`` ...
``1.7``) is recognised; elements of other namespaces (extensions) are ignored,
except the 1.1 dependency-graph extension, which carries the dependencies.
"""

from __future__ import annotations

from collections import deque
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from policyengine.ingest.cyclonedx_check import XML_SPEC_VERSIONS
from policyengine.ingest.cyclonedx_map import XML_PATH
from policyengine.model import InputError, Position

BOM_NAMESPACE = "http://cyclonedx.org/schema/bom/"
DEPENDENCY_GRAPH_NAMESPACE = "http://cyclonedx.org/schema/ext/dependency-graph/1.0"


def parse_xml(data: bytes, source: str) -> tuple[dict[str, Any], str]:
    """Parse XML bytes into (JSON-shaped document, spec version); raise InputError if unusable."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(
            f"the XML declares a DTD, entities or external references ({type(exc).__name__}); "
            "these are refused because they enable entity-expansion and file-disclosure attacks",
            position=Position(source),
            hint="export the SBOM without a DOCTYPE",
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise InputError(
            f"not well-formed XML: {_reason(exc)}",
            position=Position(source, line=line, column=column + 1),
            hint="the file may be truncated or not XML; re-export it",
        ) from None
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", "")
    version = namespace[len(BOM_NAMESPACE) :] if namespace.startswith(BOM_NAMESPACE) else ""
    if local != "bom" or version not in XML_SPEC_VERSIONS:
        raise InputError(
            f"expected a <bom> element in a CycloneDX namespace ({BOM_NAMESPACE}1.0 to 1.7), "
            f"found <{local or root.tag}> in namespace {namespace or 'none'!r}",
            position=Position(source, line=1),
            hint="this XML document is not a supported CycloneDX BOM",
        )
    try:
        return _Converter(namespace).document(root), version
    except RecursionError:
        raise InputError(
            "components are nested too deeply to read",
            position=Position(source),
            hint="the file is malformed or hostile; re-export it",
        ) from None


def _reason(exc: ParseError) -> str:
    text = str(exc)
    return text.split(":", 1)[0] if ": line" in text else text


class _Converter:
    """Turns CycloneDX elements of one namespace into JSON-shaped dicts."""

    def __init__(self, namespace: str) -> None:
        self.ns = f"{{{namespace}}}"

    def _find(self, el: Element, name: str) -> Element | None:
        return el.find(self.ns + name)

    def _all(self, el: Element | None, *path: str) -> list[Element]:
        if el is None:
            return []
        return el.findall("/".join(self.ns + p for p in path))

    def _text(self, el: Element, name: str) -> str | None:
        child = el.find(self.ns + name)
        if child is None or child.text is None:
            return None
        return child.text.strip() or None

    def document(self, root: Element) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        meta = self._find(root, "metadata")
        if meta is not None:
            doc["metadata"] = self._metadata(meta)
        comps = self._find(root, "components")
        if comps is not None:
            doc["components"] = self._components(comps, "/bom/components")
        deps = self._find(root, "dependencies")
        if deps is None:
            deps = root.find(f"{{{DEPENDENCY_GRAPH_NAMESPACE}}}dependencies")
        if deps is not None:
            doc["dependencies"] = _dependencies(deps)
        return doc

    def _components(self, parent: Element, path: str) -> list[dict[str, Any]]:
        return [
            self._component(el, f"{path}/component[{index}]")
            for index, el in enumerate(self._all(parent, "component"), start=1)
        ]

    def _component(self, el: Element, path: str) -> dict[str, Any]:
        raw: dict[str, Any] = {XML_PATH: path}
        for attr in ("type", "bom-ref"):
            value = el.get(attr)
            if value is not None:
                raw[attr] = value
        for name in ("name", "version", "group", "purl", "scope", "author", "cpe", "publisher"):
            text = self._text(el, name)
            if text is not None:
                raw[name] = text
        name_el = self._find(el, "name")
        if "name" not in raw and name_el is not None:
            raw["name"] = ""
        raw["hashes"] = self._hashes(self._find(el, "hashes"))
        swid = self._find(el, "swid")
        if swid is not None and swid.get("tagId"):
            raw["swid"] = {"tagId": swid.get("tagId")}
        raw["licenses"] = self._licenses(self._find(el, "licenses"))
        for key in ("supplier", "manufacturer"):
            entity = self._find(el, key)
            if entity is not None:
                raw[key] = self._entity(entity)
        raw["authors"] = [self._entity(a) for a in self._all(el, "authors", "author")]
        raw["externalReferences"] = [
            {
                "type": ref.get("type"),
                "url": self._text(ref, "url"),
                "hashes": self._hashes(self._find(ref, "hashes")),
            }
            for ref in self._all(el, "externalReferences", "reference")
        ]
        raw["properties"] = [
            {"name": p.get("name"), "value": (p.text or "").strip()}
            for p in self._all(el, "properties", "property")
        ]
        children = self._find(el, "components")
        if children is not None:
            raw["components"] = self._components(children, f"{path}/components")
        return raw

    def _hashes(self, el: Element | None) -> list[dict[str, Any]]:
        return [
            {"alg": h.get("alg"), "content": (h.text or "").strip()} for h in self._all(el, "hash")
        ]

    def _licenses(self, el: Element | None) -> list[dict[str, Any]]:
        if el is None:
            return []
        out: list[dict[str, Any]] = []
        for child in el:
            if child.tag == self.ns + "expression" and child.text:
                out.append({"expression": child.text.strip()})
            elif child.tag == self.ns + "license":
                lic = {k: v for k in ("id", "name") if (v := self._text(child, k)) is not None}
                out.append({"license": lic})
        return out

    def _entity(self, el: Element) -> dict[str, Any]:
        if len(el) == 0:  # legacy form: the text is the name
            return {"name": (el.text or "").strip()}
        return {k: v for k in ("name", "email") if (v := self._text(el, k)) is not None}

    def _metadata(self, meta: Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        timestamp = self._text(meta, "timestamp")
        if timestamp:
            out["timestamp"] = timestamp
        tools = self._find(meta, "tools")
        if tools is not None:
            legacy = [self._tool(t) for t in self._all(tools, "tool")]
            modern = [self._tool(t) for t in self._all(tools, "components", "component")]
            modern += [self._tool(t) for t in self._all(tools, "services", "service")]
            out["tools"] = legacy + modern
        out["authors"] = [self._entity(a) for a in self._all(meta, "authors", "author")]
        component = self._find(meta, "component")
        if component is not None:
            out["component"] = self._component(component, "/bom/metadata/component")
        for key in ("supplier", "manufacturer", "manufacture"):
            entity = self._find(meta, key)
            if entity is not None:
                out["manufacturer" if key == "manufacture" else key] = self._entity(entity)
        out["lifecycles"] = [
            {"phase": self._text(lc, "phase"), "name": self._text(lc, "name")}
            for lc in self._all(meta, "lifecycles", "lifecycle")
        ]
        return out

    def _tool(self, el: Element) -> dict[str, Any]:
        return {"name": self._text(el, "name"), "version": self._text(el, "version")}


def _dependencies(deps: Element) -> list[dict[str, Any]]:
    # Nested <dependency> elements (any namespace): each one with children is an entry.
    out: list[dict[str, Any]] = []
    base = f"/bom/{_local(deps.tag)}"
    queue = deque((el, f"{base}/dependency[{i}]") for i, el in enumerate(_deps_of(deps), start=1))
    while queue:
        el, path = queue.popleft()
        children = _deps_of(el)
        # A missing ref is kept as None so the structural check reports it.
        out.append(
            {"ref": el.get("ref"), "dependsOn": [c.get("ref") for c in children], XML_PATH: path}
        )
        queue.extend(
            (c, f"{path}/dependency[{i}]") for i, c in enumerate(children, start=1) if len(c)
        )
    return out


def _deps_of(el: Element) -> list[Element]:
    return [child for child in el if _local(child.tag) == "dependency"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
