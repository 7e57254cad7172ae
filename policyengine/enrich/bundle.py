"""Evidence bundles: the recorded facts of one enrichment, replayable with no network.

The format is agreed in docs/evidence.md. ``dump_bundle`` is deterministic (sorted
keys, fixed layout); ``load_bundle`` validates every key and type and reports the
JSON pointer of the first problem as an :class:`InputError`. The JSON Schema in
``schemas/evidence.schema.json`` is generated from the same types:
``python -m policyengine.enrich.bundle --schema`` rewrites it.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import sys
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import orjson
from pydantic import ConfigDict, Discriminator, Tag, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from policyengine.enrich.bundle_fast import Parts, fast_canonical, fast_document
from policyengine.enrich.bundle_verify import check_consistency, refuse_duplicate_keys
from policyengine.enrich.settings import VERSION
from policyengine.model import (
    Advisories,
    ArtifactContents,
    Artifacts,
    ComponentEvidence,
    Evidence,
    FactKind,
    Failed,
    InputError,
    Missing,
    Ok,
    PackageMetadata,
    Position,
    ProjectFacts,
    Publishers,
    ReleaseHistory,
)
from policyengine.safeio import gunzip_capped

SCHEMA_VERSION: Literal["1"] = "1"
MAX_BUNDLE_BYTES = 8 * 2**30
"""Largest decompressed bundle read (a 50,000-component bundle is about 280 MB)."""
_GZIP_HINT = "a bundle this large is not one `policyengine enrich` wrote; check the file"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "evidence.schema.json"


def _status(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("status") if isinstance(value.get("status"), str) else None
    return getattr(value, "status", None)


def _fact(value_type: Any) -> Any:
    return Annotated[
        Annotated[Ok[value_type], Tag("ok")]
        | Annotated[Missing, Tag("missing")]
        | Annotated[Failed, Tag("failed")],
        Discriminator(_status),
    ]


def _forbid_extra_keys(*roots: type) -> None:
    """Make pydantic refuse unknown keys in these dataclasses and every one they contain.

    pydantic ignores unknown keys of stdlib dataclasses by default, so a misspelt
    field in a hand-written or edited bundle would silently take its default.
    """
    seen: set[type] = set()
    todo = list(roots)
    while todo:
        cls = todo.pop()
        if cls in seen or not dataclasses.is_dataclass(cls):
            continue
        seen.add(cls)
        cls.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
        for hint in typing.get_type_hints(cls).values():
            todo.extend(_classes_in(hint))


def _classes_in(hint: Any) -> list[type]:
    args = typing.get_args(hint)
    if not args:
        return [hint] if isinstance(hint, type) else []
    return [cls for arg in args for cls in _classes_in(arg)]


_forbid_extra_keys(
    Ok, Missing, Failed, PackageMetadata, ReleaseHistory, Artifacts, Publishers, Advisories
)
_forbid_extra_keys(ArtifactContents, ProjectFacts)

PackageFact = _fact(PackageMetadata)
ReleasesFact = _fact(ReleaseHistory)
ArtifactsFact = _fact(Artifacts)
PublishersFact = _fact(Publishers)
AdvisoriesFact = _fact(Advisories)
ContentsFact = _fact(ArtifactContents)
ProjectFact = _fact(ProjectFacts)


@with_config(ConfigDict(extra="forbid"))
class ComponentFacts(TypedDict, total=False):
    """The facts of one component, by fact kind."""

    package: PackageFact  # type: ignore[valid-type]
    releases: ReleasesFact  # type: ignore[valid-type]
    artifacts: ArtifactsFact  # type: ignore[valid-type]
    publishers: PublishersFact  # type: ignore[valid-type]
    advisories: AdvisoriesFact  # type: ignore[valid-type]
    contents: ContentsFact  # type: ignore[valid-type]


@with_config(ConfigDict(extra="forbid"))
class Bundle(TypedDict):
    """An evidence bundle file (docs/evidence.md)."""

    schema_version: Literal["1"]
    created_at: datetime | None
    tool: str
    components: dict[str, ComponentFacts]
    project: ProjectFact | None  # type: ignore[valid-type]


_ADAPTER: TypeAdapter[Bundle] = TypeAdapter(Bundle)


def dump_bundle(evidence: Evidence) -> bytes:
    """The bundle bytes for ``evidence``: sorted keys, two-space indent, trailing newline.

    Written by orjson: the standard library's encoder is pure Python once it indents (0.4 s
    of a 0.7 s warm ``enrich`` of 51 packages, 26 ms of each release kept in the
    inventory). The bytes are the ones ``json.dumps(indent=2, sort_keys=True,
    ensure_ascii=False)`` writes (tests/enrich/test_bundle.py compares them on every
    committed bundle and on random text); a float below 1e-4 would be spelled
    differently, the same number. What orjson refuses (a lone surrogate, an integer
    beyond 64 bits) goes through the standard library, as everything did before.
    """
    plain = _plain(evidence, evidence.created_at)
    try:
        return orjson.dumps(plain, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    except orjson.JSONEncodeError:
        return (json.dumps(plain, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _plain(evidence: Evidence, created_at: datetime | None) -> Any:
    """The bundle as JSON-ready data: components sorted by key, facts by kind."""
    components: dict[str, ComponentFacts] = {}
    for key in sorted(evidence.components):
        facts = evidence.components[key].facts
        components[key] = cast(ComponentFacts, {kind.value: facts[kind] for kind in sorted(facts)})
    bundle: Bundle = {
        "schema_version": SCHEMA_VERSION,
        "created_at": created_at,
        "tool": f"policyengine {VERSION}",
        "components": components,
        "project": evidence.project,
    }
    plain = _ADAPTER.dump_python(bundle, mode="json")
    for facts in plain["components"].values():
        _drop_empty_history(facts.get("publishers"))
    return plain


def _drop_empty_history(fact: Any) -> None:
    """Leave an empty publisher ``history`` out, as bundles before it was added wrote them.

    The reader takes a missing ``history`` as empty, so nothing is lost; and a bundle
    without provenance stays readable by the versions before it, with the same facts
    digest as they gave.
    """
    value = fact.get("value") if isinstance(fact, dict) else None
    if isinstance(value, dict) and value.get("history") == []:
        del value["history"]


def facts_digest(evidence: Evidence) -> str:
    """``sha256:`` of the evidence's facts in bundle JSON, their collection times left out.

    For a verdict judged on facts fetched during the run and not recorded: it changes
    whenever a fact, a source URL or an answer's digest changes, and the same facts
    fetched again (``created_at`` and each source's ``fetched_at`` move) give the same
    digest. Sorted compact JSON through orjson, the times dropped only where sources hold
    them: 10,000 components with contents facts took 5.4 s, writing their bundle 30 s.
    """
    plain = _plain(evidence, None)
    # A source (``Ok.source``) is the one place a collection time lives.
    for facts in plain["components"].values():
        for fact in facts.values():
            _drop_time(fact)
    _drop_time(plain["project"])
    plain["project"] = _project_in_place(plain["project"])
    try:
        data = orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # a lone surrogate: orjson refuses what json writes
        text = json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        data = text.encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _project_in_place(fact: Any) -> Any:
    """Project facts with their folder's own location left out, for the digest.

    The facts are the manifests and lockfiles and what they say; where the checkout lies
    (``/home/ci/build-7/...``) is not a fact about them, and a digest that moved with it
    would differ between two machines judging the same commit.
    """
    value = fact.get("value") if isinstance(fact, dict) else None
    folder = value.get("directory") if isinstance(value, dict) else None
    if not isinstance(folder, str) or not folder:
        return fact
    source = fact.get("source")
    if isinstance(source, dict):
        source.pop("url", None)
    prefix = folder.rstrip("/") + "/"

    def relative(node: Any) -> Any:
        if isinstance(node, str):
            if node == folder:
                return "."
            return node[len(prefix) :] if node.startswith(prefix) else node
        if isinstance(node, dict):
            return {k: relative(v) for k, v in node.items()}
        if isinstance(node, list):
            return [relative(v) for v in node]
        return node

    return relative(fact)


def _drop_time(fact: Any) -> None:
    source = fact.get("source") if isinstance(fact, dict) else None
    if isinstance(source, dict):
        source.pop("fetched_at", None)


def load_bundle(path: str | Path) -> Evidence:
    """Read a bundle file into :class:`Evidence` (``digest`` = sha256 of the file bytes)."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
        if data[:2] == b"\x1f\x8b":
            # Bundles are 5-7x their SBOM: kept gzipped (benchmarks/precision does), read as is.
            data = gunzip_capped(data, source, MAX_BUNDLE_BYTES, hint=_GZIP_HINT)
    except FileNotFoundError:
        raise InputError("no such evidence file", position=Position(source)) from None
    except OSError as exc:
        raise InputError(
            f"cannot read the evidence file: {exc.strerror}", position=Position(source)
        ) from None
    return parse_bundle(data, source)


def parse_bundle(data: bytes, source: str) -> Evidence:
    """Parse bundle bytes (``source`` names them in errors)."""
    # Nothing built here is garbage yet: pausing the cyclic collector halves the time at
    # 10,000 components (benchmarks/README.md), as in the SBOM readers.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(data, source)
    finally:
        if was_enabled:
            gc.enable()


def _parse(data: bytes, source: str) -> Evidence:
    evidence = _decode(data, source)
    refuse_duplicate_keys(data, source)
    check_consistency(evidence, source)
    return evidence


def _decode(data: bytes, source: str) -> Evidence:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    # The layout dump_bundle writes is decoded one component at a time, any other layout
    # whole, by msgspec (bundle_fast.py); anything unusual is left to pydantic.
    fast = fast_canonical(data)
    if fast is None:
        fast = fast_document(data)
    if fast is not None:
        return _evidence(fast, source, digest)
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        raw = _stdlib_loads(data, source)
    if isinstance(raw, dict) and raw.get("schema_version") not in (None, SCHEMA_VERSION):
        raise InputError(
            f"unsupported evidence schema_version {raw.get('schema_version')!r}",
            position=Position(source, pointer="/schema_version"),
            hint=f"this version reads schema_version {SCHEMA_VERSION!r}",
        )
    return _validated(data, source, digest)


def _evidence(fast: Parts, source: str, digest: str) -> Evidence:
    components, project, created = fast
    return Evidence(
        components=components,
        project=project,
        created_at=_in_utc(created, source),
        digest=digest,
    )


def _in_utc(created: datetime | None, source: str) -> datetime | None:
    if created is None:
        return None
    try:
        return created.astimezone(UTC)
    except OverflowError:
        # e.g. 0001-01-01T00:00:00+01:00: a valid time whose UTC falls before year 1.
        raise InputError(
            "invalid evidence bundle: created_at is out of range in UTC",
            position=Position(source, pointer="/created_at"),
            hint="regenerate it with `policyengine enrich`",
        ) from None


def _stdlib_loads(data: bytes, source: str) -> Any:
    # orjson refused the bytes; the stdlib parser words the error (line numbers) as before,
    # and accepts the few documents orjson refuses but the stdlib reads (e.g. NaN).
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(
            f"not valid JSON: {exc}",
            position=Position(source, line=line),
            hint="an evidence bundle is written by `policyengine enrich -o FILE`",
        ) from None
    except RecursionError:
        raise InputError(
            "the evidence file nests too deeply to read",
            position=Position(source),
            hint="an evidence bundle is written by `policyengine enrich -o FILE`",
        ) from None


def _validated(data: bytes, source: str, digest: str) -> Evidence:
    try:
        bundle = _ADAPTER.validate_json(data, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError(
            f"invalid evidence bundle: {error['msg']}",
            position=Position(source, pointer=_pointer(error["loc"])),
            hint="regenerate it with `policyengine enrich`",
        ) from None
    components = {
        key: ComponentEvidence(
            key,
            {FactKind(kind): fact for kind, fact in facts.items()},  # type: ignore[misc]
        )
        for key, facts in bundle["components"].items()
    }
    return Evidence(
        components=components,
        project=bundle["project"],
        created_at=_in_utc(bundle["created_at"], source),
        digest=digest,
    )


def _pointer(loc: tuple[int | str, ...]) -> str:
    # pydantic adds the union tag ("ok", "missing"...) to the location; a JSON pointer must not.
    parts = [str(p) for p in loc if p not in ("ok", "missing", "failed") or loc.index(p) == 1]
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def schema() -> dict[str, Any]:
    """The JSON Schema of a bundle, generated from the model types."""
    generated = _ADAPTER.json_schema()
    generated["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    generated["title"] = "policyengine evidence bundle"
    for name, definition in generated.get("$defs", {}).items():
        status = _STATUS_OF.get(name.split("_", 1)[0])
        if status is not None:
            definition["properties"]["status"] = {"const": status, "title": "Status"}
            definition.setdefault("required", []).append("status")
            definition["additionalProperties"] = False
    return generated


_STATUS_OF: Mapping[str, str] = {"Ok": "ok", "Missing": "missing", "Failed": "failed"}


def schema_text() -> str:
    """The schema as the file stores it."""
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None, write: Callable[[str], object] = sys.stdout.write) -> int:
    """``--schema`` rewrites schemas/evidence.schema.json; ``--print`` writes it to stdout."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--schema"]:
        SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
        return 0
    if args == ["--print"]:
        write(schema_text())
        return 0
    write("usage: python -m policyengine.enrich.bundle --schema | --print\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
