"""A strict reading of an evidence bundle: every key must be a field of the model type.

The bundle loader (pydantic over the model dataclasses) ignores unknown keys, so a
misspelt field in a hand-written case would silently become its default; this
catches it, and also applies the loader's strict JSON validation per value.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from policyengine.model import (
    Advisories,
    Artifacts,
    PackageMetadata,
    Publishers,
    ReleaseHistory,
    Source,
)
from policyengine.model.contents import ArtifactContents
from policyengine.model.project import ProjectFacts

FACT_TYPES: dict[str, type] = {
    "package": PackageMetadata,
    "releases": ReleaseHistory,
    "artifacts": Artifacts,
    "publishers": Publishers,
    "advisories": Advisories,
    "contents": ArtifactContents,
}


def _check_keys(value: Any, kind: Any, pointer: str) -> None:
    """Every key of ``value`` is a field of the dataclass ``kind`` (recursively)."""
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        assert isinstance(value, dict), f"{pointer}: expected an object"
        fields = {f.name: f for f in dataclasses.fields(kind)}
        unknown = set(value) - set(fields)
        assert not unknown, f"{pointer}: {sorted(unknown)} are not fields of {kind.__name__}"
        required = {
            n
            for n, f in fields.items()
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        assert required <= set(value), f"{pointer}: missing {sorted(required - set(value))}"
        hints = typing.get_type_hints(kind)
        for name, item in value.items():
            _check_keys(item, hints[name], f"{pointer}/{name}")
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(kind):
            if dataclasses.is_dataclass(arg) and isinstance(value, dict):
                _check_keys(value, arg, pointer)
    elif origin is tuple and isinstance(value, list):
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            for index, item in enumerate(value):
                _check_keys(item, args[0], f"{pointer}/{index}")


def _check_fact(fact: dict[str, Any], kind: type, pointer: str) -> None:
    status = fact.get("status")
    if status == "ok":
        assert set(fact) == {"status", "value", "source"}, pointer
        _check_keys(fact["source"], Source, f"{pointer}/source")
        _check_keys(fact["value"], kind, f"{pointer}/value")
        # The same strict JSON validation the bundle loader applies.
        TypeAdapter(kind).validate_json(json.dumps(fact["value"]), strict=True)
        TypeAdapter(Source).validate_json(json.dumps(fact["source"]), strict=True)
    elif status == "missing":
        assert set(fact) == {"status", "reason"}, pointer
    elif status == "failed":
        assert set(fact) == {"status", "error"}, pointer
    else:
        pytest.fail(f"{pointer}: unknown status {status!r}")


def check_bundle(path: Path) -> None:
    """Fail the test at the first key or value that the model does not define."""
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert set(bundle) == {"schema_version", "created_at", "tool", "components", "project"}
    assert bundle["schema_version"] == "1"
    for key, facts in bundle["components"].items():
        ecosystem, _, rest = key.partition("/")
        assert ecosystem and "@" in rest, f"{key} is not ecosystem/name@version"
        for kind, fact in facts.items():
            assert kind in FACT_TYPES, f"/components/{key}/{kind}: unknown fact kind"
            _check_fact(fact, FACT_TYPES[kind], f"/components/{key}/{kind}")
    if bundle["project"] is not None:
        _check_fact(bundle["project"], ProjectFacts, "/project")
