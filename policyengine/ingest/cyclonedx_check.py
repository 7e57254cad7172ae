"""The cheap structural check every CycloneDX document gets, with JSON-pointer errors.

Full schema validation is opt-in (``--validate``, see ``cyclonedx_schema``): on
large documents it costs seconds. This check is linear and catches what would
otherwise make the model wrong: not a BOM, an unknown spec version, components
that are not objects or have no name, values of the wrong JSON type, and
duplicate ``bom-ref`` values (which the JSON Schema cannot express at all).
"""

from __future__ import annotations

from typing import Any

from policyengine.ingest.cyclonedx_map import walk_components, xml_path_of
from policyengine.model import InputError, Position

JSON_SPEC_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
"""CycloneDX versions with a JSON serialisation that this reader supports."""

XML_SPEC_VERSIONS = ("1.0", "1.1", *JSON_SPEC_VERSIONS)
"""CycloneDX versions with an XML serialisation that this reader supports."""

_STRING_FIELDS = ("bom-ref", "type", "version", "purl", "group", "scope", "author")
_LIST_FIELDS = ("hashes", "licenses", "externalReferences", "components", "properties")

_HINT_FIX = "fix the generator or re-export the SBOM; `--validate` checks the full schema"


def check_header(document: Any, source: str) -> str:
    """Check ``bomFormat`` and ``specVersion`` of a JSON BOM; return the spec version."""
    if not isinstance(document, dict):
        raise InputError(
            f"expected a JSON object at the top level, found {_kind(document)}",
            position=Position(source, pointer=""),
            hint="a CycloneDX JSON document is an object with bomFormat and specVersion",
        )
    if document.get("bomFormat") != "CycloneDX":
        raise InputError(
            f'expected bomFormat "CycloneDX", found {_show(document.get("bomFormat"))}',
            position=Position(source, pointer="/bomFormat"),
            hint="this JSON document is not a CycloneDX BOM",
        )
    version = document.get("specVersion")
    if not isinstance(version, str) or version not in JSON_SPEC_VERSIONS:
        raise InputError(
            f"unsupported CycloneDX specVersion {_show(version)}; "
            f"expected one of {', '.join(JSON_SPEC_VERSIONS)}",
            position=Position(source, pointer="/specVersion"),
            hint="re-export the SBOM as CycloneDX 1.2 or later",
        )
    return version


def check_structure(document: dict[str, Any], source: str) -> None:
    """Check the parts the model relies on; raise :class:`InputError` at the first problem."""
    for key in ("components", "dependencies", "services"):
        if key in document and not isinstance(document[key], list):
            _fail(source, f"/{key}", f"expected an array, found {_kind(document[key])}")
    if "metadata" in document and not isinstance(document["metadata"], dict):
        _fail(source, "/metadata", f"expected an object, found {_kind(document['metadata'])}")
    seen: set[str] = set()
    subject = document.get("metadata", {}).get("component")
    if subject is not None:
        where = xml_path_of(subject) if isinstance(subject, dict) else None
        _check_component(subject, where or "/metadata/component", source, seen)
    for key in ("components",):
        items = document.get(key) or []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                _fail(source, f"/{key}/{index}", f"expected an object, found {_kind(item)}")
    for raw, pointer in walk_components(document):
        _check_component(raw, xml_path_of(raw) or pointer, source, seen)
    _check_dependencies(document.get("dependencies"), source)


def _check_component(raw: Any, pointer: str, source: str, seen: set[str]) -> None:
    if not isinstance(raw, dict):
        _fail(source, pointer, f"expected a component object, found {_kind(raw)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        _fail(source, f"{pointer}/name", "a component needs a non-empty string name")
    for key in _STRING_FIELDS:
        if key in raw and not isinstance(raw[key], str):
            _fail(source, f"{pointer}/{key}", f"expected a string, found {_kind(raw[key])}")
    for key in _LIST_FIELDS:
        if key in raw and not isinstance(raw[key], list):
            _fail(source, f"{pointer}/{key}", f"expected an array, found {_kind(raw[key])}")
    children = raw.get("components")
    if children:
        for index, child in enumerate(children):
            if not isinstance(child, dict):
                _fail(
                    source,
                    f"{pointer}/components/{index}",
                    f"expected an object, found {_kind(child)}",
                )
    ref = raw.get("bom-ref")
    if isinstance(ref, str):
        if not ref:
            _fail(source, f"{pointer}/bom-ref", "a bom-ref must not be empty")
        if ref in seen:
            _fail(
                source,
                f"{pointer}/bom-ref",
                f"duplicate bom-ref {ref!r}; every bom-ref must be unique in the BOM",
            )
        seen.add(ref)


def _check_dependencies(deps: Any, source: str) -> None:
    if not deps:
        return
    for index, entry in enumerate(deps):
        pointer = f"/dependencies/{index}"
        if not isinstance(entry, dict):
            _fail(source, pointer, f"expected an object, found {_kind(entry)}")
        xml_path = xml_path_of(entry)
        if not isinstance(entry.get("ref"), str):
            where = f"{xml_path}/@ref" if xml_path else f"{pointer}/ref"
            _fail(source, where, "a dependency needs a string ref")
        depends = entry.get("dependsOn")
        if depends is not None and (
            not isinstance(depends, list) or not all(isinstance(d, str) for d in depends)
        ):
            where = f"{xml_path}/dependency" if xml_path else f"{pointer}/dependsOn"
            _fail(source, where, "expected an array of bom-ref strings (a ref is missing)")


def _fail(source: str, pointer: str, message: str) -> None:
    raise InputError(message, position=Position(source, pointer=pointer), hint=_HINT_FIX)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = repr(value) if isinstance(value, str) else _kind(value)
    return text if len(text) <= 40 else text[:37] + "..."
