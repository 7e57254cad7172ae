"""Full schema validation of SPDX 3 JSON-LD documents (``--validate``).

The schema is SPDX's published 3.0.1 JSON Schema, shipped in ``policyengine/data/spdx3``
(see the NOTICE there: no installed package ships it), checked with jsonschema-rs.
Measured on this project's 2-core machine (benchmarks/spdx3_bench.py): the pure-Python
``jsonschema`` takes ~15 s for one 73 kB example, because the schema matches every
``@graph`` element against an ``anyOf`` of all 78 classes under draft 2020-12
``unevaluatedProperties``; jsonschema-rs takes 5.8 s on the whole of a 10,000-package
document. Each class in the schema accepts only its own ``type`` constant, so checking
an element against the one class its ``type`` names gives the same verdict (a test
compares the two over the corpus and broken variants) in a fraction of the time, and
names the property at fault instead of "not valid under any of the schemas". The schema
has no ``uniqueItems`` and no ``format``, so nothing quadratic had to be dropped.

JSON Schema checks structure (properties, types, required fields, enumerations,
date-time patterns), not meaning: that ``createdBy`` names an Agent rather than a Tool
needs the SHACL model, which is not run (docs/usage.md says why).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import orjson
from jsonschema_rs import Draft202012Validator, ValidationError, ValidationErrorKind

from policyengine.ingest.schema_errors import json_pointer, short
from policyengine.model import InputError, Position

SCHEMA_VERSION = "3.0.1"
"""The SPDX version whose JSON Schema is shipped."""

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
"""The ``@context`` the 3.0.1 schema requires."""

_HINT = "fix the document or the tool that generated it"
_BRANCHES = (ValidationErrorKind.AnyOf, ValidationErrorKind.OneOfNotValid)
_UNEVALUATED = ValidationErrorKind.UnevaluatedProperties


def validate_document(document: Any, source: str) -> None:
    """Validate a decoded SPDX 3 JSON-LD document; raise on its first problem.

    The error names the file and the JSON pointer of the first problem, says what the
    schema expected, and counts the other problems found.
    """
    if isinstance(document, Mapping) and document.get("@context") != CONTEXT:
        raise InputError(
            f"--validate checks SPDX {SCHEMA_VERSION} documents, whose @context is {CONTEXT!r}; "
            f"this one has {short(repr(document.get('@context')))}",
            position=Position(source, pointer="/@context"),
            hint=f"re-generate the document as SPDX {SCHEMA_VERSION}, or run without --validate",
        )
    first: tuple[str, str] | None = None
    count = 0
    for pointer, message in _problems(document):
        count += 1
        if first is None:
            first = (pointer, message)
    if first is None:
        return
    more = f" (and {count - 1} more problems)" if count > 1 else ""
    raise InputError(
        f"{first[1]}{more}",
        position=Position(source, pointer=first[0]),
        hint=_HINT,
    )


def _problems(document: Any) -> Iterator[tuple[str, str]]:
    graph = document.get("@graph") if isinstance(document, Mapping) else None
    if not isinstance(graph, list):
        # A single-element document (no @graph) is small: the whole schema is cheap there.
        yield from _described(_validator("#"), document, ())
        return
    yield from _described(_envelope(), document, ())
    names = class_names()
    for index, element in enumerate(graph):
        kind = element.get("type") if isinstance(element, Mapping) else None
        path: tuple[str | int, ...] = ("@graph", index)
        if isinstance(kind, str) and kind not in names:
            yield json_pointer((*path, "type")), _unknown_type(kind)
            continue
        # Without a (string) type the element may match several classes: the full anyOf.
        ref = f"#/$defs/{kind}" if isinstance(kind, str) else "#/$defs/AnyClass"
        yield from _described(_validator(ref), element, path)


def _described(
    validator: Draft202012Validator, instance: Any, prefix: tuple[str | int, ...]
) -> Iterator[tuple[str, str]]:
    try:
        if validator.is_valid(instance):
            return
        errors = list(validator.iter_errors(instance))
    except ValueError as exc:
        # jsonschema-rs stops at 256 levels of nesting ("Recursion limit reached"), where
        # orjson reads up to 1,024: no SPDX 3 element nests anywhere near that deep.
        yield json_pointer(prefix), f"nests too deeply to validate ({exc})"
        return
    # "Unevaluated properties" follows from any other failure (a failed subschema evaluates
    # nothing): it is the problem only when it is the only one.
    causes = [e for e in errors if not isinstance(e.kind, _UNEVALUATED)] or errors
    seen: set[str] = set()
    for error in causes:
        best = _explain(error)
        pointer = json_pointer((*prefix, *best.instance_path))
        if pointer not in seen:
            seen.add(pointer)
            yield pointer, f"does not match the SPDX {SCHEMA_VERSION} JSON Schema: {_message(best)}"


def _explain(error: ValidationError) -> ValidationError:
    """The deepest cause inside an anyOf/oneOf, skipping branches for another type."""
    kind = error.kind
    if not isinstance(kind, _BRANCHES):
        return error
    best: ValidationError | None = None
    for branch in kind.context:
        if _other_shape(branch, error.instance_path):
            continue
        inner = [e for e in branch if not isinstance(e.kind, _UNEVALUATED)] or branch
        for candidate in map(_explain, inner):
            if best is None or len(candidate.instance_path) > len(best.instance_path):
                best = candidate
    return best or error


def _other_shape(branch: Sequence[ValidationError], path: Sequence[str | int]) -> bool:
    # A branch written for another class fails on "type"; one for an IRI string fails on
    # the JSON type of the value itself. Neither explains what is wrong with this value.
    here = list(path)
    for error in branch:
        at = list(error.instance_path)
        if at == [*here, "type"]:
            return True
        if at != here:
            continue
        if isinstance(error.kind, ValidationErrorKind.Type):
            return True
        if isinstance(error.kind, _BRANCHES) and all(
            _other_shape(inner, path) for inner in error.kind.context
        ):
            return True
    return False


def _message(error: ValidationError) -> str:
    kind = error.kind
    value = error.instance
    # The schema spells SPDX's DateTime as two patterns; both contain the "T" and a ":".
    if isinstance(kind, ValidationErrorKind.Pattern) and {"T", ":"} <= set(kind.pattern):
        return f"{short(repr(value))} is not an SPDX date-time (YYYY-MM-DDThh:mm:ssZ, in UTC)"
    if isinstance(kind, _BRANCHES):
        typed = value.get("type") if isinstance(value, Mapping) else None
        what = f"an element of type {typed!r}" if isinstance(typed, str) else "this value"
        return f"{what} matches none of the shapes the schema allows here"
    if isinstance(kind, ValidationErrorKind.Enum) and isinstance(value, str):
        options = [o for o in kind.options if isinstance(o, str)]
        close = difflib.get_close_matches(value, options, n=1)
        if close:
            return f"{short(error.message)}; did you mean {close[0]!r}?"
    return short(error.message)


def _unknown_type(kind: str) -> str:
    close = difflib.get_close_matches(kind, sorted(class_names()), n=1)
    guess = f"; did you mean {close[0]!r}?" if close else ""
    return (
        f"does not match the SPDX {SCHEMA_VERSION} JSON Schema: "
        f"{short(repr(kind))} is not an SPDX {SCHEMA_VERSION} element type{guess}"
    )


@cache
def schema() -> dict[str, Any]:
    """The shipped SPDX 3.0.1 JSON Schema, decoded (loaded once per process)."""
    data = resources.files("policyengine").joinpath("data", "spdx3", "schema.json").read_bytes()
    loaded: dict[str, Any] = orjson.loads(data)
    return loaded


@cache
def class_names() -> frozenset[str]:
    """The element types a document may use: the classes the schema's ``AnyClass`` lists."""
    members = schema()["$defs"]["AnyClass"]["anyOf"]
    return frozenset(str(m["$ref"]).rsplit("/", 1)[-1] for m in members)


@cache
def _validator(ref: str) -> Draft202012Validator:
    """The compiled validator of one class (``#/$defs/<type>``), or of the whole schema (``#``)."""
    whole = schema()
    if ref == "#":
        return Draft202012Validator(whole, offline=True)
    # The wrapper is what the schema applies to each @graph item: an object of that class
    # with no property the class does not define.
    wrapper = {
        "$schema": whole["$schema"],
        "$defs": whole["$defs"],
        "type": "object",
        "$ref": ref,
        "unevaluatedProperties": False,
    }
    return Draft202012Validator(wrapper, offline=True)


@cache
def _envelope() -> Draft202012Validator:
    """The whole schema with the @graph items left out (they are checked one by one)."""
    envelope = copy.deepcopy(schema())
    envelope["oneOf"][0]["properties"]["@graph"]["items"] = {"type": "object"}
    return Draft202012Validator(envelope, offline=True)
