"""Verdict JSON (DESIGN.md contract) and its JSON Schema, both derived from model.verdict."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, BinaryIO

import orjson
from pydantic import TypeAdapter

from policyengine.model.verdict import SCHEMA_VERSION, SCHEMA_VERSION_ALL, RuleResult, Verdict
from policyengine.report.spool import SpooledWriter, write_spliced

SCHEMA_ID = "https://policyengine.dev/schemas/verdict.schema.json"


@lru_cache(maxsize=1)
def _adapter() -> TypeAdapter[Verdict]:
    return TypeAdapter(Verdict)


def verdict_document(verdict: Verdict) -> dict[str, Any]:
    """The verdict as plain JSON values (datetimes RFC 3339 with ``Z``).

    A schema version "1" verdict (every result listed) has no ``passes``.
    """
    document: dict[str, Any] = _adapter().dump_python(verdict, mode="json")
    if verdict.schema_version == SCHEMA_VERSION_ALL:
        del document["passes"]
    return document


def _fields(verdict: Verdict) -> Verdict | dict[str, Any]:
    """What orjson writes for ``verdict``.

    The dataclass, or its fields without ``passes`` for a version "1" verdict (the same
    bytes as that version always had).
    """
    if verdict.schema_version != SCHEMA_VERSION_ALL:
        return verdict
    return {name: getattr(verdict, name) for name in _V1_FIELDS}


_V1_FIELDS = tuple(f.name for f in dataclasses.fields(Verdict) if f.name != "passes")


def render_json(verdict: Verdict) -> str:
    """Stable, indented JSON with a trailing newline."""
    return render_json_bytes(verdict).decode()


def render_json_bytes(verdict: Verdict) -> bytes:
    """:func:`render_json` as UTF-8 bytes, without the text copy (large verdicts)."""
    try:
        # orjson writes the dataclasses directly, the same bytes as through pydantic's
        # document (tests/hardening/test_render_fast.py) at a third of the time and
        # without the intermediate copy (benchmarks/README.md).
        text = orjson.dumps(
            _fields(verdict),
            option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE,
        )
    except TypeError:  # an observed value orjson does not know: pydantic converts it
        text = orjson.dumps(
            verdict_document(verdict), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
        )
    return text


def write_json(verdict: Verdict, handle: BinaryIO) -> None:
    """Write :func:`render_json_bytes` to ``handle`` a batch of results at a time.

    The same bytes (tests/hardening/test_render_fast.py), but the whole document is never
    in memory at once: at 50,000 components it is ~370 MB (benchmarks/README.md).
    """
    results = verdict.results

    def items(out: BinaryIO) -> None:
        for start in range(0, len(results), 1000):
            out.write((b",\n    " if start else b"") + _batch_bytes(results[start : start + 1000]))

    write_spliced(handle, _head_bytes(verdict), 2, items if results else None)


_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z


class JsonSpool(SpooledWriter):
    """The verdict JSON of results that arrive rule by rule (see :mod:`.spool`).

    Each block of results is written to a :class:`~policyengine.report.spool.Spool` and
    let go; :meth:`write` puts the document together. The bytes are those of
    :func:`write_json` for the whole verdict (tests/hardening/test_render_fast.py).
    """

    def add(self, block: Sequence[RuleResult]) -> None:
        """Write the next results, in the order they appear in the verdict."""
        for start in range(0, len(block), 1000):
            batch = tuple(block[start : start + 1000])
            self._spool.write((b"" if self._spool.empty else b",\n    ") + _batch_bytes(batch))

    def write(self, verdict: Verdict, handle: BinaryIO) -> None:
        """Write the document: ``verdict``'s fields, with the spooled results for its own."""
        self._spool.splice(handle, _head_bytes(verdict), indent=2)


def _head_bytes(verdict: Verdict) -> bytes:
    """The document of ``verdict`` without results, as :func:`render_json_bytes` lays it out."""
    head = dataclasses.replace(verdict, results=())
    try:
        return orjson.dumps(_fields(head), option=_OPTIONS)
    except TypeError:  # the same fallback as render_json_bytes
        return orjson.dumps(verdict_document(head), option=orjson.OPT_INDENT_2)


# One batch written as the value of a "results" key has each result at its depth in the
# document (two levels, four spaces): one orjson call per batch instead of one per result
# and a re-indent of each (0.95 -> 0.84 s for the 140,000 results of release-gate at 10k).
_BATCH_HEAD = b'{\n  "results": [\n    '
_BATCH_TAIL = b"\n  ]\n}"


def _batch_bytes(batch: tuple[RuleResult, ...]) -> bytes:
    """The results of ``batch`` as they appear in the document, comma-separated."""
    try:
        text = orjson.dumps({"results": batch}, option=_OPTIONS)
    except TypeError:  # some result needs the fallback: one at a time
        text = b""
    if text.startswith(_BATCH_HEAD) and text.endswith(_BATCH_TAIL):
        return text[len(_BATCH_HEAD) : -len(_BATCH_TAIL)]
    return b",\n    ".join(_result_bytes(r).replace(b"\n", b"\n    ") for r in batch)


def _result_bytes(result: RuleResult) -> bytes:
    try:
        return orjson.dumps(result, option=_OPTIONS)
    except TypeError:  # what the whole-document fallback would write for this result
        plain = _result_adapter().dump_python(result, mode="json")
        return orjson.dumps(plain, option=orjson.OPT_INDENT_2)


@lru_cache(maxsize=1)
def _result_adapter() -> TypeAdapter[RuleResult]:
    return TypeAdapter(RuleResult)


def verdict_schema() -> dict[str, Any]:
    """The JSON Schema of the Verdict JSON; every key is always present, so all are required."""
    schema: dict[str, Any] = _adapter().json_schema(mode="serialization")
    _require_all(schema)
    for definition in schema.get("$defs", {}).values():
        _require_all(definition)
    _digests_are_sha256(schema)
    _two_versions(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "policyengine verdict"
    return schema


def _two_versions(schema: dict[str, Any]) -> None:
    """Version "2" has ``passes`` and lists no pass; version "1" has no ``passes``.

    Version "1" lists every result (docs/verdict.md, Schema versions).
    """
    schema["properties"]["schema_version"]["enum"] = [SCHEMA_VERSION_ALL, SCHEMA_VERSION]
    schema["required"].remove("passes")
    schema["if"] = {"properties": {"schema_version": {"const": SCHEMA_VERSION}}}
    schema["then"] = {
        "required": ["passes"],
        "properties": {
            "results": {"items": {"properties": {"outcome": {"not": {"const": "pass"}}}}}
        },
    }
    schema["else"] = {"not": {"required": ["passes"]}}


DIGEST_PATTERN = "^sha256:[0-9a-f]{64}$"
"""Every digest in a verdict: what an auditor compares with a file's own sha256."""


def _digests_are_sha256(node: Any, key: str = "") -> None:
    """Give every string ``digest`` / ``evidence_digest`` property the sha256 pattern."""
    if isinstance(node, dict):
        if key.endswith("digest") and node.get("type") == "string":
            node["pattern"] = DIGEST_PATTERN
        for name, value in node.items():
            inherited = key if name in ("anyOf", "oneOf") else name
            if name == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    _digests_are_sha256(sub, prop)
            else:
                _digests_are_sha256(value, inherited if isinstance(value, list) else "")
    elif isinstance(node, list):
        for item in node:
            _digests_are_sha256(item, key)


def _require_all(node: dict[str, Any]) -> None:
    properties = node.get("properties")
    if isinstance(properties, dict):
        node["required"] = list(properties)
        node["additionalProperties"] = False
        for value in properties.values():
            value.pop("default", None)
