"""Verdict JSON (DESIGN.md contract) and its JSON Schema, both derived from model.verdict."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from pydantic import TypeAdapter

from policyengine.model.verdict import Verdict

SCHEMA_ID = "https://policyengine.dev/schemas/verdict.schema.json"


@lru_cache(maxsize=1)
def _adapter() -> TypeAdapter[Verdict]:
    return TypeAdapter(Verdict)


def verdict_document(verdict: Verdict) -> dict[str, Any]:
    """The verdict as plain JSON values (datetimes RFC 3339 with ``Z``)."""
    document: dict[str, Any] = _adapter().dump_python(verdict, mode="json")
    return document


def render_json(verdict: Verdict) -> str:
    """Stable, indented JSON with a trailing newline."""
    return orjson.dumps(verdict_document(verdict), option=orjson.OPT_INDENT_2).decode() + "\n"


def verdict_schema() -> dict[str, Any]:
    """The JSON Schema of the Verdict JSON; every key is always present, so all are required."""
    schema: dict[str, Any] = _adapter().json_schema(mode="serialization")
    _require_all(schema)
    for definition in schema.get("$defs", {}).values():
        _require_all(definition)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "policyengine verdict"
    return schema


def _require_all(node: dict[str, Any]) -> None:
    properties = node.get("properties")
    if isinstance(properties, dict):
        node["required"] = list(properties)
        node["additionalProperties"] = False
        for value in properties.values():
            value.pop("default", None)
