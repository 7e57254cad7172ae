"""A fast path for loading evidence bundles: msgspec decodes them into the model dataclasses.

pydantic's strict ``validate_json`` of a bundle took ~3 s at 10,000 components
(benchmarks/README.md), most of the time of ``check --evidence``. Here msgspec decodes
the bundle into Structs that mirror the model dataclasses field for field (generated
from them), refusing unknown keys, wrong JSON types and times in any format but RFC 3339
with ``Z`` or an offset; ``msgspec.convert`` then turns each fact value into the model
dataclass. Anything msgspec refuses answers ``None``, so that the caller falls back to
pydantic, which then accepts the document or reports the precise error. On every
document it accepts, the result equals pydantic's (tests/hardening/test_bundle_fast.py
checks that on fixtures, synthetic bundles and random mutations).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from policyengine.model import (
    Advisories,
    ArtifactContents,
    Artifacts,
    ComponentEvidence,
    FactKind,
    Failed,
    Missing,
    Ok,
    PackageMetadata,
    ProjectFacts,
    Publishers,
    ReleaseHistory,
    Source,
)

# The times pydantic and msgspec read alike: msgspec alone would also take a space or a
# lower-case "t" and round past six fractional digits, where pydantic truncates.
_Time = Annotated[
    str,
    msgspec.Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)\Z"),
]

_MIRRORS: dict[type, type] = {}


def _mirror_type(hint: Any) -> Any:
    """The msgspec type that reads JSON exactly as pydantic reads ``hint`` (strict)."""
    if hint in (str, bool, int, float, type(None)):
        return hint
    if hint is datetime:
        return _Time
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _mirror(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        return tuple[tuple(a if a is Ellipsis else _mirror_type(a) for a in args)]  # type: ignore[misc]
    if origin is Literal and all(type(a) is str for a in args):
        return hint
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_mirror_type(a) for a in args)]  # noqa: UP007
    raise TypeError(f"no msgspec mirror for {hint!r}")


def _mirror(cls: type) -> type:
    """A Struct with the fields of dataclass ``cls`` that refuses unknown keys."""
    if cls not in _MIRRORS:
        hints = typing.get_type_hints(cls)
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for field in dataclasses.fields(cls):
            kind = _mirror_type(hints[field.name])
            if field.default is not dataclasses.MISSING:
                fields.append((field.name, kind, field.default))
            elif field.default_factory is dataclasses.MISSING:
                fields.append((field.name, kind))
            else:
                raise TypeError(f"{cls.__name__}.{field.name}: no mirror for a default factory")
        _MIRRORS[cls] = msgspec.defstruct(
            f"{cls.__name__}Mirror", fields, kw_only=True, forbid_unknown_fields=True, frozen=True
        )
    return _MIRRORS[cls]


class _MissingMirror(msgspec.Struct, tag_field="status", tag="missing", forbid_unknown_fields=True):
    reason: str


class _FailedMirror(msgspec.Struct, tag_field="status", tag="failed", forbid_unknown_fields=True):
    error: str


# The model type of each kind's value, by the Struct its "ok" fact decodes into.
_VALUE_OF: dict[type, type] = {}


def _fact_union(name: str, cls: type) -> Any:
    ok = msgspec.defstruct(
        f"{name}OkMirror",
        [("value", _mirror(cls)), ("source", _mirror(Source))],
        tag_field="status",
        tag="ok",
        forbid_unknown_fields=True,
    )
    _VALUE_OF[ok] = cls
    return ok | _MissingMirror | _FailedMirror


_FACTS = {
    "package": _fact_union("Package", PackageMetadata),
    "releases": _fact_union("Releases", ReleaseHistory),
    "artifacts": _fact_union("Artifacts", Artifacts),
    "publishers": _fact_union("Publishers", Publishers),
    "advisories": _fact_union("Advisories", Advisories),
    "contents": _fact_union("Contents", ArtifactContents),
}
_ProjectFact = _fact_union("Project", ProjectFacts)
_KINDS = {kind.value: kind for kind in FactKind if kind is not FactKind.PROJECT}
assert _KINDS.keys() == _FACTS.keys()

# One component's facts: every kind optional, nothing else.
_Entry = msgspec.defstruct(
    "EntryMirror",
    [(kind, fact | msgspec.UnsetType, msgspec.UNSET) for kind, fact in _FACTS.items()],
    kw_only=True,
    forbid_unknown_fields=True,
)
_Entries = dict[str, _Entry]  # type: ignore[valid-type]


class _Head(msgspec.Struct, forbid_unknown_fields=True):
    schema_version: Literal["1"]
    created_at: _Time | None
    tool: str
    project: _ProjectFact | None  # type: ignore[valid-type]


class _Document(_Head, forbid_unknown_fields=True):
    components: _Entries


_DOCUMENT = msgspec.json.Decoder(_Document)
# What msgspec raises on a document it does not take (ValidationError is a DecodeError).
_REFUSED = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
_HEADER = msgspec.json.Decoder(_Head)
_ENTRIES = msgspec.json.Decoder(_Entries)

FactOf = Ok[Any] | Missing | Failed
Parts = tuple[dict[str, ComponentEvidence], FactOf | None, datetime | None]
"""Components, project fact and ``created_at`` of a bundle."""


def _fact(fact: Any, seen: dict[Any, Source]) -> FactOf:
    kind = type(fact)
    if kind is _MissingMirror:
        return Missing(fact.reason)
    if kind is _FailedMirror:
        return Failed(fact.error)
    # A component's facts mostly come from one registry document, so they cite equal
    # sources: one copy of each (~1 KB a component, 65 MB at 50,000), converted once.
    source = seen.get(fact.source)
    if source is None:
        source = seen[fact.source] = msgspec.convert(fact.source, Source, from_attributes=True)
    # msgspec.convert builds the dataclasses from the Structs' attributes in C; the only
    # parsing left is of the time strings, which the pattern keeps to what both read alike.
    return Ok(msgspec.convert(fact.value, _VALUE_OF[kind], from_attributes=True), source)


def _component(key: str, entry: Any) -> ComponentEvidence:
    built: dict[FactKind, FactOf] = {}
    seen: dict[Any, Source] = {}
    for name in entry.__struct_fields__:
        fact = getattr(entry, name)
        if fact is not msgspec.UNSET:
            built[_KINDS[name]] = _fact(fact, seen)
    return ComponentEvidence(key, built)


def _parts(head: Any, items: Iterable[tuple[str, Any]]) -> Parts:
    components = {key: _component(key, entry) for key, entry in items}
    project = None if head.project is None else _fact(head.project, {})
    created = None if head.created_at is None else msgspec.convert(head.created_at, datetime)
    return components, project, created


def fast_document(data: bytes) -> Parts | None:
    """The parts of a whole bundle in any layout, or ``None`` to defer to pydantic."""
    try:
        document = _DOCUMENT.decode(data)
        entries = document.components
        # Popped as built: each decoded entry is freed once converted.
        return _parts(document, ((key, entries.pop(key)) for key in list(entries)))
    except _REFUSED:
        return None


def fast_canonical(data: bytes) -> Parts | None:
    """The parts of a bundle in ``dump_bundle``'s layout, decoded a batch of entries at a time.

    ``None`` when the layout or anything in it is unusual: the caller then tries
    :func:`fast_document`, then pydantic.
    """
    split = split_canonical(data)
    if split is None:
        return None
    try:
        return _parts(*split)
    except _REFUSED:
        # A time the pattern lets through can still be no date (February 30th).
        return None


_HEAD = b'{\n  "components": {\n'
_ENTRY = b'\n    "'
_END = b'\n  },\n  "created_at": '
_BATCH = 1 << 16  # bytes of entries decoded at once (~12 components): faster than more


def split_canonical(data: bytes) -> tuple[Any, Iterator[tuple[str, Any]]] | None:
    """The top-level fields and a lazy iterator of decoded component entries.

    ``dump_bundle`` writes two-space indented JSON with sorted keys, and JSON strings hold
    no raw newlines, so a component entry starts exactly where a line starts with four
    spaces and a quote. Decoding some 64 KiB of entries at a time keeps one copy of the
    evidence in memory instead of the whole document's as well (~0.7 GB at 50,000
    components). Any other layout answers ``None``; a batch that does not decode on its
    own makes the iterator raise a msgspec error, so the caller falls back to decoding
    the whole file.
    (Batches that each decode are cut between two members of the components object: a
    cut inside a value would leave a bracket unbalanced on both sides.)
    """
    if not data.startswith(_HEAD):
        return None
    end = data.rfind(_END)
    if end < 0:
        return None
    try:
        head = _HEADER.decode(b"{" + data[end + len(b"\n  },") :])
    except _REFUSED:
        return None
    base = len(_HEAD) - 1  # at the newline before the first entry
    if data[base : base + len(_ENTRY)] != _ENTRY:
        return None

    def entries() -> Iterator[tuple[str, Any]]:
        position = base
        while position < end:
            following = data.find(_ENTRY, min(position + _BATCH, end), end)
            batch_end = end if following < 0 else following
            batch = data[position:batch_end].rstrip().rstrip(b",")
            yield from _ENTRIES.decode(b"{" + batch + b"}").items()
            position = batch_end

    return head, entries()
