"""A fast path for loading evidence bundles: model dataclasses built straight from orjson dicts.

pydantic's strict ``validate_json`` of a bundle took ~3 s at 10,000 components
(benchmarks/README.md), most of the time of ``check --evidence``. This builder
accepts only the plain shapes ``dump_bundle`` writes (every known key, exact
JSON types, RFC 3339 times with ``Z`` or an offset) and answers ``None`` on
anything else, so that the caller falls back to pydantic, which then accepts the
document or reports the precise error. On every document it accepts, the result
equals pydantic's (tests/hardening/test_bundle_fast.py checks that on fixtures,
synthetic bundles and random mutations).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from policyengine.model import (
    Advisories,
    Advisory,
    Artifact,
    ArtifactContents,
    Artifacts,
    ComponentEvidence,
    FactKind,
    Failed,
    Hash,
    Missing,
    Ok,
    PackageMetadata,
    Person,
    ProjectFacts,
    Publishers,
    Release,
    ReleaseHistory,
    Source,
)


class _Decline(Exception):
    """The document is not in the plain shape: let pydantic judge it."""


_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)")


def _str(v: Any) -> str:
    if type(v) is not str:
        raise _Decline
    return v


def _opt_str(v: Any) -> str | None:
    return None if v is None else _str(v)


def _bool(v: Any) -> bool:
    if type(v) is not bool:
        raise _Decline
    return v


def _opt_int(v: Any) -> int | None:
    if v is None:
        return None
    if type(v) is not int:
        raise _Decline
    return v


def _opt_float(v: Any) -> float | None:
    if v is None:
        return None
    if type(v) is float:
        return v
    if type(v) is int:
        return float(v)
    raise _Decline


def _opt_time(v: Any) -> datetime | None:
    if v is None:
        return None
    if type(v) is not str or not _TIME.fullmatch(v):
        raise _Decline
    try:
        return datetime.fromisoformat(v)
    except ValueError:
        raise _Decline from None


def _strs(v: Any) -> tuple[str, ...]:
    if type(v) is not list:
        raise _Decline
    for item in v:
        if type(item) is not str:
            raise _Decline
    return tuple(v)


def _opt_strs(v: Any) -> tuple[str, ...] | None:
    return None if v is None else _strs(v)


def _pairs(v: Any) -> tuple[tuple[str, str], ...]:
    if type(v) is not list:
        raise _Decline
    out = []
    for item in v:
        if type(item) is not list or len(item) != 2:
            raise _Decline
        out.append((_str(item[0]), _str(item[1])))
    return tuple(out)


def _record(
    v: Any, cls: Callable[..., Any], fields: Mapping[str, Callable[[Any], Any]], required: set[str]
) -> Any:
    if type(v) is not dict or len(v) < len(required):
        raise _Decline
    kwargs = {}
    for key, value in v.items():
        convert = fields.get(key)
        # Strings are most fields: checked inline, one call fewer per field.
        if convert is _str:
            if type(value) is not str:
                raise _Decline
        elif convert is _opt_str:
            if value is not None and type(value) is not str:
                raise _Decline
        elif convert is None:
            raise _Decline
        else:
            value = convert(value)
        kwargs[key] = value
    if not required.issubset(kwargs):
        raise _Decline
    return cls(**kwargs)


def _items(convert: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    def run(v: Any) -> tuple[Any, ...]:
        if type(v) is not list:
            raise _Decline
        return tuple(convert(item) for item in v)

    return run


def _person(v: Any) -> Person:
    return _record(v, Person, {"name": _opt_str, "email": _opt_str}, set())  # type: ignore[no-any-return]


def _opt_person(v: Any) -> Person | None:
    return None if v is None else _person(v)


def _hash(v: Any) -> Hash:
    return _record(v, Hash, {"alg": _str, "value": _str}, {"alg", "value"})  # type: ignore[no-any-return]


def _release(v: Any) -> Release:
    fields = {
        "version": _str,
        "published_at": _opt_time,
        "yanked": _bool,
        "yanked_reason": _opt_str,
        "deprecated": _opt_str,
    }
    return _record(v, Release, fields, {"version"})  # type: ignore[no-any-return]


def _artifact(v: Any) -> Artifact:
    fields = {
        "filename": _str,
        "url": _opt_str,
        "size": _opt_int,
        "hashes": _items(_hash),
        "kind": _opt_str,
        "uploaded_at": _opt_time,
    }
    return _record(v, Artifact, fields, {"filename"})  # type: ignore[no-any-return]


def _advisory(v: Any) -> Advisory:
    fields = {
        "id": _str,
        "aliases": _strs,
        "summary": _opt_str,
        "severity": _str,
        "score": _opt_float,
        "vector": _opt_str,
        "malicious": _bool,
        "withdrawn": _opt_time,
        "published": _opt_time,
        "modified": _opt_time,
        "fixed": _strs,
        "url": _opt_str,
        "cwes": _strs,
    }
    return _record(v, Advisory, fields, {"id"})  # type: ignore[no-any-return]


_VALUES: dict[str, Callable[[Any], Any]] = {
    "package": lambda v: _record(
        v,
        PackageMetadata,
        {
            "ecosystem": _str,
            "name": _str,
            "repository": _opt_str,
            "homepage": _opt_str,
            "author": _opt_person,
            "maintainers": _items(_person),
            "status": _opt_str,
            "status_reason": _opt_str,
            "organization": _opt_str,
            "roles": _pairs,
        },
        {"ecosystem", "name"},
    ),
    "releases": lambda v: _record(
        v,
        ReleaseHistory,
        {"version": _str, "listed": _bool, "releases": _items(_release)},
        {"version", "listed"},
    ),
    "artifacts": lambda v: _record(
        v,
        Artifacts,
        {"version": _str, "files": _items(_artifact), "lifecycle_scripts": _pairs},
        {"version"},
    ),
    "publishers": lambda v: _record(
        v,
        Publishers,
        {
            "version": _str,
            "publishers": _strs,
            "maintainers": _strs,
            "attestations": _strs,
            "previous_version": _opt_str,
            "previous_publishers": _opt_strs,
            "previous_maintainers": _opt_strs,
            "previous_attestations": _opt_strs,
        },
        {"version"},
    ),
    "advisories": lambda v: _record(
        v, Advisories, {"version": _str, "advisories": _items(_advisory)}, {"version"}
    ),
}


def _through_pydantic(value_type: Any) -> Callable[[Any], Any]:
    # Types without a hand-written builder (contents, project): pydantic validates just the
    # value, strictly and from JSON as the full path does; any error defers to the full
    # path, which words it with the JSON pointer in the whole bundle.
    adapter: TypeAdapter[Any] = TypeAdapter(value_type)

    def run(v: Any) -> Any:
        try:
            return adapter.validate_json(orjson.dumps(v), strict=True)
        except (ValidationError, orjson.JSONEncodeError):
            raise _Decline from None

    return run


_VALUES["contents"] = _through_pydantic(ArtifactContents)
_PROJECT = _through_pydantic(ProjectFacts)


def _source(v: Any) -> Source:
    fields = {"name": _str, "url": _opt_str, "fetched_at": _opt_time, "digest": _opt_str}
    return _record(v, Source, fields, {"name"})  # type: ignore[no-any-return]


def _fact(
    v: Any, value: Callable[[Any], Any], seen: dict[Source, Source] | None = None
) -> Ok[Any] | Missing | Failed:
    if type(v) is not dict:
        raise _Decline
    status = v.get("status")
    if status == "ok":
        if v.keys() != {"status", "value", "source"}:
            raise _Decline
        source = _source(v["source"])
        if seen is not None:
            # A component's facts mostly come from one registry document, so they cite
            # equal sources: one copy of each (~1 KB a component, 65 MB at 50,000).
            source = seen.setdefault(source, source)
        return Ok(value(v["value"]), source)
    if status == "missing":
        if v.keys() != {"status", "reason"}:
            raise _Decline
        return Missing(_str(v["reason"]))
    if status == "failed":
        if v.keys() != {"status", "error"}:
            raise _Decline
        return Failed(_str(v["error"]))
    raise _Decline


_KINDS = {kind.value: kind for kind in FactKind if kind is not FactKind.PROJECT}


def fast_components(
    raw: Any,
) -> tuple[dict[str, ComponentEvidence], Ok[Any] | Missing | Failed | None] | None:
    """Components and project fact of a plain bundle dict, or ``None`` to defer to pydantic."""
    if type(raw) is not dict or type(raw.get("components")) is not dict:
        return None
    components = raw["components"]
    head = {k: v for k, v in raw.items() if k != "components"}
    # Popped as built: each raw subtree is freed once converted.
    return fast_parts(head, ((key, components.pop(key)) for key in list(components)))


def fast_parts(
    head: Any, items: Iterable[tuple[str, Any]]
) -> tuple[dict[str, ComponentEvidence], Ok[Any] | Missing | Failed | None] | None:
    """Like :func:`fast_components` from the top-level fields and the component entries."""
    try:
        if type(head) is not dict or head.keys() != {
            "schema_version",
            "created_at",
            "tool",
            "project",
        }:
            raise _Decline
        if head["schema_version"] != "1":
            raise _Decline
        _str(head["tool"])
        _opt_time(head["created_at"])
        out: dict[str, ComponentEvidence] = {}
        for key, facts in items:
            if type(facts) is not dict:
                raise _Decline
            built: dict[FactKind, Ok[Any] | Missing | Failed] = {}
            seen: dict[Source, Source] = {}
            for name, fact in facts.items():
                kind = _KINDS.get(name)
                if kind is None:
                    raise _Decline
                built[kind] = _fact(fact, _VALUES[name], seen)
            out[key] = ComponentEvidence(key, built)
        project = head["project"]
        return out, (None if project is None else _fact(project, _PROJECT))
    except _Decline:
        return None


_HEAD = b'{\n  "components": {\n'
_ENTRY = b'\n    "'
_END = b'\n  },\n  "created_at": '


def split_canonical(data: bytes) -> tuple[Any, Iterator[tuple[str, Any]]] | None:
    """The top-level fields and a lazy iterator of component entries of a canonical file.

    ``dump_bundle`` writes two-space indented JSON with sorted keys, and JSON strings hold
    no raw newlines, so a component entry starts exactly where a line starts with four
    spaces and a quote. Parsing one entry at a time keeps one copy of the evidence in
    memory instead of the whole document's dicts as well (~0.7 GB at 50,000 components).
    Any other layout answers ``None``; an entry that does not parse on its own makes the
    iterator raise, so the caller falls back to parsing the whole file.
    """
    if not data.startswith(_HEAD):
        return None
    end = data.rfind(_END)
    if end < 0:
        return None
    try:
        head = orjson.loads(b"{" + data[end + len(b"\n  },") :])
    except orjson.JSONDecodeError:
        return None
    base = len(_HEAD) - 1  # at the newline before the first entry
    if data[base : base + len(_ENTRY)] != _ENTRY:
        return None

    def entries() -> Iterator[tuple[str, Any]]:
        position = base
        while position < end:
            following = data.find(_ENTRY, position + 1, end)
            chunk_end = end if following < 0 else following
            chunk = data[position:chunk_end].rstrip().rstrip(b",")
            try:
                entry = orjson.loads(b"{" + chunk + b"}")
            except orjson.JSONDecodeError:
                raise _Decline from None
            if type(entry) is not dict or len(entry) != 1:
                raise _Decline
            yield next(iter(entry.items()))
            position = chunk_end

    return head, entries()
