"""SPDX 2.2 / 2.3 reader: JSON, YAML, tag-value, RDF/XML and XML -> :class:`Sbom`.

JSON and YAML take the fast path (orjson / libyaml -> dicts -> model, every
field the gate reads type-checked, errors with a JSON pointer). Tag-value,
RDF/XML and XML go through spdx-tools, which enforces the fields SPDX
requires. ``validate=True`` additionally runs spdx-tools' full validator
(SPDX ids, license expressions, relationships ...); it is off by default
because it is quadratic (102 s at 10k packages).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from policyengine.ingest.detect import sniff
from policyengine.ingest.spdx_build import build_sbom, gc_paused, load_json
from policyengine.ingest.spdx_dict import raw_from_dict
from policyengine.ingest.spdx_tools_reader import (
    condensed_error,
    parse_with_spdx_tools,
    raw_from_document,
    refuse_unsafe_xml,
)
from policyengine.model import InputError, Position, Sbom

_SPDX2_KINDS = ("spdx-json", "spdx-yaml", "spdx-tagvalue", "spdx-rdf", "spdx-xml")
_YAML_LOADER: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def read_spdx2(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """Read an SPDX 2.x document in any of its serialisations."""
    with gc_paused():
        return _read(data, source, validate=validate)


def _read(data: bytes, source: str, *, validate: bool) -> Sbom:
    kind = sniff(data, source)
    if kind not in _SPDX2_KINDS:
        raise InputError(
            "not an SPDX 2.x document (expected JSON, YAML, tag-value, RDF/XML or XML)",
            position=Position(source),
            hint="check the file; SPDX 3 JSON-LD is read by the SPDX 3 reader",
        )
    text = _decode(data, source)
    if kind in ("spdx-json", "spdx-yaml"):
        raw = raw_from_dict(
            load_json(data, source) if kind == "spdx-json" else _load_yaml(text, source), source
        )
        if validate:
            _validate(_document_from_text(kind, text, source), source)
    else:
        if kind in ("spdx-rdf", "spdx-xml"):
            refuse_unsafe_xml(data, source)
        document = parse_with_spdx_tools(kind, text, source, strict=validate)
        if validate:
            _validate(document, source)
        raw = raw_from_document(document, kind, text, source)
    return build_sbom(raw, data, source)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the file is not valid UTF-8 (byte {exc.start}: {exc.reason})",
            position=Position(source),
            hint="convert it to UTF-8, e.g. `iconv -f LATIN1 -t UTF-8 FILE > FILE.utf8`",
        ) from None


def _load_yaml(text: str, source: str) -> object:
    # BaseLoader keeps every scalar a string: "versionInfo: 1.10" must not become 1.1.
    try:
        return yaml.load(text, Loader=_YAML_LOADER)  # BaseLoader builds no objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InputError(
            f"invalid YAML: {exc.problem}",
            position=Position(
                source,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            ),
            hint="fix the YAML syntax or re-generate the document",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", position=Position(source)) from None


def _document_from_text(kind: str, text: str, source: str) -> Any:
    """The typed spdx-tools Document of a JSON/YAML text, for ``validate=True``."""
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.json.json_parser import remove_json_control_chars_hook
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    parser: Any = JsonLikeDictParser
    try:
        loaded = (
            json.loads(text, object_pairs_hook=remove_json_control_chars_hook)
            if kind == "spdx-json"
            else yaml.safe_load(text)
        )
        return parser().parse(loaded)
    except SPDXParsingError as exc:
        raise condensed_error(list(exc.messages), source) from None
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        # spdx-tools' dict parser assumes the shapes it validates (`"packages": null`
        # raised TypeError): a field of the wrong type is the document's problem.
        raise InputError(
            f"does not match the SPDX 2 model: a field has the wrong type ({exc})",
            position=Position(source),
            hint="fix the document or the tool that generated it",
        ) from None
    except RecursionError:  # the fast reader took it; the standard library nests less deep
        raise InputError(
            "the document nests too deeply to validate",
            position=Position(source),
            hint="fix the document or the tool that generated it",
        ) from None


def _validate(document: Any, source: str) -> None:
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    messages = validate_full_spdx_document(document)
    if messages:
        texts = [
            f"{m.validation_message} (in {m.context.spdx_id})"
            if m.context and m.context.spdx_id
            else m.validation_message
            for m in messages
        ]
        raise condensed_error(texts, source)
