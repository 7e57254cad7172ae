"""The deliberate deviations of --validate from the plain CycloneDX JSON Schema."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from policyengine.ingest.cyclonedx import read_json
from policyengine.ingest.cyclonedx_schema import json_validator
from policyengine.model import InputError


def _doc(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}
    doc.update(extra)
    return doc


@pytest.mark.parametrize("version", ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"])
def test_no_quadratic_unique_items_on_big_arrays(version: str) -> None:
    schema = json_validator(version).schema
    assert "uniqueItems" not in schema["properties"]["components"]
    assert "uniqueItems" not in schema["properties"]["dependencies"]
    # Small arrays keep it: e.g. a dependency's dependsOn list.
    assert schema["definitions"]["dependency"]["properties"]["dependsOn"].get("uniqueItems")


def test_validators_are_compiled_once_per_version() -> None:
    assert json_validator("1.6") is json_validator("1.6")


def test_date_time_format_is_checked() -> None:
    bad = orjson.dumps(_doc(metadata={"timestamp": "yesterday"}))
    read_json(bad, "t.json")  # the default structural check does not look at formats
    with pytest.raises(InputError) as info:
        read_json(bad, "t.json", validate=True)
    assert info.value.position is not None
    assert info.value.position.pointer == "/metadata/timestamp"
    good = orjson.dumps(_doc(metadata={"timestamp": "2026-03-24T12:00:00+01:00"}))
    read_json(good, "t.json", validate=True)


def test_iri_reference_format_is_not_checked() -> None:
    component = {
        "type": "library",
        "name": "a",
        "externalReferences": [{"type": "website", "url": "not really :: a url"}],
    }
    read_json(orjson.dumps(_doc(components=[component])), "t.json", validate=True)


def test_duplicate_components_are_caught_by_the_bom_ref_set_not_unique_items() -> None:
    component = {"type": "library", "name": "a", "bom-ref": "x"}
    data = orjson.dumps(_doc(components=[component, component]))
    with pytest.raises(InputError, match="duplicate bom-ref 'x'"):
        read_json(data, "t.json", validate=True)
