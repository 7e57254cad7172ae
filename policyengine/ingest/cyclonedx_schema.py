"""Full schema validation of CycloneDX documents (``--validate``).

JSON: the JSON Schemas that cyclonedx-python-lib ships, through ``jsonschema``
with one compiled validator per spec version, cached. Two measured changes keep
it usable on large SBOMs (DESIGN.md): ``uniqueItems`` is dropped on the arrays
of components, services, dependencies and vulnerabilities (a quadratic
comparison of whole objects; bom-ref uniqueness is checked with a set by
``cyclonedx_check`` instead), and the format checker knows only the cheap
``date-time`` and ``uri`` formats (``iri-reference`` through rfc3987 costs ~17 ms
per URL). XML: the XSDs through cyclonedx-python-lib's validator (needs lxml).
"""

from __future__ import annotations

import copy
import importlib
import re
from functools import cache
from importlib import resources
from typing import Any

import orjson
from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing.jsonschema import DRAFT7

from policyengine.ingest.schema_errors import json_pointer, short
from policyengine.model import InputError, Position

_SCHEMA_PREFIX = "http://cyclonedx.org/schema/"
_BIG_ARRAYS = frozenset(
    f"#/definitions/{name}" for name in ("component", "service", "dependency", "vulnerability")
)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")
_HINT = "fix the document or the tool that generated it"


def validate_json(document: Any, version: str, source: str) -> None:
    """Validate a parsed JSON BOM against the schema of ``version``; raise on the best error."""
    validator = json_validator(version)
    try:
        error = best_match(validator.iter_errors(document))
    except RecursionError:
        raise InputError(
            "the document nests too deeply to validate", position=Position(source), hint=_HINT
        ) from None
    if error is None:
        return
    pointer = json_pointer(error.absolute_path)
    raise InputError(
        f"does not match the CycloneDX {version} JSON Schema: {short(error.message)}",
        position=Position(source, pointer=pointer),
        hint=_HINT,
    )


@cache
def json_validator(version: str) -> Draft7Validator:
    """The compiled validator of one spec version (built once per process)."""
    schema = _strip_unique_items(_load(f"bom-{version}.SNAPSHOT.schema.json"))
    registry: Registry[Any] = Registry().with_resources(
        (
            f"{_SCHEMA_PREFIX}{name}",
            DRAFT7.create_resource(_load(name)),
        )
        for name in (
            "spdx.SNAPSHOT.schema.json",
            "jsf-0.82.SNAPSHOT.schema.json",
            "cryptography-defs.SNAPSHOT.schema.json",
        )
    )
    checker = FormatChecker(formats=())
    checker.checks("date-time")(
        lambda value: not isinstance(value, str) or bool(_DATE_TIME.match(value))
    )
    checker.checks("uri")(lambda value: not isinstance(value, str) or bool(_URI.match(value)))
    return Draft7Validator(schema, registry=registry, format_checker=checker)


def _load(name: str) -> Any:
    try:
        data = resources.files("cyclonedx.schema").joinpath("_res", name).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError) as exc:  # pragma: no cover - packaging
        raise InputError(
            f"the CycloneDX schema {name} is not installed ({exc})",
            hint="reinstall cyclonedx-python-lib",
        ) from None
    return orjson.loads(data)


def _strip_unique_items(schema: Any) -> Any:
    schema = copy.deepcopy(schema)
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = node.get("items")
            big = isinstance(items, dict) and items.get("$ref") in _BIG_ARRAYS
            if node.get("uniqueItems") and big:
                del node["uniqueItems"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return schema


def validate_xml(data: bytes, version: str, source: str) -> None:
    """Validate an XML BOM against the XSD of ``version`` (lxml required)."""
    validator = _xml_validator(version)
    if validator is None:
        raise InputError(
            "XML schema validation (--validate) needs lxml, which is not installed",
            position=Position(source),
            hint="`pip install lxml`, or run without --validate (the structural check still runs)",
        )
    from lxml import etree

    try:
        error = validator.validate_str(data.decode("utf-8"))
    except etree.XMLSyntaxError as exc:  # e.g. nested deeper than libxml2's 2,048 levels
        line, column = exc.position
        raise InputError(
            f"cannot validate the XML: {short(str(exc.msg))}",
            position=Position(source, line=line, column=column),
            hint=_HINT,
        ) from None
    if error is None:
        return
    entry = error.data
    raise InputError(
        f"does not match the CycloneDX {version} XML Schema: {short(str(entry.message))}",
        position=Position(source, line=int(entry.line), column=int(entry.column)),
        hint=_HINT,
    )


@cache
def _xml_validator(version: str) -> Any:
    try:
        importlib.import_module("lxml.etree")
    except ImportError:
        return None
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.xml import XmlValidator

    return XmlValidator(SchemaVersion.from_version(version))
